"""Recurring tasks: the dates (each frequency, month ends, catch-up) and the worker's run
(claim once, lost access pauses, no owner pauses), concurrency on PostgreSQL."""

from __future__ import annotations

import calendar
import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.core.scheduler import PERIODIC_JOBS
from comptoir.dossiers.models import FirmAccess, FirmMember

from ..actions_templates import TemplateStep, task_schedule_run, task_template_create
from ..models import Frequency, StepState, Task, TaskSchedule
from ..recurrence import months_add, next_run_after, task_schedules_run, task_schedules_run_all

D = datetime.date


# --- Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 15), 1, D(2026, 2, 15)),
        (D(2027, 1, 31), 1, D(2027, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 31), 1, D(2027, 1, 31)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
    ],
)
def test_months_add_is_month_end_safe(start, months, expected):
    assert months_add(start, months) == expected


def test_the_anchor_day_comes_back_after_a_short_month():
    # 31 Jan → 28 Feb → 31 Mar, not 28 Mar for good.
    feb = next_run_after(
        frequency=Frequency.MONTHLY, current=D(2027, 1, 31), today=D(2027, 1, 31), anchor_day=31
    )
    assert feb == D(2027, 2, 28)
    march = next_run_after(frequency=Frequency.MONTHLY, current=feb, today=feb, anchor_day=31)
    assert march == D(2027, 3, 31)


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        (Frequency.MONTHLY, D(2026, 2, 10)),
        (Frequency.QUARTERLY, D(2026, 4, 10)),
        (Frequency.YEARLY, D(2027, 1, 10)),
    ],
)
def test_each_frequency(frequency, expected):
    start = D(2026, 1, 10)
    assert (
        next_run_after(frequency=frequency, current=start, today=start, anchor_day=10) == expected
    )


def test_yearly_on_29_february_keeps_its_day_in_leap_years():
    day = D(2028, 2, 29)
    seen = []
    for _ in range(4):
        day = next_run_after(frequency=Frequency.YEARLY, current=day, today=day, anchor_day=29)
        seen.append(day)
    assert seen == [D(2029, 2, 28), D(2030, 2, 28), D(2031, 2, 28), D(2032, 2, 29)]


@pytest.mark.parametrize(
    ("frequency", "today", "expected"),
    [
        (Frequency.MONTHLY, D(2026, 7, 20), D(2026, 8, 5)),
        (Frequency.MONTHLY, D(2026, 7, 4), D(2026, 7, 5)),
        (Frequency.MONTHLY, D(2026, 7, 5), D(2026, 8, 5)),
        (Frequency.QUARTERLY, D(2026, 7, 20), D(2026, 10, 5)),
        (Frequency.YEARLY, D(2031, 3, 1), D(2032, 1, 5)),
    ],
)
def test_catching_up_jumps_past_today(frequency, today, expected):
    assert (
        next_run_after(frequency=frequency, current=D(2026, 1, 5), today=today, anchor_day=5)
        == expected
    )


# --- The worker ---------------------------------------------------------------------------


def schedule_for(office, *, next_run_on, frequency=Frequency.MONTHLY, by="staff", anchor=None):
    user = office["users"][by]
    template = task_template_create(
        actor=Actor(user=user),
        user=user,
        name="Pièces du mois",
        title="Pièces du mois",
        message="Merci !",
        due_in_days=10,
        steps=[
            TemplateStep("Relevés bancaires", "Tous les comptes", "comptabilité", 5),
            TemplateStep("Factures", "", "Classeur inconnu", None),
        ],
    )
    return TaskSchedule.objects.create(
        template=template,
        dossier=office["dossier"],
        frequency=frequency,
        next_run_on=next_run_on,
        anchor_day=anchor or next_run_on.day,
        created_by=user,
    )


