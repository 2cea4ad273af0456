"""Exports of the activity log: XLSX and CSV hold the page's rows, big ones go to the worker.

The XLSX files are read back with openpyxl, a reader independent of the writer.
"""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.actions import user_create
from comptoir.audit import actions_export, exports
from comptoir.audit.access import events_visible
from comptoir.audit.actions import Actor, record
from comptoir.audit.labels import action_label
from comptoir.audit.models import AuditEvent, AuditExport, ExportState
from comptoir.audit.selectors import EventFilters, events_filter, events_page
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import FirmAccess, Membership
from comptoir.dossiers.permissions import Permission, Role

XLSX_HEADERS = [
    "Date",
    "Auteur",
    "Action",
    "Objet",
    "Type d'objet",
    "Adresse IP",
    "Navigateur",
    "Détails",
    "Empreinte",
]
FORMULAS = ['=HYPERLINK("http://x")', "=1+1", "+33 1 23", "-2", "@SUM(A1)", "\tTab"]


def person(email: str):
    return user_create(email=email, password="x-Secret-123456", email_verified=True)


@pytest.fixture
def office(db):
    owner = person("owner@alpha.test")
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    users = {"owner": owner}
    for name, role in [
        ("admin", Role.ADMIN),
        ("user", Role.USER),
        ("readonly", Role.READ_ONLY),
    ]:
        users[name] = person(f"{name}@alpha.test")
        Membership.objects.create(dossier=dossier, user=users[name], role=role)
    users["auditor"] = person("auditor@alpha.test")
    Membership.objects.create(
        dossier=dossier,
        user=users["auditor"],
        role=Role.USER,
        extra_permissions=[Permission.AUDIT_VIEW.value, Permission.EXPORT.value],
    )
    # May read the log, may not export ("Exporter" is an Utilisateur option of its own).
    users["reader"] = person("reader@alpha.test")
    Membership.objects.create(
        dossier=dossier,
        user=users["reader"],
        role=Role.USER,
        extra_permissions=[Permission.AUDIT_VIEW.value],
    )
    outsider = person("outsider@beta.test")
    other = dossier_create(actor=Actor(user=outsider), name="Beta SAS", siren="552100554")
    users["outsider"] = outsider
    return {"dossier": dossier, "other": other, "users": users}


