"""The creator is told of a link's first open (in-app and by email), once."""

from __future__ import annotations

import sys
import types

import pytest

from comptoir.sharing.models import ShareLink

from .conftest import PASSWORD, client_for, make_link


@pytest.fixture
def sent(monkeypatch):
    """What `notifications.actions.notification_send` was asked to send, without sending."""
    calls: list[dict] = []

    def notification_send(**kwargs):
        calls.append(kwargs)

    from django.apps import apps

    if apps.is_installed("comptoir.notifications"):
        import comptoir.notifications.actions as real

        monkeypatch.setattr(real, "notification_send", notification_send)
    else:  # the notification centre is not installed: stand in for it
        package = types.ModuleType("comptoir.notifications")
        package.__path__ = []
        module = types.ModuleType("comptoir.notifications.actions")
        module.notification_send = notification_send  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "comptoir.notifications", package)
        monkeypatch.setitem(sys.modules, "comptoir.notifications.actions", module)
    return calls


def test_the_first_open_notifies_the_creator_once(office, sent):
    link, token = make_link(office, by="sharer", notify_first_open=True, password=PASSWORD)
    visitor = client_for(None, REMOTE_ADDR="203.0.113.5")
    visitor.get(f"/s/{token}/")  # the password page is not an open
    visitor.post(f"/s/{token}/", {"password": "mauvais-mot"})
    assert sent == []
    visitor.post(f"/s/{token}/", {"password": PASSWORD})
    visitor.get(f"/s/{token}/")
    visitor.get(f"/s/{token}/")
    client_for(None, REMOTE_ADDR="203.0.113.6").post(f"/s/{token}/", {"password": PASSWORD})
    assert len(sent) == 1
    (call,) = sent
    assert call["user"] == office["users"]["sharer"]
    assert call["kind"] == "link_opened"
    assert call["dossier"] == office["dossier"]
    assert call["url"] == f"/d/{office['dossier'].slug}/links/{link.pk}/"
    assert call["email"] is True
    assert isinstance(call["title"], str)  # rendered in the creator's language, not lazy
    assert "ouvert" in call["title"]
    assert "banque@exemple.test" in call["body"]
    assert token not in repr(call)
    link.refresh_from_db()
    assert link.open_count == 2


def test_no_notice_unless_asked(office, sent):
    _link, token = make_link(office, notify_first_open=False)
    client_for(None).get(f"/s/{token}/")
    assert sent == []


def test_a_failing_notice_does_not_stop_the_recipient(office, monkeypatch, sent, caplog):
    link, token = make_link(office, notify_first_open=True)

    def failing(**kwargs):
        raise RuntimeError("notification centre down")

    module = sys.modules.get("comptoir.notifications.actions")
    monkeypatch.setattr(module, "notification_send", failing)
    response = client_for(None).get(f"/s/{token}/")
    assert response.status_code == 200
    assert "relevé janvier.pdf" in response.content.decode()
    assert "first-open notification failed" in caplog.text
    assert ShareLink.objects.get(pk=link.pk).first_opened_at is not None


def test_the_creator_gets_a_notification_and_one_email(office, django_capture_on_commit_callbacks):
    from django.apps import apps
    from django.core import mail

    if not apps.is_installed("comptoir.notifications"):
        pytest.skip("the notification centre is not installed yet")
    from comptoir.notifications.models import Notification

    link, token = make_link(office, by="sharer", notify_first_open=True)
    for address in ["203.0.113.5", "203.0.113.6"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(None, REMOTE_ADDR=address).get(f"/s/{token}/")
        assert response.status_code == 200
    notification = Notification.objects.get(user=office["users"]["sharer"])
    assert notification.kind == "link_opened"
    assert notification.dossier == office["dossier"]
    assert notification.url == f"/d/{office['dossier'].slug}/links/{link.pk}/"
    assert "banque@exemple.test" in notification.body
    emails = [m for m in mail.outbox if m.to == ["sharer@alpha.test"]]
    assert len(emails) == 1
    assert token not in emails[0].body
    assert f"/d/{office['dossier'].slug}/links/{link.pk}/" in emails[0].body
