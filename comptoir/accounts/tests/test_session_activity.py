"""The sessions page's activity is written at most every SESSION_ACTIVITY_SECONDS per
session, and at once when the address or browser changes: a signed-in GET reads the
session's row, it does not write it."""

from __future__ import annotations

import datetime

from allauth.usersessions.models import UserSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.tests.factories import PASSWORD, UserFactory


def _signed_in() -> tuple[Client, UserSession]:
    user = UserFactory()
    client = Client(HTTP_USER_AGENT="Ordinateur", REMOTE_ADDR="192.0.2.1")
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client, UserSession.objects.get(user=user)


def _writes(client: Client, **extra) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("core:healthz"), **extra).status_code == 200
    return [
        q["sql"]
        for q in queries
        if q["sql"].split()[0].upper() in {"UPDATE", "INSERT", "DELETE"}
        and "usersession" in q["sql"]
    ]


def test_login_records_the_session_and_pages_do_not_write_it(db):
    client, session = _signed_in()
    assert session.user_agent == "Ordinateur"
    for _ in range(3):
        assert _writes(client) == []
    assert UserSession.objects.get(pk=session.pk).last_seen_at == session.last_seen_at


def test_activity_is_written_again_after_the_interval(db, settings):
    client, session = _signed_in()
    old = timezone.now() - datetime.timedelta(seconds=settings.SESSION_ACTIVITY_SECONDS + 1)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at=old)
    assert len(_writes(client)) == 1
    assert UserSession.objects.get(pk=session.pk).last_seen_at > old
    assert _writes(client) == []


def test_a_new_address_or_browser_is_written_at_once(db):
    client, session = _signed_in()
    assert len(_writes(client, REMOTE_ADDR="198.51.100.7")) == 1
    assert UserSession.objects.get(pk=session.pk).ip == "198.51.100.7"
    assert len(_writes(client, REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Téléphone")) == 1
    assert UserSession.objects.get(pk=session.pk).user_agent == "Téléphone"
    assert _writes(client, REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Téléphone") == []
