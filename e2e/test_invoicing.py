"""Invoicing in a real browser: the manager of Always Clean creates a customer and a
quote, the quote is accepted and becomes an invoice, which is issued; its PDF is
downloaded (its text holds the number and the totals), it is duplicated, sent by email
(the message reaches the SMTP server with the PDF attached) and a payment is recorded."""

from __future__ import annotations

import re
import uuid

import pypdfium2
import pytest
from playwright.sync_api import expect

from comptoir.testing.smtp import SMTPTestServer
from e2e import log_in
from e2e.conftest import DemoServer, NewPage

pytestmark = pytest.mark.e2e

MANAGER = "gerant@alwaysclean.test"
SLUG = "always-clean"


def test_from_quote_to_paid_invoice(
    new_page: NewPage, demo_server: DemoServer, mailbox: SMTPTestServer
):
    tag = uuid.uuid4().hex[:8]
    customer = f"Client {tag}"
    address = f"compta-{tag}@client.test"
    page = new_page(viewport={"width": 375, "height": 800})
    page.goto("/accounts/login/")
    log_in(page, MANAGER)
    page.goto(f"/d/{SLUG}/")
    page.get_by_role("link", name="Voir les factures").click()

    # A customer (a wrong SIREN first: a form error, nothing saved).
    page.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="Nouveau client").click()
    page.locator("#id_name").fill(customer)
    page.locator("#id_email").fill(address)
    page.locator("#id_siren").fill("123456789")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".field-errors")).to_contain_text("SIREN")
    page.locator("#id_siren").fill("443061841")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messages")).to_contain_text("Le client est enregistré.")

    # A quote, sent, accepted, turned into an invoice.
    page.get_by_role("link", name="Devis", exact=True).click()
    page.get_by_role("link", name="Nouveau devis").click()
    page.locator("#id_customer").select_option(label=customer)
    page.locator("#id_lines-0-designation").fill(f"Grand nettoyage {tag}")
    page.locator("#id_lines-0-quantity").fill("3")
    page.locator("#id_lines-0-unit_price").fill("125.50")
    page.get_by_role("button", name="Enregistrer le devis").click()
    expect(page.locator(".messages")).to_contain_text("Le devis est enregistré.")
    page.get_by_role("button", name="Marquer envoyé").click()
    page.get_by_role("button", name="Accepté", exact=True).click()
    expect(page.locator(".badge").first).to_have_text("Accepté")
    page.get_by_role("button", name="Transformer en facture").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Facture brouillon")

    page.get_by_role("button", name="Émettre").click()
    expect(page.locator(".messages")).to_contain_text("La facture est émise.")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Facture F-\d{4}-\d{5}"))
    number = heading.inner_text().removeprefix("Facture ").strip()
    invoice_url = page.url

    # The PDF: 3 x 125.50 = 376.50 excl. VAT, 75.30 VAT, 451.80 in all.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    pdf = pypdfium2.PdfDocument(download_info.value.path())
    text = "".join(p.get_textpage().get_text_range() for p in pdf).replace("\u202f", " ")
    assert number in text
    for figure in ("376,50", "75,30", "451,80"):
        assert figure in text

    # Duplicate: a new draft with the same lines.
    page.get_by_role("button", name="Dupliquer").click()
    expect(page.locator(".messages")).to_contain_text("Copie créée")
    expect(page.get_by_role("heading", level=1)).to_contain_text("brouillon")
    expect(page.locator(".document-total")).to_have_text("451,80 €")

    # Send it by email; the invoice says when and to whom.
    page.goto(invoice_url)
    page.get_by_role("link", name="Envoyer par e-mail").click()
    expect(page.locator("#id_to")).to_have_value(address)
    page.locator("#id_subject").fill(f"Votre facture {tag}")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"envoyée à {address}")
    expect(page.locator(".invoice-sendings")).to_contain_text(address)
    received = mailbox.wait_for_message(to=address, subject_contains=tag, timeout=30)
    attachments = list(received.message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"Facture-{number}.pdf"]
    assert attachments[0].get_content()[:4] == b"%PDF"

    # A partial payment, then the rest.
    page.locator("#id_amount").fill("200.00")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.locator(".messages")).to_contain_text("Le paiement est enregistré.")
    expect(page.locator(".page-head .badge")).to_have_text("Payée en partie")
    expect(page.locator(".invoice-balance")).to_have_text("251,80 €")
    page.locator("#id_amount").fill("251.80")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.locator(".page-head .badge")).to_have_text("Payée")