def test_a_due_schedule_creates_its_task(office):
    today = timezone.localdate()
    schedule = schedule_for(office, next_run_on=today)
    assert task_schedules_run_all(today=today) == 1

    task = Task.objects.get(schedule=schedule)
    assert task.title == "Pièces du mois"
    assert task.message == "Merci !"
    assert task.due_date == today + datetime.timedelta(days=10)
    assert task.created_by == office["users"]["staff"]
    assert [a.user for a in task.assignees.all()] == [office["users"]["owner"]]
    first, second = task.steps.order_by("position")
    assert (first.title, first.details, first.due_date) == (
        "Relevés bancaires",
        "Tous les comptes",
        today + datetime.timedelta(days=5),
    )
    assert first.folder == office["folders"]["Comptabilité"]  # matched by name, any case
    assert second.folder is None  # unknown folder: the root
    assert second.due_date is None
    assert first.state == StepState.OPEN
    schedule.refresh_from_db()
    assert schedule.last_run_on == today
    assert schedule.next_run_on == months_add(today, 1, anchor_day=today.day)
    assert AuditEvent.objects.filter(action="task.created", object_id=str(task.pk)).exists()


def test_a_schedule_not_yet_due_or_paused_creates_nothing(office):
    today = timezone.localdate()
    schedule_for(office, next_run_on=today + datetime.timedelta(days=1))
    paused = schedule_for(office, next_run_on=today)
    TaskSchedule.objects.filter(pk=paused.pk).update(active=False)
    assert task_schedules_run_all(today=today) == 0
    assert not Task.objects.exists()


def test_running_twice_creates_one_task(office):
    today = timezone.localdate()
    schedule = schedule_for(office, next_run_on=today)
    assert task_schedule_run(schedule_id=schedule.pk, today=today) is not None
    assert task_schedule_run(schedule_id=schedule.pk, today=today) is None
    assert task_schedules_run_all(today=today) == 0
    assert Task.objects.filter(schedule=schedule).count() == 1


def test_a_worker_back_after_months_creates_one_task(office):
    today = timezone.localdate()
    schedule = schedule_for(office, next_run_on=today - datetime.timedelta(days=160))
    assert task_schedules_run_all(today=today) == 1
    assert task_schedules_run_all(today=today) == 0
    assert Task.objects.filter(schedule=schedule).count() == 1
    schedule.refresh_from_db()
    assert today < schedule.next_run_on <= today + datetime.timedelta(days=31)
    # Still on the schedule's own day of the month (or the month's last day).
    month_days = calendar.monthrange(schedule.next_run_on.year, schedule.next_run_on.month)[1]
    assert schedule.next_run_on.day == min(schedule.anchor_day, month_days)


def test_the_sender_lost_access_pauses_the_schedule(office):
    today = timezone.localdate()
    schedule = schedule_for(office, next_run_on=today)
    FirmAccess.objects.filter(firm=office["firm"], dossier=office["dossier"]).delete()

    assert task_schedules_run_all(today=today) == 0
    assert not Task.objects.exists()
    schedule.refresh_from_db()
    assert schedule.active is False
    assert schedule.next_run_on == today  # untouched: resuming decides the next date
    event = AuditEvent.objects.get(action="task.schedule_paused")
    assert event.dossier == office["dossier"]
    assert event.details["reason"] == "sender_lost_access"
    # Paused once, not every hour.
    task_schedules_run_all(today=today)
    assert AuditEvent.objects.filter(action="task.schedule_paused").count() == 1


def test_a_sender_who_left_the_firm_pauses_the_schedule(office):
    today = timezone.localdate()
    schedule = schedule_for(office, next_run_on=today)
    FirmMember.objects.filter(user=office["users"]["staff"]).delete()
    assert task_schedules_run_all(today=today) == 0
    schedule.refresh_from_db()
    assert schedule.active is False


def test_the_job_is_registered_and_runs(office):
    assert any(
        job.name == "task_schedules" and job.task_object() is task_schedules_run
        for job in PERIODIC_JOBS
    )
    schedule_for(office, next_run_on=timezone.localdate())
    task_schedules_run.call()
    assert Task.objects.count() == 1


# --- Two workers at once (PostgreSQL) -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
)
def test_two_workers_at_once_create_one_task(office):
    today = timezone.localdate()
    schedule = schedule_for(office, next_run_on=today - datetime.timedelta(days=40))
    barrier = threading.Barrier(4)
    results: list[object] = [None] * 4

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = task_schedules_run_all(today=today)
        except Exception as error:  # surfaced by the assertion below
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 0, 0, 1]  # type: ignore[type-var]
    assert Task.objects.filter(schedule=schedule).count() == 1
    assert AuditEvent.objects.filter(action="task.created").count() == 1
