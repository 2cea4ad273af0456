"""Recurring tasks: the date arithmetic and the worker's hourly job.

- A schedule's dates keep the day of the month of its first sending (`anchor_day`) when
  the month has it, else the month's last day: 31 Jan → 29 Feb → 31 Mar (never drifting
  to the 29th for good).
- The job is thin: it lists the due schedules and calls `actions_templates.
  task_schedule_run` for each, which claims the schedule with a conditional UPDATE (two
  workers never create the same task twice) and creates the task.
- Catch-up: a worker stopped for months creates ONE task per schedule when it returns,
  dated today, and moves `next_run_on` to the first date after today.
"""

from __future__ import annotations

import calendar
import datetime
import logging

from django.tasks import task
from django.utils import timezone

from .models import Frequency, TaskSchedule

logger = logging.getLogger(__name__)

MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


def months_add(day: datetime.date, months: int, *, anchor_day: int | None = None) -> datetime.date:
    """`day` moved by `months`, on `anchor_day` (default: day's own) or the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(anchor_day or day.day, last))


def next_run_after(
    *, frequency: str, current: datetime.date, today: datetime.date, anchor_day: int | None
) -> datetime.date:
    """The first date of the recurrence after `today`, counting from `current`."""
    months = MONTHS[Frequency(frequency)]
    step = 1
    following = months_add(current, months, anchor_day=anchor_day)
    # Whole periods are skipped at once (a worker stopped for years loops no years).
    if following <= today:
        behind = (today.year - current.year) * 12 + (today.month - current.month)
        step = max(1, behind // months)
        following = months_add(current, step * months, anchor_day=anchor_day)
    while following <= today:
        step += 1
        following = months_add(current, step * months, anchor_day=anchor_day)
    return following


def schedules_due(*, today: datetime.date) -> list[int]:
    return list(
        TaskSchedule.objects.filter(active=True, next_run_on__lte=today)
        .order_by("next_run_on", "pk")
        .values_list("pk", flat=True)
    )


def task_schedules_run_all(*, today: datetime.date | None = None) -> int:
    """Run every due schedule once; returns how many tasks were created."""
    from .actions_templates import task_schedule_run

    today = today or timezone.localdate()
    created = 0
    for pk in schedules_due(today=today):
        try:
            if task_schedule_run(schedule_id=pk, today=today) is not None:
                created += 1
        except Exception:
            # One broken schedule (a dossier without owner…) must not stop the others.
            logger.exception("recurrence #%s could not run", pk)
    return created


@task()
def task_schedules_run() -> int:
    return task_schedules_run_all()
