"""The export's invoicing and accounting sections: one Factur-X PDF per issued invoice or
credit note, one FEC per fiscal year with entries; none without the permission."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import facturx
import pytest
from django.utils import timezone

from comptoir.accounting.tests.fec_check import check
from comptoir.assignments.tests.conftest import access_of
from comptoir.assignments.tests.conftest import office as office
from comptoir.audit.actions import Actor
from comptoir.dossiers.permissions import Permission
from comptoir.invoicing.actions_invoices import credit_note_create, invoice_issue
from comptoir.invoicing.models import Invoice, InvoiceStatus
from comptoir.invoicing.tests.conftest import make_invoice, seller_setup

from ..sections_ledger import invoices_section, ledger_section
from .test_export import export_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced(office):
    seller_setup(office)
    today = timezone.localdate()
    last_year = datetime.date(today.year - 1, 6, 15)
    earlier = make_invoice(office)
    earlier = invoice_issue(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        invoice=earlier,
        issue_date=last_year,
    )
    current = make_invoice(office, issue=True)
    credit = credit_note_create(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        invoice=current,
    )
    credit = invoice_issue(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        invoice=credit,
    )
    draft = make_invoice(office)
    return {"issued": [earlier, current, credit], "draft": draft, "years": [last_year, today]}


@pytest.mark.parametrize("who", ["owner", "accountant"])
def test_the_zip_holds_each_issued_invoice_as_its_facturx_pdf(office, invoiced, who):
    _export, archive = export_zip(office, who)
    names = {n for n in archive.namelist() if n.startswith("Factures/")}
    issued = invoiced["issued"]
    assert names == {f"Factures/{i.number.replace('/', '_')}.pdf" for i in issued}
    assert Invoice.objects.filter(status=InvoiceStatus.DRAFT).count() == 1
    for invoice in issued:
        body = archive.read(f"Factures/{invoice.number.replace('/', '_')}.pdf")
        assert body.startswith(b"%PDF")
        _filename, xml = facturx.get_xml_from_pdf(body, check_xsd=False)
        assert invoice.number.encode() in xml


@pytest.mark.parametrize("who", ["owner", "accountant"])
def test_the_zip_holds_one_balanced_fec_per_fiscal_year_naming_the_invoices(office, invoiced, who):
    _export, archive = export_zip(office, who)
    siren = office["dossier"].siren
    fecs = sorted(n for n in archive.namelist() if n.startswith("Comptabilité/"))
    years = [datetime.date(day.year, 12, 31) for day in invoiced["years"]]
    assert fecs == [f"Comptabilité/{siren}FEC{closing:%Y%m%d}.txt" for closing in years]
    earlier, current, credit = invoiced["issued"]
    expected = {fecs[0]: [earlier.number], fecs[1]: [current.number, credit.number]}
    for name in fecs:
        content = archive.read(name)
        blocking = [m for level, m in check(name.split("/")[-1], content) if level == "E"]
        assert blocking == []
        lines = content.decode().split("\r\n")[1:-1]
        debit = sum(Decimal(line.split("|")[11].replace(",", ".")) for line in lines)
        credit_total = sum(Decimal(line.split("|")[12].replace(",", ".")) for line in lines)
        assert debit == credit_total > 0
        for number in expected[name]:
            assert any(number in line for line in lines)


def test_no_invoice_section_without_invoice_view_and_no_fec_without_export(office, invoiced):
    access = access_of(office, "owner")
    assert len(invoices_section(access)) == 3
    assert len(ledger_section(access)) == 2
    without_invoices = dataclasses.replace(
        access, permissions=access.permissions - {Permission.INVOICE_VIEW}
    )
    assert invoices_section(without_invoices) == []
    without_export = dataclasses.replace(
        access, permissions=access.permissions - {Permission.EXPORT}
    )
    assert ledger_section(without_export) == []


def test_the_pdf_is_made_only_when_the_zip_writer_reaches_it(office, invoiced, monkeypatch):
    made = []
    from comptoir.portability import sections_ledger

    real = sections_ledger.invoice_pdf
    monkeypatch.setattr(sections_ledger, "invoice_pdf", lambda i: made.append(i) or real(i))
    entries = invoices_section(access_of(office, "owner"))
    assert made == []
    assert b"".join(entries[0].chunks()).startswith(b"%PDF")
    assert len(made) == 1
