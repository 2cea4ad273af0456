"""Background jobs of the tasks app: thin, they call the actions."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from . import actions_reminders


@task()
def task_reminders_send() -> int:
    """Every 15 minutes (core/scheduler.py): the reminders due now, each sent once."""
    return actions_reminders.task_reminders_send_due(now=timezone.now())
