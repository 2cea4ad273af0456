"""Reads of the ledger: the entries page, its totals, pending counts, batch history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from comptoir.dossiers.models import Dossier

from .models import Batch, Entry, EntryLine

PAGE_SIZE = 50
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class EntryFilters:
    journal: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    account: str = ""  # a number or its beginning: 411 finds 411000 and 4110042
    state: str = ""  # "pending", "collected" or "" for both

    def apply(self, entries: QuerySet[Entry]) -> QuerySet[Entry]:
        if self.journal:
            entries = entries.filter(journal=self.journal)
        if self.date_from:
            entries = entries.filter(date__gte=self.date_from)
        if self.date_to:
            entries = entries.filter(date__lte=self.date_to)
        if self.account:
            entries = entries.filter(
                Exists(
                    EntryLine.objects.filter(entry=OuterRef("pk"), account__startswith=self.account)
                )
            )
        if self.state == "pending":
            entries = entries.filter(batch__isnull=True)
        elif self.state == "collected":
            entries = entries.filter(batch__isnull=False)
        return entries


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the entry (date, id), newest first."""

    date: datetime.date
    id: int

    def __str__(self) -> str:
        return f"{self.date.isoformat()}_{self.id}"

    @classmethod
    def parse(cls, value: str) -> Cursor | None:
        day, _sep, pk = value.partition("_")
        try:
            parsed = cls(datetime.date.fromisoformat(day), int(pk))
        except ValueError:
            return None
        return parsed if 0 < parsed.id < 10**18 else None


@dataclass(frozen=True)
class EntryPage:
    entries: list[Entry]
    next_cursor: Cursor | None


def entries_page(
    *, dossier: Dossier, filters: EntryFilters, after: Cursor | None = None
) -> EntryPage:
    """One page of the dossier's entries, newest first, their lines in two queries."""
    entries = filters.apply(Entry.objects.filter(dossier=dossier))
    if after is not None:
        entries = entries.filter(Q(date__lt=after.date) | Q(date=after.date, id__lt=after.id))
    found = list(
        entries.select_related("batch")
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.order_by("position")))
        .order_by("-date", "-id")[: PAGE_SIZE + 1]
    )
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    return EntryPage(
        entries=found,
        next_cursor=Cursor(found[-1].date, found[-1].pk) if more and found else None,
    )


@dataclass(frozen=True)
class Totals:
    debit: Decimal
    credit: Decimal
    account_debit: Decimal | None = None
    account_credit: Decimal | None = None

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit

    @property
    def account_balance(self) -> Decimal | None:
        if self.account_debit is None or self.account_credit is None:
            return None
        return self.account_debit - self.account_credit


def entries_totals(*, dossier: Dossier, filters: EntryFilters) -> Totals:
    """Debits and credits of every line of the filtered entries (one query); with an
    account filter, that account's own debits and credits too."""
    entries = filters.apply(Entry.objects.filter(dossier=dossier))
    lines = EntryLine.objects.filter(dossier=dossier, entry__in=entries.values("pk"))
    sums = {"all_debit": Sum("debit"), "all_credit": Sum("credit")}
    if filters.account:
        on_account = Q(account__startswith=filters.account)
        sums["account_debit"] = Sum("debit", filter=on_account)
        sums["account_credit"] = Sum("credit", filter=on_account)
    found = lines.aggregate(**sums)
    return Totals(
        debit=found["all_debit"] or ZERO,
        credit=found["all_credit"] or ZERO,
        account_debit=(found["account_debit"] or ZERO) if filters.account else None,
        account_credit=(found["account_credit"] or ZERO) if filters.account else None,
    )


def pending_count(*, dossier: Dossier, up_to: datetime.date | None = None) -> int:
    pending = Entry.objects.filter(dossier=dossier, batch__isnull=True)
    if up_to is not None:
        pending = pending.filter(date__lte=up_to)
    return pending.count()


def pending_counts_by_dossier(dossier_ids: Iterable[int]) -> dict[int, int]:
    """Entries not yet collected, per dossier, in one query."""
    rows = (
        Entry.objects.filter(dossier_id__in=list(dossier_ids), batch__isnull=True)
        .values("dossier_id")
        .annotate(n=Count("id"))
        .values_list("dossier_id", "n")
    )
    return dict(rows)


def batches_of(dossier: Dossier) -> QuerySet[Batch]:
    return (
        Batch.objects.filter(dossier=dossier)
        .select_related("created_by", "cancelled_by")
        .order_by("-sequence")
    )


def open_customer_lines(
    *, dossier: Dossier, sources: Iterable[tuple[str, int]], prefix: str = "411"
) -> list[EntryLine]:
    """The customer (411) lines not yet lettered of the entries posted for these sources
    (`(source, source_id)` as given to `entry_post`): what a settled invoice letters."""
    wanted = Q(pk__in=[])
    for source, source_id in sources:
        wanted |= Q(entry__source=source, entry__source_id=source_id)
    return list(
        EntryLine.objects.filter(wanted, dossier=dossier, account__startswith=prefix, lettering="")
        .select_related("entry")
        .order_by("entry_id", "position")
    )


def latest_batch(dossier: Dossier) -> Batch | None:
    """The batch that may be cancelled: the latest not cancelled."""
    return (
        Batch.objects.filter(dossier=dossier, cancelled_at__isnull=True)
        .order_by("-sequence")
        .first()
    )


def fiscal_years_of(dossier: Dossier) -> list[datetime.date]:
    """The closing dates of the fiscal years that have entries, latest first."""
    return list(
        Entry.objects.filter(dossier=dossier)
        .order_by("-fiscal_year_end")
        .values_list("fiscal_year_end", flat=True)
        .distinct()
    )
