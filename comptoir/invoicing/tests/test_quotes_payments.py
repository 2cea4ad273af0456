import datetime
from decimal import Decimal as D

import pytest

from comptoir.core.exceptions import ActionRefused

from ..actions_invoices import invoice_issue
from ..actions_payments import payment_record
from ..actions_quotes import (
    quote_create,
    quote_decide,
    quote_delete,
    quote_duplicate,
    quote_mark_sent,
    quote_to_invoice,
    quote_update,
)
from ..models import PaymentMethod, PaymentState, QuoteStatus
from .conftest import line, make_customer, make_invoice
from .test_invoices import act

TODAY = datetime.date.today()


def make_quote(office, **kw):
    return quote_create(**act(office), customer=make_customer(office), lines=[line()], **kw)


def test_quote_lifecycle_to_an_invoice(office, seller):
    quote = make_quote(office)
    assert quote.number.startswith("D-")
    assert quote.status == QuoteStatus.DRAFT
    quote = quote_update(
        **act(office),
        quote=quote,
        customer=quote.customer,
        lines=[line(quantity="3")],
        valid_until=TODAY,
    )
    assert quote.total_gross == D("288.00")
    with pytest.raises(ActionRefused):  # not sent yet
        quote_decide(**act(office), quote=quote, outcome=QuoteStatus.ACCEPTED)
    quote = quote_mark_sent(**act(office), quote=quote)
    with pytest.raises(ActionRefused):
        quote_update(
            **act(office), quote=quote, customer=quote.customer, lines=[line()], valid_until=TODAY
        )
    with pytest.raises(ActionRefused):
        quote_to_invoice(**act(office), quote=quote)
    quote = quote_decide(**act(office), quote=quote, outcome=QuoteStatus.ACCEPTED)
    invoice = quote_to_invoice(**act(office), quote=quote)
    assert invoice.quote == quote
    assert invoice.total_gross == quote.total_gross
    assert invoice.number == ""
    with pytest.raises(ActionRefused):  # once
        quote_to_invoice(**act(office), quote=quote)


@pytest.mark.parametrize("outcome", [QuoteStatus.REFUSED, QuoteStatus.EXPIRED])
def test_a_refused_or_expired_quote_is_final(office, seller, outcome):
    quote = quote_mark_sent(**act(office), quote=make_quote(office))
    quote = quote_decide(**act(office), quote=quote, outcome=outcome)
    assert quote.status == outcome
    with pytest.raises(ActionRefused):
        quote_decide(**act(office), quote=quote, outcome=QuoteStatus.ACCEPTED)
    with pytest.raises(ActionRefused):
        quote_delete(**act(office), quote=quote)
    copy = quote_duplicate(**act(office), quote=quote)
    assert copy.status == QuoteStatus.DRAFT
    assert copy.number != quote.number


def test_payments_partial_then_full(office, seller):
    invoice = make_invoice(office, issue=True)  # 192.00
    assert invoice.payment_state(TODAY) == PaymentState.ISSUED
    payment_record(
        **act(office),
        invoice=invoice,
        date=TODAY,
        method=PaymentMethod.TRANSFER,
        amount=D("100.00"),
    )
    invoice.refresh_from_db()
    assert invoice.balance_due == D("92.00")
    assert invoice.payment_state(TODAY) == PaymentState.PARTLY_PAID
    with pytest.raises(ActionRefused):
        payment_record(
            **act(office),
            invoice=invoice,
            date=TODAY,
            method=PaymentMethod.TRANSFER,
            amount=D("92.01"),
        )
    payment_record(
        **act(office), invoice=invoice, date=TODAY, method=PaymentMethod.CHEQUE, amount=D("92.00")
    )
    invoice.refresh_from_db()
    assert invoice.payment_state(TODAY) == PaymentState.PAID
    assert invoice.balance_due == 0


def test_payments_are_refused_when_they_make_no_sense(office, seller):
    draft = make_invoice(office)
    with pytest.raises(ActionRefused):
        payment_record(**act(office), invoice=draft, date=TODAY, method="transfer", amount=D("1"))
    invoice = make_invoice(office, issue=True)
    for amount, method, day in [
        (D("0"), "transfer", TODAY),
        (D("1.001"), "transfer", TODAY),
        (D("1"), "bitcoin", TODAY),
        (D("1"), "transfer", TODAY + datetime.timedelta(days=1)),
    ]:
        with pytest.raises(ActionRefused):
            payment_record(**act(office), invoice=invoice, date=day, method=method, amount=amount)


def test_an_invoice_past_its_due_date_is_overdue(office, seller):
    invoice = make_invoice(office)
    invoice_issue(**act(office), invoice=invoice, issue_date=TODAY - datetime.timedelta(days=60))
    invoice.refresh_from_db()
    assert invoice.payment_state(TODAY) == PaymentState.OVERDUE
