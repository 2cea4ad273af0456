"""FEC (art. A47 A-1 of the Livre des procédures fiscales) and CSV renderings, streamed.

Lines are read 2,000 at a time as plain tuples (`iterator()`: a server-side cursor on
PostgreSQL) and turned into text line by line, so memory stays flat whatever the number
of entries.

FEC: the 18 columns of the arrêté in order with their header line, `|` separator, CRLF,
UTF-8; dates AAAAMMJJ; amounts with a comma and no thousands separator, the empty side
0,00; labels without separators, tabs or line breaks. EcritureNum is the journal, the
closing year and the number given at collection (`VE2026-000042`): sequential per journal
and fiscal year without gap, in date order within each batch. In a fiscal-year export the
entries not yet collected come after the collected ones of their journal, numbered on from
the last (the numbers the next collection would give them if nothing else is posted), and
their ValidDate is the day they were posted; a collected entry's is its batch's day.

Rules of the administration's checker (DGFiP Test-Compta-Demat, `trt_txt.pl`) that this
respects: CompteNum starts with three digits; EcritureNum, EcritureDate, CompteNum,
CompteLib, EcritureLib never empty; no point in amounts; every line either a debit or a
credit; the same number of fields on every line as in the header; JournalLib, PieceRef,
PieceDate, ValidDate filled.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import F, QuerySet
from django.utils import timezone

from comptoir.audit.exports import csv_cell

from .models import Batch, EntryLine, Journal, ecriture_num

CHUNK = 2000
FEC_COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]
FEC_SEPARATOR = "|"
# The CSV's columns (French headers: the file is read by French accounting software).
CSV_COLUMNS = [
    "Journal",
    "Libellé journal",
    "N° écriture",
    "Date",
    "Compte",
    "Libellé compte",
    "Compte auxiliaire",
    "Libellé auxiliaire",
    "Pièce",
    "Date pièce",
    "Libellé",
    "Débit",
    "Crédit",
    "Lettrage",
    "Date lettrage",
    "Date validation",
]
JOURNAL_LABELS = {"VE": "Ventes", "BQ": "Banque"}
assert set(JOURNAL_LABELS) == set(Journal.values)

_UNSAFE = re.compile(r"[|\t\r\n\x00-\x1f\x7f\u2028\u2029\xa0]+")
_SPACES = re.compile(r" {2,}")

BASE_FIELDS = (
    "entry__journal",
    "entry__fiscal_year_end",
    "entry__number",
    "entry__date",
    "account",
    "account_label",
    "auxiliary",
    "auxiliary_label",
    "entry__piece_ref",
    "entry__piece_date",
    "label",
    "debit",
    "credit",
    "lettering",
    "lettered_on",
    "entry__batch_id",
    "entry_id",
)
# A batch's lines are all validated the day of the batch; the year's pending lines the day
# they were posted (read only there: converting a datetime per line costs).
YEAR_FIELDS = (*BASE_FIELDS, "entry__created_at")


@functools.lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """A label as the FEC takes it: no separator, tab, line break or control character.
    (Cached: account labels, names and entry labels repeat line after line.)"""
    return _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip()


@functools.lru_cache(maxsize=8192)
def fec_date(value: datetime.date | None) -> str:
    return value.isoformat().replace("-", "") if value else ""


def fec_amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def fec_name(siren: str, closing: datetime.date) -> str:
    return f"{siren}FEC{closing:%Y%m%d}.txt"


class Row(NamedTuple):
    journal: str
    number: str
    date: datetime.date
    account: str
    account_label: str
    auxiliary: str
    auxiliary_label: str
    piece_ref: str
    piece_date: datetime.date
    label: str
    debit: Decimal
    credit: Decimal
    lettering: str
    lettered_on: datetime.date | None
    valid_on: datetime.date


def lines_of_batch(batch_id: int) -> QuerySet[EntryLine, tuple[Any, ...]]:
    return (
        EntryLine.objects.filter(entry__batch_id=batch_id)
        .order_by("entry__journal", "entry__fiscal_year_end", "entry__number", "position")
        .values_list(*BASE_FIELDS)
    )


def lines_of_year(dossier_id: int, closing: datetime.date) -> QuerySet[EntryLine, tuple[Any, ...]]:
    return (
        EntryLine.objects.filter(entry__dossier_id=dossier_id, entry__fiscal_year_end=closing)
        .order_by(
            "entry__journal",
            F("entry__number").asc(nulls_last=True),
            "entry__date",
            "entry_id",
            "position",
        )
        .values_list(*YEAR_FIELDS)
    )


def rows(lines: QuerySet[EntryLine, tuple[Any, ...]]) -> Iterator[Row]:
    """The lines as export rows; entries not yet collected numbered on from their journal's
    last number (the query gives each journal's collected entries first)."""
    last: dict[tuple[str, datetime.date], int] = {}
    pending_numbers: dict[int, int] = {}
    batch_days: dict[int, datetime.date] = {}
    for values in lines.iterator(chunk_size=CHUNK):
        (journal, year_end, number, date, account, account_label, auxiliary, auxiliary_label,
         piece_ref, piece_date, label, debit, credit, lettering, lettered_on, batch_id,
         entry_id) = values[:17]  # fmt: skip
        key = (journal, year_end)
        if number is None:
            if entry_id not in pending_numbers:
                pending_numbers.clear()
                pending_numbers[entry_id] = last.get(key, 0) + 1
            number = pending_numbers[entry_id]
        last[key] = max(last.get(key, 0), number)
        if batch_id is not None:
            if batch_id not in batch_days:
                batch_days[batch_id] = _batch_day(batch_id)
            valid_on = batch_days[batch_id]
        else:
            valid_on = timezone.localtime(values[17]).date()
        yield Row(
            journal,
            ecriture_num(journal, year_end.year, number),
            date,
            account,
            account_label,
            auxiliary,
            auxiliary_label,
            piece_ref,
            piece_date,
            label,
            debit,
            credit,
            lettering,
            lettered_on,
            valid_on,
        )


def _batch_day(batch_id: int) -> datetime.date:
    created_at = Batch.objects.values_list("created_at", flat=True).get(pk=batch_id)
    return timezone.localtime(created_at).date()


def fec_lines(source: Iterable[Row]) -> Iterator[str]:
    yield FEC_SEPARATOR.join(FEC_COLUMNS) + "\r\n"
    for row in source:
        fields = [
            row.journal,
            JOURNAL_LABELS[row.journal],
            row.number,
            fec_date(row.date),
            clean(row.account),
            clean(row.account_label) or row.account,
            clean(row.auxiliary),
            clean(row.auxiliary_label),
            clean(row.piece_ref) or "-",
            fec_date(row.piece_date),
            clean(row.label) or "-",
            fec_amount(row.debit),
            fec_amount(row.credit),
            clean(row.lettering),
            fec_date(row.lettered_on) if row.lettering else "",
            fec_date(row.valid_on),
            "",
            "",
        ]
        yield FEC_SEPARATOR.join(fields) + "\r\n"


def _csv_text(value: str) -> str:
    text = csv_cell(value.replace("\r", " ").replace("\n", " "))
    if any(c in text for c in ';"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def csv_lines(source: Iterable[Row]) -> Iterator[str]:
    """Semicolon-separated, CRLF; the caller writes the UTF-8 BOM first (`CSV_BOM`)."""
    yield ";".join(CSV_COLUMNS) + "\r\n"
    for row in source:
        fields = [
            _csv_text(row.journal),
            _csv_text(JOURNAL_LABELS[row.journal]),
            _csv_text(row.number),
            _csv_date(row.date),
            _csv_text(row.account),
            _csv_text(row.account_label),
            _csv_text(row.auxiliary),
            _csv_text(row.auxiliary_label),
            _csv_text(row.piece_ref),
            _csv_date(row.piece_date),
            _csv_text(row.label),
            fec_amount(row.debit),
            fec_amount(row.credit),
            _csv_text(row.lettering),
            _csv_date(row.lettered_on) if row.lettering else "",
            _csv_date(row.valid_on),
        ]
        yield ";".join(fields) + "\r\n"


CSV_BOM = "\ufeff"


def encoded(lines: Iterable[str], *, bom: bool = False, size: int = 64 * 1024) -> Iterator[bytes]:
    """UTF-8 bytes in pieces of about `size` (a streaming response's chunks)."""
    buffer: list[str] = [CSV_BOM] if bom else []
    length = 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()
