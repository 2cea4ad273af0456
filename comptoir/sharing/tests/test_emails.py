"""The recipients' email: HTML and text, in French, with the link and the message, never
the password; checked in Django's outbox and on the wire of a real SMTP server."""

from __future__ import annotations

import contextlib
import datetime

from django.core import mail
from django.utils import timezone

from comptoir.sharing.access import share_link_by_token
from comptoir.sharing.actions import expiry_from_date
from comptoir.testing.smtp import SMTPTestServer

from .conftest import LINK_PATH, PASSWORD, make_link


def html_of(message) -> str:
    return dict((mime, content) for content, mime in message.alternatives)["text/html"]


def test_each_recipient_gets_the_link_and_the_message_but_never_the_password(
    office, django_capture_on_commit_callbacks
):
    last_day = timezone.localdate() + datetime.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        link, token = make_link(
            office,
            documents=("releve", "bilan"),
            recipients=["banque@exemple.test", "notaire@exemple.test"],
            password=PASSWORD,
            message="Bonjour Maître,\nvoici les pièces <promises>.",
            expires_at=expiry_from_date(last_day),
            max_downloads=3,
            base_url="https://comptoir.exemple.fr/",
        )
    assert sorted(m.to[0] for m in mail.outbox) == ["banque@exemple.test", "notaire@exemple.test"]
    for message in mail.outbox:
        assert len(message.to) == 1  # recipients do not see each other
        html, text = html_of(message), message.body
        url = f"https://comptoir.exemple.fr/s/{token}/"
        assert url in text
        assert f'href="{url}"' in html
        assert PASSWORD not in text
        assert PASSWORD not in html
        assert PASSWORD not in message.subject
        assert "Alpha SARL" in message.subject
        assert "voici les pièces <promises>." in text
        assert "voici les pièces &lt;promises&gt;." in html
        assert "relevé janvier.pdf" in text
        assert "bilan 2025.pdf" in html
        assert "mot de passe vous sera demandé" in text
        assert "mot de passe vous sera demandé" in html
        assert "inclus" in text  # valid through the chosen day
        assert "3 téléchargements" in text
        assert message.extra_headers["Reply-To"] == "owner@alpha.test"
    found = LINK_PATH.search(mail.outbox[0].body)
    assert found
    assert share_link_by_token(found.group(1)) == link


def test_without_password_the_email_does_not_mention_one(
    office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_link(office)
    (message,) = mail.outbox
    assert "mot de passe" not in message.body
    assert "Bonjour," in message.body


def test_no_email_leaves_when_the_link_is_refused(office, django_capture_on_commit_callbacks):
    from comptoir.sharing.actions import ActionRefused

    with django_capture_on_commit_callbacks(execute=True), contextlib.suppress(ActionRefused):
        make_link(office, password="court")
    assert mail.outbox == []


def test_on_the_wire_of_a_real_smtp_server_the_password_is_absent(
    office, settings, django_capture_on_commit_callbacks
):
    with SMTPTestServer() as smtp:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": smtp.host, "port": smtp.port},
            }
        }
        with django_capture_on_commit_callbacks(execute=True):
            _link, token = make_link(
                office,
                recipients=["expert@exemple.test"],
                password=PASSWORD,
                message="Cordialement",
            )
        received = smtp.wait_for_message(to="expert@exemple.test")
    assert received.text is not None
    assert received.html is not None
    assert f"/s/{token}/" in received.text
    assert f"/s/{token}/" in received.html
    assert "Cordialement" in received.text
    assert PASSWORD.encode() not in received.raw
    assert PASSWORD not in received.text
    assert PASSWORD not in received.html
