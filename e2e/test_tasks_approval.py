"""Approval tasks in a real browser: the accountant sends two approvals in Always Clean
(one with a file uploaded in the form, one picking that document from the dossier); the
client opens the documents and approves the first, declines the second with a comment;
the accountant is notified of both in the bell and by email (read from the test SMTP
server)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import FilePayload, Page, expect

from comptoir.testing.files import pdf_bytes
from comptoir.testing.smtp import SMTPTestServer
from e2e import at, log_in
from e2e.conftest import DemoServer, NewPage

pytestmark = pytest.mark.e2e

ACCOUNTANT = "comptable@cabinet-martin.test"
CLIENT = "gerant@alwaysclean.test"
SLUG = "always-clean"


def logged_in(new_page: NewPage, email: str, width: int) -> Page:
    page = new_page(viewport={"width": width, "height": 800})
    page.goto("/accounts/login/")
    log_in(page, email)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def pdf_file(name: str, text: str) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(text)}


def open_every_document(page: Page) -> None:
    links = page.locator(".approval-document").get_by_role("link", name=re.compile("^Ouvrir"))
    for index in range(links.count()):
        with page.expect_popup() as popup:
            links.nth(index).click()
        popup.value.close()
    # No reload: the page sees the documents opened in other tabs by itself.
    expect(page.locator(".approval-document .badge-success")).to_have_count(links.count())
    expect(page.get_by_role("button", name="Approuver", exact=True)).to_be_enabled()


def test_one_approval_approved_another_declined(
    new_page: NewPage, demo_server: DemoServer, mailbox: SMTPTestServer
):
    tag = uuid.uuid4().hex[:8]
    first, second = f"Comptes annuels {tag}", f"Bilan intermédiaire {tag}"
    pv, annexe = f"pv-{tag}.pdf", f"annexe-{tag}.pdf"

    # The accountant sends the first one with a file uploaded in the form.
    accountant = logged_in(new_page, ACCOUNTANT, 1280)
    accountant.goto(f"/d/{SLUG}/tasks/")
    accountant.get_by_role("link", name="Nouvelle demande d'approbation").click()
    expect(accountant).to_have_url(at(demo_server, f"/d/{SLUG}/approvals/new/"))
    accountant.locator("#id_title").fill(first)
    accountant.locator("#id_message").fill("Merci d'approuver les comptes.")
    accountant.locator("#id_uploads").set_input_files(files=[pdf_file(pv, f"PV {tag}")])
    accountant.locator("#id_upload_folder").select_option(label="Juridique")
    expect(accountant.get_by_label(CLIENT, exact=False)).to_be_checked()
    accountant.get_by_role("button", name="Envoyer la demande").click()
    expect(accountant.get_by_role("heading", level=1)).to_have_text(first)
    expect(accountant.locator(".approval-documents")).to_contain_text(pv)

    # The second one picks that document from the dossier (filtered by name) and adds one.
    accountant.goto(f"/d/{SLUG}/approvals/new/")
    accountant.locator("#id_title").fill(second)
    accountant.locator("#id_q").fill(tag)
    accountant.get_by_role("button", name="Filtrer la liste").click()
    expect(accountant.locator("#id_title")).to_have_value(second)
    accountant.get_by_label(pv, exact=True).check()
    accountant.locator("#id_uploads").set_input_files(files=[pdf_file(annexe, f"Annexe {tag}")])
    accountant.get_by_role("button", name="Envoyer la demande").click()
    expect(accountant.get_by_role("heading", level=1)).to_have_text(second)
    expect(accountant.locator(".approval-document")).to_have_count(2)

    # The client, phone-sized: opens the documents and approves the first.
    client = logged_in(new_page, CLIENT, 375)
    client.goto(f"/d/{SLUG}/tasks/")
    client.get_by_role("link", name=first).click()
    expect(client.get_by_role("heading", level=1)).to_have_text(first)
    open_every_document(client)
    client.get_by_role("button", name="Approuver", exact=True).click()
    expect(client.locator(".messages")).to_contain_text("Vous avez approuvé")
    expect(client.locator(".approval-decision")).to_contain_text("Approuvée")
    expect(client.locator(".approval-sha")).to_have_count(1)

    # The second: "Approuver" waits, naming the documents to open first; declined.
    client.goto(f"/d/{SLUG}/tasks/")
    client.get_by_role("link", name=second).click()
    approve = client.get_by_role("button", name="Approuver", exact=True)
    expect(approve).to_be_disabled()
    expect(client.locator("#approve-reason")).to_contain_text(annexe)
    expect(client.get_by_label("Pourquoi refusez-vous ?")).to_be_hidden()
    client.get_by_text("Refuser…").click()
    client.get_by_label("Pourquoi refusez-vous ?").fill(f"Le résultat est faux {tag}")
    client.get_by_role("button", name="Confirmer le refus").click()
    expect(client.locator(".messages")).to_contain_text("Votre refus est enregistré")
    expect(client.locator(".approval-decision")).to_contain_text(f"Le résultat est faux {tag}")

    # The accountant: both decisions in the bell and in the mailbox.
    accountant.goto(f"/d/{SLUG}/tasks/")
    expect(accountant.locator("#notification-bell .bell-count")).to_be_visible()
    accountant.locator("#notification-bell").click()
    notices = accountant.locator(".notification-list")
    expect(notices).to_contain_text(f"Approbation donnée : {first}")
    expect(notices).to_contain_text(f"Approbation refusée : {second}")
    given = mailbox.wait_for_message(
        to=ACCOUNTANT, subject_contains=f"Approbation donnée : {first}", timeout=30
    )
    declined = mailbox.wait_for_message(
        to=ACCOUNTANT, subject_contains=f"Approbation refusée : {second}", timeout=30
    )
    assert first in (given.text or "")
    assert f"Le résultat est faux {tag}" in (declined.text or "")
    assert given.html, "the email has an HTML part"
