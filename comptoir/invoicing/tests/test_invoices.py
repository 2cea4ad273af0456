import datetime
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused

from ..actions_invoices import (
    credit_note_create,
    invoice_delete,
    invoice_duplicate,
    invoice_issue,
    invoice_update,
)
from ..models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, NumberCounter
from ..numbering import fiscal_year
from .conftest import access_of, line, make_customer, make_invoice, seller_setup

DB_REFUSALS = (IntegrityError, InternalError, OperationalError)


def act(office, who="owner"):
    return {"actor": Actor(user=office["users"][who]), "access": access_of(office, who)}


def test_a_draft_has_no_number_and_is_freely_edited_and_deleted(office, seller):
    invoice = make_invoice(office)
    assert invoice.number == ""
    assert invoice.status == InvoiceStatus.DRAFT
    invoice_update(
        **act(office),
        invoice=invoice,
        customer=invoice.customer,
        lines=[line(quantity="1", price="10.00")],
    )
    invoice.refresh_from_db()
    assert invoice.total_gross == D("12.00")
    invoice_delete(**act(office), invoice=invoice)
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_issue_numbers_follow_each_other_without_gaps(office, seller):
    year = fiscal_year(office["dossier"], datetime.date.today())
    numbers = [make_invoice(office, issue=True).number for _ in range(3)]
    assert numbers == [f"F-{year}-0000{n}" for n in (1, 2, 3)]
    # A draft deleted in between takes no number.
    invoice_delete(**act(office), invoice=make_invoice(office))
    assert make_invoice(office, issue=True).number == f"F-{year}-00004"


def test_numbering_restarts_each_fiscal_year_when_asked(office, seller):
    dossier = office["dossier"]
    first = make_invoice(office)
    invoice_issue(**act(office), invoice=first, issue_date=datetime.date(2025, 12, 30))
    second = make_invoice(office)
    invoice_issue(**act(office), invoice=second, issue_date=datetime.date(2026, 1, 2))
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.number, second.number) == ("F-2025-00001", "F-2026-00001")
    assert fiscal_year(dossier, datetime.date(2026, 1, 2)) == 2026


def test_without_yearly_restart_the_series_continues(office):
    seller_setup(office, yearly_numbering=False, invoice_prefix="FA")
    assert make_invoice(office, issue=True).number == "FA00001"
    assert make_invoice(office, issue=True).number == "FA00002"


def test_numbers_follow_dates(office, seller):
    later = make_invoice(office)
    invoice_issue(**act(office), invoice=later, issue_date=datetime.date(2026, 3, 1))
    earlier = make_invoice(office)
    with pytest.raises(ActionRefused):
        invoice_issue(**act(office), invoice=earlier, issue_date=datetime.date(2026, 2, 1))
    assert NumberCounter.objects.get(series="invoice").last_number == 1


def test_issue_freezes_parties_dates_and_totals(office, seller):
    customer = make_customer(office, payment_terms_days=45)
    invoice = make_invoice(
        office,
        customer=customer,
        issue=True,
        lines=[line(), line("Livre", "3", "12.35", "5.50", "1.00", kind="goods")],
    )
    assert invoice.total_net == D("196.05")
    assert invoice.total_vat == D("33.98")
    assert invoice.total_gross == D("230.03") == invoice.balance_due
    assert invoice.category == "mixed"
    assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=45)
    assert invoice.seller["rcs"] == "RCS Lyon"
    assert invoice.buyer["siren"] == "552100554"
    customer.name = "Autre nom"
    customer.save()
    invoice.refresh_from_db()
    assert invoice.buyer["name"] == "Dupont Industries"


def test_an_issued_invoice_is_refused_by_the_actions(office, seller):
    invoice = make_invoice(office, issue=True)
    with pytest.raises(ActionRefused):
        invoice_update(**act(office), invoice=invoice, customer=invoice.customer, lines=[line()])
    with pytest.raises(ActionRefused):
        invoice_delete(**act(office), invoice=invoice)
    with pytest.raises(ActionRefused):
        invoice_issue(**act(office), invoice=invoice)


