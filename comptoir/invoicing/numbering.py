"""Gapless numbers per series, given under a row lock of the series' counter.

A number is taken inside the issuing transaction: if that transaction rolls back, so
does the counter, so no number is ever lost or given twice (the unique constraint on
(dossier, number) is the last guard). Two issues at once wait for each other on the
counter row (`select_for_update`), PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import datetime

from comptoir.dossiers.models import Dossier

from .models import NumberCounter


def fiscal_year(dossier: Dossier, day: datetime.date) -> int:
    """The fiscal year `day` falls in, named by the calendar year it closes in."""
    closing = (dossier.fiscal_year_end_month, dossier.fiscal_year_end_day)
    return day.year + 1 if (day.month, day.day) > closing else day.year


def number_take(
    *, dossier: Dossier, series: str, prefix: str, yearly: bool, day: datetime.date
) -> str:
    year = fiscal_year(dossier, day) if yearly else 0
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(
        dossier=dossier, series=series, year=year
    )
    counter.last_number += 1
    NumberCounter.objects.filter(pk=counter.pk).update(last_number=counter.last_number)
    if yearly:
        return f"{prefix}{year}-{counter.last_number:05d}"
    return f"{prefix}{counter.last_number:05d}"
