"""Demo accounting: Always Clean SARL's entries (posted by its demo invoices, credit note
and payments) with one batch already collected by the firm's accountant, and the entries
dated after it still pending, as the accountant would find them mid-month."""

from __future__ import annotations

from comptoir.accounting.actions_batches import batch_collect
from comptoir.accounting.models import Entry
from comptoir.accounts.models import User
from comptoir.audit.actions import Actor
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.models import Dossier

ACCOUNTANT = "comptable@cabinet-martin.test"


def demo_accounting_load(users: dict[str, User]) -> None:
    accountant = users[ACCOUNTANT]
    dossier = Dossier.objects.get(slug="always-clean")
    days = sorted(set(Entry.objects.filter(dossier=dossier).values_list("date", flat=True)))
    if len(days) < 2:
        return
    # About two thirds of the days collected; what comes after waits for the next batch.
    up_to = days[(len(days) * 2) // 3 - 1]
    batch_collect(
        actor=Actor(user=accountant),
        access=dossier_access_for(accountant, dossier.slug),
        up_to=up_to,
    )
