"""Accounting in a real browser: the manager of Always Clean issues an invoice and records
its payment; the accountant collects the batch of entries and downloads its FEC, which,
read back with the csv module, holds the invoice's balanced sales entry, the payment's
bank entry and the same lettering code on both customer lines."""

from __future__ import annotations

import csv
import io
import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from e2e import log_in
from e2e.conftest import DemoServer, NewPage

pytestmark = pytest.mark.e2e

MANAGER = "gerant@alwaysclean.test"
ACCOUNTANT = "comptable@cabinet-martin.test"
SLUG = "always-clean"


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def test_invoice_paid_collected_and_read_back_from_the_fec(
    new_page: NewPage, demo_server: DemoServer
):
    tag = uuid.uuid4().hex[:8]
    page = new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto("/accounts/login/")
    log_in(page, MANAGER)

    # An invoice of 2 x 80.00 at 20 %: 160.00 + 32.00 = 192.00, issued, then paid.
    page.goto(f"/d/{SLUG}/invoices/new/")
    page.locator("#id_customer").select_option(index=1)
    page.locator("#id_lines-0-designation").fill(f"Vitres {tag}")
    page.locator("#id_lines-0-quantity").fill("2")
    page.locator("#id_lines-0-unit_price").fill("80.00")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.get_by_role("button", name="Émettre").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Facture F-\d{4}-\d{5}"))
    number = heading.inner_text().removeprefix("Facture ").strip()
    page.locator("#id_amount").fill("192.00")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.locator(".page-head .badge")).to_have_text("Payée")
    log_out(page)

    # The accountant collects everything pending and downloads the batch's FEC.
    page.goto("/accounts/login/")
    log_in(page, ACCOUNTANT)
    page.goto(f"/d/{SLUG}/comptabilite/lots/")
    page.get_by_role("button", name="Collecter le lot").click()
    expect(page.locator(".messages")).to_contain_text("collecté")
    with page.expect_download() as download_info:
        page.locator("table.batches-table tbody tr").first.get_by_role("link", name="FEC").click()
    download = download_info.value
    assert re.fullmatch(r"\d{9}FEC\d{8}\.txt", download.suggested_filename)
    with open(download.path(), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read()), delimiter="|"))

    mine = [row for row in rows if row["PieceRef"] == number]
    sales = [row for row in mine if row["JournalCode"] == "VE"]
    bank = [row for row in mine if row["JournalCode"] == "BQ"]
    assert len({row["EcritureNum"] for row in sales}) == 1
    assert sum(amount(r["Debit"]) for r in sales) == sum(amount(r["Credit"]) for r in sales)
    by_account = {row["CompteNum"]: row for row in sales}
    assert amount(by_account["411000"]["Debit"]) == Decimal("192.00")
    assert amount(by_account["706000"]["Credit"]) == Decimal("160.00")
    assert amount(by_account["445712"]["Credit"]) == Decimal("32.00")
    assert {(r["CompteNum"], r["Debit"], r["Credit"]) for r in bank} == {
        ("512000", "192,00", "0,00"),
        ("411000", "0,00", "192,00"),
    }
    customer_lines = [r for r in mine if r["CompteNum"] == "411000"]
    letters = {r["EcritureLet"] for r in customer_lines}
    assert len(letters) == 1
    assert letters != {""}
    assert all(r["DateLet"] for r in customer_lines)
