"""Sending a notification (row now, email after commit) and marking notifications read."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from comptoir.accounts.tests.factories import UserFactory
from comptoir.dossiers.tests.factories import DossierFactory
from comptoir.notifications.actions import notification_send, notifications_mark_read
from comptoir.notifications.models import Notification

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


def html_of(message):
    (content, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return str(content)


def send(user, **extra):
    values = {
        "user": user,
        "kind": "task_completed",
        "title": "Tâche terminée : Pièces du mois",
        "body": "Martin Durand a terminé la tâche.\nTrois documents déposés.",
        "url": "/d/exemple/taches/12/",
    }
    return notification_send(**{**values, **extra})


# --- Sending ------------------------------------------------------------------------------


def test_send_creates_the_row_and_emails_only_after_commit(django_capture_on_commit_callbacks):
    user = UserFactory(first_name="Claire", last_name="Martin")
    dossier = DossierFactory(name="Boulangerie Durand")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = send(user, dossier=dossier)
    assert mail.outbox == []  # not before the caller's transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    row = Notification.objects.get()
    assert row == notification
    assert (row.user, row.dossier, row.kind) == (user, dossier, "task_completed")
    assert row.read_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Tâche terminée : Pièces du mois"
    html = html_of(message)
    for part in (message.body, html):
        assert "http://localhost:8000/d/exemple/taches/12/" in part
        assert "Boulangerie Durand" in part
        assert "Trois documents déposés." in part
        assert "Claire Martin" in part
    assert "Martin Durand a terminé la tâche.<br>Trois documents déposés." in html


def test_the_email_links_to_the_configured_address_and_can_be_unsubscribed(
    settings, django_capture_on_commit_callbacks
):
    settings.BASE_URL = "https://comptoir.cabinet.test/"
    with django_capture_on_commit_callbacks(execute=True):
        send(UserFactory())
    message = mail.outbox[0]
    assert "https://comptoir.cabinet.test/d/exemple/taches/12/" in message.body
    # RFC 8058 one-click unsubscribe, signed for this person and this kind.
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://comptoir.cabinet.test/notifications/unsubscribe/")
    assert unsubscribe.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_without_a_url_the_email_links_to_the_list(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(UserFactory(), url="")
    assert "http://localhost:8000/notifications/" in html_of(mail.outbox[0])


def test_the_email_is_in_the_recipients_language(django_capture_on_commit_callbacks):
    english = UserFactory(language="en", first_name="", last_name="")
    french = UserFactory(language="fr", first_name="", last_name="")
    with django_capture_on_commit_callbacks(execute=True):
        # The caller renders the title in the recipient's language; the rest is ours.
        send(english, title="Task completed")
        send(french)
    to_english, to_french = mail.outbox
    assert to_english.subject == "Task completed"
    assert "This email was sent to you by Comptoir" in html_of(to_english)
    assert "Hello," in to_english.body
    assert "The Comptoir team" in to_english.body
    assert "Cet e-mail vous a été envoyé par Comptoir" in html_of(to_french)
    assert "Bonjour," in to_french.body


def test_the_title_and_body_are_escaped_in_the_html(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(UserFactory(), title="<b>Facture</b> & co", body="<script>alert(1)</script>")
    message = mail.outbox[0]
    html = html_of(message)
    assert "<script>" not in html
    assert "&lt;b&gt;Facture&lt;/b&gt; &amp; co" in html
    assert message.subject == "<b>Facture</b> & co"  # plain text: no entities
    assert "<script>alert(1)</script>" in message.body


def test_no_email_when_asked_or_for_a_deactivated_account(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(UserFactory(), email=False)
        send(UserFactory(is_active=False))
    assert Notification.objects.count() == 2
    assert mail.outbox == []


def test_a_rolled_back_action_leaves_no_notification_and_no_email(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()

    def failing_action():
        with transaction.atomic():
            send(user)
            raise RuntimeError("the calling action failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_action()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_failing_mail_server_does_not_break_the_action(
    monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("comptoir.notifications.actions.email_send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        send(UserFactory())
    assert Notification.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "d/x/"],
)
def test_only_paths_inside_comptoir_are_accepted(url):
    with pytest.raises(ValueError, match="inside Comptoir"):
        send(UserFactory(), url=url)
    assert not Notification.objects.exists()


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        send(UserFactory(), kind="task_exploded")


def test_a_long_title_is_shortened():
    notification = send(UserFactory(), title="x" * 300, email=False)
    assert len(notification.title) == 200


# --- Marking read -------------------------------------------------------------------------


def test_mark_one_read_touches_only_that_one():
    user = UserFactory()
    one, other = NotificationFactory(user=user), NotificationFactory(user=user)
    assert notifications_mark_read(user=user, notification=one) == 1
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None
    assert other.read_at is None
    first_read = one.read_at
    assert notifications_mark_read(user=user, notification=one) == 0  # keeps its first time
    one.refresh_from_db()
    assert one.read_at == first_read


def test_mark_all_read_is_limited_to_the_user():
    user, stranger = UserFactory(), UserFactory()
    NotificationFactory.create_batch(3, user=user)
    theirs = NotificationFactory(user=stranger)
    assert notifications_mark_read(user=user) == 3
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    # Someone else's notification, even named explicitly, is never touched.
    assert notifications_mark_read(user=user, notification=theirs) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
