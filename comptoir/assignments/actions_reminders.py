"""Reminders: sending them (the worker) and changing a task's rules (the rules page).

`task_reminder_send` is the worker's action for one task. It locks the task and asks,
under the lock, "still open, and is a reminder due at `now`?": a task completed meanwhile
is never reminded, and a second worker (or the same job run twice) finds the reminder
already sent (`next_reminder_at` moved on) and sends nothing. Each assignee who may still
see the dossier gets a TASK_REMINDER notification written in their own language; the
email follows their preferences (notifications/actions.py).
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.dossiers.access import DossierAccess, dossier_access_for
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.permissions import Permission
from comptoir.notifications.actions import notification_send
from comptoir.notifications.models import NotificationKind

from .models import Task, TaskState
from .reminders import reminder_next_after, reminder_next_at, reminder_schedule

if TYPE_CHECKING:
    from comptoir.accounts.models import User

logger = logging.getLogger(__name__)

__all__ = ["ActionRefused"]

# Limits of the rules page (the model's fields are small integers).
MAX_REMINDERS = 20
MAX_DAYS = 90
# One run of the job handles this many due tasks; the rest wait for the next run.
BATCH = 500
# Who the audit log names for reminders the worker sends.
REMINDER_ACTOR = Actor(user=None, label="rappels automatiques")


# --- Sending ------------------------------------------------------------------------------


def task_url(task: Task) -> str:
    try:
        return task.get_absolute_url()
    except NoReverseMatch:  # the task pages are not there (yet): the notification list
        return ""


def _recipients(task: Task) -> list[User]:
    """The assignees still able to see the task: active, and still in the dossier."""
    people = []
    for assignee in task.assignees.select_related("user").order_by("user_id"):
        user = assignee.user
        if not user.is_active:
            continue
        try:
            access = dossier_access_for(user, task.dossier.slug)
        except Http404:
            continue  # left the dossier: the task is no longer theirs to hear about
        if access.has(Permission.TASK_VIEW):
            people.append(user)
    return people


def reminder_words(task: Task, *, today: datetime.date) -> tuple[str, str]:
    """Title and body of a reminder, in the active language."""
    assert task.due_date is not None
    values = {"title": task.title, "date": date_format(task.due_date, "j F Y")}
    if task.due_date > today:
        title = _("Rappel : « %(title)s » est à rendre le %(date)s") % values
    elif task.due_date == today:
        title = _("Rappel : « %(title)s » est à rendre aujourd'hui") % values
    else:
        title = _("Rappel : « %(title)s » est en retard depuis le %(date)s") % values
    body = _("Cette tâche du dossier %(dossier)s vous attend dans Comptoir.") % {
        "dossier": task.dossier.name
    }
    return title, body


@transaction.atomic
def task_reminder_send(*, task_id: int, now: datetime.datetime) -> list[int] | None:
    """Send `task_id`'s reminder if it is due at `now`; answers the recipients' ids, or
    None when there was nothing to send (done, not due, already sent)."""
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .filter(pk=task_id, state=TaskState.OPEN, next_reminder_at__lte=now)
        .first()
    )
    if task is None:
        return None
    if task.dossier.deleted_at is not None or task.due_date is None:
        task.next_reminder_at = None
        task.save(update_fields=["next_reminder_at"])
        return None
    if task.reminders_sent >= task.remind_max:
        task.next_reminder_at = None
        task.save(update_fields=["next_reminder_at"])
        return None
    recipients = _recipients(task)
    if not recipients:
        # Nobody to remind now: nothing counted, the next slot may find someone.
        task.next_reminder_at = reminder_next_after(task, after=now)
        task.save(update_fields=["next_reminder_at"])
        return None
    today = timezone.localdate(now)
    url = task_url(task)
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title, body = reminder_words(task, today=today)
        notification_send(
            user=user,
            kind=NotificationKind.TASK_REMINDER,
            title=title,
            body=body,
            url=url,
            dossier=task.dossier,
        )
    task.reminders_sent += 1
    task.last_reminded_at = now
    task.next_reminder_at = reminder_next_at(task, now=now)
    # Not `updated_at`: a reminder is not a change of the task.
    task.save(update_fields=["reminders_sent", "last_reminded_at", "next_reminder_at"])
    ids = [user.pk for user in recipients]
    record(
        actor=REMINDER_ACTOR,
        action="task.reminder_sent",
        dossier=task.dossier,
        target=task,
        details={
            "number": task.reminders_sent,
            "recipients": ids,
            "due_date": task.due_date.isoformat(),
            "next": task.next_reminder_at.isoformat() if task.next_reminder_at else None,
        },
    )
    return ids


def task_reminders_send_due(*, now: datetime.datetime) -> int:
    """Every reminder due at `now` (one transaction per task); answers how many went."""
    due = list(
        Task.objects.filter(
            state=TaskState.OPEN,
            next_reminder_at__lte=now,
            dossier__deleted_at__isnull=True,
        )
        .order_by("next_reminder_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = 0
    for task_id in due:
        try:
            if task_reminder_send(task_id=task_id, now=now):
                sent += 1
        except Exception:
            # One task's failure must not stop the others' reminders; it is logged.
            logger.exception("The reminder of task #%s failed", task_id)
    return sent


# --- The rules ----------------------------------------------------------------------------


@transaction.atomic
def task_reminder_rules_update(
    *,
    actor: Actor,
    access: DossierAccess,
    task: Task,
    days_before: int | None,
    on_due_date: bool,
    every_days: int | None,
    max_count: int,
    now: datetime.datetime | None = None,
) -> Task:
    """Change a task's reminder rules and recompute its next reminder."""
    if not access.has(Permission.TASK_SEND):
        raise ActionRefused(_("Seuls ceux qui envoient les tâches règlent leurs rappels."))
    for days in (days_before, every_days):
        if days is not None and not (1 <= days <= MAX_DAYS):
            raise ActionRefused(_("Un délai de rappel va de 1 à %(n)s jours.") % {"n": MAX_DAYS})
    if not (0 <= max_count <= MAX_REMINDERS):
        raise ActionRefused(_("Le nombre de rappels va de 0 à %(n)s.") % {"n": MAX_REMINDERS})
    locked = Task.objects.select_for_update().filter(pk=task.pk, dossier=access.dossier).first()
    if locked is None:
        raise ActionRefused(_("Cette tâche n'existe plus."))
    before = {
        "remind_days_before": locked.remind_days_before,
        "remind_on_due_date": locked.remind_on_due_date,
        "remind_every_days": locked.remind_every_days,
        "remind_max": locked.remind_max,
    }
    after = {
        "remind_days_before": days_before,
        "remind_on_due_date": on_due_date,
        "remind_every_days": every_days,
        "remind_max": max_count,
    }
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        for key, value in after.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*after, "updated_at"])
        reminder_schedule(locked, now=now)
        record(
            actor=actor,
            action="task.reminder_rules_changed",
            dossier=access.dossier,
            target=locked,
            details={
                "changed": changed,
                "next": locked.next_reminder_at.isoformat() if locked.next_reminder_at else None,
            },
        )
    return locked
