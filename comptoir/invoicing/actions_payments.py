"""Payments received on issued invoices (full or partial).

`payment_record` locks the invoice, refuses more than what is due, and updates
`amount_paid` and `balance_due`, and posts the payment's accounting entry (`ledger.py`),
in the same transaction (the accounting app is the lower layer).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess

from . import ledger
from .actions import edit_required
from .models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod

__all__ = ["ActionRefused"]


@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    access: DossierAccess,
    invoice: Invoice,
    date: datetime.date,
    method: str,
    amount: Decimal,
    reference: str = "",
) -> Payment:
    edit_required(access)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, dossier=access.dossier)
    if invoice.status != InvoiceStatus.ISSUED or invoice.kind != InvoiceKind.INVOICE:
        raise ActionRefused(_("Un paiement s'enregistre sur une facture émise."))
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ActionRefused(_("Le montant doit être positif, au centime près."))
    if amount > invoice.balance_due:
        raise ActionRefused(
            _("Ce paiement dépasse le reste dû (%(amount)s €).") % {"amount": invoice.balance_due}
        )
    if method not in PaymentMethod.values:
        raise ActionRefused(_("Moyen de paiement inconnu."))
    if date > timezone.localdate():
        raise ActionRefused(_("Un paiement ne peut pas être daté dans le futur."))
    payment = Payment.objects.create(
        dossier=access.dossier,
        invoice=invoice,
        date=date,
        method=method,
        amount=amount,
        reference=reference[:100],
        created_by=actor.user,
    )
    invoice.amount_paid += amount
    invoice.balance_due = invoice.total_gross - invoice.amount_paid - invoice.amount_credited
    invoice.save(update_fields=["amount_paid", "balance_due"])
    # Its bank entry, in this transaction; a settled invoice gets its lines lettered.
    ledger.payment_entry_post(payment)
    ledger.invoice_letter_if_settled(invoice)
    record(
        actor=actor,
        action="invoice.payment_recorded",
        dossier=access.dossier,
        target=invoice,
        details={"amount": str(amount), "method": method, "date": date.isoformat()},
    )
    return payment
