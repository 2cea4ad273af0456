"""The activity log in a real browser: the accountant filters Always Clean's journal,
exports the filtered view to XLSX and to CSV, downloads both, and finds in each file
exactly the rows the page shows (read back with openpyxl and the csv module)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from e2e import at, log_in
from e2e.conftest import DemoServer, NewPage

pytestmark = pytest.mark.e2e

ACCOUNTANT = "comptable@cabinet-martin.test"
SLUG = "always-clean"

# (date "dd/mm/yyyy hh:mm:ss", action label, object) of each row of the page's table.
PAGE_ROWS_JS = """
() => [...document.querySelectorAll('table.log-table tbody tr')].map(tr => {
  const time = tr.querySelector('th time');
  const cells = tr.querySelectorAll('td');
  const object = tr.querySelector('td.log-object').childNodes[0].textContent.trim();
  return [time.textContent.replace(/\\s+/g, ' ').trim(), cells[1].textContent.trim(), object];
})
"""


def page_rows(page: Page) -> list[tuple[str, str, str]]:
    rows = page.evaluate(PAGE_ROWS_JS)
    # The page shows "29/11/2026 21:40:03"; the year may be shortened by the locale.
    return [(date, action, obj) for date, action, obj in rows]


def test_filter_the_log_export_and_compare(new_page: NewPage, demo_server: DemoServer):
    page = new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto("/accounts/login/")
    log_in(page, ACCOUNTANT)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    page.goto(f"/d/{SLUG}/")
    page.get_by_role("link", name="Journal d'activité").first.click()
    expect(page).to_have_url(at(demo_server, f"/d/{SLUG}/journal/"))
    everything = page_rows(page)
    assert len(everything) > 10

    # Filter: documents uploaded.
    page.locator("select[name=action]").select_option("document.uploaded")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"action=document\.uploaded"))
    shown = page_rows(page)
    assert shown, "the demo has uploaded documents"
    assert len(shown) < len(everything) or page.locator("a[rel=next]").count() == 1
    assert {action for _, action, _ in shown} == {"Document déposé"}
    assert page.locator("a[rel=next]").count() == 0  # one page: the file holds all of it

    # XLSX.
    form = page.locator("form.audit-export")
    form.get_by_label("XLSX (Excel, LibreOffice)").check()
    with page.expect_download() as download_info:
        form.get_by_role("button", name="Exporter").click()
    download = download_info.value
    assert re.fullmatch(
        r"journal-always-clean-\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename
    )
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    sheet = workbook.worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:4] == ("Date", "Auteur", "Action", "Objet")
    exported = [(row[0].strftime("%d/%m/%Y %H:%M:%S"), row[2], row[3] or "—") for row in lines[1:]]
    assert exported == [(_full_year(date), action, obj) for date, action, obj in shown]

    # CSV with ";".
    form.get_by_label("CSV (texte, UTF-8)").check()
    form.get_by_label("Point-virgule « ; » (Excel en français)").check()
    with page.expect_download() as download_info:
        form.get_by_role("button", name="Exporter").click()
    raw = Path(download_info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:4] == ["Date", "Auteur", "Action", "Objet"]
    exported_csv = [(row[0], row[2], row[3] or "—") for row in table[1:]]
    assert exported_csv == exported


def _full_year(date: str) -> str:
    """The page's "dd/mm/yy hh:mm:ss" or "dd/mm/yyyy hh:mm:ss" as dd/mm/yyyy."""
    day, rest = date.split(" ", 1)
    d, m, y = day.split("/")
    if len(y) == 2:
        y = "20" + y
    return f"{d}/{m}/{y} {rest}"
