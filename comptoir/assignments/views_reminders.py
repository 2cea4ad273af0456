"""A task's reminder rules: the page that shows and changes them (TASK_SEND)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from comptoir.audit.actions import Actor
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions_reminders
from .access import access_task
from .forms_reminders import ReminderRulesForm
from .reminders import reminder_history, reminder_plan


@dossier_view(Permission.TASK_SEND)
@require_http_methods(["GET", "POST"])
def task_reminders(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    task = access_task(access, pk)
    form = ReminderRulesForm(
        request.POST if request.method == "POST" else None,
        initial={
            "remind_days_before": task.remind_days_before,
            "remind_on_due_date": task.remind_on_due_date,
            "remind_every_days": task.remind_every_days,
            "remind_max": task.remind_max,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions_reminders.task_reminder_rules_update(
                actor=Actor.from_request(request),
                access=access,
                task=task,
                days_before=data["remind_days_before"],
                on_due_date=data["remind_on_due_date"],
                every_days=data["remind_every_days"],
                max_count=data["remind_max"],
            )
        except actions_reminders.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Les règles de rappel sont enregistrées."))
        return redirect("assignments:task_reminders", slug=access.dossier.slug, pk=task.pk)
    context = dossier_context(
        access,
        task=task,
        task_url=actions_reminders.task_url(task),
        form=form,
        plan=reminder_plan(task, now=timezone.now()),
        history=reminder_history(task),
    )
    return render(request, "assignments/reminders.html", context)


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/tasks/<id:pk>/reminders/", task_reminders, name="task_reminders"),
]
