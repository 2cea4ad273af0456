import pytest
from django.core import mail
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory
from comptoir.core.mail import email_send
from comptoir.core.models import OutboxEmail

pytestmark = pytest.mark.django_db

OUTBOX = "comptoir.core.mail.OutboxEmailBackend"


def test_outbox_backend_keeps_text_and_html(settings):
    settings.MAILERS = {"default": {"BACKEND": OUTBOX}}
    mail.send_mail(
        "Objet é",
        "Corps texte",
        None,
        ["a@exemple.test", "b@exemple.test"],
        html_message="<p>Corps <b>HTML</b></p>",
    )
    kept = OutboxEmail.objects.get()
    assert kept.subject == "Objet é"
    assert kept.to == "a@exemple.test, b@exemple.test"
    assert kept.body_text == "Corps texte"
    assert kept.body_html == "<p>Corps <b>HTML</b></p>"


def test_allauth_emails_get_an_html_part(client, settings):
    """Password reset (allauth, text-only templates) goes out with an HTML alternative."""
    user = UserFactory(email="reset@exemple.test")
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    html = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    assert "/accounts/password/reset/key/" in message.body
    assert "/accounts/password/reset/key/" in html
    assert "<a href=" in html


def test_email_send_renders_in_the_requested_language(settings, tmp_path):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    (tmp_path / "t_subject.txt").write_text("{% load i18n %}{% translate 'Adresses e-mail' %}")
    (tmp_path / "t_message.txt").write_text("Bonjour {{ name }}")
    (tmp_path / "t_message.html").write_text("<p>Bonjour {{ name }}</p>")
    email_send(
        template_prefix="t",
        to=["x@exemple.test"],
        context={"name": "Zoé"},
        language="en",
        headers={"List-Unsubscribe": "<https://exemple.test/u>"},
    )
    message = mail.outbox[0]
    assert message.subject == "Email addresses"
    assert message.body == "Bonjour Zoé"
    assert message.alternatives[0][0] == "<p>Bonjour Zoé</p>"
    assert message.extra_headers["List-Unsubscribe"] == "<https://exemple.test/u>"


def make_kept_email():
    return OutboxEmail.objects.create(
        from_email="noreply@exemple.test",
        to="c@exemple.test",
        subject="Invitation",
        body_text="Lien : https://exemple.test/x",
        body_html="<script>alert(1)</script><p>x</p>",
    )


@pytest.mark.parametrize("name", ["core:outbox_list", "core:outbox_detail", "core:outbox_html"])
def test_outbox_is_for_staff_only(client, name):
    kept = make_kept_email()
    args = [] if name == "core:outbox_list" else [kept.pk]
    anonymous = client.get(reverse(name, args=args))
    assert anonymous.status_code == 302
    client.force_login(UserFactory())
    member = client.get(reverse(name, args=args))
    assert member.status_code == 302
    assert "Invitation" not in member.text


def test_staff_reads_kept_emails(client):
    kept = make_kept_email()
    client.force_login(UserFactory(is_staff=True))
    listing = client.get(reverse("core:outbox_list"))
    assert "Invitation" in listing.text
    detail = client.get(reverse("core:outbox_detail", args=[kept.pk]))
    assert 'href="https://exemple.test/x"' in detail.text
    html = client.get(reverse("core:outbox_html", args=[kept.pk]))
    # The HTML part is shown in a sandbox: its scripts cannot run on our origin.
    assert html["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in html["Content-Security-Policy"]


def test_unknown_kept_email_is_404(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("core:outbox_detail", args=[999999])).status_code == 404
