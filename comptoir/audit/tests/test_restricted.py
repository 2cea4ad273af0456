"""The activity log respects folder restrictions: a restricted Utilisateur with the log
option sees no event about a document, folder, share link or task document it may not
see — in the dossier's log, the log across dossiers, and the CSV and XLSX exports."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from comptoir.accounts.actions import user_create
from comptoir.assignments.actions_approval import (
    approval_approve,
    approval_document_open,
    approval_task_create,
)
from comptoir.assignments.models import TaskDocument
from comptoir.audit.access import events_visible, events_visible_across
from comptoir.audit.actions import Actor
from comptoir.documents.actions import document_rename, document_upload, folder_create
from comptoir.documents.models import Folder
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create
from comptoir.dossiers.models import Membership
from comptoir.dossiers.permissions import Permission, Role
from comptoir.sharing.actions import share_link_create
from comptoir.testing.files import pdf_bytes

SECRETS = ("secret-bilan", "banquier@secret.test", "Sous-classeur caché", "Comptes cachés")


def person(email: str):
    return user_create(email=email, password="x-Secret-123456", email_verified=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    owner = person("owner@alpha.test")
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    folders = {f.name: f for f in Folder.objects.filter(dossier=dossier)}
    allowed, forbidden = folders["Comptabilité"], folders["Fiscal"]
    reader = person("lectrice@alpha.test")
    Membership.objects.create(
        dossier=dossier,
        user=reader,
        role=Role.USER,
        extra_permissions=[Permission.AUDIT_VIEW.value, Permission.EXPORT.value],
        restrict_folders=True,
        visible_folder_ids=[allowed.pk],
    )
    actor = Actor(user=owner, ip="192.0.2.1")
    access = dossier_access_for(owner, dossier.slug)

    def upload(name: str, folder: Folder):
        received = file_receive(SimpleUploadedFile(name, pdf_bytes(name)))
        return document_upload(actor=actor, access=access, received=received, folder=folder)

    with django_capture_on_commit_callbacks(execute=True):
        shown = upload("visible-releve.pdf", allowed)
        hidden = upload("secret-bilan.pdf", forbidden)
        document_rename(actor=actor, access=access, document=hidden, name="secret-bilan-final.pdf")
        folder_create(actor=actor, access=access, name="Sous-classeur caché", parent=forbidden)
        share_link_create(
            actor=actor, access=access, documents=[hidden], recipients=["banquier@secret.test"]
        )
        share_link_create(
            actor=actor, access=access, documents=[shown], recipients=["notaire@visible.test"]
        )
        task = approval_task_create(
            actor=actor,
            access=access,
            title="Comptes cachés",
            assignees=[owner],
            documents=[hidden],
        )
        for link in TaskDocument.objects.filter(task=task):
            approval_document_open(actor=actor, access=access, task_document=link)
        approval_approve(actor=actor, access=access, task=task)
    hidden.refresh_from_db()
    return {
        "owner": owner,
        "reader": reader,
        "dossier": dossier,
        "hidden": hidden,
        "sha": hidden.current_version.sha256,
    }


def assert_nothing_hidden(text: str, world) -> None:
    for secret in (*SECRETS, world["sha"]):
        assert secret not in text
    assert "visible-releve.pdf" in text
    assert "notaire@visible.test" in text


def test_the_owner_sees_everything_the_restricted_reader_does_not(world):
    owner_access = dossier_access_for(world["owner"], world["dossier"].slug)
    reader_access = dossier_access_for(world["reader"], world["dossier"].slug)
    everything = set(events_visible(owner_access).values_list("pk", flat=True))
    seen = set(events_visible(reader_access).values_list("pk", flat=True))
    assert seen < everything
    across = set(events_visible_across(world["reader"]).values_list("pk", flat=True))
    assert across == seen
    left_out = events_visible(owner_access).exclude(pk__in=seen)
    assert set(left_out.values_list("action", flat=True)) == {
        "document.uploaded",
        "document.renamed",
        "folder.created",
        "share_link.created",
        "task.created",
        "task.document_opened",
        "task.approved",
    }


def test_the_dossier_log_and_the_log_across_leave_them_out(world):
    client = client_for(world["reader"])
    page = client.get(reverse("audit:dossier_log", args=[world["dossier"].slug]))
    assert page.status_code == 200
    assert_nothing_hidden(page.content.decode(), world)
    page = client.get(reverse("audit:log_across"))
    assert page.status_code == 200
    assert_nothing_hidden(page.content.decode(), world)
    # The owner's log has them all.
    owner_page = client_for(world["owner"]).get(
        reverse("audit:dossier_log", args=[world["dossier"].slug])
    )
    assert "secret-bilan.pdf" in owner_page.content.decode()


def test_the_csv_and_xlsx_exports_leave_them_out(world):
    client = client_for(world["reader"])
    url = reverse("audit:dossier_export", args=[world["dossier"].slug])
    csv_export = client.post(url, {"format": "csv", "delimiter": ";"})
    assert csv_export.status_code == 200
    assert_nothing_hidden(
        b"".join(csv_export.streaming_content).decode("utf-8-sig")
        if getattr(csv_export, "streaming", False)
        else csv_export.content.decode("utf-8-sig"),
        world,
    )
    xlsx_export = client.post(url, {"format": "xlsx"})
    assert xlsx_export.status_code == 200
    content = (
        b"".join(xlsx_export.streaming_content)
        if getattr(xlsx_export, "streaming", False)
        else xlsx_export.content
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cells = [
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert_nothing_hidden("\n".join(cells), world)


def test_a_decision_about_a_purged_document_stays_hidden(world):
    from comptoir.audit.models import AuditEvent
    from comptoir.documents.models import Document

    # The proofs of the decision outlive the document (trash purged): still not shown.
    TaskDocument.objects.filter(document=world["hidden"]).delete()
    Document.objects.filter(pk=world["hidden"].pk).update(folder=None)
    reader_access = dossier_access_for(world["reader"], world["dossier"].slug)
    approved = AuditEvent.objects.get(action="task.approved")
    assert not events_visible(reader_access).filter(pk=approved.pk).exists()


def test_a_large_export_by_the_worker_leaves_them_out(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from comptoir.audit import actions_export
    from comptoir.audit.models import AuditExport

    monkeypatch.setattr(actions_export, "SMALL_EXPORT_ROWS", 2)
    client = client_for(world["reader"])
    url = reverse("audit:dossier_export", args=[world["dossier"].slug])
    with django_capture_on_commit_callbacks():
        response = client.post(url, {"format": "csv", "delimiter": ";"})
    assert response.status_code == 302
    export = AuditExport.objects.get()
    actions_export.export_run(export_id=export.pk)
    export.refresh_from_db()
    with default_storage.open(export.file, "rb") as file:
        assert_nothing_hidden(file.read().decode("utf-8-sig"), world)
