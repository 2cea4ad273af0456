"""Email preferences per kind of event: the page, and what `notification_send` does with them."""

from __future__ import annotations

from html import unescape

import pytest
from django.core import mail

from comptoir.accounts.tests.factories import UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.notifications.actions import notification_send
from comptoir.notifications.models import (
    EmailDelivery,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from comptoir.notifications.selectors import delivery_for, preferences_of

pytestmark = pytest.mark.django_db


def prefer(user, kind: str, delivery: str) -> None:
    NotificationPreference.objects.create(user=user, kind=kind, delivery=delivery)


def send(user, kind="task_completed"):
    return notification_send(
        user=user, kind=kind, title="Tâche terminée : Pièces du mois", url="/d/x/tasks/1/"
    )


# --- Defaults and what each choice does ---------------------------------------------------


def test_without_a_row_every_kind_is_mailed_immediately():
    user = UserFactory()
    assert preferences_of(user=user) == dict.fromkeys(
        NotificationKind.values, EmailDelivery.IMMEDIATELY
    )
    assert "task_reminder" in preferences_of(user=user)
    assert NotificationKind.TASK_REMINDER.label == "Rappel de tâche"


def test_immediately_mails_now_and_records_when(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user)
    notification.refresh_from_db()
    assert len(mail.outbox) == 1
    assert notification.emailed_at is not None
    assert notification.email_pending_since is None


def test_digest_keeps_the_email_for_later(django_capture_on_commit_callbacks):
    user = UserFactory()
    prefer(user, "task_completed", EmailDelivery.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user)
    notification.refresh_from_db()
    assert mail.outbox == []
    assert notification.email_pending_since is not None
    assert notification.emailed_at is None


def test_never_sends_no_email_but_keeps_the_notification(django_capture_on_commit_callbacks):
    user = UserFactory()
    prefer(user, "task_completed", EmailDelivery.NEVER)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user)
        other = send(user, kind="task_received")  # another kind: still mailed
    notification.refresh_from_db()
    assert Notification.objects.filter(user=user).count() == 2
    assert notification.email_pending_since is None
    assert notification.emailed_at is None
    assert [m.subject for m in mail.outbox] == [other.title]


def test_a_notification_is_mailed_once_even_if_asked_twice(django_capture_on_commit_callbacks):
    from comptoir.notifications.actions import _email_notification

    with django_capture_on_commit_callbacks(execute=True):
        notification = send(UserFactory())
    _email_notification(notification.pk)
    assert len(mail.outbox) == 1


def test_a_failed_email_is_not_marked_as_sent(monkeypatch, django_capture_on_commit_callbacks):
    def refuse(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("comptoir.notifications.actions.email_send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(UserFactory())
    notification.refresh_from_db()
    assert notification.emailed_at is None


# --- The page -----------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get("/notifications/preferences/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    user = UserFactory()
    response = client.post(
        "/notifications/preferences/", dict.fromkeys(NotificationKind.values, "never")
    )
    assert response.status_code == 302
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_the_page_shows_one_labelled_select_per_kind(client):
    user = UserFactory()
    prefer(user, "link_opened", EmailDelivery.NEVER)
    client.force_login(user)
    response = client.get("/notifications/preferences/")
    assert_strict_page(response)
    html = unescape(response.text)
    for kind in NotificationKind.values:
        assert html.count(f'<select name="{kind}"') == 1
    for kind in NotificationKind:
        assert f'<label for="id_{kind.value}">{kind.label}' in html
    assert "Résumé quotidien" in html
    assert "Immédiatement" in html
    assert "Jamais" in html
    assert '<option value="never" selected>Jamais</option>' in html
    # Linked from the notification list and the account menu.
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").text
    assert 'href="/notifications/preferences/"' in client.get("/").text


def test_saving_stores_only_what_changed_and_audits_it(client):
    user = UserFactory()
    client.force_login(user)
    choices = dict.fromkeys(NotificationKind.values, EmailDelivery.IMMEDIATELY.value)
    choices["documents_uploaded"] = "digest"
    choices["link_opened"] = "never"
    response = client.post("/notifications/preferences/", choices)
    assert response.status_code == 302
    assert response["Location"] == "/notifications/preferences/"
    assert delivery_for(user=user, kind="documents_uploaded") == "digest"
    assert delivery_for(user=user, kind="link_opened") == "never"
    assert delivery_for(user=user, kind="task_received") == "immediately"
    event = AuditEvent.objects.get(action="notification_preferences.changed")
    assert event.actor == user
    assert event.dossier is None
    assert event.details["changed"] == {
        "documents_uploaded": ["immediately", "digest"],
        "link_opened": ["immediately", "never"],
    }
    # Saving the same again changes nothing and writes no event.
    client.post("/notifications/preferences/", choices)
    assert AuditEvent.objects.filter(action="notification_preferences.changed").count() == 1
    assert "sont enregistrées" in client.get("/notifications/preferences/").text


def test_an_unknown_choice_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)
    choices = dict.fromkeys(NotificationKind.values, "sometimes")
    response = client.post("/notifications/preferences/", choices)
    assert response.status_code == 200
    assert "field-invalid" in response.text
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_preferences_are_per_person(client):
    user, other = UserFactory(), UserFactory()
    client.force_login(user)
    client.post("/notifications/preferences/", dict.fromkeys(NotificationKind.values, "never"))
    assert set(preferences_of(user=user).values()) == {"never"}
    assert set(preferences_of(user=other).values()) == {"immediately"}
