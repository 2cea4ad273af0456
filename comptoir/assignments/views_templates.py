"""Task templates (outside any dossier) and recurrences (a dossier's page).

- `tasks/templates/…`: login required, and only for people who may send tasks in at
  least one dossier (403 for the others); a template is fetched through
  `access_template` (404 when it is neither theirs nor their firm's).
- `d/<slug>/tasks/<id>/save-template/`: an upload task saved as a template (TASK_SEND);
  GET shows the one-field form, so a plain link can lead to it.
- `d/<slug>/schedules/…`: the dossier's recurrences, paused, resumed or deleted by anyone
  who may send tasks there (TASK_SEND).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions_templates as actions
from .access import (
    access_schedule,
    access_task,
    access_template,
    dossiers_for_sending,
    templates_visible,
)
from .actions_templates import template_steps
from .forms_templates import SaveAsTemplateForm, ScheduleForm, formset_steps, template_forms
from .models import TaskKind, TaskSchedule, TaskTemplate


def _sender(request: HttpRequest) -> list[Any]:
    """The dossiers where the person may send tasks; 403 when there are none."""
    dossiers = dossiers_for_sending(request.user)  # type: ignore[arg-type]
    if not dossiers:
        raise PermissionDenied
    return dossiers


# --- Templates ----------------------------------------------------------------------------


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    _sender(request)
    templates = (
        templates_visible(request.user)  # type: ignore[arg-type]
        .select_related("created_by", "firm")
        .annotate(schedule_count=Count("schedules"))
        .order_by("name", "pk")
    )
    rows = [(template, len(template.steps or [])) for template in templates]
    return render(request, "assignments/template_list.html", {"rows": rows})


def _template_form_page(request: HttpRequest, *, template: TaskTemplate | None) -> HttpResponse:
    posted = request.method == "POST"
    form, formset = template_forms(request.POST if posted else None, template=template)
    if posted and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "title": data["title"],
            "message": data["message"],
            "due_in_days": data["due_in_days"],
            "steps": formset_steps(formset),
        }
        actor = Actor.from_request(request)
        try:
            if template is None:
                saved = actions.task_template_create(actor=actor, user=request.user, **fields)  # type: ignore[arg-type]
            else:
                saved = actions.task_template_update(
                    actor=actor,
                    user=request.user,  # type: ignore[arg-type]
                    template=template,
                    **fields,
                )
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("Le modèle « %(name)s » est enregistré.") % {"name": saved.name}
            )
            if "more" in request.POST:
                # "Add more steps" without JavaScript: back to the form, with empty rows.
                return redirect("assignments:template_edit", pk=saved.pk)
            return redirect("assignments:template_list")
    return render(
        request,
        "assignments/template_form.html",
        {"form": form, "steps": formset, "template": template},
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    _sender(request)
    return _template_form_page(request, template=None)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _sender(request)
    template = access_template(request.user, pk)  # type: ignore[arg-type]
    return _template_form_page(request, template=template)


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _sender(request)
    template = access_template(request.user, pk)  # type: ignore[arg-type]
    try:
        actions.task_template_delete(
            actor=Actor.from_request(request),
            user=request.user,  # type: ignore[arg-type]
            template=template,
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("Le modèle « %(name)s » est supprimé.") % {"name": template.name}
        )
    return redirect("assignments:template_list")


@login_required
@require_http_methods(["GET", "POST"])
def template_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    dossiers = _sender(request)
    template = access_template(request.user, pk)  # type: ignore[arg-type]
    posted = request.method == "POST"
    form = ScheduleForm(request.POST if posted else None, dossiers=dossiers)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            schedules = actions.task_schedule_create(
                actor=Actor.from_request(request),
                user=request.user,  # type: ignore[arg-type]
                template=template,
                dossiers=list(data["dossiers"]),
                frequency=data["frequency"],
                first_run_on=data["first_run_on"],
                send_now=data["send_now"],
            )
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Le modèle « %(name)s » est programmé sur %(count)s dossier.",
                    "Le modèle « %(name)s » est programmé sur %(count)s dossiers.",
                    len(schedules),
                )
                % {"name": template.name, "count": len(schedules)},
            )
            return redirect("assignments:template_list")
    existing = (
        TaskSchedule.objects.filter(template=template, dossier__in=[d.pk for d in dossiers])
        .select_related("dossier")
        .order_by("dossier__name", "pk")
    )
    return render(
        request,
        "assignments/template_schedule.html",
        {
            "template": template,
            "steps": template_steps(template),
            "form": form,
            "schedules": existing,
        },
    )


# --- In a dossier -------------------------------------------------------------------------


@dossier_view(Permission.TASK_SEND)
@require_http_methods(["GET", "POST"])
def task_save_template(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = access_task(access, pk)
    if task.kind != TaskKind.UPLOAD:
        raise Http404
    posted = request.method == "POST"
    form = SaveAsTemplateForm(request.POST if posted else None, initial={"name": task.title})
    if posted and form.is_valid():
        try:
            template = actions.task_save_as_template(
                actor=Actor.from_request(request),
                access=access,
                task=task,
                name=form.cleaned_data["name"],
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect(task.get_absolute_url())
        messages.success(
            request,
            _("La tâche est enregistrée comme modèle « %(name)s ».") % {"name": template.name},
        )
        return redirect("assignments:template_edit", pk=template.pk)
    return render(
        request, "assignments/template_save.html", dossier_context(access, task=task, form=form)
    )


@dossier_view(Permission.TASK_SEND)
@require_GET
def schedule_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    schedules = (
        TaskSchedule.objects.filter(dossier=access.dossier)
        .select_related("template", "created_by")
        .order_by("-active", "next_run_on", "pk")
    )
    return render(
        request,
        "assignments/schedule_list.html",
        dossier_context(access, schedules=list(schedules)),
    )


def _schedule_action(
    request: HttpRequest, access: DossierAccess, pk: int, verb: str
) -> HttpResponse:
    schedule = access_schedule(access, pk)
    actor = Actor.from_request(request)
    done = {
        "pause": (actions.task_schedule_pause, _("La récurrence est en pause.")),
        "resume": (actions.task_schedule_resume, _("La récurrence reprend.")),
        "delete": (actions.task_schedule_delete, _("La récurrence est supprimée.")),
    }
    action, message = done[verb]
    try:
        action(actor=actor, access=access, schedule=schedule)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, message)
    return redirect("assignments:schedule_list", slug=access.dossier.slug)


@dossier_view(Permission.TASK_SEND)
@require_POST
def schedule_pause(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    return _schedule_action(request, access, pk, "pause")


@dossier_view(Permission.TASK_SEND)
@require_POST
def schedule_resume(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    return _schedule_action(request, access, pk, "resume")


@dossier_view(Permission.TASK_SEND)
@require_POST
def schedule_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    return _schedule_action(request, access, pk, "delete")


urlpatterns: list[URLPattern] = [
    path("tasks/templates/", template_list, name="template_list"),
    path("tasks/templates/new/", template_create, name="template_create"),
    path("tasks/templates/<id:pk>/", template_edit, name="template_edit"),
    path("tasks/templates/<id:pk>/delete/", template_delete, name="template_delete"),
    path("tasks/templates/<id:pk>/schedule/", template_schedule, name="template_schedule"),
    path(
        "d/<slug:slug>/tasks/<id:pk>/save-template/",
        task_save_template,
        name="task_save_template",
    ),
    path("d/<slug:slug>/schedules/", schedule_list, name="schedule_list"),
    path("d/<slug:slug>/schedules/<id:pk>/pause/", schedule_pause, name="schedule_pause"),
    path("d/<slug:slug>/schedules/<id:pk>/resume/", schedule_resume, name="schedule_resume"),
    path("d/<slug:slug>/schedules/<id:pk>/delete/", schedule_delete, name="schedule_delete"),
]
