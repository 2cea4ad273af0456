"""Reminders: the schedule from a task's rules, the worker's job, the rules page.

Every time is explicit (`now`): the tests walk a task's life day by day, never sleep.
"""

from __future__ import annotations

import datetime
import threading
import zoneinfo
from html import unescape

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections
from django.template.loader import render_to_string
from django.utils import timezone

from comptoir.assignments.actions_reminders import (
    task_reminder_rules_update,
    task_reminder_send,
    task_reminders_send_due,
)
from comptoir.assignments.models import Task, TaskAssignee, TaskKind, TaskState
from comptoir.assignments.reminders import (
    reminder_next_at,
    reminder_plan,
    reminder_schedule,
)
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.core.scheduler import PERIODIC_JOBS
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.models import Membership
from comptoir.notifications.models import Notification, NotificationPreference

from .conftest import access_of, client_for

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo(settings.TIME_ZONE)
DUE = datetime.date(2026, 11, 30)


def at(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def new_task(office, *, created=None, due=DUE, to=("owner", "user"), **rules) -> Task:
    """An open upload task sent on `created` (10 November by default), rules as given."""
    task = Task.objects.create(
        dossier=office["dossier"],
        kind=TaskKind.UPLOAD,
        title="Pièces du mois",
        due_date=due,
        created_by=office["users"]["accountant"],
        **rules,
    )
    TaskAssignee.objects.bulk_create(
        [TaskAssignee(task=task, user=office["users"][name]) for name in to]
    )
    created = created or at(11, 10, 14)
    Task.objects.filter(pk=task.pk).update(created_at=created)
    task.refresh_from_db()
    reminder_schedule(task, now=created)
    task.refresh_from_db()
    return task


def run(now, capture) -> int:
    with capture(execute=True):
        return task_reminders_send_due(now=now)


def reminders_of(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind="task_reminder").order_by("id"))


# --- The schedule -------------------------------------------------------------------------


def test_defaults_three_days_before_on_the_day_then_weekly_five_at_most(
    office, django_capture_on_commit_callbacks
):
    task = new_task(office)
    assert (task.remind_days_before, task.remind_on_due_date) == (3, True)
    assert (task.remind_every_days, task.remind_max) == (7, 5)
    expected = [at(11, 27), at(11, 30), at(12, 7), at(12, 14), at(12, 21)]
    assert reminder_plan(task, now=at(11, 10, 14)) == expected
    for number, slot in enumerate(expected, start=1):
        assert task.next_reminder_at == slot
        # A minute early: nothing yet.
        assert run(slot - datetime.timedelta(minutes=1), django_capture_on_commit_callbacks) == 0
        assert run(slot, django_capture_on_commit_callbacks) == 1
        task.refresh_from_db()
        assert task.reminders_sent == number
        assert task.last_reminded_at == slot
    assert task.next_reminder_at is None
    assert run(at(12, 28), django_capture_on_commit_callbacks) == 0
    assert len(reminders_of(office["users"]["owner"])) == 5
    assert len(reminders_of(office["users"]["user"])) == 5


def test_nothing_after_completion(office, django_capture_on_commit_callbacks):
    task = new_task(office)
    run(at(11, 27), django_capture_on_commit_callbacks)
    # Completed without rescheduling (the worst case): the job checks the state itself.
    Task.objects.filter(pk=task.pk).update(state=TaskState.DONE, completed_at=at(11, 28))
    for day in (30, 31):
        assert (
            run(at(11, 30) + datetime.timedelta(days=day - 30), django_capture_on_commit_callbacks)
            == 0
        )
    assert len(reminders_of(office["users"]["owner"])) == 1
    # And rescheduling a done task clears its next reminder.
    task.refresh_from_db()
    reminder_schedule(task, now=at(11, 30))
    task.refresh_from_db()
    assert task.next_reminder_at is None
    assert reminder_plan(task, now=at(11, 30)) == []


def test_no_reminder_without_a_due_date(office, django_capture_on_commit_callbacks):
    task = new_task(office, due=None)
    assert task.next_reminder_at is None
    assert reminder_next_at(task, now=at(11, 30)) is None
    # Even a stale next_reminder_at sends nothing, and is cleared.
    Task.objects.filter(pk=task.pk).update(next_reminder_at=at(11, 20))
    assert run(at(11, 30), django_capture_on_commit_callbacks) == 0
    task.refresh_from_db()
    assert task.next_reminder_at is None
    assert not Notification.objects.filter(kind="task_reminder").exists()