def event_with_text(office, text: str, *, action: str = "document.renamed"):
    """An event whose texts look like formulas (INSERT only: the log is append-only)."""
    return AuditEvent.objects.create(
        dossier=office["dossier"],
        actor=office["users"]["owner"],
        actor_label="owner@alpha.test",
        action=action,
        object_type="documents.document",
        object_id="1",
        object_repr=text,
        ip="2001:db8::1",
        user_agent="=cmd|' /C calc'!A0",
        details={"name": text, "changed": {"name": ["a", text]}, "n": 3, "ok": True},
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def export_url(office) -> str:
    return reverse("audit:dossier_export", args=[office["dossier"].slug])


def page_rows(office, filters: EventFilters, who: str = "owner"):
    access = dossier_access_for(office["users"][who], office["dossier"].slug)
    return events_page(events_filter(events_visible(access), filters), size=10_000).events


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def read_xlsx(content: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows())
    return sheet, rows


@pytest.fixture
def logged(office):
    """A varied log: several actions, a formula-looking name, details of every shape."""
    owner = office["users"]["owner"]
    with transaction.atomic():
        for n in range(5):
            record(
                actor=Actor(user=owner, ip="192.0.2.7", user_agent="Mozilla/5.0 Firefox/128.0"),
                action="document.uploaded" if n % 2 else "folder.created",
                dossier=office["dossier"],
                target=office["users"]["readonly"],
                details={"name": f"relevé {n}.pdf", "size": 1000 + n, "documents": [1, 2]},
            )
    for text in FORMULAS:
        event_with_text(office, text)
    return office


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_holds_the_rows_of_the_page_in_its_order(client, logged):
    office = logged
    client.force_login(office["users"]["owner"])
    response = client.post(export_url(office), {"format": "xlsx", "action": "document."})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    today = timezone.localdate().isoformat()
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''journal-{office['dossier'].slug}-{today}.xlsx" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"

    sheet, rows = read_xlsx(b"".join(response.streaming_content))
    assert [cell.value for cell in rows[0]] == XLSX_HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:I{len(rows)}"

    expected = page_rows(office, EventFilters(action="document."))
    assert len(expected) == 2 + len(FORMULAS)  # uploads and renames, not the folders
    assert len(rows) - 1 == len(expected)
    for row, event in zip(rows[1:], expected, strict=True):
        values = [cell.value if cell.value is not None else "" for cell in row]
        assert isinstance(values[0], datetime.datetime)
        assert values[0] == local(event.created_at)
        assert values[1:] == [
            event.actor_label,
            str(action_label(event.action)),
            event.object_repr,
            {"accounts.user": "Compte", "documents.document": "Document"}[event.object_type],
            event.ip,
            event.user_agent,
            exports.details_text(event.details),
            event.hash,
        ]
    # The chain's hashes are exported (events written by record() have one).
    assert sum(1 for row in rows[1:] if len(row[8].value or "") == 64) == 2
    # The export is in the log (after the file was written: not in it).
    exported = AuditEvent.objects.filter(action="audit.exported").get()
    assert exported.dossier == office["dossier"]
    assert exported.details["rows"] == len(expected)
    assert exported.details["format"] == "xlsx"
    assert exported.details["filters"] == {"action": "document."}


def test_xlsx_rows_are_the_rows_the_log_page_shows(client, logged):
    office = logged
    client.force_login(office["users"]["owner"])
    log = client.get(
        reverse("audit:dossier_log", args=[office["dossier"].slug]), {"action": "document."}
    )
    shown = [row.event for row in log.context["rows"]]
    assert shown
    response = client.post(
        export_url(office), log.context["filters"].as_query() | {"format": "xlsx"}
    )
    _sheet, rows = read_xlsx(b"".join(response.streaming_content))
    assert [(r[0].value, r[2].value, r[3].value) for r in rows[1:]] == [
        (local(e.created_at), str(action_label(e.action)), e.object_repr) for e in shown
    ]


def test_xlsx_never_turns_text_into_a_formula(client, office):
    for text in FORMULAS:
        event_with_text(office, text)
    client.force_login(office["users"]["owner"])
    response = client.post(export_url(office), {"format": "xlsx", "action": "document.renamed"})
    _sheet, rows = read_xlsx(b"".join(response.streaming_content))
    assert [row[3].value for row in rows[1:]] == list(reversed(FORMULAS))
    for row in rows[1:]:
        for cell in row[1:]:  # every cell but the date is text, formulas included
            if cell.value is not None:
                assert cell.data_type == "s", (cell.coordinate, cell.value)
        assert row[6].value == "=cmd|' /C calc'!A0"
        assert f"name: {row[3].value}" in row[7].value.split("; ")


def test_an_object_named_like_a_formula_stays_text(office, tmp_path):
    rows = [
        exports.ExportRow(
            date=datetime.datetime(2026, 3, 1, 9, 30, 5),
            dossier="=1+1",
            author="@bob",
            action="+cmd",
            object=text,
            object_type="-x",
            ip="",
            user_agent="",
            details="",
            hash="",
        )
        for text in FORMULAS
    ]
    path = tmp_path / "x.xlsx"
    with path.open("wb") as file:
        assert exports.write_xlsx(rows, file, across=True) == len(FORMULAS)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["Date", "Dossier"]
    for line, text in enumerate(FORMULAS, start=2):
        assert sheet.cell(line, 1).value == datetime.datetime(2026, 3, 1, 9, 30, 5)
        for column, value in [(2, "=1+1"), (3, "@bob"), (4, "+cmd"), (5, text), (6, "-x")]:
            cell = sheet.cell(line, column)
            assert cell.data_type == "s"
            assert cell.value == value


def test_dates_are_local_wall_clock_times():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    summer = datetime.datetime(2026, 7, 14, 21, 59, 58, 999_999, tzinfo=datetime.UTC)
    winter = datetime.datetime(2026, 1, 10, 23, 30, 0, tzinfo=datetime.UTC)
    assert exports.local_naive(summer, paris) == datetime.datetime(2026, 7, 14, 23, 59, 58)
    assert exports.local_naive(winter, paris) == datetime.datetime(2026, 1, 11, 0, 30, 0)


def test_a_sheet_that_is_full_goes_on_in_another(monkeypatch, tmp_path):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)  # a header and three events a sheet
    rows = [
        exports.ExportRow(
            datetime.datetime(2026, 1, 1, 0, 0, n), "", "a", "b", str(n), "", "", "", "", ""
        )
        for n in range(7)
    ]
    path = tmp_path / "x.xlsx"
    with path.open("wb") as file:
        assert exports.write_xlsx(rows, file, across=False) == 7
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Journal", "Journal (2)", "Journal (3)"]
    objects = [
        row[3]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert objects == [str(n) for n in range(7)]
    assert all(sheet["A1"].value == "Date" for sheet in workbook.worksheets)


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_is_utf8_with_a_bom_and_the_chosen_delimiter(client, logged, delimiter):
    office = logged
    expected = page_rows(office, EventFilters())
    client.force_login(office["users"]["owner"])
    response = client.post(export_url(office), {"format": "csv", "delimiter": delimiter})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert ".csv" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content
    assert content.count(b"\r\n") == content.count(b"\n")
    rows = list(
        csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )
    assert rows[0] == XLSX_HEADERS
    assert len(rows) - 1 == len(expected)
    for row, event in zip(rows[1:], expected, strict=True):
        assert row[0] == local(event.created_at).strftime("%d/%m/%Y %H:%M:%S")
        assert row[1] == event.actor_label
        assert row[8] == event.hash
    # Formula-looking cells are neutralised with a leading apostrophe.
    agents = {row[6] for row in rows[1:] if row[6]}
    assert "'=cmd|' /C calc'!A0" in agents
    for row in rows[1:]:
        for cell in row[1:]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_cell_neutralises_formulas():
    for text in [*FORMULAS, "\rx"]:
        assert exports.csv_cell(text) == "'" + text
    for text in ["relevé.pdf", "", "1+1", "'quoted", "a=b"]:
        assert exports.csv_cell(text) == text


def test_details_are_summarised_the_same_way_in_both_formats(tmp_path):
    details = {
        "name": "a.pdf",
        "changed": {"name": ["a", "b"]},
        "ok": True,
        "ids": [1, 2],
        "x": None,
    }
    text = exports.details_text(details)
    assert text == 'changed: {"name": ["a", "b"]}; ids: 1, 2; name: a.pdf; ok: oui; x: '
    row = exports.ExportRow(datetime.datetime(2026, 1, 1), "", "", "", "", "", "", "", text, "")
    with (tmp_path / "x.xlsx").open("wb") as file:
        exports.write_xlsx([row], file, across=False)
    with (tmp_path / "x.csv").open("wb") as file:
        exports.write_csv([row], file, across=False, delimiter=",")
    xlsx = openpyxl.load_workbook(tmp_path / "x.xlsx").worksheets[0]
    csv_rows = list(csv.reader((tmp_path / "x.csv").read_text("utf-8-sig").splitlines()))
    assert xlsx["H2"].value == csv_rows[1][7] == text


# --- Reading: flat memory ---------------------------------------------------------------------


def test_rows_are_read_in_keyset_batches_of_plain_tuples(office, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 3)
    bulk_events(office["dossier"], 10)
    queryset = AuditEvent.objects.filter(dossier=office["dossier"])
    with CaptureQueriesContext(connection) as queries:
        rows = list(exports.export_rows(queryset.order_by("-id")))
    expected = list(queryset.order_by("-id").values_list("object_repr", flat=True))
    assert [row.object for row in rows] == expected
    total = queryset.count()
    assert len(queries) == total // 3 + 1
    assert all("LIMIT 3" in q["sql"] for q in queries.captured_queries)
    assert all('"details"' in q["sql"] and "JOIN" not in q["sql"] for q in queries.captured_queries)


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "pdf"}, "XLSX ou CSV"),
        ({}, "XLSX ou CSV"),
        ({"format": "csv", "delimiter": "|"}, "point-virgule ou virgule"),
    ],
)
def test_a_malformed_choice_is_a_clear_400(client, office, data, message):
    client.force_login(office["users"]["owner"])
    before = AuditEvent.objects.count()
    response = client.post(export_url(office), {**data, "action": "document."})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'name="action" value="document."' in response.content.decode()  # filters kept
    assert AuditEvent.objects.count() == before
    assert not AuditExport.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("readonly", 403), ("user", 403), ("outsider", 404)])
