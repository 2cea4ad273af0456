"""The invoicing actions' scenarios for audit/tests/test_every_action_records.py.

Each scenario gets that module's World (Alpha SARL with every role), builds what the
action needs, calls `w.begin()` right before it and answers (actor, dossier, object) of
the event the action must record. The audit test adds them to its TABLE.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from comptoir.audit.actions import Actor

from ..actions import (
    customer_create,
    customer_update,
    invoicing_settings_update,
    product_create,
    product_delete,
    product_update,
)
from ..actions_invoices import (
    credit_note_create,
    invoice_create,
    invoice_delete,
    invoice_duplicate,
    invoice_issue,
    invoice_update,
)
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
from ..actions_sending import invoice_send
from ..models import Customer, Invoice, Quote, QuoteStatus
from .conftest import line

Answer = tuple[Actor, Any, Any]


def _setup(w: Any) -> dict[str, Any]:
    return {"actor": Actor(user=w.user("owner")), "access": w.access("owner")}


def _customer(w: Any) -> Customer:
    return customer_create(**_setup(w), name="Dupont", siren="552100554")


def _invoice(w: Any, *, issue: bool = False) -> Invoice:
    invoice = invoice_create(**_setup(w), customer=_customer(w), lines=[line()])
    if issue:
        invoice = invoice_issue(**_setup(w), invoice=invoice)
    return invoice


def _quote(w: Any, *, sent: bool = False) -> Quote:
    quote = quote_create(**_setup(w), customer=_customer(w), lines=[line()])
    if sent:
        quote = quote_mark_sent(**_setup(w), quote=quote)
    return quote


def _act(w: Any) -> dict[str, Any]:
    return {"actor": w.actor("accountant"), "access": w.access("accountant")}


def _answer(w: Any, target: Any) -> Answer:
    return (w.actor("accountant"), w.dossier, target)


def s_settings_update(w: Any) -> Answer:
    w.begin()
    found = invoicing_settings_update(**_act(w), legal_form="SARL", rcs="RCS Lyon")
    return _answer(w, found)


def s_customer_create(w: Any) -> Answer:
    w.begin()
    return _answer(w, customer_create(**_act(w), name="Martin SA"))


def s_customer_update(w: Any) -> Answer:
    customer = _customer(w)
    w.begin()
    return _answer(w, customer_update(**_act(w), customer=customer, city="Lyon"))


def s_product_create(w: Any) -> Answer:
    w.begin()
    return _answer(w, product_create(**_act(w), name="Conseil", unit_price=Decimal("80")))


def s_product_update(w: Any) -> Answer:
    product = product_create(**_setup(w), name="Conseil", unit_price=Decimal("80"))
    w.begin()
    return _answer(w, product_update(**_act(w), product=product, unit_price=Decimal("90")))


def s_product_delete(w: Any) -> Answer:
    product = product_create(**_setup(w), name="Conseil", unit_price=Decimal("80"))
    target = w.target_of(product)
    w.begin()
    product_delete(**_act(w), product=product)
    return _answer(w, target)


def s_invoice_create(w: Any) -> Answer:
    customer = _customer(w)
    w.begin()
    return _answer(w, invoice_create(**_act(w), customer=customer, lines=[line()]))


def s_invoice_update(w: Any) -> Answer:
    invoice = _invoice(w)
    w.begin()
    invoice = invoice_update(**_act(w), invoice=invoice, customer=invoice.customer, lines=[line()])
    return _answer(w, invoice)


def s_invoice_delete(w: Any) -> Answer:
    invoice = _invoice(w)
    target = w.target_of(invoice)
    w.begin()
    invoice_delete(**_act(w), invoice=invoice)
    return _answer(w, target)


def s_invoice_issue(w: Any) -> Answer:
    invoice = _invoice(w)
    w.begin()
    return _answer(w, invoice_issue(**_act(w), invoice=invoice))


def s_invoice_duplicate(w: Any) -> Answer:
    invoice = _invoice(w, issue=True)
    w.begin()
    return _answer(w, invoice_duplicate(**_act(w), invoice=invoice))


def s_credit_note_create(w: Any) -> Answer:
    invoice = _invoice(w, issue=True)
    w.begin()
    return _answer(w, credit_note_create(**_act(w), invoice=invoice))


def s_payment_record(w: Any) -> Answer:
    invoice = _invoice(w, issue=True)
    w.begin()
    payment_record(
        **_act(w),
        invoice=invoice,
        date=timezone.localdate(),
        method="transfer",
        amount=Decimal("10.00"),
    )
    return _answer(w, Invoice.objects.get(pk=invoice.pk))


def s_invoice_send(w: Any) -> Answer:
    invoice = _invoice(w, issue=True)
    w.begin()
    invoice_send(
        **_act(w), invoice=invoice, to="compta@dupont.test", subject="Facture", message="Bonjour"
    )
    return _answer(w, Invoice.objects.get(pk=invoice.pk))


def s_quote_create(w: Any) -> Answer:
    customer = _customer(w)
    w.begin()
    return _answer(w, quote_create(**_act(w), customer=customer, lines=[line()]))


def s_quote_update(w: Any) -> Answer:
    quote = _quote(w)
    w.begin()
    quote = quote_update(
        **_act(w),
        quote=quote,
        customer=quote.customer,
        lines=[line()],
        valid_until=timezone.localdate() + datetime.timedelta(days=10),
    )
    return _answer(w, quote)


def s_quote_delete(w: Any) -> Answer:
    quote = _quote(w)
    target = w.target_of(quote)
    w.begin()
    quote_delete(**_act(w), quote=quote)
    return _answer(w, target)


def s_quote_mark_sent(w: Any) -> Answer:
    quote = _quote(w)
    w.begin()
    return _answer(w, quote_mark_sent(**_act(w), quote=quote))


def s_quote_accept(w: Any) -> Answer:
    quote = _quote(w, sent=True)
    w.begin()
    return _answer(w, quote_decide(**_act(w), quote=quote, outcome=QuoteStatus.ACCEPTED))


def s_quote_to_invoice(w: Any) -> Answer:
    quote = quote_decide(**_setup(w), quote=_quote(w, sent=True), outcome=QuoteStatus.ACCEPTED)
    w.begin()
    quote_to_invoice(**_act(w), quote=quote)
    return _answer(w, Quote.objects.get(pk=quote.pk))


def s_quote_duplicate(w: Any) -> Answer:
    quote = _quote(w)
    w.begin()
    return _answer(w, quote_duplicate(**_act(w), quote=quote))


Scenario = tuple[Callable[[Any], Answer], tuple[str, ...]]

SCENARIOS: dict[str, Scenario] = {
    "invoicing.actions.invoicing_settings_update": (
        s_settings_update,
        ("invoicing.settings_updated",),
    ),
    "invoicing.actions.customer_create": (s_customer_create, ("customer.created",)),
    "invoicing.actions.customer_update": (s_customer_update, ("customer.updated",)),
    "invoicing.actions.product_create": (s_product_create, ("product.created",)),
    "invoicing.actions.product_update": (s_product_update, ("product.updated",)),
    "invoicing.actions.product_delete": (s_product_delete, ("product.deleted",)),
    "invoicing.actions_invoices.invoice_create": (s_invoice_create, ("invoice.created",)),
    "invoicing.actions_invoices.invoice_update": (s_invoice_update, ("invoice.updated",)),
    "invoicing.actions_invoices.invoice_delete": (s_invoice_delete, ("invoice.deleted",)),
    "invoicing.actions_invoices.invoice_issue": (s_invoice_issue, ("invoice.issued",)),
    "invoicing.actions_invoices.invoice_duplicate": (
        s_invoice_duplicate,
        ("invoice.duplicated",),
    ),
    "invoicing.actions_invoices.credit_note_create": (
        s_credit_note_create,
        ("invoice.credit_note_created",),
    ),
    "invoicing.actions_payments.payment_record": (
        s_payment_record,
        ("invoice.payment_recorded",),
    ),
    "invoicing.actions_sending.invoice_send": (s_invoice_send, ("invoice.sent",)),
    "invoicing.actions_quotes.quote_create": (s_quote_create, ("quote.created",)),
    "invoicing.actions_quotes.quote_update": (s_quote_update, ("quote.updated",)),
    "invoicing.actions_quotes.quote_delete": (s_quote_delete, ("quote.deleted",)),
    "invoicing.actions_quotes.quote_mark_sent": (s_quote_mark_sent, ("quote.sent",)),
    "invoicing.actions_quotes.quote_decide": (s_quote_accept, ("quote.accepted",)),
    "invoicing.actions_quotes.quote_to_invoice": (s_quote_to_invoice, ("quote.invoiced",)),
    "invoicing.actions_quotes.quote_duplicate": (s_quote_duplicate, ("quote.duplicated",)),
}

HELPER = "a pure helper, records nothing"
EXEMPTIONS: dict[str, str] = {
    "invoicing.actions.edit_required": HELPER + " (the INVOICE_EDIT check)",
    "invoicing.actions.auxiliary_account_for": HELPER + " (a default 411 auxiliary code)",
    "invoicing.actions.settings_of": (
        "a read that creates the dossier's default invoicing settings the first time they "
        "are needed, inside the action that needs them (which records its own event)"
    ),
}
