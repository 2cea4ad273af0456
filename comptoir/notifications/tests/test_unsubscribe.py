"""Unsubscribing from an email's link (RFC 8058 one-click), without logging in."""

from __future__ import annotations

import time
from html import unescape

import pytest
from django.core import mail, signing
from django.test import Client

from comptoir.accounts.tests.factories import UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.notifications.actions import notification_send
from comptoir.notifications.models import EmailDelivery, NotificationPreference
from comptoir.notifications.selectors import delivery_for, preferences_of
from comptoir.notifications.tokens import (
    DIGEST,
    SALT,
    UNSUBSCRIBE_MAX_AGE,
    unsubscribe_token,
)

pytestmark = pytest.mark.django_db


def url(token: str) -> str:
    return f"/notifications/unsubscribe/{token}/"


@pytest.fixture
def strict_client():
    # Mail clients send no CSRF cookie: the one-click POST must work with checks enforced.
    return Client(enforce_csrf_checks=True)


def test_an_email_carries_a_working_one_click_link(
    strict_client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=user, kind="documents_uploaded", title="Documents déposés")
    (message,) = mail.outbox
    header = message.extra_headers["List-Unsubscribe"]
    address = header.strip("<>")
    path = address.removeprefix("http://localhost:8000")
    assert path.startswith("/notifications/unsubscribe/")
    assert address in message.body  # the footer offers the same link
    assert "Ne plus recevoir d'e-mail pour « Documents téléversés »" in message.body
    response = strict_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert delivery_for(user=user, kind="documents_uploaded") == EmailDelivery.NEVER
    assert delivery_for(user=user, kind="task_received") == EmailDelivery.IMMEDIATELY


def test_get_asks_and_changes_nothing(client):
    user = UserFactory()
    response = client.get(url(unsubscribe_token(user_id=user.pk, kind="link_opened")))
    assert_strict_page(response)
    assert "Ne plus recevoir d'e-mail pour « Lien de partage ouvert » ?" in unescape(response.text)
    assert '<form method="post"' in unescape(response.text)
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.exists()


def test_post_turns_the_kind_off_once_and_audits_it(strict_client):
    user = UserFactory()
    token = unsubscribe_token(user_id=user.pk, kind="link_opened")
    response = strict_client.post(url(token))
    assert response.status_code == 200
    assert "Vous ne recevrez plus d'e-mail pour « Lien de partage ouvert »" in unescape(
        response.text
    )
    assert delivery_for(user=user, kind="link_opened") == EmailDelivery.NEVER
    event = AuditEvent.objects.get()
    assert event.action == "notification_preferences.unsubscribed"
    assert event.actor is None
    assert event.actor_label == "lien de désabonnement"
    assert event.object_id == str(user.pk)
    assert event.details == {
        "link": "link_opened",
        "changed": {"link_opened": ["immediately", "never"]},
    }
    # Mail clients may post twice: nothing more happens.
    assert strict_client.post(url(token)).status_code == 200
    assert AuditEvent.objects.count() == 1


def test_the_digest_link_turns_off_every_kind_that_went_to_the_digest(strict_client):
    user = UserFactory()
    for kind, delivery in [
        ("task_received", "digest"),
        ("documents_uploaded", "digest"),
        ("task_completed", "immediately"),
    ]:
        NotificationPreference.objects.create(user=user, kind=kind, delivery=delivery)
    page = strict_client.get(url(unsubscribe_token(user_id=user.pk, kind=DIGEST)))
    assert "résumé quotidien" in page.text
    strict_client.post(url(unsubscribe_token(user_id=user.pk, kind=DIGEST)))
    preferences = preferences_of(user=user)
    assert preferences["task_received"] == preferences["documents_uploaded"] == "never"
    assert preferences["task_completed"] == "immediately"  # not in the digest: untouched
    assert preferences["link_opened"] == "immediately"


def test_the_page_speaks_the_recipients_language(client):
    user = UserFactory(language="en")
    response = client.get(url(unsubscribe_token(user_id=user.pk, kind="link_opened")))
    assert '<html lang="en">' in unescape(response.text)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature
        lambda token: "x" + token,  # payload
        lambda token: token.split(":")[0],  # no signature at all
        lambda token: "nonsense",
    ],
)
def test_a_tampered_token_changes_nothing(strict_client, tamper):
    user = UserFactory()
    token = tamper(unsubscribe_token(user_id=user.pk, kind="link_opened"))
    for response in (strict_client.get(url(token)), strict_client.post(url(token))):
        assert response.status_code == 400
        assert "Ce lien de désabonnement n'est pas valable" in unescape(response.text)
        assert "Rien n'a été changé" in unescape(response.text)
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_token_signed_for_something_else_is_refused(strict_client):
    user = UserFactory()
    other_salt = signing.dumps({"u": user.pk, "k": "link_opened"}, salt="comptoir.other")
    unknown_kind = signing.dumps({"u": user.pk, "k": "everything"}, salt=SALT)
    for token in (other_salt, unknown_kind):
        assert strict_client.post(url(token)).status_code == 400
    assert not NotificationPreference.objects.exists()


def test_a_token_for_a_user_who_is_gone_is_refused(strict_client):
    user = UserFactory()
    token = unsubscribe_token(user_id=user.pk, kind="link_opened")
    user.delete()
    assert strict_client.post(url(token)).status_code == 400


def test_an_expired_token_changes_nothing(strict_client, monkeypatch):
    user = UserFactory()
    token = unsubscribe_token(user_id=user.pk, kind="link_opened")
    later = time.time() + UNSUBSCRIBE_MAX_AGE.total_seconds() + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    for response in (strict_client.get(url(token)), strict_client.post(url(token))):
        assert response.status_code == 410
        assert "Ce lien de désabonnement a expiré" in unescape(response.text)
    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.exists()


def test_other_methods_are_refused(strict_client):
    user = UserFactory()
    token = unsubscribe_token(user_id=user.pk, kind="link_opened")
    assert strict_client.put(url(token)).status_code == 405
    assert strict_client.delete(url(token)).status_code == 405
    assert not NotificationPreference.objects.exists()
