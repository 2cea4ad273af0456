"""The Tâches screen of a dossier, the accountant's board, and upload tasks.

Thin views: parse, fetch through `access.py`, call one action, answer. Every action view
is POST-only and answers a redirect to the task page (with a message), so everything
works without JavaScript; with htmx (`HX-Request`) a step action answers the step's
fragment of the same template (`task_detail.html#step`) instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.core.converters import parse_id
from comptoir.core.forms import CHOICES_MAX, DATALIST_MAX
from comptoir.documents.access import documents_visible, folders_visible
from comptoir.documents.uploads import CheckedUploadHandler, body_unreadable, size_limit_message
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context
from comptoir.notifications.actions import notifications_mark_read

from . import actions, selectors
from .access import access_step, access_task
from .forms import (
    CommentForm,
    NotApplicableForm,
    RequiredStepForm,
    StepFormSet,
    UploadTaskForm,
)
from .models import Step, StepState, Task, TaskAssignee, TaskDocument, TaskKind, TaskState

PAGE_SIZE = 25
HISTORY_SIZE = 20


def _state(request: HttpRequest) -> str:
    return TaskState.DONE if request.GET.get("state") == TaskState.DONE else TaskState.OPEN


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- Lists --------------------------------------------------------------------------------


@dossier_view(Permission.TASK_VIEW)
@require_GET
def task_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    state = _state(request)
    kind = request.GET.get("kind", "")
    due = request.GET.get("due", "")
    people = list(selectors.task_people(access.dossier))
    assignee_id = parse_id(request.GET.get("assignee"))
    if assignee_id is not None and assignee_id not in {p.pk for p in people}:
        assignee_id = None
    tasks, counts = selectors.tasks_for_list(
        access, state=state, kind=kind, due=due, assignee_id=assignee_id
    )
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = dossier_context(
        access,
        page=page,
        tasks=page.object_list,
        state=state,
        counts=counts,
        kind=kind if kind in TaskKind.values else "",
        due=due if due in selectors.DueFilter.VALUES else "",
        assignee_id=assignee_id,
        people=people,
        today=timezone.localdate(),
        filtered=bool(kind or due or assignee_id),
        query_state=_query_without(request, "state", "page"),
        query_page=_query_without(request, "page"),
    )
    return render(request, "assignments/task_list.html", context)


class CountedPaginator(Paginator):
    """A paginator told its total (counted with the tab counts), so it runs no COUNT."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def _board_dossier(value: str, dossiers: list[Any]) -> int | None:
    """The board's dossier filter: an id (links, the select) or a dossier's exact name
    (the text input), among the dossiers served; anything else is no filter."""
    value = value.strip()
    pk = parse_id(value)
    if pk is not None and any(d.pk == pk for d in dossiers):
        return pk
    named = [d.pk for d in dossiers if d.name.casefold() == value.casefold()] if value else []
    return named[0] if len(named) == 1 else None


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user = request.user
    dossiers = list(selectors.board_dossiers(user))  # type: ignore[arg-type]
    state = _state(request)
    due = request.GET.get("due", "")
    dossier_id = _board_dossier(request.GET.get("dossier", ""), dossiers)
    tasks, counts = selectors.tasks_for_board(
        [d.pk for d in dossiers], state=state, dossier_id=dossier_id, due=due
    )
    page = CountedPaginator(tasks, PAGE_SIZE, count=counts[state]).get_page(request.GET.get("page"))
    chosen = next((d for d in dossiers if d.pk == dossier_id), None)
    return render(
        request,
        "assignments/board.html",
        {
            "page": page,
            "tasks": page.object_list,
            "state": state,
            "counts": counts,
            "dossiers": dossiers,
            "dossier_id": dossier_id,
            # Above CHOICES_MAX dossiers the filter is a text input with a datalist.
            "dossier_search": len(dossiers) > CHOICES_MAX,
            "dossier_options": dossiers[:DATALIST_MAX],
            "dossier_chosen": chosen,
            "due": due if due in selectors.DueFilter.VALUES else "",
            "today": timezone.localdate(),
            "query_state": _query_without(request, "state", "page"),
            "query_page": _query_without(request, "page"),
        },
    )


