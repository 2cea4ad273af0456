"""A dossier's full export: asked for on the dossier, written by the worker, opened and
checked against the dossier (classeur tree, versions, log, tasks)."""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from comptoir.assignments.actions import step_comment_add
from comptoir.assignments.tests.conftest import access_of, client_for, make_task
from comptoir.assignments.tests.conftest import office as office
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent, ExportState
from comptoir.documents.actions import (
    document_upload,
    document_version_add,
    documents_trash,
    folder_create,
)
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.models import Membership
from comptoir.dossiers.permissions import Permission
from comptoir.testing.files import pdf_bytes, png_bytes

from ..exporting import dossier_export_run, dossier_exports_purge
from ..models import DossierExport

pytestmark = pytest.mark.django_db


def upload(office, name, content, *, folder=None, who="owner"):
    user = office["users"][who]
    return document_upload(
        actor=Actor(user=user),
        access=access_of(office, who),
        received=file_receive(SimpleUploadedFile(name, content)),
        folder=folder,
    )


@pytest.fixture
def filled(office):
    owner = Actor(user=office["users"]["owner"])
    access = access_of(office, "owner")
    banks = folder_create(
        actor=owner, access=access, name="Banques", parent=office["folders"]["Comptabilité"]
    )
    first, second = pdf_bytes("Relevé v1"), pdf_bytes("Relevé v2")
    statement = upload(office, "relevé.pdf", first, folder=banks)
    document_version_add(
        actor=owner,
        access=access,
        document=statement,
        received=file_receive(SimpleUploadedFile("relevé.pdf", second)),
        base_version=1,
    )
    picture = png_bytes()
    upload(office, "ticket.png", picture)
    twin = png_bytes(colour="red")
    upload(office, "ticket.png", twin)
    trashed = upload(office, "doublon.pdf", pdf_bytes("Doublon"))
    documents_trash(actor=owner, access=access, documents=[trashed])
    task = make_task(office, title="=Pièces du mois")
    step = task.steps.order_by("position").first()
    step_comment_add(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        step=step,
        body='=HYPERLINK("http://x")',
    )
    return {
        "current": second,
        "older": first,
        "picture": picture,
        "twin": twin,
        "task": task,
    }


