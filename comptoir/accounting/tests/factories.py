"""Entries for tests, posted through the ledger's own `entry_post` (as invoicing will)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.db import transaction

from comptoir.dossiers.models import Dossier

from ..actions import EntryLineSpec, entry_post
from ..models import Entry, Journal

_ids = itertools.count(1)


def sale(
    dossier: Dossier,
    *,
    on: datetime.date,
    net: str = "100.00",
    vat: str = "20.00",
    customer: str = "C0001",
    customer_name: str = "Boulangerie Durand",
    piece: str | None = None,
    label: str | None = None,
) -> Entry:
    """A sales journal entry: 411 (customer) debit TTC, 706 credit HT, 445712 credit VAT."""
    net_amount, vat_amount = Decimal(net), Decimal(vat)
    number = next(_ids)
    piece = piece or f"F{on.year}-{number:04d}"
    with transaction.atomic():
        return entry_post(
            dossier=dossier,
            journal=Journal.SALES,
            on=on,
            piece_ref=piece,
            piece_date=on,
            label=label or f"Facture {piece} {customer_name}",
            lines=[
                EntryLineSpec(
                    account="411000",
                    debit=net_amount + vat_amount,
                    auxiliary=customer,
                    auxiliary_label=customer_name,
                ),
                EntryLineSpec(account="706000", credit=net_amount),
                EntryLineSpec(account="445712", credit=vat_amount),
            ],
            source="test.invoice",
            source_id=number,
        )


def payment(
    dossier: Dossier,
    *,
    on: datetime.date,
    amount: str = "120.00",
    customer: str = "C0001",
    customer_name: str = "Boulangerie Durand",
    piece: str = "F-0001",
) -> Entry:
    """A bank journal entry: 512 debit, 411 (customer) credit."""
    value = Decimal(amount)
    with transaction.atomic():
        return entry_post(
            dossier=dossier,
            journal=Journal.BANK,
            on=on,
            piece_ref=piece,
            piece_date=on,
            label=f"Règlement {piece} {customer_name}",
            lines=[
                EntryLineSpec(account="512000", debit=value),
                EntryLineSpec(
                    account="411000",
                    credit=value,
                    auxiliary=customer,
                    auxiliary_label=customer_name,
                ),
            ],
            source="test.payment",
            source_id=next(_ids),
        )
