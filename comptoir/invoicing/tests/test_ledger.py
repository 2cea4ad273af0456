"""The accounting entries invoicing posts: an issued invoice (VE), a credit note (the
reverse), a payment (BQ), the lettering of a settled invoice."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from comptoir.accounting.models import Entry, EntryLine
from comptoir.audit.actions import Actor

from ..actions_invoices import credit_note_create, invoice_issue
from ..actions_payments import payment_record
from ..ledger import SOURCE_INVOICE, SOURCE_PAYMENT
from ..models import ProductKind
from .conftest import access_of, line, make_customer, make_invoice


def who(office, name="owner"):
    return {"actor": Actor(user=office["users"][name]), "access": access_of(office, name)}


def lines_of(entry: Entry) -> set[tuple[str, str, Decimal, Decimal]]:
    return {
        (x.account, x.auxiliary, x.debit, x.credit) for x in EntryLine.objects.filter(entry=entry)
    }


def test_an_issued_invoice_posts_its_sales_entry(office, seller):
    customer = make_customer(office, name="Dupont Industries")
    invoice = make_invoice(
        office,
        customer=customer,
        lines=[
            line("Conseil", "2", "80.00", "20.00"),
            line("Fournitures", "1", "50.00", "5.50", kind=ProductKind.GOODS),
            line("Livre", "1", "10.00", "5.50", kind=ProductKind.GOODS),
        ],
        issue=True,
    )
    entry = Entry.objects.get(source=SOURCE_INVOICE, source_id=invoice.pk)
    assert (entry.journal, entry.piece_ref, entry.date) == (
        "VE",
        invoice.number,
        invoice.issue_date,
    )
    aux = customer.auxiliary_account
    # 160 + 60 = 220 net; VAT 32.00 at 20 %, 3.30 at 5.5 %; 255.30 in all.
    assert lines_of(entry) == {
        ("411000", aux, Decimal("255.30"), Decimal("0.00")),
        ("706000", "", Decimal("0.00"), Decimal("160.00")),
        ("707000", "", Decimal("0.00"), Decimal("60.00")),
        ("445712", "", Decimal("0.00"), Decimal("32.00")),
        ("445713", "", Decimal("0.00"), Decimal("3.30")),
    }
    assert entry.total == invoice.total_gross


def test_a_drafts_edit_posts_nothing(office, seller):
    make_invoice(office)
    assert not Entry.objects.exists()


def test_a_credit_note_posts_the_reverse(office, seller):
    invoice = make_invoice(office, issue=True)
    credit = credit_note_create(**who(office), invoice=invoice)
    credit = invoice_issue(**who(office), invoice=credit)
    entry = Entry.objects.get(source=SOURCE_INVOICE, source_id=credit.pk)
    assert entry.piece_ref == credit.number
    aux = invoice.customer.auxiliary_account
    assert lines_of(entry) == {
        ("411000", aux, Decimal("0.00"), Decimal("192.00")),
        ("706000", "", Decimal("160.00"), Decimal("0.00")),
        ("445712", "", Decimal("32.00"), Decimal("0.00")),
    }
    # The invoice is settled by its credit note: both customer lines lettered together.
    codes = set(EntryLine.objects.filter(account="411000").values_list("lettering", flat=True))
    assert codes == {"A"}


def test_payments_post_bank_entries_and_letter_when_settled(office, seller):
    invoice = make_invoice(office, issue=True)  # 192.00
    today = timezone.localdate()
    first = payment_record(
        **who(office), invoice=invoice, date=today, method="transfer", amount=Decimal("100.00")
    )
    entry = Entry.objects.get(source=SOURCE_PAYMENT, source_id=first.pk)
    aux = invoice.customer.auxiliary_account
    assert entry.journal == "BQ"
    assert lines_of(entry) == {
        ("512000", "", Decimal("100.00"), Decimal("0.00")),
        ("411000", aux, Decimal("0.00"), Decimal("100.00")),
    }
    # Partly paid: nothing lettered yet.
    assert not EntryLine.objects.exclude(lettering="").exists()
    payment_record(
        **who(office),
        invoice=invoice,
        date=today - datetime.timedelta(days=0),
        method="card",
        amount=Decimal("92.00"),
    )
    lettered = EntryLine.objects.filter(account="411000")
    assert {(x.lettering, x.lettered_on) for x in lettered} == {("A", today)}
    assert lettered.count() == 3


def test_an_exempt_invoice_has_no_vat_line(office):
    from .conftest import seller_setup

    seller_setup(office, vat_exempt=True)
    invoice = make_invoice(office, issue=True)
    entry = Entry.objects.get(source=SOURCE_INVOICE, source_id=invoice.pk)
    assert {x.account for x in EntryLine.objects.filter(entry=entry)} == {"411000", "706000"}


def test_the_chart_decides_the_vat_account(office, seller):
    from comptoir.accounting.actions_chart import chart_update

    chart_update(**who(office, "accountant"), mapping={"vat:20.00": "445720"}, labels={})
    invoice = make_invoice(office, issue=True)
    entry = Entry.objects.get(source=SOURCE_INVOICE, source_id=invoice.pk)
    assert "445720" in {x.account for x in EntryLine.objects.filter(entry=entry)}
