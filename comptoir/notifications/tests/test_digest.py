"""The daily digest: one email per person and day, after 7:00 local time, never twice."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections

from comptoir.accounts.tests.factories import UserFactory
from comptoir.core.scheduler import PERIODIC_JOBS
from comptoir.dossiers.tests.factories import DossierFactory
from comptoir.notifications.actions import (
    digest_cutoff,
    notification_digest_send,
    notification_digests_send,
)
from comptoir.notifications.models import (
    EmailDelivery,
    Notification,
    NotificationDigest,
    NotificationPreference,
)
from comptoir.notifications.tokens import DIGEST, unsubscribe_read

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


def waiting(user, at, **extra):
    """A notification that waits for the digest since `at`."""
    notification = NotificationFactory(user=user, **extra)
    Notification.objects.filter(pk=notification.pk).update(created_at=at, email_pending_since=at)
    notification.refresh_from_db()
    return notification


def html_of(message) -> str:
    return str(message.alternatives[0][0])


def run(now, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return notification_digests_send(now=now)


def test_the_job_is_registered_hourly():
    (job,) = [j for j in PERIODIC_JOBS if j.task.endswith("notification_digests_send")]
    assert job.every == datetime.timedelta(hours=1)
    assert job.task_object() is not None


def test_nothing_before_seven_in_the_morning(django_capture_on_commit_callbacks):
    waiting(UserFactory(), local(19, 15))
    assert digest_cutoff(local(20, 6, 59)) is None
    assert run(local(20, 6, 59), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert Notification.objects.get().email_pending_since is not None


def test_one_email_lists_everything_that_waited_and_marks_it_sent(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(first_name="Claire", last_name="Martin", language="fr")
    dossier = DossierFactory(name="Boulangerie Durand")
    first = waiting(user, local(19, 10), title="Documents déposés", dossier=dossier)
    second = waiting(user, local(19, 16), title="Tâche terminée : TVA", url="/d/x/tasks/3/")
    not_waiting = NotificationFactory(user=user)  # mailed at once, or never: not in a digest
    someone_else = waiting(UserFactory(), local(19, 11))

    assert run(local(20, 7, 5), django_capture_on_commit_callbacks) == 2
    assert len(mail.outbox) == 2
    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    assert message.subject == "Votre résumé Comptoir : 2 notifications"
    html = html_of(message)
    for part in (message.body, html):
        assert "Claire Martin" in part
        assert "Documents déposés" in part
        assert "Tâche terminée : TVA" in part
        assert "Boulangerie Durand" in part
        assert "http://localhost:8000/d/x/tasks/3/" in part
        assert "19 novembre 2026" in part
    assert html.index("Tâche terminée : TVA") < html.index("Documents déposés")  # newest first
    token = message.extra_headers["List-Unsubscribe"].split("/unsubscribe/")[1].rstrip("/>")
    assert unsubscribe_read(token).kind == DIGEST
    assert unsubscribe_read(token).user_id == user.pk
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    for notification in (first, second, someone_else):
        notification.refresh_from_db()
        assert notification.email_pending_since is None
        assert notification.emailed_at == local(20, 7, 5)
    not_waiting.refresh_from_db()
    assert not_waiting.emailed_at is None
    digest = NotificationDigest.objects.get(user=user)
    assert (digest.count, digest.sent_at) == (2, local(20, 7, 5))


def test_never_twice_and_at_most_once_a_day(django_capture_on_commit_callbacks):
    user = UserFactory()
    waiting(user, local(19, 10))
    assert run(local(20, 8), django_capture_on_commit_callbacks) == 1
    # The same run again (another worker, a retry): nothing.
    assert run(local(20, 8), django_capture_on_commit_callbacks) == 0
    # Something new later that day waits for tomorrow morning.
    late = waiting(user, local(20, 9))
    assert run(local(20, 10), django_capture_on_commit_callbacks) == 0
    assert run(local(21, 6), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    assert run(local(21, 7, 10), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "Votre résumé Comptoir : 1 notification"
    late.refresh_from_db()
    assert late.emailed_at == local(21, 7, 10)


def test_a_person_who_already_had_todays_digest_gets_no_second(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    NotificationDigest.objects.create(user=user, sent_at=local(20, 7, 1), count=3)
    # Waiting since before this morning's cutoff, yet today's digest is sent: tomorrow.
    waiting(user, local(20, 6))
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digest_send(user_id=user.pk, now=local(20, 12)) is None
    assert mail.outbox == []


def test_kinds_turned_off_meanwhile_are_left_out(django_capture_on_commit_callbacks):
    user = UserFactory()
    kept = waiting(user, local(19, 10), kind="task_received", title="Nouvelle tâche")
    dropped = waiting(user, local(19, 11), kind="link_opened", title="Lien ouvert")
    NotificationPreference.objects.create(
        user=user, kind="link_opened", delivery=EmailDelivery.NEVER
    )
    assert run(local(20, 7, 30), django_capture_on_commit_callbacks) == 1
    (message,) = mail.outbox
    assert "Nouvelle tâche" in message.body
    assert "Lien ouvert" not in message.body
    dropped.refresh_from_db()
    kept.refresh_from_db()
    assert dropped.email_pending_since is None
    assert dropped.emailed_at is None
    assert kept.emailed_at is not None
    # Nothing left for a second digest.
    assert run(local(21, 7, 30), django_capture_on_commit_callbacks) == 0


def test_a_deactivated_account_gets_no_digest(django_capture_on_commit_callbacks):
    user = UserFactory(is_active=False)
    notification = waiting(user, local(19, 10))
    assert run(local(20, 8), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.email_pending_since is None


def test_the_digest_speaks_the_persons_language(django_capture_on_commit_callbacks):
    english, french = UserFactory(language="en"), UserFactory(language="fr")
    waiting(english, local(19, 10), title="Task completed")
    waiting(french, local(19, 10), title="Tâche terminée")
    run(local(20, 8), django_capture_on_commit_callbacks)
    by_person = {m.to[0]: m for m in mail.outbox}
    # Month names come with Django's own catalogues: a sure sign of the active language.
    assert "19 November 2026" in by_person[english.email].body
    assert "19 novembre 2026" in by_person[french.email].body


def test_a_long_digest_lists_fifty_and_links_to_the_rest(django_capture_on_commit_callbacks):
    user = UserFactory()
    for minute in range(55):
        waiting(user, local(19, 10, minute))
    run(local(20, 8), django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == "Votre résumé Comptoir : 55 notifications"
    assert message.body.count("\n- ") == 50
    assert "Et 5 autres notifications" in message.body
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 55


def test_the_job_queries_do_not_grow_with_the_notifications(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    user = UserFactory()
    for minute in range(40):
        waiting(user, local(19, 10, minute))
    with django_assert_max_num_queries(20):
        run(local(20, 8), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="threads on the in-memory SQLite test database fail on table locks",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_one_digest():
    import threading

    user = UserFactory()
    for minute in range(5):
        waiting(user, local(19, 10, minute))
    barrier = threading.Barrier(4)
    answers = []

    def worker():
        barrier.wait()
        try:
            answers.append(notification_digest_send(user_id=user.pk, now=local(20, 8)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([a for a in answers if a is not None]) == 1
    assert NotificationDigest.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
