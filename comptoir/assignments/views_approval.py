"""Approval tasks: sending one, its page, opening its documents, approving or declining.

Thin views: parse, fetch through `access.py` / `documents.access`, call one action from
`actions_approval`, answer. Decisions are plain POST forms answering a redirect with a
message, so everything works without JavaScript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.documents import responses
from comptoir.documents.access import documents_visible, folders_visible
from comptoir.documents.actions import document_read_record
from comptoir.documents.uploads import (
    CheckedUploadHandler,
    ReceivedFile,
    UploadRefused,
    body_unreadable,
    file_receive,
    size_limit_message,
)
from comptoir.dossiers.access import DossierAccess, dossier_access_for, dossier_view
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context
from comptoir.notifications.actions import notifications_mark_read

from . import actions_approval, selectors
from .access import access_task
from .forms_approval import MAX_FILES, PICKER_MAX, ApprovalTaskForm, DeclineForm
from .models import Approval, Task, TaskAssignee, TaskDocument, TaskDocumentOpen, TaskKind

if TYPE_CHECKING:
    from comptoir.accounts.models import User


def _access_approval(access: DossierAccess, pk: int) -> Task:
    """An approval task of this dossier, or 404 (an upload task has its own page)."""
    task = access_task(access, pk)
    if task.kind != TaskKind.APPROVAL:
        raise Http404
    return task


def _access_approval_document(access: DossierAccess, task: Task, document_pk: int) -> TaskDocument:
    """A document of the task that this person may see (folder restrictions hold), or 404."""
    found = (
        TaskDocument.objects.filter(task=task, document_id=document_pk)
        .filter(document__in=documents_visible(access))
        .select_related("document", "document__current_version")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _approvers(access: DossierAccess) -> QuerySet[User]:
    """The client-side people who may decide (not Lecture seule, nor a custom profile
    without TASK_WORK)."""
    people = list(selectors.client_assignees(access.dossier))
    able = []
    for person in people:
        try:
            theirs = dossier_access_for(person, access.dossier.slug)
        except Http404:
            continue
        if actions_approval.can_decide(theirs):
            able.append(person.pk)
    return selectors.client_assignees(access.dossier).filter(pk__in=able)


def _detail_url(task: Task) -> str:
    return task.get_absolute_url()


# --- Sending ------------------------------------------------------------------------------


# CSRF is checked inside, once the streaming upload handler is in place (as in documents).
@csrf_exempt
@dossier_view(Permission.TASK_SEND)
@require_http_methods(["GET", "POST"])
def approval_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.UPLOAD_MAX_BYTES * MAX_FILES + 1024 * 1024:
            messages.error(request, size_limit_message())
            return redirect("assignments:approval_create", access.dossier.slug)
        request.upload_handlers = [CheckedUploadHandler(request)]
        if unreadable := body_unreadable(request):
            messages.error(request, unreadable)
            return redirect("assignments:approval_create", access.dossier.slug)
    return _approval_create(request, access)


def _picker(form: ApprovalTaskForm, access: DossierAccess) -> dict[str, Any]:
    """The documents the checkbox list shows: the checked ones, then the filtered ones."""
    visible = documents_visible(access).select_related("folder", "current_version")
    data = form.data if form.is_bound else {}
    checked_ids: list[int] = []
    for raw in data.getlist("documents") if hasattr(data, "getlist") else []:
        if str(raw).isdigit():
            checked_ids.append(int(raw))
    checked = list(visible.filter(pk__in=checked_ids[:PICKER_MAX]).order_by("name", "pk"))
    folder_id = data.get("folder") if data else None
    query = (data.get("q") or "").strip() if data else ""
    listed = visible.exclude(pk__in=[d.pk for d in checked])
    if folder_id and str(folder_id).isdigit():
        listed = listed.filter(folder_id=int(folder_id))
    if query:
        listed = listed.filter(Q(name__icontains=query))
    shown = list(listed.order_by("folder__name", "name", "pk")[: PICKER_MAX + 1])
    return {
        "checked_documents": checked,
        "picker_documents": shown[:PICKER_MAX],
        "picker_more": len(shown) > PICKER_MAX,
        "picker_max": PICKER_MAX,
    }


@csrf_protect
def _approval_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    people = _approvers(access)
    folders = folders_visible(access).order_by("name")
    posted = request.method == "POST"
    form = ApprovalTaskForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        people=people,
        documents=documents_visible(access),
        folders=folders,
        initial={"assignees": selectors.default_assignee_ids(access.dossier)},
    )
    filtering = posted and "filter" in request.POST
    if posted and not filtering and form.is_valid():
        files = request.FILES.getlist("uploads")
        too_large: list[str] = getattr(request, "uploads_too_large", [])
        if too_large:
            form.add_error("uploads", f"{', '.join(too_large)} : {size_limit_message()}")
        elif len(files) > MAX_FILES:
            form.add_error(
                "uploads", _("Déposez au plus %(n)s fichiers à la fois.") % {"n": MAX_FILES}
            )
        elif not files and not form.cleaned_data["documents"]:
            form.add_error(
                "documents",
                _("Choisissez au moins un document du dossier ou déposez un fichier."),
            )
        else:
            try:
                received: list[ReceivedFile] = [file_receive(f) for f in files]
                task = actions_approval.approval_task_create(
                    actor=Actor.from_request(request),
                    access=access,
                    title=form.cleaned_data["title"],
                    message=form.cleaned_data["message"],
                    due_date=form.cleaned_data["due_date"],
                    assignees=form.cleaned_data["assignees"],
                    documents=form.cleaned_data["documents"],
                    files=received,
                    folder=form.cleaned_data["upload_folder"],
                )
            except (ActionRefused, UploadRefused) as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("La demande d'approbation est envoyée."))
                return redirect(_detail_url(task))
            finally:
                for f in files:
                    f.close()
    if filtering:
        form.errors.clear()  # only re-showing the list: no error yet
    context = dossier_context(
        access,
        form=form,
        has_people=people.exists(),
        **_picker(form, access),
    )
    return render(request, "assignments/approval_create.html", context)


# --- The approval page --------------------------------------------------------------------


@dossier_view(Permission.TASK_VIEW)
@require_GET
def approval_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _access_approval(access, pk)
    user = cast("User", request.user)
    # Opening the approval reads its notifications (received, reminders…).
    notifications_mark_read(user=user, url=task.get_absolute_url())
    links = list(
        TaskDocument.objects.filter(task=task)
        .filter(document__in=documents_visible(access))
        .select_related("document", "document__current_version")
        .order_by("added_at", "id")
    )
    hidden = TaskDocument.objects.filter(task=task).count() - len(links)
    opened_ids = set(
        TaskDocumentOpen.objects.filter(task_document__task=task, user=user).values_list(
            "task_document_id", flat=True
        )
    )
    assignees = list(
        TaskAssignee.objects.filter(task=task).select_related("user").order_by("user__email")
    )
    is_assignee = any(a.user_id == user.pk for a in assignees)
    decision = (
        Approval.objects.filter(task=task)
        .select_related("user")
        .prefetch_related("documents__version")
        .first()
    )
    unopened = [link.document.name for link in links if link.pk not in opened_ids]
    context = dossier_context(
        access,
        task=task,
        sender=task.created_by,
        assignees=assignees,
        links=links,
        hidden_count=hidden,
        opened_ids=opened_ids,
        unopened=unopened,
        decision=decision,
        can_decide=task.is_open and is_assignee and access.has(Permission.TASK_WORK),
        is_assignee=is_assignee,
        decline_form=DeclineForm(),
    )
    if request.headers.get("HX-Request") and request.GET.get("part") == "state":
        # Back from a document's tab: its "Ouvert" mark and what is left to open.
        return render(request, "assignments/approval_detail.html#approval-state", context)
    return render(request, "assignments/approval_detail.html", context)


@dossier_view(Permission.TASK_VIEW)
@require_GET
def approval_document_open(
    request: HttpRequest, access: DossierAccess, pk: int, document_pk: int
) -> HttpResponseBase:
    """The document shown in the browser; its first open by this person is recorded."""
    task = _access_approval(access, pk)
    link = _access_approval_document(access, task, document_pk)
    version = link.document.current_version
    if version is None:
        raise Http404
    actor = Actor.from_request(request)
    actions_approval.approval_document_open(actor=actor, access=access, task_document=link)
    document_read_record(
        actor=actor, access=access, document=link.document, version=version, kind="viewed"
    )
    return responses.file_response(version=version, name=link.document.name, inline=True)


# --- Deciding -----------------------------------------------------------------------------


@dossier_view(Permission.TASK_WORK)
@require_POST
def approval_approve(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _access_approval(access, pk)
    try:
        actions_approval.approval_approve(
            actor=Actor.from_request(request), access=access, task=task
        )
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Vous avez approuvé les documents. Merci !"))
    return redirect(_detail_url(task))


@dossier_view(Permission.TASK_WORK)
@require_POST
def approval_decline(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = _access_approval(access, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Dites pourquoi vous refusez : le commentaire est obligatoire."))
        return redirect(_detail_url(task))
    try:
        actions_approval.approval_decline(
            actor=Actor.from_request(request),
            access=access,
            task=task,
            comment=form.cleaned_data["comment"],
        )
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Votre refus est enregistré ; l'expéditeur est prévenu."))
    return redirect(_detail_url(task))


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/approvals/new/", approval_create, name="approval_create"),
    path("d/<slug:slug>/approvals/<id:pk>/", approval_detail, name="approval_detail"),
    path(
        "d/<slug:slug>/approvals/<id:pk>/documents/<id:document_pk>/",
        approval_document_open,
        name="approval_document_open",
    ),
    path("d/<slug:slug>/approvals/<id:pk>/approve/", approval_approve, name="approval_approve"),
    path("d/<slug:slug>/approvals/<id:pk>/decline/", approval_decline, name="approval_decline"),
]
