"""Collections at once, and entries posted while a collection runs: every entry ends in
exactly one batch, numbered without gap. Real threads, each with its own connection,
released together. PostgreSQL only: SQLite serialises every writer on one file lock."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused
from comptoir.testing.concurrency import together

from ..actions import entry_lines_letter
from ..actions_batches import batch_collect
from ..models import Batch, Entry, EntryLine
from .conftest import access_of
from .factories import payment, sale

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
    ),
]

TODAY = timezone.localdate()


def collector(office, who: str):
    def run() -> object:
        return batch_collect(
            actor=Actor(user=office["users"][who]), access=access_of(office, who), up_to=TODAY
        )

    return run


def assert_each_entry_in_one_batch_numbered_without_gap(dossier) -> None:
    assert not Entry.objects.filter(dossier=dossier, batch__isnull=True).exists()
    for journal in ("VE", "BQ"):
        found = Entry.objects.filter(dossier=dossier, journal=journal)
        numbers = sorted(n or 0 for n in found.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    counted = sum(b.entries_count for b in Batch.objects.filter(dossier=dossier))
    assert counted == Entry.objects.filter(dossier=dossier).count()


@pytest.mark.parametrize("attempt", range(3))
def test_two_collections_at_once_take_each_entry_once(office, attempt):
    dossier = office["dossier"]
    for n in range(10):
        sale(dossier, on=TODAY - datetime.timedelta(days=n % 3))
    answers = together(collector(office, "accountant"), collector(office, "staff"))
    batches = [a for a in answers if isinstance(a, Batch)]
    refused = [a for a in answers if isinstance(a, ActionRefused)]
    # One took everything; the other, served after it, found nothing left.
    assert len(batches) == 1, answers
    assert len(refused) == 1, answers
    assert batches[0].entries_count == 10
    assert_each_entry_in_one_batch_numbered_without_gap(dossier)


@pytest.mark.parametrize("attempt", range(3))
def test_entries_posted_during_a_collection_are_never_missed_nor_taken_twice(office, attempt):
    dossier = office["dossier"]
    for n in range(20):
        sale(dossier, on=TODAY - datetime.timedelta(days=n % 5))

    def poster(kind):
        def run() -> object:
            for _n in range(8):
                (sale if kind == "sale" else payment)(dossier, on=TODAY)
            return None

        return run

    answers = together(
        collector(office, "accountant"),
        poster("sale"),
        poster("payment"),
        collector(office, "staff"),
    )
    assert not [a for a in answers if isinstance(a, Exception) and not isinstance(a, ActionRefused)]
    # What was posted after the collections waits for the next one: nothing is lost.
    if Entry.objects.filter(dossier=dossier, batch__isnull=True).exists():
        collector(office, "accountant")()
    assert Entry.objects.filter(dossier=dossier).count() == 36
    assert_each_entry_in_one_batch_numbered_without_gap(dossier)


def test_two_letterings_of_the_same_lines_at_once_letter_them_once(office):
    dossier = office["dossier"]
    invoice, paid = sale(dossier, on=TODAY), payment(dossier, on=TODAY)
    lines = list(EntryLine.objects.filter(entry__in=[invoice, paid], account="411000"))

    def letter() -> object:
        with transaction.atomic():
            return entry_lines_letter(dossier=dossier, lines=lines, on=TODAY)

    answers = together(letter, letter)
    assert sorted(str(a) for a in answers if isinstance(a, str)) == ["A"]
    assert len([a for a in answers if isinstance(a, ActionRefused)]) == 1
    assert set(
        EntryLine.objects.filter(pk__in=[x.pk for x in lines]).values_list("lettering", flat=True)
    ) == {"A"}
