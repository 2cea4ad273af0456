"""Invoices and credit notes: drafts, issue, duplicate, credit.

A draft is freely edited and deleted and has no number. `invoice_issue` (invoices and
credit notes alike) freezes it: it takes the next number of its series under the
counter's row lock, copies seller and buyer as they are, computes the due date and the
totals, and posts its accounting entry (`ledger.py`), all in one transaction (the
accounting app is the lower layer: this action calls it).

After issue nothing of the document changes (refused here, and by the database's
triggers, migration 0002); corrections are credit notes referencing the invoice.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess

from . import ledger
from .actions import edit_required, settings_of
from .amounts import ZERO, totals
from .lines import LineSpec, category_of, line_values
from .models import (
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Quote,
)
from .numbering import number_take
from .parties import buyer_snapshot, seller_snapshot

__all__ = ["ActionRefused", "LineSpec"]

DRAFT_FIELDS = ("sale_date", "due_date", "delivery_address", "notes")


def _locked(access: DossierAccess, invoice: Invoice) -> Invoice:
    """The invoice's row, locked and read again (what another person did meanwhile)."""
    return Invoice.objects.select_for_update().get(pk=invoice.pk, dossier=access.dossier)


def _draft_required(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ActionRefused(
            _("Une facture émise ne peut plus être modifiée ni supprimée : faites un avoir.")
        )


def _customer_check(access: DossierAccess, customer: Customer) -> None:
    if customer.dossier_id != access.dossier.pk:
        raise ActionRefused(_("Ce client n'appartient pas à ce dossier."))


def _lines_save(invoice: Invoice, specs: Sequence[LineSpec], *, vat_exempt: bool) -> None:
    rows = line_values(specs, dossier_id=invoice.dossier_id, vat_exempt=vat_exempt)
    InvoiceLine.objects.filter(invoice=invoice).delete()
    lines = InvoiceLine.objects.bulk_create([InvoiceLine(invoice=invoice, **row) for row in rows])
    _totals_store(invoice, lines, vat_exempt=vat_exempt)


def _totals_store(invoice: Invoice, lines: Sequence[InvoiceLine], *, vat_exempt: bool) -> None:
    result = totals(lines, vat_exempt=vat_exempt)
    invoice.total_net, invoice.total_vat, invoice.total_gross = (
        result.net,
        result.vat,
        result.gross,
    )
    invoice.vat_breakdown = [rate.as_json() for rate in result.rates]
    invoice.vat_exempt = vat_exempt
    invoice.category = category_of(line.kind for line in lines)
    invoice.save()


def _regime_exempt(access: DossierAccess, invoice: Invoice) -> bool:
    """A credit note keeps the VAT regime of the invoice it corrects; anything else
    follows the dossier's settings."""
    if invoice.credited_invoice_id is not None:
        return Invoice.objects.get(pk=invoice.credited_invoice_id).vat_exempt
    return settings_of(access.dossier).vat_exempt


def _fields_set(invoice: Invoice, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in DRAFT_FIELDS:
            raise TypeError(f"unknown invoice field {name}")
        setattr(invoice, name, value)


@transaction.atomic
def invoice_create(
    *,
    actor: Actor,
    access: DossierAccess,
    customer: Customer,
    lines: Sequence[LineSpec],
    quote: Quote | None = None,
    **values: Any,
) -> Invoice:
    """A new draft invoice (no number until it is issued)."""
    edit_required(access)
    _customer_check(access, customer)
    invoice = Invoice(dossier=access.dossier, customer=customer, quote=quote, created_by=actor.user)
    _fields_set(invoice, values)
    invoice.save()
    _lines_save(invoice, lines, vat_exempt=settings_of(access.dossier).vat_exempt)
    record(actor=actor, action="invoice.created", dossier=access.dossier, target=invoice)
    return invoice


@transaction.atomic
def invoice_update(
    *,
    actor: Actor,
    access: DossierAccess,
    invoice: Invoice,
    customer: Customer,
    lines: Sequence[LineSpec],
    **values: Any,
) -> Invoice:
    """Replaces a draft's customer, lines and free fields."""
    edit_required(access)
    invoice = _locked(access, invoice)
    _draft_required(invoice)
    _customer_check(access, customer)
    invoice.customer = customer
    _fields_set(invoice, values)
    _lines_save(invoice, lines, vat_exempt=_regime_exempt(access, invoice))
    record(actor=actor, action="invoice.updated", dossier=access.dossier, target=invoice)
    return invoice


@transaction.atomic
def invoice_delete(*, actor: Actor, access: DossierAccess, invoice: Invoice) -> None:
    edit_required(access)
    invoice = _locked(access, invoice)
    _draft_required(invoice)
    record(actor=actor, action="invoice.deleted", dossier=access.dossier, target=invoice)
    invoice.delete()


@transaction.atomic
def invoice_issue(
    *,
    actor: Actor,
    access: DossierAccess,
    invoice: Invoice,
    issue_date: datetime.date | None = None,
) -> Invoice:
    """Issues a draft invoice or credit note: its number, parties, dates and totals are
    frozen from here on. One transaction: the number is taken under the series' lock."""
    edit_required(access)
    invoice = _locked(access, invoice)
    _draft_required(invoice)
    settings = settings_of(access.dossier)
    customer = invoice.customer
    today = issue_date or timezone.localdate()
    is_credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    series = InvoiceKind.CREDIT_NOTE.value if is_credit else InvoiceKind.INVOICE.value
    last = Invoice.objects.filter(
        dossier=access.dossier, kind=invoice.kind, status=InvoiceStatus.ISSUED
    ).aggregate(last=Max("issue_date"))["last"]
    if last is not None and today < last:
        raise ActionRefused(
            _("Les numéros suivent les dates : impossible d'émettre avant le %(date)s.")
            % {"date": last.strftime("%d/%m/%Y")}
        )
    lines = list(InvoiceLine.objects.filter(invoice=invoice))
    if not lines:
        raise ActionRefused(_("Une facture sans ligne ne peut pas être émise."))
    exempt = _regime_exempt(access, invoice)
    if exempt:
        InvoiceLine.objects.filter(invoice=invoice).update(vat_rate="0.00")
        for line in lines:
            line.vat_rate = "0.00"
    # Totals computed again from the lines, under the regime in force at issue.
    _totals_store(invoice, lines, vat_exempt=exempt)
    if is_credit:
        _credit_apply(access, invoice)
    prefix = settings.credit_note_prefix if is_credit else settings.invoice_prefix
    invoice.number = number_take(
        dossier=access.dossier,
        series=series,
        prefix=prefix,
        yearly=settings.yearly_numbering,
        day=today,
    )
    days = customer.payment_terms_days
    if days is None:
        days = settings.payment_terms_days
    invoice.issue_date = today
    invoice.sale_date = invoice.sale_date or today
    if invoice.due_date is None or invoice.due_date < today:
        invoice.due_date = today + datetime.timedelta(days=days)
    invoice.vat_on_debits = settings.vat_on_debits and not exempt
    invoice.seller = seller_snapshot(settings)
    invoice.buyer = buyer_snapshot(customer)
    invoice.status = InvoiceStatus.ISSUED
    invoice.balance_due = ZERO if is_credit else invoice.total_gross
    invoice.issued_at = timezone.now()
    invoice.issued_by = actor.user
    invoice.save()
    # Its accounting entry, in this transaction; a credit note may settle its invoice.
    ledger.invoice_entry_post(invoice)
    if is_credit and invoice.credited_invoice_id:
        ledger.invoice_letter_if_settled(
            Invoice.objects.get(pk=invoice.credited_invoice_id, dossier=access.dossier)
        )
    record(
        actor=actor,
        action="invoice.issued",
        dossier=access.dossier,
        target=invoice,
        details={"number": invoice.number, "total": str(invoice.total_gross)},
    )
    return invoice


def _credit_apply(access: DossierAccess, credit_note: Invoice) -> None:
    """A credit note settles part of its invoice: never more than what is left to credit."""
    original = Invoice.objects.select_for_update().get(
        pk=credit_note.credited_invoice_id or 0, dossier=access.dossier
    )
    creditable = original.total_gross - original.amount_credited
    if credit_note.total_gross > creditable:
        raise ActionRefused(
            _("Cet avoir dépasse ce qui reste à créditer sur la facture (%(amount)s €).")
            % {"amount": creditable}
        )
    original.amount_credited += credit_note.total_gross
    original.balance_due = original.total_gross - original.amount_paid - original.amount_credited
    original.save(update_fields=["amount_credited", "balance_due"])


@transaction.atomic
def invoice_duplicate(*, actor: Actor, access: DossierAccess, invoice: Invoice) -> Invoice:
    """A new draft invoice with the same customer and lines (any invoice, issued or not)."""
    edit_required(access)
    copy = Invoice(
        dossier=access.dossier,
        customer=invoice.customer,
        notes=invoice.notes,
        delivery_address=invoice.delivery_address,
        created_by=actor.user,
    )
    copy.save()
    specs = [LineSpec.of_line(line) for line in invoice.lines.all()]
    _lines_save(copy, specs, vat_exempt=settings_of(access.dossier).vat_exempt)
    record(
        actor=actor,
        action="invoice.duplicated",
        dossier=access.dossier,
        target=copy,
        details={"from": str(invoice)},
    )
    return copy


@transaction.atomic
def credit_note_create(
    *,
    actor: Actor,
    access: DossierAccess,
    invoice: Invoice,
    lines: Sequence[LineSpec] | None = None,
) -> Invoice:
    """A draft credit note for an issued invoice: all its lines (total credit) or the
    given ones (partial). Amounts are positive; the type says it is a credit."""
    edit_required(access)
    invoice = _locked(access, invoice)
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise ActionRefused(_("Un avoir se fait sur une facture émise."))
    if invoice.amount_credited >= invoice.total_gross:
        raise ActionRefused(_("Cette facture est déjà entièrement créditée."))
    specs = lines if lines is not None else [LineSpec.of_line(line) for line in invoice.lines.all()]
    credit = Invoice(
        dossier=access.dossier,
        kind=InvoiceKind.CREDIT_NOTE,
        customer=invoice.customer,
        credited_invoice=invoice,
        sale_date=invoice.sale_date,
        created_by=actor.user,
        notes=_("Avoir sur la facture %(number)s du %(date)s.")
        % {"number": invoice.number, "date": invoice.issue_date.strftime("%d/%m/%Y")}
        if invoice.issue_date
        else "",
    )
    credit.save()
    _lines_save(credit, specs, vat_exempt=invoice.vat_exempt)
    if credit.total_gross > invoice.total_gross - invoice.amount_credited:
        raise ActionRefused(_("Cet avoir dépasse ce qui reste à créditer sur la facture."))
    record(
        actor=actor,
        action="invoice.credit_note_created",
        dossier=access.dossier,
        target=credit,
        details={"invoice": invoice.number},
    )
    return credit
