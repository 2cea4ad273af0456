"""The demo's invoicing: what the README promises, and every demo invoice validates."""

from __future__ import annotations

import datetime

from django.utils import timezone

from comptoir.demo import demo_load

from ..facturx_xml import invoice_xml
from ..models import Invoice, InvoiceKind, InvoiceStatus, PaymentState, Quote, QuoteStatus
from .validation import schematron_errors, xsd_errors


def test_demo_has_the_invoicing_data(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_load() is True
    today = timezone.localdate()
    clean = Invoice.objects.filter(dossier__slug="always-clean", status=InvoiceStatus.ISSUED)
    invoices = list(clean.filter(kind=InvoiceKind.INVOICE))
    assert len(invoices) == 12
    assert clean.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    states = [i.payment_state(today) for i in invoices]
    assert states.count(PaymentState.OVERDUE) == 1
    assert states.count(PaymentState.PARTLY_PAID) == 1
    assert states.count(PaymentState.PAID) == 9
    quotes = Quote.objects.filter(dossier__slug="always-clean")
    assert sorted(quotes.values_list("status", flat=True)) == [
        QuoteStatus.ACCEPTED,
        QuoteStatus.SENT,
    ]
    assert Invoice.objects.get(quote__status=QuoteStatus.ACCEPTED).status == InvoiceStatus.DRAFT
    bakery = list(Invoice.objects.filter(dossier__slug="boulangerie-dupont"))
    assert len(bakery) == 2
    assert all(i.vat_exempt and i.total_vat == 0 for i in bakery)
    numbers = [i.number for i in sorted(invoices, key=lambda i: i.issue_date)]
    assert numbers == sorted(numbers)
    for invoice in Invoice.objects.filter(status=InvoiceStatus.ISSUED):
        xml = invoice_xml(invoice)
        assert xsd_errors(xml) == [], invoice.number
        assert schematron_errors(xml) == [], invoice.number
        assert invoice.issue_date <= today
        assert invoice.issue_date >= today - datetime.timedelta(days=160)