def test_running_the_job_twice_sends_once(office, django_capture_on_commit_callbacks):
    task = new_task(office)
    assert run(at(11, 27, 8, 5), django_capture_on_commit_callbacks) == 1
    assert run(at(11, 27, 8, 5), django_capture_on_commit_callbacks) == 0
    assert run(at(11, 27, 9), django_capture_on_commit_callbacks) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert task_reminder_send(task_id=task.pk, now=at(11, 27, 8, 5)) is None
    assert len(reminders_of(office["users"]["owner"])) == 1
    assert len(mail.outbox) == 2  # one per assignee
    task.refresh_from_db()
    assert task.reminders_sent == 1
    assert AuditEvent.objects.filter(action="task.reminder_sent").count() == 1


def test_a_late_worker_sends_one_reminder_not_a_burst(office, django_capture_on_commit_callbacks):
    task = new_task(office)
    # The worker was stopped from 26 November to 8 December.
    assert run(at(12, 8, 10), django_capture_on_commit_callbacks) == 1
    task.refresh_from_db()
    assert task.reminders_sent == 1
    assert task.next_reminder_at == at(12, 14)
    # The budget counts reminders sent, not slots missed: four more to come.
    assert reminder_plan(task, now=at(12, 8, 10)) == [
        at(12, 14),
        at(12, 21),
        at(12, 28),
        datetime.datetime(2027, 1, 4, 8, tzinfo=PARIS),
    ]


def test_no_reminder_on_the_day_the_task_was_sent(office):
    sent_on_due_day = new_task(office, created=at(11, 30, 7))
    assert sent_on_due_day.next_reminder_at == at(12, 7)
    sent_the_day_before = new_task(office, created=at(11, 29, 16))
    assert sent_the_day_before.next_reminder_at == at(11, 30)


def test_each_recipient_reads_it_in_their_language(office, django_capture_on_commit_callbacks):
    owner, user = office["users"]["owner"], office["users"]["user"]
    owner.language, user.language = "en", "fr"
    owner.save(update_fields=["language"])
    user.save(update_fields=["language"])
    task = new_task(office)
    run(at(11, 27), django_capture_on_commit_callbacks)
    (english,) = reminders_of(owner)
    (french,) = reminders_of(user)
    # Month names come with Django's catalogues: the sure sign of the active language.
    assert "30 November 2026" in english.title
    assert french.title == "Rappel : « Pièces du mois » est à rendre le 30 novembre 2026"
    assert french.body == "Cette tâche du dossier Alpha SARL vous attend dans Comptoir."
    assert french.dossier == task.dossier
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "30 November 2026" in by_address[owner.email].subject
    assert "30 novembre 2026" in by_address[user.email].subject


def test_the_title_says_today_or_late(office, django_capture_on_commit_callbacks):
    new_task(office)
    run(at(11, 30), django_capture_on_commit_callbacks)  # due on the 27th, sent on the 30th
    run(at(12, 7), django_capture_on_commit_callbacks)
    titles = [n.title for n in reminders_of(office["users"]["user"])]
    assert titles == [
        "Rappel : « Pièces du mois » est à rendre aujourd'hui",
        "Rappel : « Pièces du mois » est en retard depuis le 30 novembre 2026",
    ]


def test_the_reminder_is_audited_and_links_to_the_task(office, django_capture_on_commit_callbacks):
    task = new_task(office)
    run(at(11, 27), django_capture_on_commit_callbacks)
    event = AuditEvent.objects.get(action="task.reminder_sent")
    assert event.dossier == office["dossier"]
    assert event.object_id == str(task.pk)
    assert event.actor is None
    assert event.actor_label == "rappels automatiques"
    assert event.details["number"] == 1
    assert sorted(event.details["recipients"]) == sorted(
        [office["users"]["owner"].pk, office["users"]["user"].pk]
    )
    assert event.details["next"] == at(11, 30).isoformat()
    notification = reminders_of(office["users"]["user"])[0]
    assert notification.url in ("", f"/d/{office['dossier'].slug}/tasks/{task.pk}/")


def test_someone_who_left_the_dossier_is_not_reminded(office, django_capture_on_commit_callbacks):
    new_task(office)
    Membership.objects.filter(user=office["users"]["user"]).delete()
    run(at(11, 27), django_capture_on_commit_callbacks)
    assert reminders_of(office["users"]["user"]) == []
    assert len(reminders_of(office["users"]["owner"])) == 1


