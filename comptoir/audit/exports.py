"""Writing a filtered view of the activity log to XLSX or CSV, in constant memory.

The rows are the page's rows (`events_filter`, newest first by id), read in keyset batches
of BATCH rows as plain tuples (`values_list`): no model instances, no `select_related`,
the dossier's name (across dossiers) from a small id → name dict built once. Batches by
`id < last id seen` rather than one long `.iterator()`: each batch is a short query on the
`(dossier, …, -id)` indexes, so an export of a million rows holds no cursor — and on
SQLite no read snapshot that would stop WAL checkpoints — for minutes, and the worker may
write its progress between batches.

Both formats have the same columns, in French, and the same text for every cell:
- XLSX (xlsxwriter in `constant_memory` mode: each row goes to disk as soon as the next
  one starts): every text is written with `write_string`, and the workbook turns off
  xlsxwriter's conversions of strings to formulas, URLs or numbers, so `=1+1` typed by a
  user stays the text `=1+1`. Dates are real Excel dates (naive, in TIME_ZONE: Excel has
  no time zones), the header row is frozen and has an autofilter. A sheet holds at most
  1,048,575 events; more go on "Journal (2)", …
- CSV: UTF-8 with a BOM (Excel needs it to read UTF-8), `;` (French Excel) or `,`, CRLF,
  dates as `dd/mm/yyyy hh:mm:ss`. See `csv_cell` for formula injection.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, NamedTuple

import xlsxwriter
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import AuditEvent
from .selectors import newest_first, older_than

BATCH = 2000
PROGRESS_EVERY = 5000
XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header row included
XLSX_MAX_TEXT = 32_767  # Excel's characters per cell
DELIMITERS = (";", ",")

Progress = Callable[[int], None]

_FIELDS = (
    "id",
    "created_at",
    "dossier_id",
    "actor_label",
    "action",
    "object_repr",
    "object_type",
    "ip",
    "user_agent",
    "details",
    "hash",
)


class ExportRow(NamedTuple):
    """One event as both writers show it: a local naive datetime and texts."""

    date: datetime.datetime
    dossier: str
    author: str
    action: str
    object: str
    object_type: str
    ip: str
    user_agent: str
    details: str
    hash: str


def headers(*, across: bool) -> list[str]:
    names = [
        _("Date"),
        _("Dossier"),
        _("Auteur"),
        _("Action"),
        _("Objet"),
        _("Type d'objet"),
        _("Adresse IP"),
        _("Navigateur"),
        _("Détails"),
        _("Empreinte"),
    ]
    return names if across else names[:1] + names[2:]


def _cells(row: ExportRow, *, across: bool) -> tuple[Any, ...]:
    return tuple(row) if across else (row[0], *row[2:])


# --- Reading the rows -----------------------------------------------------------------------


def _labels() -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    # audit/labels.py names action codes and object types; without it, the raw codes.
    try:
        from . import labels  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return {}, {}
    return getattr(labels, "ACTION_LABELS", {}), getattr(labels, "OBJECT_LABELS", {})


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple) and all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
    ):
        return ", ".join(str(item) for item in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def details_text(details: Any) -> str:
    """An event's details as one line: `key: value; key: value` (nested values as JSON),
    keys sorted: PostgreSQL's jsonb does not keep the order they were written in."""
    if not details:
        return ""
    if not isinstance(details, dict):
        return _text(details)[:XLSX_MAX_TEXT]
    text = "; ".join(f"{key}: {_text(value)}" for key, value in sorted(details.items()))
    return text[:XLSX_MAX_TEXT]


