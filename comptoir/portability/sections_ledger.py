"""The export's invoicing and accounting sections (issue 17, point 4).

Here, not in invoicing or accounting: portability is the higher app and may import them,
never the reverse (pyproject.toml's import contracts). Each section reuses its app's own
writer: the invoice's Factur-X PDF (`invoicing.pdf.invoice_pdf`) and the whole-year FEC
the ledger page serves (`accounting.exports`), both made only when the ZIP writer reaches
the entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

from django.utils.translation import gettext as _

from comptoir.accounting import exports as ledger_exports
from comptoir.accounting.selectors import fiscal_years_of
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.permissions import Permission
from comptoir.invoicing.access import access_invoice, invoices_issued
from comptoir.invoicing.pdf import invoice_pdf

from .sections import Entry, _Names, _safe


def _invoice_pdf(access: DossierAccess, pk: int) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        yield invoice_pdf(access_invoice(access, pk))

    return chunks


def invoices_section(access: DossierAccess) -> list[Entry]:
    """Factures/<number>.pdf: every issued invoice and credit note, as its Factur-X PDF
    (no section without INVOICE_VIEW)."""
    if not access.has(Permission.INVOICE_VIEW):
        return []
    root = _("Factures")
    names = _Names()
    return [
        Entry(names.take(root, f"{_safe(number)}.pdf"), _invoice_pdf(access, pk))
        for pk, number in invoices_issued(access).values_list("pk", "number")
    ]


def _year_fec(dossier_id: int, closing: datetime.date) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        rows = ledger_exports.rows(ledger_exports.lines_of_year(dossier_id, closing))
        yield from ledger_exports.encoded(ledger_exports.fec_lines(rows))

    return chunks


def ledger_section(access: DossierAccess) -> list[Entry]:
    """Comptabilité/<SIREN>FEC<AAAAMMJJ>.txt: each fiscal year that has entries (collected
    or pending), as the ledger page's whole-year FEC (no section without EXPORT)."""
    if not access.has(Permission.EXPORT):
        return []
    root = _("Comptabilité")
    dossier = access.dossier
    return [
        Entry(
            f"{root}/{ledger_exports.fec_name(dossier.siren, closing)}",
            _year_fec(dossier.pk, closing),
        )
        for closing in sorted(fiscal_years_of(dossier))
    ]
