"""When a task's next reminder is due, from its rules.

Rules (per task, defaults in the model): `remind_days_before` days before the due date,
on the due date (`remind_on_due_date`), then every `remind_every_days` days while the
task is open, `remind_max` reminders at most. Reminders go out at REMINDER_HOUR (local
time, settings.TIME_ZONE) on their day. A task without a due date, done, or out of
reminders has none.

- `remind_max` counts reminders actually sent (`reminders_sent`), not slots: a slot that
  was skipped does not use up the budget.
- Slots are never sent late in a burst: a slot that passed more than LATE_GRACE ago (the
  rules or the due date changed, the worker was stopped) is skipped for the next one.
- No reminder on the day the task was sent: the person has just been told about it.

`reminder_next_at` is pure (the worker and the tests call it with any `now`);
`reminder_schedule` stores its answer on the task, and is called by every action that
changes the rules, the due date or the state, inside the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils import timezone

from .models import Task, TaskState

# Reminders go out in the morning, local time (settings.TIME_ZONE).
REMINDER_HOUR = 8
# The worker looks every 15 minutes: a slot this recent is still sent when the schedule
# is recomputed; an older one is skipped.
LATE_GRACE = datetime.timedelta(hours=1)


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(REMINDER_HOUR)),
        timezone.get_default_timezone(),
    )


def _shifted(day: datetime.date, days: int) -> datetime.date | None:
    """`day` moved by `days`, or None past the calendar's ends (a due date stored as
    9999-12-31 before forms bounded it has no "every N days" after it)."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return None


def _slots_from(task: Task, day: datetime.date) -> Iterator[datetime.datetime]:
    """The rules' slots in order; the "every N days" ones start near `day` (endless, up to
    the calendar's last day)."""
    due = task.due_date
    if due is None:
        return
    if task.remind_days_before:
        before = _shifted(due, -task.remind_days_before)
        if before is not None:
            yield _at(before)
    if task.remind_on_due_date:
        yield _at(due)
    if task.remind_every_days:
        every = task.remind_every_days
        # Jump straight to the period around `day` (a task due years ago loops no years).
        k = max(1, (day - due).days // every)
        while (later := _shifted(due, k * every)) is not None:
            yield _at(later)
            k += 1


def reminder_next_after(task: Task, *, after: datetime.datetime) -> datetime.datetime | None:
    """The first slot strictly after `after` that may be sent, ignoring the budget."""
    if task.due_date is None:
        return None
    created_on = timezone.localdate(task.created_at) if task.created_at else None
    for slot in _slots_from(task, timezone.localdate(after)):
        if slot <= after:
            continue
        if created_on is not None and timezone.localdate(slot) <= created_on:
            continue
        return slot
    return None


def reminder_next_at(task: Task, *, now: datetime.datetime) -> datetime.datetime | None:
    """The next reminder to send, or None (done, no due date, budget spent, no rule left)."""
    if task.state != TaskState.OPEN or task.reminders_sent >= task.remind_max:
        return None
    after = now - LATE_GRACE
    if task.last_reminded_at is not None and task.last_reminded_at > after:
        after = task.last_reminded_at
    return reminder_next_after(task, after=after)


def reminder_plan(task: Task, *, now: datetime.datetime) -> list[datetime.datetime]:
    """Every reminder still to come if the task stays open, in order (for the rules page)."""
    if task.state != TaskState.OPEN:
        return []
    plan: list[datetime.datetime] = []
    left = task.remind_max - task.reminders_sent
    slot = reminder_next_at(task, now=now)
    while slot is not None and len(plan) < left:
        plan.append(slot)
        slot = reminder_next_after(task, after=slot)
    return plan


def reminder_schedule(task: Task, *, now: datetime.datetime | None = None) -> None:
    """Store the next reminder's time on `task` (saved by the caller or here)."""
    task.next_reminder_at = reminder_next_at(task, now=now or timezone.now())
    if task.pk:
        Task.objects.filter(pk=task.pk).update(next_reminder_at=task.next_reminder_at)


def reminder_history(task: Task) -> list[dict[str, object]]:
    """The reminders sent for `task`, newest first, from the activity log (one query)."""
    from comptoir.audit.models import AuditEvent

    events = AuditEvent.objects.filter(
        dossier_id=task.dossier_id,
        action="task.reminder_sent",
        object_type=Task._meta.label_lower,
        object_id=str(task.pk),
    ).order_by("-id")
    return [
        {
            "at": event.created_at,
            "number": event.details.get("number"),
            "recipients": len(event.details.get("recipients") or []),
        }
        for event in events
    ]