def export_zip(office, who="owner") -> tuple[DossierExport, zipfile.ZipFile]:
    client = client_for(office["users"][who])
    slug = office["dossier"].slug
    response = client.post(f"/d/{slug}/export/")
    assert response.status_code == 302
    export = DossierExport.objects.get(requested_by=office["users"][who])
    assert response["Location"] == f"/exports/dossier/{export.pk}/"
    assert dossier_export_run(export_id=export.pk) == ExportState.DONE
    page = client.get(f"/exports/dossier/{export.pk}/")
    assert page.status_code == 200
    assert f"/exports/dossier/{export.pk}/download/" in page.content.decode()
    download = client.get(f"/exports/dossier/{export.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    return export, zipfile.ZipFile(io.BytesIO(body))


@pytest.mark.parametrize("who", ["owner", "accountant", "staff"])
def test_the_zip_holds_the_whole_dossier(office, filled, who):
    export, archive = export_zip(office, who)
    names = set(archive.namelist())
    assert names == {
        "Documents/Comptabilité/Banques/relevé.pdf",
        "Documents/Comptabilité/Banques/Versions précédentes/relevé (v1).pdf",
        "Documents/ticket.png",
        "Documents/ticket (2).png",
        "Journal d'activité.xlsx",
        "Tâches.xlsx",
    }
    assert archive.read("Documents/Comptabilité/Banques/relevé.pdf") == filled["current"]
    assert (
        archive.read("Documents/Comptabilité/Banques/Versions précédentes/relevé (v1).pdf")
        == filled["older"]
    )
    assert {archive.read("Documents/ticket.png"), archive.read("Documents/ticket (2).png")} == {
        filled["picture"],
        filled["twin"],
    }

    log = openpyxl.load_workbook(io.BytesIO(archive.read("Journal d'activité.xlsx")))
    rows = list(log.active.iter_rows(values_only=True))
    # Every event of the dossier up to the request (its own included), newest first.
    assert len(rows) - 1 == AuditEvent.objects.filter(dossier=office["dossier"]).count()
    assert rows[1][2] == "Dossier exporté en entier"

    tasks = openpyxl.load_workbook(io.BytesIO(archive.read("Tâches.xlsx")))
    assert tasks.sheetnames == ["Tâches", "Étapes", "Commentaires"]
    task_rows = list(tasks["Tâches"].iter_rows(values_only=True))
    assert task_rows[1][:2] == (filled["task"].pk, "=Pièces du mois")
    step_rows = list(tasks["Étapes"].iter_rows(values_only=True))[1:]
    assert [row[2] for row in step_rows] == [
        "Relevés bancaires",
        "Factures d'achat",
        "Notes de frais",
    ]
    comments = list(tasks["Commentaires"].iter_rows(values_only=True))[1:]
    assert comments[0][4] == '=HYPERLINK("http://x")'
    # Typed cells: text that looks like a formula stays text.
    for book in (tasks, log):
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f"
    export.refresh_from_db()
    assert (export.items_done, export.items_total) == (6, 6)
    assert export.size > 0


def test_asking_is_audited_and_queued(office, django_capture_on_commit_callbacks):
    client = client_for(office["users"]["owner"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(f"/d/{office['dossier'].slug}/export/")
    export = DossierExport.objects.get()
    assert export.state == ExportState.PENDING
    assert len(callbacks) >= 1
    event = AuditEvent.objects.filter(action="dossier.exported").get()
    assert (event.dossier, event.actor_id, event.details) == (
        office["dossier"],
        office["users"]["owner"].pk,
        {"export": export.pk},
    )


def test_the_page_has_the_button_for_those_who_may(office):
    slug = office["dossier"].slug
    home = client_for(office["users"]["owner"]).get(f"/d/{slug}/").content.decode()
    assert f"/d/{slug}/export/" in home
    home = client_for(office["users"]["readonly"]).get(f"/d/{slug}/").content.decode()
    assert f"/d/{slug}/export/" not in home


def test_a_restricted_member_may_not_export_the_whole_dossier(office):
    user = office["users"]["user"]
    Membership.objects.filter(user=user).update(
        extra_permissions=[Permission.EXPORT.value, Permission.AUDIT_VIEW.value],
        restrict_folders=True,
        visible_folder_ids=[office["folders"]["Fiscal"].pk],
    )
    client = client_for(user)
    assert client.post(f"/d/{office['dossier'].slug}/export/").status_code == 403
    assert not DossierExport.objects.exists()


def test_an_export_is_its_requesters_alone(office, filled):
    export, _archive = export_zip(office, "owner")
    for who in ("admin", "accountant"):
        client = client_for(office["users"][who])
        assert client.get(f"/exports/dossier/{export.pk}/").status_code == 404
        assert client.get(f"/exports/dossier/{export.pk}/download/").status_code == 404
    assert client_for(office["outsider"]).get(f"/exports/dossier/{export.pk}/").status_code == 404


def test_a_job_run_twice_writes_once_and_old_exports_are_purged(office, filled):
    export, _archive = export_zip(office, "owner")
    assert dossier_export_run(export_id=export.pk) == ""
    export.refresh_from_db()
    assert default_storage.exists(export.file)
    assert dossier_exports_purge(now=timezone.now()) == 0
    assert dossier_exports_purge(now=timezone.now() + datetime.timedelta(days=8)) == 1
    assert not default_storage.exists(export.file)
    assert not DossierExport.objects.exists()


def test_progress_is_polled_until_done(office):
    client = client_for(office["users"]["owner"])
    client.post(f"/d/{office['dossier'].slug}/export/")
    export = DossierExport.objects.get()
    page = client.get(f"/exports/dossier/{export.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page
    part = client.get(f"/exports/dossier/{export.pk}/?part=progress", HTTP_HX_REQUEST="true")
    assert part.status_code == 200
    assert "<html" not in part.content.decode()
