"""Background jobs of the notification centre: thin, they call the actions."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from . import actions


@task()
def notification_digests_send() -> int:
    """Hourly (core/scheduler.py): the daily digests due now; each person's once a day."""
    return actions.notification_digests_send(now=timezone.now())
