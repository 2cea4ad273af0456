"""Invoices issued and paid while the accountant collects a batch: every entry they post
ends in exactly one batch. Real threads with their own connections, released together;
PostgreSQL only (SQLite serialises every writer on one file lock)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from comptoir.accounting.actions_batches import batch_collect
from comptoir.accounting.models import Batch, Entry
from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused
from comptoir.testing.concurrency import together

from ..actions_invoices import invoice_issue
from ..actions_payments import payment_record
from ..models import Invoice
from .conftest import access_of, make_customer, make_invoice, seller_setup

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
    ),
]


@pytest.mark.parametrize("attempt", range(3))
def test_issuing_and_paying_during_a_collection_loses_no_entry(office, attempt):
    seller_setup(office)
    customer = make_customer(office)
    issued = [make_invoice(office, customer=customer, issue=True) for _n in range(3)]
    drafts = [make_invoice(office, customer=customer) for _n in range(4)]
    today = timezone.localdate()
    owner = {"actor": Actor(user=office["users"]["owner"]), "access": access_of(office, "owner")}

    def issue() -> object:
        for draft in drafts:
            invoice_issue(**owner, invoice=draft)
        return None

    def pay() -> object:
        for invoice in issued:
            payment_record(
                **owner, invoice=invoice, date=today, method="transfer", amount=Decimal("192.00")
            )
        return None

    def collect() -> object:
        return batch_collect(
            actor=Actor(user=office["users"]["accountant"]),
            access=access_of(office, "accountant"),
            up_to=today,
        )

    answers = together(collect, issue, pay)
    assert not [a for a in answers if isinstance(a, Exception)], answers
    if Entry.objects.filter(batch__isnull=True).exists():
        collect()
    # 3 + 4 invoices (VE) and 3 payments (BQ): each entry once, numbers without gap.
    assert Entry.objects.count() == 10
    assert not Entry.objects.filter(batch__isnull=True).exists()
    assert sum(b.entries_count for b in Batch.objects.all()) == 10
    for journal, count in (("VE", 7), ("BQ", 3)):
        numbers = sorted(
            n or 0 for n in Entry.objects.filter(journal=journal).values_list("number", flat=True)
        )
        assert numbers == list(range(1, count + 1))
    assert Invoice.objects.filter(balance_due=0, kind="invoice").count() == 3
    with pytest.raises(ActionRefused):
        collect()
