"""Duplicate and send an invoice in WebKit (Safari's engine), where the source
document's invoicing application failed: WebKitWebDriver drives Debian's MiniBrowser
under Xvfb against the real demo server; the email reaches the SMTP server with the
PDF attached."""

from __future__ import annotations

import os
import uuid

import pytest

from comptoir.testing.smtp import SMTPTestServer
from e2e import DEMO_PASSWORD
from e2e.conftest import DemoServer
from e2e.webdriver import missing, webkit_session

pytestmark = pytest.mark.e2e

MANAGER = "gerant@alwaysclean.test"
SLUG = "always-clean"


@pytest.fixture
def webkit_available() -> None:
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason}. CI=true: refusing to skip the WebKit test.", pytrace=False)
    pytest.skip(reason)


def test_duplicate_and_send_in_webkit(
    webkit_available: None, demo_server: DemoServer, mailbox: SMTPTestServer
):
    tag = uuid.uuid4().hex[:8]
    address = f"webkit-{tag}@client.test"
    with webkit_session(demo_server.url) as browser:
        browser.go("/accounts/login/")
        browser.type("#id_login", MANAGER)
        browser.type("#id_password", DEMO_PASSWORD)
        browser.click("form:has(#id_login) button[type=submit]")
        browser.find("nav, main")
        browser.go(f"/d/{SLUG}/invoices/?state=paid")
        browser.click(".invoice-table tbody th a")
        number = browser.text("h1").removeprefix("Facture ").strip()
        invoice_url = browser.url

        browser.click(xpath="//button[normalize-space()='Dupliquer']")
        browser.wait_text(".messages", "Copie créée")
        assert "brouillon" in browser.text("h1")

        browser.go(invoice_url.removeprefix(demo_server.url))
        browser.click(xpath="//a[normalize-space()='Envoyer par e-mail']")
        browser.type("#id_to", address)
        browser.type("#id_subject", f"Facture {number} ({tag})")
        browser.click(xpath="//button[normalize-space()='Envoyer']")
        browser.wait_text(".messages", f"envoyée à {address}")
        assert address in browser.text(".invoice-sendings")
    received = mailbox.wait_for_message(to=address, subject_contains=tag, timeout=30)
    (attachment,) = received.message.iter_attachments()
    assert attachment.get_filename() == f"Facture-{number}.pdf"
    assert attachment.get_content()[:4] == b"%PDF"
