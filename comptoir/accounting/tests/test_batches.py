"""Collecting batches, numbering, downloading again, cancelling the latest; FEC and CSV."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.core.exceptions import ActionRefused

from ..actions import entry_lines_letter
from ..actions_batches import batch_cancel, batch_collect, batch_download
from ..exports import clean, csv_lines, fec_lines, lines_of_year, rows
from ..models import Batch, Entry, EntryLine
from . import fec_check
from .conftest import access_of
from .factories import payment, sale

TODAY = timezone.localdate()
YEAR_END = datetime.date(TODAY.year, 12, 31)


def day(n: int) -> datetime.date:
    """A day of this year before today (n days after 1 January, at most yesterday)."""
    return min(datetime.date(TODAY.year, 1, 1) + datetime.timedelta(days=n), TODAY)


def collect(office, up_to=None, who="accountant") -> Batch:
    return batch_collect(
        actor=Actor(user=office["users"][who]), access=access_of(office, who), up_to=up_to or TODAY
    )


def download(office, batch, format="fec") -> tuple[bytes, str]:
    file, name = batch_download(
        actor=Actor(user=office["users"]["accountant"]),
        access=access_of(office),
        batch=batch,
        format=format,
    )
    with file:
        return file.read(), name


def test_a_batch_takes_every_pending_entry_up_to_its_date_and_numbers_them(office):
    dossier = office["dossier"]
    late = sale(dossier, on=day(5))
    early = sale(dossier, on=day(1))
    paid = payment(dossier, on=day(3))
    future = sale(dossier, on=TODAY + datetime.timedelta(days=2))  # after the chosen date
    batch = collect(office)
    assert batch.entries_count == 3
    assert batch.sequence == 1
    numbers = {e.pk: (e.batch_id, e.ecriture_num) for e in Entry.objects.all()}
    year = YEAR_END.year
    # Per journal, in date order, from 1.
    assert numbers[early.pk] == (batch.pk, f"VE{year}-000001")
    assert numbers[late.pk] == (batch.pk, f"VE{year}-000002")
    assert numbers[paid.pk] == (batch.pk, f"BQ{year}-000001")
    assert numbers[future.pk] == (None, "")
    event = AuditEvent.objects.get(action="accounting.batch_collected")
    assert event.details["entries"] == 3


def test_the_next_batch_takes_only_what_is_new_and_numbers_on(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1))
    first = collect(office)
    again = sale(dossier, on=day(2))
    second = collect(office)
    assert second.sequence == 2
    assert second.entries_count == 1
    again.refresh_from_db()
    assert again.batch_id == second.pk
    assert again.number == 2
    assert Entry.objects.filter(batch=first).count() == 1


def test_nothing_to_collect_is_refused_and_leaves_no_batch(office):
    with pytest.raises(ActionRefused, match="Aucune écriture"):
        collect(office)
    assert not Batch.objects.exists()


def test_a_future_date_is_refused(office):
    sale(office["dossier"], on=day(1))
    with pytest.raises(ActionRefused, match="aujourd'hui"):
        collect(office, up_to=TODAY + datetime.timedelta(days=1))


def test_collecting_needs_the_export_permission(office):
    sale(office["dossier"], on=day(1))
    with pytest.raises(ActionRefused):
        collect(office, who="readonly")
    assert not Batch.objects.exists()


def test_a_batch_downloads_again_byte_identical_even_after_lettering(office):
    dossier = office["dossier"]
    invoice = sale(dossier, on=day(1))
    batch = collect(office)
    first, name = download(office, batch)
    assert name == f"732829320FEC{YEAR_END:%Y%m%d}.txt"
    paid = payment(dossier, on=day(2))
    with transaction.atomic():
        entry_lines_letter(
            dossier=dossier,
            lines=list(EntryLine.objects.filter(entry__in=[invoice, paid], account="411000")),
            on=day(2),
        )
    again, _name = download(office, batch)
    assert again == first
    assert hashlib.sha256(again).hexdigest() == batch.fec_sha256
    assert AuditEvent.objects.filter(action="accounting.batch_downloaded").count() == 2


def test_a_tampered_batch_file_is_not_served(office):
    sale(office["dossier"], on=day(1))
    batch = collect(office)
    default_storage.delete(batch.fec_path)
    default_storage.save(batch.fec_path, ContentFile(b"JournalCode|autre chose\r\n"))
    with pytest.raises(ActionRefused, match="altéré"):
        download(office, batch)


def test_only_the_latest_batch_is_cancelled_and_numbers_come_back_without_gap(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1))
    first = collect(office)
    second_entry = sale(dossier, on=day(2))
    second = collect(office)
    actor, access = Actor(user=office["users"]["accountant"]), access_of(office)
    with pytest.raises(ActionRefused, match="dernier lot"):
        batch_cancel(actor=actor, access=access, batch=first)
    assert batch_cancel(actor=actor, access=access, batch=second) == 1
    second_entry.refresh_from_db()
    assert (second_entry.batch_id, second_entry.number) == (None, None)
    with pytest.raises(ActionRefused, match="déjà annulé"):
        batch_cancel(actor=actor, access=access, batch=second)
    with pytest.raises(ActionRefused, match="annulé"):
        download(office, Batch.objects.get(pk=second.pk))
    third = collect(office)
    assert third.sequence == 3
    second_entry.refresh_from_db()
    assert (second_entry.batch_id, second_entry.number) == (third.pk, 2)
    event = AuditEvent.objects.get(action="accounting.batch_cancelled")
    assert event.details == {"entries": 1}


# --- FEC ---------------------------------------------------------------------------------


def test_the_batch_fec_passes_the_administrations_checks(office):
    dossier = office["dossier"]
    for n in range(1, 6):
        sale(dossier, on=day(n), net=f"{n * 1000}.50", vat=f"{n * 200}.10")
    payment(dossier, on=day(3), amount="1200.60")
    sale(
        dossier,
        on=day(4),
        customer_name="Dupont | Fils\tet\r\nCie",
        label="Facture | avec\tséparateurs\nsur deux lignes",
    )
    batch = collect(office)
    content, name = download(office, batch)
    anomalies = fec_check.check(name, content, start=datetime.date(TODAY.year, 1, 1))
    assert fec_check.blocking(anomalies) == []
    assert [a for a in anomalies if a[0] == "V"] == []
    text = content.decode()
    assert text.startswith("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|")
    assert text.endswith("\r\n")
    records = [line.split("|") for line in text.split("\r\n")[1:-1]]
    assert all(len(r) == 18 for r in records)
    assert {r[11] for r in records} >= {"1200,60", "0,00", "6000,60"}
    assert "Dupont Fils et Cie" in {r[7] for r in records}
    assert "Facture avec séparateurs sur deux lignes" in {r[10] for r in records}


def test_the_year_fec_holds_collected_then_pending_entries_numbered_on(office):
    dossier = office["dossier"]
    sale(dossier, on=day(2))
    collect(office)
    sale(dossier, on=day(1))  # late: dated before the batch's entry, still pending
    sale(dossier, on=day(3))
    content = "".join(fec_lines(rows(lines_of_year(dossier.pk, YEAR_END)))).encode()
    anomalies = fec_check.check(f"732829320FEC{YEAR_END:%Y%m%d}.txt", content)
    assert fec_check.blocking(anomalies) == []
    numbers = [line.split("|")[2] for line in content.decode().split("\r\n")[1:-1]]
    assert list(dict.fromkeys(numbers)) == [f"VE{YEAR_END.year}-00000{n}" for n in (1, 2, 3)]


def test_the_checker_catches_what_it_must():
    # The checks themselves: each broken file is caught.
    header = "|".join(fec_check.COLUMNS)
    start = "VE|Ventes|VE2026-000001|20260110|"
    end = "|F1|20260110|Facture|{}|||20260111||"
    good = start + "411000|Clients|C1|Durand" + end.format("120,00|0,00")
    credit = start + "706000|Prestations||" + end.format("0,00|120,00")
    name = "732829320FEC20261231.txt"
    assert (
        fec_check.blocking(fec_check.check(name, f"{header}\r\n{good}\r\n{credit}\r\n".encode()))
        == []
    )
    broken = {
        "point": good.replace("120,00", "120.00"),
        "thousands": good.replace("120,00", "1 120,00"),
        "fields": good + "|",
        "date": good.replace("20260110", "20260231"),
        "both": good.replace("|0,00|", "|120,00|"),
        "account": good.replace("411000", "ABC"),
    }
    for case, line in broken.items():
        anomalies = fec_check.check(name, f"{header}\r\n{line}\r\n{credit}\r\n".encode())
        assert fec_check.blocking(anomalies), case
    assert fec_check.check("export.txt", b"")[0][0] == "E"


def test_labels_lose_separators_and_line_breaks():
    assert clean(" A | B\tC\r\nD\x00E\u2028F  ") == "A B C D E F"


def test_the_csv_has_a_bom_semicolons_and_no_formula(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1), customer_name="=HYPERLINK(1)", label='Facture; «guillemets"»')
    batch = collect(office)
    content, name = download(office, batch, "csv")
    assert name == "ecritures-732829320-lot1.csv"
    assert content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:4] == ["Journal", "Libellé journal", "N° écriture", "Date"]
    assert len({len(r) for r in table}) == 1
    assert "'=HYPERLINK(1)" in {r[7] for r in table}
    assert 'Facture; «guillemets"»' in {r[10] for r in table}
    assert "".join(csv_lines([])).startswith("Journal;")
