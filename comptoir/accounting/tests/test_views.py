"""The ledger's pages: entries with filters and totals, batches, the chart, the home."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.audit.models import AuditEvent

from ..models import AccountMapping, Batch, Entry, EntryLine
from .conftest import client_for
from .factories import payment, sale

TODAY = timezone.localdate()


def day(n: int) -> datetime.date:
    return min(datetime.date(TODAY.year, 1, 1) + datetime.timedelta(days=n), TODAY)


def url(office, name, *args):
    return reverse(f"accounting:{name}", args=[office["dossier"].slug, *args])


def test_entries_page_shows_lines_and_balanced_totals(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1), net="100.00", vat="20.00", piece="F-0001")
    payment(dossier, on=day(2), amount="120.00", piece="F-0001")
    page = client_for(office["users"]["readonly"]).get(url(office, "entry_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "F-0001" in html
    assert page.context["totals"].debit == page.context["totals"].credit == 240
    assert "Débit = crédit" in html


def test_entries_filters_journal_account_state_and_period(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1))
    payment(dossier, on=day(2))
    client = client_for(office["users"]["accountant"])
    client.post(url(office, "batch_list"), {"up_to": day(1).isoformat()})
    sale(dossier, on=day(3))

    def found(**query):
        response = client.get(url(office, "entry_list"), query)
        return sorted((e.journal, e.date) for e in response.context["page"].entries)

    assert found(journal="BQ") == [("BQ", day(2))]
    assert found(state="collected") == [("VE", day(1))]
    assert found(state="pending") == [("BQ", day(2)), ("VE", day(3))]
    assert found(date_from=day(2).isoformat(), date_to=day(2).isoformat()) == [("BQ", day(2))]
    response = client.get(url(office, "entry_list"), {"account": "512"})
    assert [e.journal for e in response.context["page"].entries] == ["BQ"]
    totals = response.context["totals"]
    assert totals.account_balance == 120
    # A refused filter is shown with its error and dropped.
    response = client.get(url(office, "entry_list"), {"account": "51'; --"})
    assert response.context["form"].errors["account"]
    assert len(response.context["page"].entries) == 3


def test_entries_page_query_count_does_not_grow_and_pages_by_keyset(office):
    dossier = office["dossier"]
    client = client_for(office["users"]["accountant"])
    for n in range(5):
        sale(dossier, on=day(n))
    client.get(url(office, "entry_list"))  # the first visit remembers the dossier (a write)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(office, "entry_list")).status_code == 200
    for n in range(55):
        sale(dossier, on=day(n % 20))
    with CaptureQueriesContext(connection) as big:
        first = client.get(url(office, "entry_list"))
    assert len(big) == len(small)
    entries = first.context["page"].entries
    assert len(entries) == 50
    cursor = first.context["page"].next_cursor
    second = client.get(url(office, "entry_list"), {"after": str(cursor)})
    rest = second.context["page"].entries
    assert len(rest) == 10
    assert second.context["page"].next_cursor is None
    assert not {e.pk for e in entries} & {e.pk for e in rest}
    # A broken cursor is the first page, not an error.
    assert client.get(url(office, "entry_list"), {"after": "x_9" * 40}).status_code == 200


def test_batches_page_collects_downloads_and_cancels(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1))
    client = client_for(office["users"]["staff"])  # the firm's accountant
    page = client.get(url(office, "batch_list"))
    assert "1 écriture à collecter" in page.content.decode()
    response = client.post(url(office, "batch_list"), {"up_to": TODAY.isoformat()})
    assert response.status_code == 302
    batch = Batch.objects.get()
    html = client.get(url(office, "batch_list")).content.decode()
    assert "Lot n° 1" in html
    assert "Annuler ce lot" in html
    fec = client.get(url(office, "batch_fec", batch.pk))
    assert fec["Content-Disposition"] == f'attachment; filename="{batch.fec_name}"'
    body = b"".join(fec.streaming_content)
    assert body.startswith(b"JournalCode|JournalLib|")
    assert client.get(url(office, "batch_csv", batch.pk)).status_code == 200
    client.post(url(office, "batch_cancel", batch.pk))
    assert Entry.objects.filter(batch__isnull=True).count() == 1
    codes = list(
        AuditEvent.objects.filter(action__startswith="accounting.").values_list("action", flat=True)
    )
    assert sorted(codes) == [
        "accounting.batch_cancelled",
        "accounting.batch_collected",
        "accounting.batch_downloaded",
        "accounting.batch_downloaded",
    ]


def test_collecting_nothing_or_a_future_date_is_a_form_error(office):
    client = client_for(office["users"]["accountant"])
    response = client.post(url(office, "batch_list"), {"up_to": TODAY.isoformat()})
    assert response.status_code == 200
    assert "Aucune écriture à collecter" in response.content.decode()
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    response = client.post(url(office, "batch_list"), {"up_to": future})
    assert response.context["form"].errors["up_to"]
    response = client.post(url(office, "batch_list"), {"up_to": "pas une date"})
    assert response.context["form"].errors["up_to"]
    assert not Batch.objects.exists()


def test_a_whole_year_streams_as_fec_and_csv(office):
    dossier = office["dossier"]
    sale(dossier, on=day(1))
    client = client_for(office["users"]["accountant"])
    closing = datetime.date(TODAY.year, 12, 31)
    response = client.get(url(office, "ledger_fec"), {"cloture": f"{closing:%Y%m%d}"})
    assert response.streaming
    assert f"732829320FEC{closing:%Y%m%d}.txt" in response["Content-Disposition"]
    assert len(b"".join(response.streaming_content).split(b"\r\n")) == 5  # header, 3, end
    csv = client.get(url(office, "ledger_csv"))
    assert b"".join(csv.streaming_content).startswith("\ufeffJournal;".encode())
    # Not a closing date of this dossier: 404.
    assert client.get(url(office, "ledger_fec"), {"cloture": "20260615"}).status_code == 404
    assert client.get(url(office, "ledger_fec"), {"cloture": "x"}).status_code == 404
    assert AuditEvent.objects.filter(action="accounting.ledger_exported").count() == 2


def test_readonly_reads_entries_but_not_batches(office):
    client = client_for(office["users"]["readonly"])
    assert client.get(url(office, "entry_list")).status_code == 200
    assert client.get(url(office, "batch_list")).status_code == 403
    assert client.get(url(office, "chart")).status_code == 403


def test_chart_page_changes_mappings_and_labels_audited(office):
    client = client_for(office["users"]["accountant"])
    form = client.get(url(office, "chart")).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["map_vat:20.00"] = "445720"
    data["label_512000"] = "Banque Populaire"
    assert client.post(url(office, "chart"), data).status_code == 302
    assert AccountMapping.objects.get(key="vat:20.00").account == "445720"
    event = AuditEvent.objects.get(action="accounting.chart_updated")
    assert event.details["mapping"] == {"vat:20.00": ["445712", "445720"]}
    # Posting after the change uses the new account and label; earlier entries keep theirs.
    entry = sale(office["dossier"], on=day(1))
    assert entry.lines.get(position=3).account == "445712"  # the factory names its accounts
    from ..chart import chart_of

    chart = chart_of(office["dossier"])
    assert chart.vat_account(__import__("decimal").Decimal("20")) == "445720"
    assert chart.label("512000") == "Banque Populaire"
    bad = {**data, "map_bank": "BANQUE"}
    response = client.post(url(office, "chart"), bad)
    assert response.status_code == 200
    assert response.context["form"].errors["map_bank"]
    assert AuditEvent.objects.filter(action="accounting.chart_updated").count() == 1
    assert EntryLine.objects.count() == 3


def test_accountants_home_shows_pending_entries_per_dossier(office):
    sale(office["dossier"], on=day(1))
    sale(office["dossier"], on=day(2))
    html = client_for(office["users"]["staff"]).get(reverse("dossiers:accountant_home")).content
    assert b'id="pending-' + office["dossier"].slug.encode() + b'">2</a>' in html