def local_naive(moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
    """The wall-clock time in TIME_ZONE, to the second, without tzinfo (for Excel)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.replace(tzinfo=None, microsecond=0)


def _batches(
    events: QuerySet[AuditEvent], *, by_time: bool = False
) -> Iterator[list[tuple[Any, ...]]]:
    """Keyset batches in the page's order (`selectors.newest_first`)."""
    last: tuple[Any, ...] | None = None
    while True:
        page = events if last is None else older_than(events, last[0], last[1], by_time=by_time)
        batch = list(newest_first(page, by_time=by_time).values_list(*_FIELDS)[:BATCH])
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        last = batch[-1]


def export_rows(
    events: QuerySet[AuditEvent],
    *,
    dossier_names: Mapping[int, str] | None = None,
    by_time: bool = False,
) -> Iterator[ExportRow]:
    """The filtered events, newest first, as rows (`dossier_names`: id → name, across;
    `by_time`: the filters have a period, see `EventFilters.by_time`)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    action_labels, object_labels = _labels()
    names = dossier_names or {}
    for batch in _batches(events, by_time=by_time):
        for (
            _id,
            created_at,
            dossier_id,
            actor_label,
            action,
            object_repr,
            object_type,
            ip,
            user_agent,
            details,
            digest,
        ) in batch:
            yield ExportRow(
                date=local_naive(created_at, zone),
                dossier=names.get(dossier_id, "") if dossier_id is not None else "",
                author=actor_label or "",
                action=str(action_labels.get(action, action)),
                object=object_repr or "",
                object_type=str(object_labels.get(object_type, object_type)),
                ip=ip or "",
                user_agent=user_agent or "",
                details=details_text(details),
                hash=digest or "",
            )


# --- XLSX -------------------------------------------------------------------------------------

# Date, Dossier, Auteur, Action, Objet, Type d'objet, Adresse IP, Navigateur, Détails, Empreinte
_WIDTHS = (19, 28, 30, 30, 36, 20, 16, 30, 50, 22)


def _widths(*, across: bool) -> tuple[int, ...]:
    return _WIDTHS if across else _WIDTHS[:1] + _WIDTHS[2:]


def write_xlsx(
    rows: Iterable[ExportRow],
    fileobj: IO[bytes] | str,
    *,
    across: bool,
    progress: Progress | None = None,
) -> int:
    """Write the rows to `fileobj` (a binary file or a path); returns how many."""
    workbook = xlsxwriter.Workbook(
        fileobj,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "dd/mm/yyyy hh:mm:ss",
        },
    )
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    titles = headers(across=across)
    last_column = len(titles) - 1

    def new_sheet(number: int) -> Any:
        name = _("Journal") if number == 1 else f"{_('Journal')} ({number})"
        sheet = workbook.add_worksheet(name[:31])
        for column, width in enumerate(_widths(across=across)):
            sheet.set_column(column, column, width)
        for column, title in enumerate(titles):
            sheet.write_string(0, column, title, bold)
        sheet.freeze_panes(1, 0)
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    line = 0  # the last row written on this sheet
    count = 0
    for row in rows:
        if line == XLSX_MAX_ROWS - 1:
            sheet.autofilter(0, 0, line, last_column)
            sheets += 1
            sheet = new_sheet(sheets)
            line = 0
        line += 1
        cells = _cells(row, across=across)
        sheet.write_datetime(line, 0, cells[0], date_format)
        for column, value in enumerate(cells[1:], start=1):
            if value:
                sheet.write_string(line, column, value)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    sheet.autofilter(0, 0, line, last_column)
    workbook.close()
    if progress is not None:
        progress(count)
    return count


# --- CSV ---------------------------------------------------------------------------------------

# OWASP "CSV Injection": a cell starting with one of these is a formula to a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """The text a CSV cell may hold without a spreadsheet running it.

    A spreadsheet opening a CSV treats a cell that starts with `=`, `+`, `-`, `@`, a tab or
    a carriage return as a formula (`=HYPERLINK(…)`, `=cmd|…`): the log holds text typed
    by anyone (document names, user agents), so such a cell gets a leading apostrophe, as
    OWASP recommends. Spreadsheets show the text; the apostrophe is visible in a text
    editor. (XLSX needs none of this: its cells are typed, see `write_xlsx`.)
    """
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(
    rows: Iterable[ExportRow],
    fileobj: IO[bytes],
    *,
    across: bool,
    delimiter: str = ";",
    progress: Progress | None = None,
) -> int:
    """Write the rows to the binary `fileobj` as CSV; returns how many."""
    if delimiter not in DELIMITERS:
        raise ValueError(f"unsupported delimiter {delimiter!r}")
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(headers(across=across))
        count = 0
        for row in rows:
            cells = _cells(row, across=across)
            writer.writerow(
                [cells[0].strftime("%d/%m/%Y %H:%M:%S"), *(csv_cell(v) for v in cells[1:])]
            )
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        text.flush()
    finally:
        # The caller owns fileobj: leave it open.
        text.detach()
    if progress is not None:
        progress(count)
    return count


def write_export(
    rows: Iterable[ExportRow],
    fileobj: IO[bytes],
    *,
    format: str,
    delimiter: str = ";",
    across: bool,
    progress: Progress | None = None,
) -> int:
    if format == "xlsx":
        return write_xlsx(rows, fileobj, across=across, progress=progress)
    if format == "csv":
        return write_csv(rows, fileobj, across=across, delimiter=delimiter, progress=progress)
    raise ValueError(f"unsupported format {format!r}")


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def export_filename(*, slug: str | None, day: datetime.date, format: str) -> str:
    """`journal-<slug>-<date>.xlsx` for a dossier, `journal-dossiers-<date>.csv` across."""
    return f"journal-{slug or 'dossiers'}-{day.isoformat()}.{format}"