# --- Creating -----------------------------------------------------------------------------


@dossier_view(Permission.TASK_SEND)
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    posted = request.method == "POST"
    people = selectors.client_workers(access.dossier)
    folders = folders_visible(access).order_by("name")
    form = UploadTaskForm(
        request.POST if posted else None,
        people=people,
        initial={"assignees": selectors.default_assignee_ids(access.dossier)},
    )
    steps = StepFormSet(
        request.POST if posted else None, prefix="steps", form_kwargs={"folders": folders}
    )
    if posted and form.is_valid() and steps.is_valid():
        data = form.cleaned_data
        specs = [spec for f in steps.forms if (spec := f.spec()) is not None]
        try:
            task = actions.upload_task_create(
                actor=Actor.from_request(request),
                access=access,
                title=data["title"],
                message=data["message"],
                due_date=data["due_date"],
                assignees=list(data["assignees"]),
                steps=specs,
            )
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("La tâche est envoyée."))
            return redirect(task.get_absolute_url())
    context = dossier_context(access, form=form, steps=steps, has_people=people.exists())
    return render(request, "assignments/task_create.html", context)


# --- One upload task ----------------------------------------------------------------------


def _upload_task(access: DossierAccess, pk: int) -> Task:
    task = access_task(access, pk)
    if task.kind != TaskKind.UPLOAD:
        raise Http404
    return task


