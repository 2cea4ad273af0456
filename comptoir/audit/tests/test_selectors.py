"""Keyset walks of the log with a period: ordered by (time, id), ties included, nothing
lost or repeated, for the pages and for the export's batches alike."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from comptoir.accounts.actions import user_create
from comptoir.audit import exports
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.audit.selectors import EventFilters, events_filter, events_page
from comptoir.dossiers.actions import dossier_create


@pytest.fixture
def timeline(db):
    """130 events over 13 days, ten per day, every pair sharing the same instant, and
    inserted out of time order (as an imported or clock-stepped log could be): a walk that
    mixed id and time order would lose or repeat some."""
    owner = user_create(email="owner@alpha.test", password="x-Secret-123456")
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(days=20)
    for index in range(130):
        n = (index * 37) % 130  # a permutation of 0..129
        AuditEvent.objects.create(
            dossier=dossier,
            actor_label="owner@alpha.test",
            action="document.viewed",
            object_repr=f"doc {n}",
            created_at=start + datetime.timedelta(days=n // 10, hours=(n % 10) // 2),
        )
    filters = EventFilters(
        date_from=timezone.localdate(start + datetime.timedelta(days=2)),
        date_to=timezone.localdate(start + datetime.timedelta(days=10)),
    )
    events = events_filter(AuditEvent.objects.filter(dossier=dossier), filters)
    expected = list(events.order_by("-created_at", "-id").values_list("id", flat=True))
    return events, filters, expected


def test_pages_with_a_period_walk_every_event_once(timeline):
    events, filters, expected = timeline
    assert filters.by_time
    assert 60 <= len(expected) < 130
    seen: list[int] = []
    before = None
    while True:
        page = events_page(events, before=before, size=7, by_time=filters.by_time)
        seen += [event.pk for event in page.events]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == expected


def test_export_batches_with_a_period_walk_every_event_once(timeline, monkeypatch):
    events, _filters, expected = timeline
    monkeypatch.setattr(exports, "BATCH", 6)
    ids = [row[0] for batch in exports._batches(events, by_time=True) for row in batch]
    assert ids == expected
    rows = list(exports.export_rows(events, by_time=True))
    assert [row.object for row in rows] == [
        AuditEvent.objects.get(pk=pk).object_repr for pk in expected
    ]
