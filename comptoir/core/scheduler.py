"""Periodic jobs: django.tasks runs queued work, this decides when periodic work is queued.

Each `comptoir worker` ticks the scheduler every TICK_SECONDS (a background thread, see
the worker command). A tick, for each job in PERIODIC_JOBS whose `ScheduledJob.next_run_at`
has passed, moves `next_run_at` forward with a conditional UPDATE (… WHERE next_run_at <=
now) and enqueues the job's task in the same transaction: whichever worker's UPDATE
changes the row enqueues, every other worker's matches nothing. So with any number of
workers a run is enqueued once, and a crash between the two leaves nothing half done.

The next run is counted from the tick that claimed it, not from the previous slot: a
worker stopped for a week runs each job once when it comes back, not once per missed slot.

Adding a job is one line in PERIODIC_JOBS: a name (the row's key, keep it stable), an
interval and the dotted path of a django.tasks task that takes no argument. Paths, not
imports, so that reading this registry loads no app code.
"""

from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass

from django.db import close_old_connections, connections, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledJob

logger = logging.getLogger(__name__)

TICK_SECONDS = 30.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: datetime.timedelta
    task: str  # dotted path of a django.tasks Task taking no argument

    def task_object(self) -> Task:  # type: ignore[type-arg]
        return import_string(self.task)  # type: ignore[no-any-return]


HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("trash_purge", HOUR, "comptoir.documents.tasks.trash_purge"),
    PeriodicJob("orphan_files_sweep", DAY, "comptoir.documents.tasks.orphan_files_sweep"),
    PeriodicJob("digests", HOUR, "comptoir.notifications.tasks.notification_digests_send"),
    PeriodicJob("task_reminders", HOUR / 4, "comptoir.assignments.tasks.task_reminders_send"),
    PeriodicJob("task_schedules", HOUR, "comptoir.assignments.recurrence.task_schedules_run"),
    PeriodicJob("audit_exports_purge", HOUR, "comptoir.audit.tasks.audit_exports_purge"),
    PeriodicJob("tus_purge", HOUR, "comptoir.capture.tasks_tus.tus_purge"),
    PeriodicJob("audit_anchor", DAY, "comptoir.audit.tasks.audit_anchor"),
    PeriodicJob("backup", DAY, "comptoir.portability.tasks.backup_scheduled"),
    PeriodicJob("dossier_exports_purge", HOUR, "comptoir.portability.tasks.dossier_exports_purge"),
)


def scheduler_tick(
    now: datetime.datetime | None = None, *, jobs: tuple[PeriodicJob, ...] | None = None
) -> list[str]:
    """Enqueue every due job this caller managed to claim; returns their names."""
    now = now or timezone.now()
    jobs = PERIODIC_JOBS if jobs is None else jobs
    names = [job.name for job in jobs]
    known = dict(ScheduledJob.objects.filter(name__in=names).values_list("name", "next_run_at"))
    missing = [name for name in names if name not in known]
    if missing:
        # A job seen for the first time is due at once (ignore_conflicts: another worker
        # may be creating the same rows right now).
        ScheduledJob.objects.bulk_create(
            [ScheduledJob(name=name, next_run_at=now) for name in missing],
            ignore_conflicts=True,
        )
    # A steady tick is one read; only a due job costs a write.
    due = set(missing) | {name for name, next_run_at in known.items() if next_run_at <= now}
    enqueued: list[str] = []
    for job in jobs:
        if job.name not in due:
            continue
        try:
            with transaction.atomic():
                claimed = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=now).update(
                    next_run_at=now + job.every, last_run_at=now
                )
                if claimed:
                    job.task_object().enqueue()
        except Exception:
            # One broken job (bad path, database hiccup) must not stop the others.
            logger.exception("periodic job %s could not be enqueued", job.name)
            continue
        if claimed:
            enqueued.append(job.name)
    return enqueued


class SchedulerThread(threading.Thread):
    """Ticks the scheduler until `stop()`; runs beside the task worker, in its process."""

    def __init__(self, *, interval: float = TICK_SECONDS) -> None:
        super().__init__(name="comptoir-scheduler", daemon=True)
        self.interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                close_old_connections()
                names = scheduler_tick()
                if names:
                    logger.info("periodic jobs enqueued: %s", ", ".join(names))
            except Exception:
                logger.exception("scheduler tick failed")
            finally:
                # This thread's own connection: never left open across a long wait.
                connections.close_all()
            self._stopping.wait(self.interval)

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)
