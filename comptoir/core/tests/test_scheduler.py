"""The scheduler queues each periodic run once, whatever the number of workers ticking."""

from __future__ import annotations

import datetime
import signal
import sqlite3
import threading
import time

import pytest
from django.conf import settings
from django.db import connections
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comptoir.core import scheduler
from comptoir.core.models import ScheduledJob
from comptoir.core.scheduler import PERIODIC_JOBS, PeriodicJob, SchedulerThread, scheduler_tick
from comptoir.testing.processes import comptoir_run, comptoir_start

HOUR = datetime.timedelta(hours=1)


@task()
def tick_probe() -> None:
    return None


PROBE = PeriodicJob("probe", HOUR, f"{__name__}.tick_probe")


def queued(name: str = "tick_probe") -> int:
    return DBTaskResult.objects.filter(task_path__endswith=f".{name}").count()


@pytest.mark.django_db
def test_a_due_job_is_claimed_and_queued_once():
    now = timezone.now()
    assert scheduler_tick(now, jobs=(PROBE,)) == ["probe"]
    # A second worker ticking at the same moment, or the same one again: nothing more.
    assert scheduler_tick(now, jobs=(PROBE,)) == []
    assert scheduler_tick(now + datetime.timedelta(minutes=59), jobs=(PROBE,)) == []
    assert queued() == 1
    row = ScheduledJob.objects.get(name="probe")
    assert row.next_run_at == now + HOUR
    assert row.last_run_at == now
    # Once the interval has passed it is due again, once.
    later = now + HOUR
    assert scheduler_tick(later, jobs=(PROBE,)) == ["probe"]
    assert scheduler_tick(later, jobs=(PROBE,)) == []
    assert queued() == 2


# On SQLite the same race is run by real worker processes on a file database (last test):
# the in-memory test database shares one cache between threads, whose table locks ignore
# busy_timeout.
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="threads on the in-memory SQLite test database fail on table locks",
)
@pytest.mark.django_db(transaction=True)
def test_workers_ticking_at_the_same_moment_enqueue_once() -> None:
    now = timezone.now()
    ScheduledJob.objects.create(name="probe", next_run_at=now)
    barrier = threading.Barrier(4)
    results: list[list[str]] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(scheduler_tick(now, jobs=(PROBE,)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [[], [], [], ["probe"]]
    assert queued() == 1


@pytest.mark.django_db
def test_missed_runs_are_not_replayed_one_by_one():
    now = timezone.now()
    scheduler_tick(now, jobs=(PROBE,))
    a_week_later = now + datetime.timedelta(days=7)
    assert scheduler_tick(a_week_later, jobs=(PROBE,)) == ["probe"]
    assert scheduler_tick(a_week_later, jobs=(PROBE,)) == []
    assert ScheduledJob.objects.get(name="probe").next_run_at == a_week_later + HOUR


@pytest.mark.django_db
def test_a_broken_job_does_not_stop_the_others():
    broken = PeriodicJob("broken", HOUR, "comptoir.nowhere.missing_task")
    assert scheduler_tick(timezone.now(), jobs=(broken, PROBE)) == ["probe"]
    # Its claim was rolled back with the failed enqueue: it is tried again next tick.
    assert ScheduledJob.objects.get(name="broken").last_run_at is None


@pytest.mark.django_db
def test_the_registry_holds_the_documents_clean_ups():
    jobs = {job.name: job for job in PERIODIC_JOBS}
    assert jobs["trash_purge"].every == HOUR
    assert jobs["orphan_files_sweep"].every == datetime.timedelta(days=1)
    for job in PERIODIC_JOBS:
        job.task_object()  # every path imports
    # Other apps' jobs are due at first too (each app tests its own).
    assert {"orphan_files_sweep", "trash_purge"} <= set(scheduler_tick(timezone.now()))
    assert queued("trash_purge") == 1
    assert queued("orphan_files_sweep") == 1


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_thread_ticks_and_stops(monkeypatch):
    ticked = threading.Event()

    def tick(*args, **kwargs):
        names = real_tick(*args, **kwargs)
        ticked.set()
        return names

    real_tick = scheduler.scheduler_tick
    monkeypatch.setattr(scheduler, "scheduler_tick", tick)
    thread = SchedulerThread(interval=0.05)
    thread.start()
    assert ticked.wait(10)
    thread.stop()
    assert not thread.is_alive()
    assert ScheduledJob.objects.count() == len(PERIODIC_JOBS)
    assert queued("trash_purge") == 1


def test_two_workers_schedule_each_run_once_and_stop_on_sigterm(tmp_path):
    assert comptoir_run("migrate", "--no-input", data_dir=tmp_path).returncode == 0
    workers = [
        comptoir_start(
            "worker", "--interval", "0.2", "--scheduler-interval", "0.1", data_dir=tmp_path
        )
        for _ in range(2)
    ]
    database = tmp_path / "comptoir.sqlite3"
    jobs = "(task_path LIKE '%.trash_purge' OR task_path LIKE '%.orphan_files_sweep')"
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and done < 2:
            assert all(worker.poll() is None for worker in workers)
            time.sleep(0.25)
            with sqlite3.connect(database, timeout=10) as db:
                done = db.execute(
                    f"SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE {jobs}"  # noqa: S608
                    " AND status = 'SUCCESSFUL'"
                ).fetchone()[0]
        assert done == 2
        # Both workers keep ticking meanwhile: still one run of each.
        time.sleep(1)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    with sqlite3.connect(database) as db:
        runs = db.execute(
            f"SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE {jobs}"  # noqa: S608
        ).fetchone()[0]
        names = {row[0] for row in db.execute("SELECT name FROM core_scheduledjob")}
    assert runs == 2
    assert {"trash_purge", "orphan_files_sweep"} <= names