def _step_history(steps: list[Step]) -> dict[int, list[AuditEvent]]:
    """The audit events of each step, newest first (one query for all steps)."""
    if not steps:
        return {}
    events = (
        AuditEvent.objects.filter(
            object_type="assignments.step", object_id__in=[str(s.pk) for s in steps]
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    history: dict[int, list[AuditEvent]] = {s.pk: [] for s in steps}
    for event in events:
        bucket = history.get(int(event.object_id))
        if bucket is not None and len(bucket) < HISTORY_SIZE:
            bucket.append(event)
    return history


def _visible_ids(access: DossierAccess, links: list[TaskDocument]) -> set[int]:
    ids = [link.document_id for link in links]
    return set(documents_visible(access).filter(pk__in=ids).values_list("pk", flat=True))


def _task_context(access: DossierAccess, task: Task, **extra: Any) -> dict[str, Any]:
    steps = selectors.task_steps(task)
    history = _step_history(steps)
    task_links = list(
        TaskDocument.objects.filter(task=task)
        .select_related("document", "added_by")
        .order_by("added_at", "id")
    )
    visible = _visible_ids(access, task_links)
    for step in steps:
        step.history = history.get(step.pk, [])  # type: ignore[attr-defined]
        step.documents = [  # type: ignore[attr-defined]
            link for link in step.step_documents.all() if link.document_id in visible
        ]
    assignees = [a.user for a in TaskAssignee.objects.filter(task=task).select_related("user")]
    open_steps = sum(1 for s in steps if s.state == StepState.OPEN)
    return dossier_context(
        access,
        task=task,
        steps=steps,
        task_documents=[
            link for link in task_links if link.step_id is None and link.document_id in visible
        ],
        assignees=assignees,
        open_steps=open_steps,
        done_steps=len(steps) - open_steps,
        today=timezone.localdate(),
        is_open=task.state == TaskState.OPEN,
        can_upload=access.has(Permission.TASK_WORK) and access.has(Permission.DOCUMENT_UPLOAD),
        comment_form=CommentForm(),
        na_form=NotApplicableForm(),
        step_form=RequiredStepForm(folders=folders_visible(access).order_by("name")),
        upload_max_bytes=settings.UPLOAD_MAX_BYTES,
        **extra,
    )


@dossier_view(Permission.TASK_VIEW)
@require_GET
def task_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _upload_task(access, pk)
    # Opening the task reads its notifications (received, reminders…).
    notifications_mark_read(user=access.user, url=task.get_absolute_url())
    return render(request, "assignments/task_detail.html", _task_context(access, task))


def _answer(
    request: HttpRequest, access: DossierAccess, task: Task, step: Step | None = None
) -> HttpResponse:
    """htmx: the step's fragment (or the whole page's main part); else back to the page."""
    if request.headers.get("HX-Request") and step is not None:
        context = _task_context(access, task)
        fresh = next((s for s in context["steps"] if s.pk == step.pk), None)
        if fresh is None:
            return HttpResponse("")  # the step is gone (deleted): the fragment disappears
        context["step"] = fresh
        # The fragment carries the action's message (no full page to show it on).
        context["htmx_fragment"] = True
        return render(request, "assignments/task_detail.html#step", context)
    anchor = f"#step-{step.pk}" if step is not None else ""
    return redirect(task.get_absolute_url() + anchor)


def _run(request: HttpRequest, action: Any, success: str, **kwargs: Any) -> bool:
    try:
        action(actor=Actor.from_request(request), **kwargs)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return False
    messages.success(request, success)
    return True


@dossier_view(Permission.TASK_WORK)
@require_POST
def task_complete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _upload_task(access, pk)
    _run(request, actions.task_complete, _("La tâche est terminée."), access=access, task=task)
    return redirect(task.get_absolute_url())


@dossier_view(Permission.TASK_SEND)
@require_POST
def task_reopen(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _upload_task(access, pk)
    _run(request, actions.task_reopen, _("La tâche est rouverte."), access=access, task=task)
    return redirect(task.get_absolute_url())


@dossier_view(Permission.TASK_SEND)
@require_POST
def step_add(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _upload_task(access, pk)
    form = RequiredStepForm(request.POST, folders=folders_visible(access).order_by("name"))
    if not form.is_valid():
        messages.error(request, _("Donnez un titre à l'étape."))
    else:
        spec = form.spec()
        assert spec is not None
        _run(
            request,
            actions.step_add,
            _("L'étape est ajoutée."),
            access=access,
            task=task,
            spec=spec,
        )
    return redirect(task.get_absolute_url())


def _step_of(access: DossierAccess, pk: int) -> tuple[Task, Step]:
    step = (
        Step.objects.filter(pk=pk, task__dossier=access.dossier, task__kind=TaskKind.UPLOAD)
        .only("pk", "task_id")
        .first()
    )
    if step is None:
        raise Http404
    task = access_task(access, step.task_id)
    return task, access_step(task, pk)


@dossier_view(Permission.TASK_WORK)
@require_POST
def step_complete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task, step = _step_of(access, pk)
    _run(request, actions.step_complete, _("L'étape est terminée."), access=access, step=step)
    return _answer(request, access, task, step)


@dossier_view(Permission.TASK_WORK)
@require_POST
def step_not_applicable(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task, step = _step_of(access, pk)
    form = NotApplicableForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Expliquez pourquoi cette étape ne s'applique pas."))
    else:
        _run(
            request,
            actions.step_mark_not_applicable,
            _("L'étape est marquée « Ne s'applique pas »."),
            access=access,
            step=step,
            comment=form.cleaned_data["comment"],
        )
    return _answer(request, access, task, step)


# Reopening, deleting and commenting a step: either side (the client's work or the
# sender's); the action checks the same rule.
@dossier_view(Permission.TASK_VIEW)
@require_POST
def step_reopen(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task, step = _step_of(access, pk)
    _require_either(access)
    _run(
        request, actions.step_reopen, _("L'étape est de nouveau à faire."), access=access, step=step
    )
    return _answer(request, access, task, step)


@dossier_view(Permission.TASK_VIEW)
@require_POST
def step_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task, step = _step_of(access, pk)
    _require_either(access)
    _run(request, actions.step_delete, _("L'étape est supprimée."), access=access, step=step)
    return _answer(request, access, task, step)


@dossier_view(Permission.TASK_VIEW)
@require_POST
def step_comment(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task, step = _step_of(access, pk)
    _require_either(access)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Écrivez un commentaire."))
    else:
        _run(
            request,
            actions.step_comment_add,
            _("Le commentaire est ajouté."),
            access=access,
            step=step,
            body=form.cleaned_data["body"],
        )
    return _answer(request, access, task, step)


def _require_either(access: DossierAccess) -> None:
    from django.core.exceptions import PermissionDenied

    if not (access.has(Permission.TASK_WORK) or access.has(Permission.TASK_SEND)):
        raise PermissionDenied


# Uploads: CSRF is checked inside, once the streaming upload handler is in place (as in
# documents.views.document_upload).
@csrf_exempt
@dossier_view(Permission.TASK_WORK)
@require_POST
def task_upload(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    request.upload_handlers = [CheckedUploadHandler(request)]
    if unreadable := body_unreadable(request):
        messages.error(request, unreadable)
        return redirect(_upload_task(access, pk).get_absolute_url())
    return _task_upload_read(request, access, pk)


@csrf_protect
def _task_upload_read(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _upload_task(access, pk)
    step: Step | None = None
    if request.POST.get("step"):
        step_pk = parse_id(request.POST["step"])
        if step_pk is None:
            raise Http404
        step = access_step(task, step_pk)
    files = request.FILES.getlist("files")
    too_large: list[str] = getattr(request, "uploads_too_large", [])
    for name in too_large:
        messages.error(request, f"{name} : {size_limit_message()}")
    try:
        result = actions.task_documents_upload(
            actor=Actor.from_request(request), access=access, task=task, step=step, files=files
        )
    except actions.ActionRefused as refused:
        if files or not too_large:
            messages.error(request, refused.message)
    else:
        for name, reason in result.refused:
            messages.error(request, f"{name} : {reason}")
        if result.documents:
            count = len(result.documents)
            messages.success(
                request,
                ngettext("%(n)s document déposé.", "%(n)s documents déposés.", count)
                % {"n": count},
            )
    finally:
        for uploaded in files:
            uploaded.close()
    anchor = f"#step-{step.pk}" if step is not None else "#task-documents"
    return redirect(task.get_absolute_url() + anchor)


urlpatterns: list[URLPattern] = [
    path("tasks/", board, name="board"),
    path("d/<slug:slug>/tasks/", task_list, name="task_list"),
    path("d/<slug:slug>/tasks/new/", task_create, name="task_create"),
    path("d/<slug:slug>/tasks/<id:pk>/", task_detail, name="task_detail"),
    path("d/<slug:slug>/tasks/<id:pk>/complete/", task_complete, name="task_complete"),
    path("d/<slug:slug>/tasks/<id:pk>/reopen/", task_reopen, name="task_reopen"),
    path("d/<slug:slug>/tasks/<id:pk>/upload/", task_upload, name="task_upload"),
    path("d/<slug:slug>/tasks/<id:pk>/steps/new/", step_add, name="step_add"),
    path("d/<slug:slug>/steps/<id:pk>/complete/", step_complete, name="step_complete"),
    path(
        "d/<slug:slug>/steps/<id:pk>/not-applicable/",
        step_not_applicable,
        name="step_not_applicable",
    ),
    path("d/<slug:slug>/steps/<id:pk>/reopen/", step_reopen, name="step_reopen"),
    path("d/<slug:slug>/steps/<id:pk>/delete/", step_delete, name="step_delete"),
    path("d/<slug:slug>/steps/<id:pk>/comment/", step_comment, name="step_comment"),
]