def test_with_nobody_to_remind_the_slot_passes_uncounted(
    office, django_capture_on_commit_callbacks
):
    task = new_task(office, to=())
    assert run(at(11, 27), django_capture_on_commit_callbacks) == 0
    task.refresh_from_db()
    assert task.reminders_sent == 0
    assert task.next_reminder_at == at(11, 30)


def test_the_email_follows_the_recipients_preference(office, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(
        user=office["users"]["user"], kind="task_reminder", delivery="never"
    )
    new_task(office)
    run(at(11, 27), django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[office["users"]["owner"].email]]
    assert len(reminders_of(office["users"]["user"])) == 1  # still told in the app


def test_the_job_is_registered():
    (job,) = [j for j in PERIODIC_JOBS if j.task.endswith("task_reminders_send")]
    assert job.every <= datetime.timedelta(hours=1)
    assert job.task_object() is not None


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="threads on the in-memory SQLite test database fail on table locks",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_reminder(office):
    task = new_task(office)
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        try:
            task_reminders_send_due(now=at(11, 27, 8, 1))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    task.refresh_from_db()
    assert task.reminders_sent == 1
    assert len(reminders_of(office["users"]["owner"])) == 1
    assert AuditEvent.objects.filter(action="task.reminder_sent").count() == 1


# --- The rules ----------------------------------------------------------------------------


def test_changing_the_rules_reschedules_and_is_audited(office):
    task = new_task(office)
    now = timezone.now()
    updated = task_reminder_rules_update(
        actor=Actor(user=office["users"]["staff"]),
        access=access_of(office, "staff"),
        task=task,
        days_before=None,
        on_due_date=False,
        every_days=2,
        max_count=3,
        now=at(11, 10, 15),
    )
    assert updated.next_reminder_at == at(12, 2)
    task.refresh_from_db()
    assert task.next_reminder_at == at(12, 2)
    assert reminder_plan(task, now=at(11, 10, 15)) == [at(12, 2), at(12, 4), at(12, 6)]
    event = AuditEvent.objects.get(action="task.reminder_rules_changed")
    assert event.actor == office["users"]["staff"]
    assert event.details["changed"] == {
        "remind_days_before": [3, None],
        "remind_on_due_date": [True, False],
        "remind_every_days": [7, 2],
        "remind_max": [5, 3],
    }
    assert event.created_at >= now


def test_no_rule_no_reminder(office):
    task = new_task(office)
    task_reminder_rules_update(
        actor=Actor(user=office["users"]["accountant"]),
        access=access_of(office),
        task=task,
        days_before=None,
        on_due_date=False,
        every_days=None,
        max_count=5,
    )
    task.refresh_from_db()
    assert task.next_reminder_at is None


@pytest.mark.parametrize(
    "rules",
    [
        {"days_before": 0},
        {"days_before": 91},
        {"every_days": 0},
        {"max_count": 21},
        {"max_count": -1},
    ],
)
def test_rules_out_of_bounds_are_refused(office, rules):
    task = new_task(office)
    values = {"days_before": 3, "on_due_date": True, "every_days": 7, "max_count": 5, **rules}
    with pytest.raises(ActionRefused):
        task_reminder_rules_update(
            actor=Actor(user=office["users"]["accountant"]),
            access=access_of(office),
            task=task,
            **values,
        )
    assert not AuditEvent.objects.filter(action="task.reminder_rules_changed").exists()


def test_a_client_may_not_change_the_rules(office):
    task = new_task(office)
    with pytest.raises(ActionRefused):
        task_reminder_rules_update(
            actor=Actor(user=office["users"]["user"]),
            access=access_of(office, "user"),
            task=task,
            days_before=None,
            on_due_date=False,
            every_days=None,
            max_count=0,
        )
    task.refresh_from_db()
    assert task.remind_max == 5


# --- The page -----------------------------------------------------------------------------


def page_url(office, task) -> str:
    return f"/d/{office['dossier'].slug}/tasks/{task.pk}/reminders/"


def test_the_page_shows_the_rules_the_plan_and_what_was_sent(
    office, django_capture_on_commit_callbacks
):
    task = new_task(office, due=timezone.localdate() + datetime.timedelta(days=10))
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    task.refresh_from_db()
    reminder_schedule(task)
    with django_capture_on_commit_callbacks(execute=True):
        Task.objects.filter(pk=task.pk).update(next_reminder_at=timezone.now())
        task_reminders_send_due(now=timezone.now())
    response = client_for(office["users"]["accountant"]).get(page_url(office, task))
    assert_strict_page(response)
    html = unescape(response.text)
    assert "Rappels de « Pièces du mois »" in html
    assert "3 jours avant l'échéance, le jour de l'échéance, puis tous les 7 jours" in html
    assert "(5 rappels au plus)" in html
    plan = html.split('<ol class="reminder-plan">')[1].split("</ol>")[0]
    assert plan.count("<li>") == 4  # one sent, four to come
    assert "2 destinataires" in html
    assert 'name="remind_days_before" value="3"' in html
    assert 'name="remind_on_due_date"' in html
    assert "checked" in html
    assert '<label for="id_remind_max">' in html


def test_posting_the_form_changes_the_rules(office):
    task = new_task(office, due=timezone.localdate() + datetime.timedelta(days=30))
    client = client_for(office["users"]["staff"])
    response = client.post(
        page_url(office, task),
        {"remind_days_before": "", "remind_every_days": "14", "remind_max": "2"},
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(office, task)
    task.refresh_from_db()
    assert (task.remind_days_before, task.remind_on_due_date) == (None, False)
    assert (task.remind_every_days, task.remind_max) == (14, 2)
    assert task.next_reminder_at == datetime.datetime.combine(
        task.due_date + datetime.timedelta(days=14), datetime.time(8), tzinfo=PARIS
    )
    assert "Les règles de rappel sont enregistrées." in unescape(
        client.get(page_url(office, task)).text
    )


def test_an_invalid_form_changes_nothing(office):
    task = new_task(office)
    response = client_for(office["users"]["accountant"]).post(
        page_url(office, task), {"remind_days_before": "3", "remind_max": "50"}
    )
    assert response.status_code == 200
    assert "field-invalid" in response.text
    task.refresh_from_db()
    assert task.remind_max == 5
    assert not AuditEvent.objects.filter(action="task.reminder_rules_changed").exists()


@pytest.mark.parametrize("who", ["user", "readonly"])
def test_clients_may_not_open_the_page(office, who):
    task = new_task(office)
    client = client_for(office["users"][who])
    assert client.get(page_url(office, task)).status_code == 403
    assert client.post(page_url(office, task), {"remind_max": "0"}).status_code == 403
    task.refresh_from_db()
    assert task.remind_max == 5


def test_another_dossiers_task_is_a_404(office):
    task = new_task(office)
    outsider = client_for(office["outsider"])
    assert outsider.get(page_url(office, task)).status_code == 404
    other = f"/d/{office['other_dossier'].slug}/tasks/{task.pk}/reminders/"
    assert outsider.get(other).status_code == 404


def test_the_page_query_count_does_not_grow_with_the_history(
    office, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    task = new_task(office)
    client = client_for(office["users"]["accountant"])
    client.get(page_url(office, task))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(page_url(office, task))
    for slot in (at(11, 27), at(11, 30), at(12, 7), at(12, 14)):
        run(slot, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(len(few)):
        html = client.get(page_url(office, task)).text
    assert html.count("2 destinataires") == 4


def test_the_include_summarises_the_reminders(office):
    task = new_task(office)
    html = unescape(
        render_to_string("assignments/_reminders.html", {"task": task, "can_send_tasks": True})
    )
    assert "Rappels : 3 jours avant l'échéance" in html
    assert "Prochain rappel :" in html
    assert "27 nov. 2026" in html
    assert f'href="/d/{office["dossier"].slug}/tasks/{task.pk}/reminders/"' in html
    client_view = unescape(render_to_string("assignments/_reminders.html", {"task": task}))
    assert "Régler les rappels" not in client_view
    no_due = new_task(office, due=None)
    assert "la tâche n'a pas d'échéance" in unescape(
        render_to_string("assignments/_reminders.html", {"task": no_due})
    )


@pytest.mark.parametrize("due", [datetime.date.max, datetime.date.min])
def test_a_due_date_stored_at_the_calendars_ends_does_not_break_the_page(office, due):
    # Stored before forms bounded due dates: the plan stops at the calendar's end.
    task = new_task(office, due=timezone.localdate() + datetime.timedelta(days=10))
    Task.objects.filter(pk=task.pk).update(due_date=due)
    task.refresh_from_db()
    reminder_schedule(task)
    response = client_for(office["users"]["accountant"]).get(page_url(office, task))
    assert response.status_code == 200
    task_reminders_send_due(now=timezone.now())
