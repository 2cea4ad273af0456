"""The ledger's public contract: post an entry, letter lines.

Both are steps of a higher action (invoicing's issue, credit note, payment), which runs
them inside its own transaction and records its own audit event: they refuse to run
outside a transaction and record nothing themselves. Accounting is the lower layer: it
never imports invoicing.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.models import Dossier

from .chart import chart_of, fiscal_year_end
from .models import Entry, EntryLine, Journal, LetteringSequence

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CUSTOMER_PREFIX = "411"


@dataclass(frozen=True)
class EntryLineSpec:
    """One line of an entry to post. Exactly one of debit/credit is non-zero, both are
    Decimal with at most two places; `auxiliary` is the customer's code on 411 lines.
    An empty `label` takes the entry's."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    auxiliary: str = ""
    auxiliary_label: str = ""
    label: str = ""


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("accounting actions run inside the calling action's transaction")


def _amount(value: object) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ActionRefused(_("Un montant d'écriture doit être un nombre décimal."))
    if value != value.quantize(CENT):
        raise ActionRefused(_("Un montant d'écriture a au plus deux décimales."))
    if value < 0:
        raise ActionRefused(_("Un montant d'écriture n'est jamais négatif."))
    return value.quantize(CENT)


def entry_post(
    *,
    dossier: Dossier,
    journal: str,
    on: datetime.date,
    piece_ref: str,
    piece_date: datetime.date,
    label: str,
    lines: Sequence[EntryLineSpec],
    source: str,
    source_id: int,
) -> Entry:
    """Write one balanced entry and its lines; it never changes afterwards."""
    _require_transaction()
    if journal not in Journal.values:
        raise ActionRefused(_("Journal inconnu : %(code)s.") % {"code": journal})
    if not piece_ref.strip() or not label.strip():
        raise ActionRefused(_("Une écriture a une référence de pièce et un libellé."))
    if not lines:
        raise ActionRefused(_("Une écriture a au moins une ligne."))
    debits, credits = ZERO, ZERO
    checked: list[tuple[EntryLineSpec, Decimal, Decimal]] = []
    for spec in lines:
        debit, credit = _amount(spec.debit), _amount(spec.credit)
        if (debit == 0) == (credit == 0):
            raise ActionRefused(_("Chaque ligne est soit au débit, soit au crédit."))
        if not spec.account.strip() or not spec.account[:3].isdigit():
            raise ActionRefused(_("Un numéro de compte commence par trois chiffres."))
        debits += debit
        credits += credit
        checked.append((spec, debit, credit))
    if debits != credits:
        raise ActionRefused(
            _("Écriture déséquilibrée : débit %(debit)s, crédit %(credit)s.")
            % {"debit": debits, "credit": credits}
        )
    chart = chart_of(dossier)
    entry = Entry.objects.create(
        dossier=dossier,
        journal=journal,
        date=on,
        fiscal_year_end=fiscal_year_end(dossier, on),
        piece_ref=piece_ref.strip()[:60],
        piece_date=piece_date,
        label=label.strip()[:200],
        total=debits,
        source=source,
        source_id=source_id,
        created_at=timezone.now(),
    )
    EntryLine.objects.bulk_create(
        EntryLine(
            entry=entry,
            dossier=dossier,
            position=position,
            account=spec.account.strip(),
            account_label=chart.label(spec.account.strip())[:200],
            auxiliary=spec.auxiliary.strip()[:20],
            auxiliary_label=spec.auxiliary_label.strip()[:200],
            label=(spec.label.strip() or entry.label)[:200],
            debit=debit,
            credit=credit,
        )
        for position, (spec, debit, credit) in enumerate(checked, start=1)
    )
    return entry


def lettering_code(index: int) -> str:
    """1 → A, 26 → Z, 27 → AA, 28 → AB … (bijective base 26)."""
    code = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        code = chr(ord("A") + rest) + code
    return code


def entry_lines_letter(*, dossier: Dossier, lines: Sequence[EntryLine], on: datetime.date) -> str:
    """Give customer (411) lines that balance the next lettering code of their account.

    The lines must all be of the dossier, on one 411 account and one auxiliary account,
    not yet lettered, their debits equal to their credits. Answers the code.
    """
    _require_transaction()
    ids = sorted({line.pk for line in lines})
    if len(ids) < 2:
        raise ActionRefused(_("Le lettrage rapproche au moins deux lignes."))
    # Re-read and lock: two payments lettering the same invoice at once are served in turn.
    rows = list(
        EntryLine.objects.select_for_update().filter(dossier=dossier, pk__in=ids).order_by("pk")
    )
    if len(rows) != len(ids):
        raise ActionRefused(_("Ces lignes ne sont pas toutes de ce dossier."))
    accounts = {(row.account, row.auxiliary) for row in rows}
    if len(accounts) != 1 or not rows[0].account.startswith(CUSTOMER_PREFIX):
        raise ActionRefused(_("Le lettrage porte sur les lignes d'un même compte client."))
    if any(row.lettering for row in rows):
        raise ActionRefused(_("Une de ces lignes est déjà lettrée."))
    if sum(row.debit for row in rows) != sum(row.credit for row in rows):
        raise ActionRefused(_("Ces lignes ne s'équilibrent pas : pas de lettrage."))
    account = rows[0].account
    sequence, _created = LetteringSequence.objects.select_for_update().get_or_create(
        dossier=dossier, account=account
    )
    sequence.last_index += 1
    LetteringSequence.objects.filter(pk=sequence.pk).update(last_index=sequence.last_index)
    code = lettering_code(sequence.last_index)
    EntryLine.objects.filter(pk__in=ids).update(lettering=code, lettered_on=on)
    return code