def test_who_may_not_export_gets_nothing(client, office, who, status):
    client.force_login(office["users"][who])
    before = AuditEvent.objects.count()
    assert client.post(export_url(office), {"format": "xlsx"}).status_code == status
    assert AuditEvent.objects.count() == before


def test_reading_the_log_is_not_exporting_it(client, office):
    """An Utilisateur who may read the log but not export sees no export form, and a
    forged POST is refused without writing anything."""
    client.force_login(office["users"]["reader"])
    page = client.get(reverse("audit:dossier_log", args=[office["dossier"].slug]))
    assert page.status_code == 200
    assert export_url(office) not in page.content.decode()
    before = AuditEvent.objects.count()
    assert client.post(export_url(office), {"format": "xlsx"}).status_code == 403
    assert client.post(reverse("audit:export_across"), {"format": "xlsx"}).status_code == 403
    assert AuditEvent.objects.count() == before
    client.force_login(office["users"]["auditor"])
    page = client.get(reverse("audit:dossier_log", args=[office["dossier"].slug]))
    assert export_url(office) in page.content.decode()


def test_an_utilisateur_with_the_log_option_may_export(client, office):
    client.force_login(office["users"]["auditor"])
    assert client.post(export_url(office), {"format": "csv"}).status_code == 200


def test_anonymous_is_sent_to_login(client, office):
    response = client.post(export_url(office), {"format": "xlsx"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.post(reverse("audit:export_across"), {"format": "xlsx"})
    assert response.status_code == 302


def test_export_is_post_only(client, office):
    client.force_login(office["users"]["owner"])
    assert client.get(export_url(office)).status_code == 405


# --- Across dossiers ------------------------------------------------------------------------


@pytest.fixture
def firm_world(office):
    staff = person("staff@cabinet.test")
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Test")
    for dossier in (office["dossier"], office["other"]):
        FirmAccess.objects.create(dossier=dossier, firm=firm, granted_by=office["users"]["owner"])
    return {**office, "staff": staff}


def test_across_export_has_a_dossier_column_and_each_dossier_logs_it(client, firm_world):
    world = firm_world
    client.force_login(world["staff"])
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = client.post(reverse("audit:export_across"), {"format": "xlsx"})
    assert response.status_code == 200
    assert "journal-dossiers-" in response["Content-Disposition"]
    _sheet, rows = read_xlsx(b"".join(response.streaming_content))
    assert [c.value for c in rows[0]] == ["Date", "Dossier", *XLSX_HEADERS[1:]]
    expected = list(
        AuditEvent.objects.filter(dossier__in=[world["dossier"], world["other"]])
        .exclude(pk__in=AuditEvent.objects.filter(action="audit.exported").values("pk"))
        .filter(pk__in=before)
        .order_by("-id")
    )
    names = {world["dossier"].pk: "Alpha SARL", world["other"].pk: "Beta SAS"}
    assert [(r[1].value, r[3].value) for r in rows[1:]] == [
        (names[e.dossier_id], str(action_label(e.action))) for e in expected
    ]
    logged = AuditEvent.objects.filter(action="audit.exported")
    assert sorted(e.dossier_id for e in logged) == sorted(names)
    assert all(e.details["dossiers"] == 2 for e in logged)


def test_across_export_narrowed_to_one_dossier(client, firm_world):
    world = firm_world
    client.force_login(world["staff"])
    response = client.post(
        reverse("audit:export_across"),
        {"format": "csv", "delimiter": ",", "dossier": world["other"].pk},
    )
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert {row[1] for row in rows[1:]} == {"Beta SAS"}
    assert AuditEvent.objects.filter(action="audit.exported").get().dossier == world["other"]


def test_across_export_without_audited_dossier_is_403(client, office):
    client.force_login(office["users"]["readonly"])
    assert client.post(reverse("audit:export_across"), {"format": "xlsx"}).status_code == 403


def test_many_dossiers_log_one_event_without_dossier(client, firm_world, monkeypatch):
    monkeypatch.setattr(actions_export, "ACROSS_EVENTS_MAX", 1)
    client.force_login(firm_world["staff"])
    client.post(reverse("audit:export_across"), {"format": "xlsx"})
    (event,) = AuditEvent.objects.filter(action="audit.exported")
    assert event.dossier is None
    assert event.details["dossiers"] == 2


# --- In the background ------------------------------------------------------------------------


def bulk_events(dossier, count: int) -> None:
    """Many events quickly (INSERT only: the log refuses UPDATE and DELETE)."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                dossier=dossier,
                actor_label="robot@alpha.test",
                action="document.viewed",
                object_type="documents.document",
                object_id=str(n),
                object_repr=f"pièce {n}.pdf",
                details={"n": n},
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


@pytest.fixture
def big(office):
    bulk_events(office["dossier"], actions_export.SMALL_EXPORT_ROWS + 20)
    return office


def test_a_large_export_runs_in_the_background(client, big, django_capture_on_commit_callbacks):
    office = big
    owner = office["users"]["owner"]
    client.force_login(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(export_url(office), {"format": "xlsx", "action": "document."})
    export = AuditExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:export_detail", args=[export.pk])
    assert len(callbacks) == 1  # the job, queued once committed
    assert export.state == ExportState.PENDING
    assert export.requested_by == owner
    assert export.dossier == office["dossier"]
    assert export.filters == {"action": "document."}
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.details["export"] == export.pk
    assert event.details["rows"] is None

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "<progress" in html
    assert 'hx-trigger="every 2s"' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert "download" not in html.split('id="export-progress"')[1].split("</section>")[0]

    assert actions_export.export_run(export_id=export.pk) == ExportState.DONE
    export.refresh_from_db()
    expected = page_rows(office, EventFilters(action="document."))
    assert export.state == ExportState.DONE
    assert export.rows_total == export.rows_done == len(expected) == 5020
    assert export.file.startswith("exports/")
    assert export.file.endswith(".xlsx")
    assert default_storage.exists(export.file)
    assert export.size == default_storage.size(export.file)
    assert export.finished_at is not None

    fragment = client.get(
        reverse("audit:export_detail", args=[export.pk]) + "?part=progress",
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    download_url = reverse("audit:export_download", args=[export.pk])
    assert download_url in fragment.content.decode()
    assert "hx-trigger" not in fragment.content.decode()  # polling stops when done

    download = client.get(download_url)
    assert download.status_code == 200
    # Polling stops (htmx's 286) once the session is gone or the export with it.
    polled = reverse("audit:export_detail", args=[export.pk]) + "?part=progress"
    assert Client().get(polled, headers={"HX-Request": "true"}).status_code == 286
    assert Client().get(polled).status_code == 302
    stranger = client_for(office["users"]["admin"])
    assert stranger.get(polled, headers={"HX-Request": "true"}).status_code == 286
    assert stranger.get(polled).status_code == 404
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment;" in download["Content-Disposition"]
    _sheet, rows = read_xlsx(b"".join(download.streaming_content))
    assert len(rows) - 1 == len(expected)
    assert [r[3].value for r in rows[1:6]] == [e.object_repr for e in expected[:5]]
    assert rows[-1][3].value == expected[-1].object_repr


def test_the_job_records_its_progress(big, monkeypatch):
    office = big
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1000)
    export = AuditExport.objects.create(
        requested_by=office["users"]["owner"], dossier=office["dossier"], format="csv"
    )
    seen: list[tuple[int | None, int]] = []
    real_write = exports.write_export

    def spying_write(rows, fileobj, **kwargs):
        progress = kwargs["progress"]

        def spy(done):
            progress(done)
            seen.append(
                tuple(
                    AuditExport.objects.filter(pk=export.pk)
                    .values_list("rows_total", "rows_done")
                    .get()
                )
            )

        return real_write(rows, fileobj, **{**kwargs, "progress": spy})

    monkeypatch.setattr(exports, "write_export", spying_write)
    assert actions_export.export_run(export_id=export.pk) == ExportState.DONE
    total = AuditEvent.objects.filter(dossier=office["dossier"]).count()
    assert seen[0] == (total, 1000)
    assert [done for _total, done in seen] == [*range(1000, total, 1000), total]
    export.refresh_from_db()
    assert export.rows_done == export.rows_total == total
    # A job run twice writes once.
    assert actions_export.export_run(export_id=export.pk) == ""


def test_only_the_requester_downloads(client, big):
    office = big
    export = finished_export(office, "admin")
    detail = reverse("audit:export_detail", args=[export.pk])
    download = reverse("audit:export_download", args=[export.pk])
    for who in ("owner", "outsider", "auditor"):
        other = client_for(office["users"][who])
        assert other.get(detail).status_code == 404
        assert other.get(download).status_code == 404
    admin = client_for(office["users"]["admin"])
    assert admin.get(detail).status_code == 200
    assert admin.get(download).status_code == 200
    # The requester demoted: no more AUDIT_VIEW, no more file.
    Membership.objects.filter(user=office["users"]["admin"]).update(role=Role.READ_ONLY)
    assert admin.get(download).status_code == 404
    assert admin.get(detail).status_code == 404


def test_an_export_across_dies_with_the_access_to_one_of_its_dossiers(client, firm_world):
    world = firm_world
    bulk_events(world["other"], actions_export.SMALL_EXPORT_ROWS + 1)
    client.force_login(world["staff"])
    response = client.post(reverse("audit:export_across"), {"format": "csv"})
    export = AuditExport.objects.get()
    assert response["Location"] == reverse("audit:export_detail", args=[export.pk])
    assert sorted(export.filters["scope"]) == sorted([world["dossier"].pk, world["other"].pk])
    assert actions_export.export_run(export_id=export.pk) == ExportState.DONE
    export.refresh_from_db()
    content = default_storage.open(export.file).read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=";"))
    assert rows[0][1] == "Dossier"
    assert {row[1] for row in rows[1:]} == {"Alpha SARL", "Beta SAS"}
    download = reverse("audit:export_download", args=[export.pk])
    assert client.get(download).status_code == 200
    FirmAccess.objects.filter(dossier=world["other"]).delete()
    assert client.get(download).status_code == 404


def test_a_job_whose_requester_lost_access_fails_with_a_message(big):
    office = big
    export = AuditExport.objects.create(
        requested_by=office["users"]["admin"], dossier=office["dossier"], format="xlsx"
    )
    Membership.objects.filter(user=office["users"]["admin"]).delete()
    assert actions_export.export_run(export_id=export.pk) == ExportState.FAILED
    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert "accès" in export.error
    assert not export.file


def test_a_failing_job_is_marked_failed_and_leaves_no_file(big, monkeypatch):
    office = big

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_export", broken)
    export = AuditExport.objects.create(
        requested_by=office["users"]["owner"], dossier=office["dossier"], format="xlsx"
    )
    assert actions_export.export_run(export_id=export.pk) == ExportState.FAILED
    export.refresh_from_db()
    assert export.error
    assert "disk full" not in export.error  # no internals shown
    page = client_for(office["users"]["owner"]).get(
        reverse("audit:export_detail", args=[export.pk])
    )
    assert export.error in page.content.decode().replace("&#x27;", "'")
    assert "<noscript>" not in page.content.decode()


def finished_export(office, who: str) -> AuditExport:
    export = AuditExport.objects.create(
        requested_by=office["users"][who], dossier=office["dossier"], format="xlsx"
    )
    assert actions_export.export_run(export_id=export.pk) == ExportState.DONE
    export.refresh_from_db()
    return export


def test_exports_are_purged_after_seven_days(big):
    office = big
    old = finished_export(office, "owner")
    recent = finished_export(office, "owner")
    AuditExport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=7, minutes=1)
    )
    assert actions_export.exports_purge(now=timezone.now()) == 1
    assert not AuditExport.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.file)
    assert AuditExport.objects.filter(pk=recent.pk).exists()
    assert default_storage.exists(recent.file)


def test_the_purge_is_a_periodic_job():
    from comptoir.core.scheduler import PERIODIC_JOBS

    (job,) = [j for j in PERIODIC_JOBS if j.name == "audit_exports_purge"]
    assert job.task_object().name == "audit_exports_purge"
