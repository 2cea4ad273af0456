"""Quotes (devis): draft → sent → accepted, refused or expired; an accepted quote becomes
an invoice in one action, the link between them kept (`Invoice.quote`).

A quote gets its number when created (quotes are not invoices: a deleted draft quote
leaves a gap, which the law allows for them).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess

from .actions import edit_required, settings_of
from .actions_invoices import invoice_create
from .amounts import totals
from .lines import LineSpec, line_values
from .models import Customer, Invoice, Quote, QuoteLine, QuoteStatus
from .numbering import number_take

__all__ = ["ActionRefused", "LineSpec"]

VALIDITY_DAYS = 30
OUTCOMES = (QuoteStatus.ACCEPTED, QuoteStatus.REFUSED, QuoteStatus.EXPIRED)


def _locked(access: DossierAccess, quote: Quote) -> Quote:
    return Quote.objects.select_for_update().get(pk=quote.pk, dossier=access.dossier)


def _lines_save(quote: Quote, specs: Sequence[LineSpec], *, vat_exempt: bool) -> None:
    rows = line_values(specs, dossier_id=quote.dossier_id, vat_exempt=vat_exempt)
    QuoteLine.objects.filter(quote=quote).delete()
    lines = QuoteLine.objects.bulk_create([QuoteLine(quote=quote, **row) for row in rows])
    result = totals(lines, vat_exempt=vat_exempt)
    quote.total_net, quote.total_vat, quote.total_gross = result.net, result.vat, result.gross
    quote.vat_breakdown = [rate.as_json() for rate in result.rates]
    quote.save()


@transaction.atomic
def quote_create(
    *,
    actor: Actor,
    access: DossierAccess,
    customer: Customer,
    lines: Sequence[LineSpec],
    valid_until: datetime.date | None = None,
    notes: str = "",
) -> Quote:
    edit_required(access)
    if customer.dossier_id != access.dossier.pk:
        raise ActionRefused(_("Ce client n'appartient pas à ce dossier."))
    settings = settings_of(access.dossier)
    today = timezone.localdate()
    quote = Quote(
        dossier=access.dossier,
        customer=customer,
        notes=notes,
        issue_date=today,
        valid_until=valid_until or today + datetime.timedelta(days=VALIDITY_DAYS),
        created_by=actor.user,
        number=number_take(
            dossier=access.dossier,
            series="quote",
            prefix=settings.quote_prefix,
            yearly=settings.yearly_numbering,
            day=today,
        ),
    )
    quote.save()
    _lines_save(quote, lines, vat_exempt=settings.vat_exempt)
    record(actor=actor, action="quote.created", dossier=access.dossier, target=quote)
    return quote


@transaction.atomic
def quote_update(
    *,
    actor: Actor,
    access: DossierAccess,
    quote: Quote,
    customer: Customer,
    lines: Sequence[LineSpec],
    valid_until: datetime.date,
    notes: str = "",
) -> Quote:
    edit_required(access)
    quote = _locked(access, quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ActionRefused(_("Seul un devis en brouillon peut être modifié."))
    if customer.dossier_id != access.dossier.pk:
        raise ActionRefused(_("Ce client n'appartient pas à ce dossier."))
    quote.customer, quote.valid_until, quote.notes = customer, valid_until, notes
    _lines_save(quote, lines, vat_exempt=settings_of(access.dossier).vat_exempt)
    record(actor=actor, action="quote.updated", dossier=access.dossier, target=quote)
    return quote


@transaction.atomic
def quote_delete(*, actor: Actor, access: DossierAccess, quote: Quote) -> None:
    edit_required(access)
    quote = _locked(access, quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ActionRefused(_("Seul un devis en brouillon peut être supprimé."))
    record(actor=actor, action="quote.deleted", dossier=access.dossier, target=quote)
    quote.delete()


@transaction.atomic
def quote_mark_sent(*, actor: Actor, access: DossierAccess, quote: Quote) -> Quote:
    edit_required(access)
    quote = _locked(access, quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ActionRefused(_("Ce devis a déjà été envoyé."))
    quote.status = QuoteStatus.SENT
    quote.save(update_fields=["status"])
    record(actor=actor, action="quote.sent", dossier=access.dossier, target=quote)
    return quote


@transaction.atomic
def quote_decide(
    *, actor: Actor, access: DossierAccess, quote: Quote, outcome: QuoteStatus
) -> Quote:
    """The customer's answer (accepted, refused) or the end of its validity (expired)."""
    edit_required(access)
    if outcome not in OUTCOMES:
        raise ActionRefused(_("Décision inconnue."))
    quote = _locked(access, quote)
    if quote.status != QuoteStatus.SENT:
        raise ActionRefused(_("Seul un devis envoyé, sans réponse, peut être accepté ou refusé."))
    quote.status = outcome
    quote.decided_at = timezone.now()
    quote.save(update_fields=["status", "decided_at"])
    # One literal code per outcome: the audit labels' test reads them from the source.
    if outcome == QuoteStatus.ACCEPTED:
        record(actor=actor, action="quote.accepted", dossier=access.dossier, target=quote)
    elif outcome == QuoteStatus.REFUSED:
        record(actor=actor, action="quote.refused", dossier=access.dossier, target=quote)
    else:
        record(actor=actor, action="quote.expired", dossier=access.dossier, target=quote)
    return quote


@transaction.atomic
def quote_to_invoice(*, actor: Actor, access: DossierAccess, quote: Quote) -> Invoice:
    """The draft invoice of an accepted quote: lines copied, the quote linked; once."""
    edit_required(access)
    quote = _locked(access, quote)
    if quote.status != QuoteStatus.ACCEPTED:
        raise ActionRefused(_("Seul un devis accepté devient une facture."))
    if quote.invoices.exists():
        raise ActionRefused(_("Ce devis a déjà sa facture."))
    invoice = invoice_create(
        actor=actor,
        access=access,
        customer=quote.customer,
        lines=[LineSpec.of_line(line) for line in quote.lines.all()],
        quote=quote,
        notes=quote.notes,
    )
    record(
        actor=actor,
        action="quote.invoiced",
        dossier=access.dossier,
        target=quote,
        details={"invoice": invoice.pk},
    )
    return invoice


@transaction.atomic
def quote_duplicate(*, actor: Actor, access: DossierAccess, quote: Quote) -> Quote:
    copy = quote_create(
        actor=actor,
        access=access,
        customer=quote.customer,
        lines=[LineSpec.of_line(line) for line in quote.lines.all()],
        notes=quote.notes,
    )
    record(
        actor=actor,
        action="quote.duplicated",
        dossier=access.dossier,
        target=copy,
        details={"from": quote.number},
    )
    return copy
