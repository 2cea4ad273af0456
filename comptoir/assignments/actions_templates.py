"""Every write on task templates and their recurrences.

Decisions (the issue leaves them open):
- A template belongs to its creator and, when the creator is on a firm's staff, to that
  firm (the first one by name): every staff member of the firm sees, uses, edits and
  deletes it — the firm's library is shared work, like the dossiers it serves. Events on
  a template (outside any dossier) are audit events without a dossier.
- Steps are kept as data: title, details, the NAME of the target folder (matched without
  regard to case in each dossier, top-level folders first, else the dossier's root) and a
  due date as a number of days after the task is sent.
- A schedule sends on behalf of the person who created it (or last resumed it): the
  worker acts with that person's access, and pauses the schedule (with an audit event)
  when they may no longer send tasks in the dossier. Tasks go to the dossier's owners.
- « Envoyer aussi maintenant » sends one task at once; when the first date is today, that
  task counts as today's run (no second task from the worker).
- One recurrence of a template per dossier (active or paused): a second is refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.documents.models import Folder
from comptoir.dossiers.access import DossierAccess, dossier_access_for
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.models import Dossier, FirmMember
from comptoir.dossiers.permissions import Permission, Role

from . import recurrence
from .actions import MAX_STEPS, MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH, StepSpec, upload_task_create
from .models import Frequency, Step, Task, TaskKind, TaskSchedule, TaskTemplate

if TYPE_CHECKING:
    from comptoir.accounts.models import User

__all__ = ["ActionRefused", "TemplateStep"]

NAME_MAX_LENGTH = 200
FOLDER_NAME_MAX_LENGTH = 120
MAX_DAYS = 3660  # ten years: a due date further than that is a typo


@dataclass(frozen=True)
class TemplateStep:
    title: str
    details: str = ""
    folder: str = ""  # a folder's name, matched in each dossier
    due_in_days: int | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "details": self.details,
            "folder": self.folder,
            "due_in_days": self.due_in_days,
        }


def template_steps(template: TaskTemplate) -> list[TemplateStep]:
    """The template's steps as objects (tolerant of hand-edited data)."""
    steps: list[TemplateStep] = []
    for row in template.steps or []:
        if not isinstance(row, dict) or not str(row.get("title") or "").strip():
            continue
        due = row.get("due_in_days")
        steps.append(
            TemplateStep(
                title=str(row["title"]),
                details=str(row.get("details") or ""),
                folder=str(row.get("folder") or ""),
                due_in_days=due if isinstance(due, int) and due >= 0 else None,
            )
        )
    return steps


# --- Checks -------------------------------------------------------------------------------