def test_the_database_refuses_changes_to_an_issued_invoice(office, seller):
    invoice = make_invoice(office, issue=True)
    line_id = invoice.lines.get().pk
    refused = [
        ("UPDATE invoicing_invoice SET total_gross = 1 WHERE id = %s", [invoice.pk]),
        ("UPDATE invoicing_invoice SET number = 'X' WHERE id = %s", [invoice.pk]),
        ("UPDATE invoicing_invoice SET status = 'draft' WHERE id = %s", [invoice.pk]),
        ("DELETE FROM invoicing_invoice WHERE id = %s", [invoice.pk]),
        ("UPDATE invoicing_invoiceline SET net_amount = 1 WHERE id = %s", [line_id]),
        ("DELETE FROM invoicing_invoiceline WHERE id = %s", [line_id]),
    ]
    for sql, params in refused:
        with pytest.raises(DB_REFUSALS), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    with pytest.raises(DB_REFUSALS), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=invoice,
            designation="x",
            quantity=1,
            unit_price=1,
            vat_rate="20.00",
            net_amount=1,
            revenue_account="706000",
        )
    # What happens after issue stays possible.
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=D("1.00"))
    invoice.refresh_from_db()
    assert invoice.total_gross == D("192.00")
    assert invoice.amount_paid == D("1.00")


def test_a_total_credit_note_references_the_invoice_and_settles_it(office, seller):
    invoice = make_invoice(office, issue=True)
    credit = credit_note_create(**act(office), invoice=invoice)
    assert credit.kind == InvoiceKind.CREDIT_NOTE
    assert credit.credited_invoice == invoice
    credit = invoice_issue(**act(office), invoice=credit)
    assert credit.number.startswith("A-")
    assert credit.total_gross == invoice.total_gross
    invoice.refresh_from_db()
    assert invoice.amount_credited == invoice.total_gross
    assert invoice.balance_due == 0
    with pytest.raises(ActionRefused):
        credit_note_create(**act(office), invoice=invoice)


def test_a_partial_credit_note_cannot_exceed_what_is_left(office, seller):
    invoice = make_invoice(office, issue=True, lines=[line(quantity="10", price="10.00")])
    credit = credit_note_create(
        **act(office), invoice=invoice, lines=[line("Geste commercial", "1", "30.00")]
    )
    invoice_issue(**act(office), invoice=credit)
    invoice.refresh_from_db()
    assert invoice.balance_due == D("120.00") - D("36.00")
    with pytest.raises(ActionRefused):
        credit_note_create(**act(office), invoice=invoice, lines=[line("Trop", "1", "80.00")])
    with pytest.raises(ActionRefused):  # on a draft: no credit note
        credit_note_create(**act(office), invoice=make_invoice(office))


def test_duplicate_makes_a_new_draft_of_any_invoice(office, seller):
    invoice = make_invoice(office, issue=True, lines=[line(), line("Autre", "1", "5.00", "10.00")])
    copy = invoice_duplicate(**act(office), invoice=invoice)
    assert copy.status == InvoiceStatus.DRAFT
    assert copy.number == ""
    assert copy.total_gross == invoice.total_gross
    assert [x.designation for x in copy.lines.all()] == ["Conseil", "Autre"]


def test_the_exemption_regime_puts_no_vat_and_says_why(office):
    seller_setup(office, vat_exempt=True, vat_number="")
    invoice = make_invoice(office, issue=True, lines=[line(), line("B", "1", "10.00", "5.50")])
    assert invoice.vat_exempt
    assert invoice.total_vat == 0
    assert invoice.total_gross == invoice.total_net == D("170.00")
    assert set(invoice.lines.values_list("vat_rate", flat=True)) == {"0.00"}


def test_lines_are_refused_when_they_make_no_sense(office, seller):
    for bad in [
        line(quantity="0"),
        line(price="-1"),
        line(discount="500"),
        line(rate="19.60"),
        line(designation=" "),
    ]:
        with pytest.raises(ActionRefused):
            make_invoice(office, lines=[bad])


def test_invoicing_needs_the_permission(office, seller):
    with pytest.raises(ActionRefused):
        make_invoice(office, who="readonly")
    with pytest.raises(ActionRefused):
        make_invoice(office, who="user")
    assert make_invoice(office, who="accountant").pk
    assert make_invoice(office, who="staff").pk


def test_a_credit_note_keeps_the_regime_of_its_invoice(office):
    seller_setup(office, vat_exempt=True, vat_number="")
    invoice = make_invoice(office, issue=True)
    seller_setup(office, vat_exempt=False, vat_number="FR44732829320")
    credit = invoice_issue(
        **act(office), invoice=credit_note_create(**act(office), invoice=invoice)
    )
    assert credit.vat_exempt
    assert credit.total_vat == 0
    assert credit.total_gross == invoice.total_gross
