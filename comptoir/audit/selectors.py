"""Filtering the activity log: one definition shared by the pages and the exports.

`EventFilters.from_query()` reads the page's query string leniently (a malformed value
is dropped, never a 500; the page's form shows the error); `events_filter()` applies the
filters; `events_page()` cuts one keyset page (newest first, `before=<id>`), so a deep page
costs the same as the first one on millions of events.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import AuditEvent

PAGE_SIZE = 50


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 10**18 else None


# Dates outside these are refused: 0001-01-01 or 9999-12-31 would overflow once turned
# into the bounds of a local day (an OverflowError, a 500).
DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2999, 12, 31)


def _date(value: Any) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


@dataclass(frozen=True)
class EventFilters:
    actor: int | None = None  # user id
    action: str = ""  # an exact action code ("document.uploaded") or a prefix ("document.")
    object_type: str = ""  # "documents.document"
    date_from: datetime.date | None = None  # inclusive, local date
    date_to: datetime.date | None = None  # inclusive, local date
    dossier: int | None = None  # across dossiers only: narrow to one of them

    @classmethod
    def from_query(cls, data: Mapping[str, Any]) -> EventFilters:
        action = str(data.get("action") or "")[:64]
        object_type = str(data.get("object") or "")[:64]
        return cls(
            actor=_int(data.get("actor")),
            action=action,
            object_type=object_type,
            date_from=_date(data.get("from")),
            date_to=_date(data.get("to")),
            dossier=_int(data.get("dossier")),
        )

    @property
    def by_time(self) -> bool:
        """With a period, pages and exports walk the (dossier, created_at, id) index
        newest first; ordering by id there would sort the whole period for each page."""
        return self.date_from is not None or self.date_to is not None

    def as_query(self) -> dict[str, str]:
        """The filters as query-string parameters (what `from_query` reads back)."""
        query = {
            "actor": str(self.actor or ""),
            "action": self.action,
            "object": self.object_type,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "dossier": str(self.dossier or ""),
        }
        return {key: value for key, value in query.items() if value}


def _start_of(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def events_filter(events: QuerySet[AuditEvent], filters: EventFilters) -> QuerySet[AuditEvent]:
    if filters.actor is not None:
        events = events.filter(actor_id=filters.actor)
    if filters.action:
        if filters.action.endswith("."):
            events = events.filter(action__startswith=filters.action)
        else:
            events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.date_from is not None:
        events = events.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        events = events.filter(created_at__lt=_start_of(filters.date_to + datetime.timedelta(1)))
    if filters.dossier is not None:
        events = events.filter(dossier_id=filters.dossier)
    return events


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_before: int | None  # the `before` of the next (older) page, None on the last


def newest_first(events: QuerySet[AuditEvent], *, by_time: bool = False) -> QuerySet[AuditEvent]:
    """The log's one order: by id (the order of the chain), or with a period by time then
    id — the same order, since an event's time is taken under its chain's lock."""
    return events.order_by("-created_at", "-id") if by_time else events.order_by("-id")


def older_than(
    events: QuerySet[AuditEvent],
    event_id: int,
    created_at: datetime.datetime | None = None,
    *,
    by_time: bool = False,
) -> QuerySet[AuditEvent]:
    """The events after `event_id` in `newest_first` order (keyset: no OFFSET).

    By time, the condition is written as a range on created_at (which the index serves)
    minus the ties already seen, not as an OR (which SQLite cannot serve from it).
    """
    if not by_time:
        return events.filter(id__lt=event_id)
    if created_at is None:
        created_at = (
            AuditEvent.objects.filter(pk=event_id).values_list("created_at", flat=True).first()
        )
        if created_at is None:  # an unknown `before`: nothing is older than nothing known
            return events.filter(id__lt=event_id)
    return events.filter(created_at__lte=created_at).exclude(
        created_at=created_at, id__gte=event_id
    )


def events_page(
    events: QuerySet[AuditEvent],
    *,
    before: int | None = None,
    size: int = PAGE_SIZE,
    by_time: bool = False,
) -> EventPage:
    """One page, newest first, strictly older than event `before`."""
    if before is not None:
        events = older_than(events, before, by_time=by_time)
    # The dossiers come in a second query, not a JOIN: with the join, SQLite's planner
    # scans the dossiers first and sorts the dossier's events in a temporary B-tree (seconds
    # on millions of events) instead of walking the (dossier, -id) index for 51 rows.
    ordered = newest_first(events, by_time=by_time)
    rows = list(ordered.prefetch_related("dossier")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return EventPage(events=rows, next_before=rows[-1].pk if more and rows else None)