def _text(value: str, *, limit: int, required: str | None = None, label: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ActionRefused(required)
    if len(value) > limit:
        raise ActionRefused(
            _("%(label)s compte %(n)s caractères au plus.") % {"label": label, "n": limit}
        )
    return value


def _days(value: int | None) -> int | None:
    if value is None:
        return None
    if value < 0 or value > MAX_DAYS:
        raise ActionRefused(_("Un délai se compte en jours, de 0 à %(n)s.") % {"n": MAX_DAYS})
    return value


def _clean_steps(steps: Iterable[TemplateStep]) -> list[dict[str, Any]]:
    rows = []
    for step in steps:
        title = (step.title or "").strip()
        if not title:
            continue
        rows.append(
            TemplateStep(
                title=_text(title, limit=TITLE_MAX_LENGTH, label=_("Le titre d'une étape")),
                details=_text(step.details, limit=MESSAGE_MAX_LENGTH, label=_("Une précision")),
                folder=_text(step.folder, limit=FOLDER_NAME_MAX_LENGTH, label=_("Un classeur")),
                due_in_days=_days(step.due_in_days),
            ).as_data()
        )
    if len(rows) > MAX_STEPS:
        raise ActionRefused(_("Une tâche compte %(n)s étapes au plus.") % {"n": MAX_STEPS})
    return rows


def template_firm_for(user: User) -> int | None:
    """The firm a new template is shared with: the creator's first firm by name."""
    seat = (
        FirmMember.objects.filter(user=user)
        .order_by("firm__name", "firm_id")
        .values("firm")
        .first()
    )
    return seat["firm"] if seat else None


def sending_dossier_ids(user: User) -> set[int]:
    from .access import dossiers_for_sending

    return {d.pk for d in dossiers_for_sending(user)}


def _require_sender(user: User) -> None:
    if not sending_dossier_ids(user):
        raise ActionRefused(
            _("Les modèles de tâches servent aux personnes qui envoient des tâches à un dossier.")
        )


def _lock_template(user: User, template: TaskTemplate) -> TaskTemplate:
    from .access import templates_visible

    locked = templates_visible(user).select_for_update(of=("self",)).filter(pk=template.pk).first()
    if locked is None:
        raise ActionRefused(_("Ce modèle n'existe plus."))
    return locked


# --- Templates ----------------------------------------------------------------------------


@transaction.atomic
def task_template_create(
    *,
    actor: Actor,
    user: User,
    name: str,
    title: str,
    message: str = "",
    due_in_days: int | None = None,
    steps: Iterable[TemplateStep] = (),
) -> TaskTemplate:
    _require_sender(user)
    template = TaskTemplate.objects.create(
        name=_text(
            name, limit=NAME_MAX_LENGTH, required=_("Donnez un nom au modèle."), label=_("Le nom")
        ),
        title=_text(
            title,
            limit=TITLE_MAX_LENGTH,
            required=_("Donnez un titre à la tâche."),
            label=_("Le titre"),
        ),
        message=_text(message, limit=MESSAGE_MAX_LENGTH, label=_("Les instructions")),
        due_in_days=_days(due_in_days),
        steps=_clean_steps(steps),
        created_by=user,
        firm_id=template_firm_for(user),
    )
    record(
        actor=actor,
        action="task.template_created",
        target=template,
        details={"name": template.name, "firm": template.firm_id, "steps": len(template.steps)},
    )
    return template


@transaction.atomic
def task_template_update(
    *,
    actor: Actor,
    user: User,
    template: TaskTemplate,
    name: str,
    title: str,
    message: str = "",
    due_in_days: int | None = None,
    steps: Iterable[TemplateStep] = (),
) -> TaskTemplate:
    locked = _lock_template(user, template)
    locked.name = _text(
        name, limit=NAME_MAX_LENGTH, required=_("Donnez un nom au modèle."), label=_("Le nom")
    )
    locked.title = _text(
        title,
        limit=TITLE_MAX_LENGTH,
        required=_("Donnez un titre à la tâche."),
        label=_("Le titre"),
    )
    locked.message = _text(message, limit=MESSAGE_MAX_LENGTH, label=_("Les instructions"))
    locked.due_in_days = _days(due_in_days)
    locked.steps = _clean_steps(steps)
    locked.save()
    record(
        actor=actor,
        action="task.template_updated",
        target=locked,
        details={"name": locked.name, "steps": len(locked.steps)},
    )
    return locked


@transaction.atomic
def task_template_delete(*, actor: Actor, user: User, template: TaskTemplate) -> None:
    """Deletes the template and its recurrences (each dossier's log says so)."""
    locked = _lock_template(user, template)
    for schedule in TaskSchedule.objects.select_related("dossier").filter(template=locked):
        record(
            actor=actor,
            action="task.schedule_deleted",
            dossier=schedule.dossier,
            target=schedule,
            details={"template": locked.name, "reason": "template_deleted"},
        )
    record(
        actor=actor, action="task.template_deleted", target=locked, details={"name": locked.name}
    )
    locked.delete()


@transaction.atomic
def task_save_as_template(
    *, actor: Actor, access: DossierAccess, task: Task, name: str
) -> TaskTemplate:
    """An upload task's content as a new template of the person (and their firm).

    Due dates become offsets from the day the task was created (never negative).
    """
    if not access.has(Permission.TASK_SEND):
        raise ActionRefused(_("Vous ne pouvez pas faire cela sur les tâches de ce dossier."))
    task = Task.objects.filter(pk=task.pk, dossier=access.dossier, kind=TaskKind.UPLOAD).first()  # type: ignore[assignment]
    if task is None:
        raise ActionRefused(_("Cette tâche n'existe plus."))
    sent_on = timezone.localdate(task.created_at)

    def offset(day: datetime.date | None) -> int | None:
        return None if day is None else min(max(0, (day - sent_on).days), MAX_DAYS)

    steps = [
        TemplateStep(
            title=step.title,
            details=step.details,
            folder=step.folder.name if step.folder else "",
            due_in_days=offset(step.due_date),
        )
        for step in Step.objects.filter(task=task, deleted_at__isnull=True).select_related("folder")
    ]
    template = TaskTemplate.objects.create(
        name=_text(
            name, limit=NAME_MAX_LENGTH, required=_("Donnez un nom au modèle."), label=_("Le nom")
        ),
        title=task.title,
        message=task.message,
        due_in_days=offset(task.due_date),
        steps=_clean_steps(steps),
        created_by=access.user,
        firm_id=template_firm_for(access.user),
    )
    record(
        actor=actor,
        action="task.saved_as_template",
        dossier=access.dossier,
        target=task,
        details={"template": template.pk, "name": template.name, "steps": len(template.steps)},
    )
    return template


# --- Sending a template -------------------------------------------------------------------


def _folder_named(dossier: Dossier, name: str) -> Folder | None:
    if not name.strip():
        return None
    return (
        Folder.objects.filter(dossier=dossier, name__iexact=name.strip())
        .order_by(F("parent").asc(nulls_first=True), "id")
        .first()
    )


def owners_to_assign(dossier: Dossier) -> list[User]:
    """The dossier's owners who are on the client's side (they receive recurring tasks)."""
    from .selectors import client_assignees

    return list(
        client_assignees(dossier).filter(memberships__dossier=dossier, memberships__role=Role.OWNER)
    )


@transaction.atomic
def task_template_send(
    *,
    actor: Actor,
    access: DossierAccess,
    template: TaskTemplate,
    run_on: datetime.date,
    schedule: TaskSchedule | None = None,
) -> Task:
    """Create the template's task in the dossier, dated from `run_on`, for its owners."""

    def due(days: int | None) -> datetime.date | None:
        return None if days is None else run_on + datetime.timedelta(days=days)

    steps = [
        StepSpec(
            title=step.title,
            details=step.details,
            due_date=due(step.due_in_days),
            folder=_folder_named(access.dossier, step.folder),
        )
        for step in template_steps(template)
    ]
    assignees = owners_to_assign(access.dossier)
    if not assignees:
        raise ActionRefused(
            _("Le dossier %(dossier)s n'a aucun propriétaire côté client à qui envoyer la tâche.")
            % {"dossier": access.dossier.name}
        )
    return upload_task_create(
        actor=actor,
        access=access,
        title=template.title,
        message=template.message,
        due_date=due(template.due_in_days),
        assignees=assignees,
        steps=steps,
        schedule=schedule,
    )


# --- Recurrences --------------------------------------------------------------------------


@transaction.atomic
def task_schedule_create(
    *,
    actor: Actor,
    user: User,
    template: TaskTemplate,
    dossiers: Sequence[Dossier],
    frequency: str,
    first_run_on: datetime.date,
    send_now: bool = False,
) -> list[TaskSchedule]:
    """One recurrence per dossier (the person must be able to send tasks in each)."""
    locked = _lock_template(user, template)
    if frequency not in Frequency.values:
        raise ActionRefused(_("Choisissez une fréquence."))
    today = timezone.localdate()
    if first_run_on < today:
        raise ActionRefused(_("Le premier envoi ne peut pas être dans le passé."))
    if not dossiers:
        raise ActionRefused(_("Choisissez au moins un dossier."))
    allowed = sending_dossier_ids(user)
    taken = set(
        TaskSchedule.objects.filter(
            template=locked, dossier__in=[d.pk for d in dossiers]
        ).values_list("dossier__name", flat=True)
    )
    if taken:
        raise ActionRefused(
            _("Ce modèle est déjà programmé sur : %(names)s. Supprimez d'abord cette récurrence.")
            % {"names": ", ".join(sorted(taken))}
        )
    schedules = []
    for dossier in dossiers:
        if dossier.pk not in allowed:
            raise ActionRefused(
                _("Vous ne pouvez pas envoyer de tâches dans le dossier %(dossier)s.")
                % {"dossier": dossier.name}
            )
        access = dossier_access_for(user, dossier.slug)
        next_run_on = first_run_on
        if send_now and first_run_on == today:
            next_run_on = recurrence.next_run_after(
                frequency=frequency, current=today, today=today, anchor_day=today.day
            )
        schedule = TaskSchedule.objects.create(
            template=locked,
            dossier=dossier,
            frequency=frequency,
            next_run_on=next_run_on,
            anchor_day=first_run_on.day,
            created_by=user,
            last_run_on=today if send_now else None,
        )
        record(
            actor=actor,
            action="task.schedule_created",
            dossier=dossier,
            target=schedule,
            details={
                "template": locked.name,
                "frequency": frequency,
                "first_run_on": first_run_on.isoformat(),
                "send_now": send_now,
            },
        )
        if send_now:
            task_template_send(
                actor=actor, access=access, template=locked, run_on=today, schedule=schedule
            )
        schedules.append(schedule)
    return schedules


def _lock_schedule(access: DossierAccess, schedule: TaskSchedule) -> TaskSchedule:
    locked = (
        TaskSchedule.objects.select_for_update(of=("self",))
        .select_related("template")
        .filter(pk=schedule.pk, dossier=access.dossier)
        .first()
    )
    if locked is None:
        raise ActionRefused(_("Cette récurrence n'existe plus."))
    return locked


def _require_send(access: DossierAccess) -> None:
    if not access.has(Permission.TASK_SEND):
        raise ActionRefused(_("Vous ne pouvez pas faire cela sur les tâches de ce dossier."))


@transaction.atomic
def task_schedule_pause(
    *, actor: Actor, access: DossierAccess, schedule: TaskSchedule
) -> TaskSchedule:
    _require_send(access)
    locked = _lock_schedule(access, schedule)
    if not locked.active:
        raise ActionRefused(_("Cette récurrence est déjà en pause."))
    locked.active = False
    locked.save(update_fields=["active"])
    record(
        actor=actor,
        action="task.schedule_paused",
        dossier=access.dossier,
        target=locked,
        details={"template": locked.template.name},
    )
    return locked


@transaction.atomic
def task_schedule_resume(
    *, actor: Actor, access: DossierAccess, schedule: TaskSchedule
) -> TaskSchedule:
    """Back on; the person who resumes it becomes its sender. Dates missed during the
    pause are not sent: the next one is the first on or after today."""
    _require_send(access)
    locked = _lock_schedule(access, schedule)
    if locked.active:
        raise ActionRefused(_("Cette récurrence est déjà active."))
    today = timezone.localdate()
    if locked.next_run_on < today:
        locked.next_run_on = recurrence.next_run_after(
            frequency=locked.frequency,
            current=locked.next_run_on,
            today=today - datetime.timedelta(days=1),
            anchor_day=locked.anchor_day,
        )
    locked.active = True
    locked.created_by = access.user
    locked.save(update_fields=["active", "next_run_on", "created_by"])
    record(
        actor=actor,
        action="task.schedule_resumed",
        dossier=access.dossier,
        target=locked,
        details={"template": locked.template.name, "next_run_on": locked.next_run_on.isoformat()},
    )
    return locked


@transaction.atomic
def task_schedule_delete(*, actor: Actor, access: DossierAccess, schedule: TaskSchedule) -> None:
    """The recurrence stops; the tasks it created stay."""
    _require_send(access)
    locked = _lock_schedule(access, schedule)
    record(
        actor=actor,
        action="task.schedule_deleted",
        dossier=access.dossier,
        target=locked,
        details={"template": locked.template.name, "frequency": locked.frequency},
    )
    locked.delete()


@transaction.atomic
def task_schedule_run(*, schedule_id: int, today: datetime.date) -> Task | None:
    """The worker's run of one due schedule: claim it, then create its task.

    The claim is a conditional UPDATE on the `next_run_on` that was read: of two workers
    running at once, the second one's UPDATE matches no row and it creates nothing. A
    schedule late by several periods sends one task (dated today) and moves past today.
    """
    schedule = (
        TaskSchedule.objects.select_related("template", "dossier", "created_by")
        .filter(pk=schedule_id, active=True, next_run_on__lte=today)
        .first()
    )
    if schedule is None:
        return None
    old = schedule.next_run_on
    claimed = TaskSchedule.objects.filter(pk=schedule.pk, active=True, next_run_on=old)
    access = _sender_access(schedule)
    reason = ""
    if access is None:
        reason = "sender_lost_access"
    elif not owners_to_assign(schedule.dossier):
        reason = "no_assignees"
    if reason:
        # Paused, not retried every hour: someone who may send tasks there resumes it.
        if claimed.update(active=False):
            record(
                actor=Actor.system(),
                action="task.schedule_paused",
                dossier=schedule.dossier,
                target=schedule,
                details={
                    "template": schedule.template.name,
                    "reason": reason,
                    "sender": schedule.created_by.email if schedule.created_by else None,
                },
            )
        return None
    assert access is not None
    following = recurrence.next_run_after(
        frequency=schedule.frequency, current=old, today=today, anchor_day=schedule.anchor_day
    )
    if not claimed.update(next_run_on=following, last_run_on=today):
        return None
    schedule.next_run_on, schedule.last_run_on = following, today
    return task_template_send(
        actor=Actor(user=access.user),
        access=access,
        template=schedule.template,
        run_on=today,
        schedule=schedule,
    )


def _sender_access(schedule: TaskSchedule) -> DossierAccess | None:
    """The schedule's sender's access to the dossier, if they may still send tasks there."""
    if schedule.created_by is None or not schedule.created_by.is_active:
        return None
    try:
        access = dossier_access_for(schedule.created_by, schedule.dossier.slug)
    except Http404:
        return None
    return access if access.has(Permission.TASK_SEND) else None
