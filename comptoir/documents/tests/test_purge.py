"""The periodic clean-ups: the trash emptied after 30 days, orphan files swept."""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents import tasks
from comptoir.documents.access import documents_visible
from comptoir.documents.actions import documents_trash
from comptoir.documents.models import Document, DocumentVersion
from comptoir.documents.processing import document_process
from comptoir.documents.search import SearchFilters, documents_search
from comptoir.documents.tasks import documents_trash_purge, orphan_files_remove
from comptoir.testing.files import pdf_bytes

from .conftest import access_of, upload


def media(name: str) -> Path:
    return Path(settings.MEDIA_ROOT, name)


def trashed(office, name: str, *, days_ago: float) -> Document:
    document = upload(office, name, pdf_bytes(f"Contenu de {name}"))
    document_process(document_id=document.pk)  # thumbnail, preview, index
    documents_trash(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office), documents=[document]
    )
    Document.objects.filter(pk=document.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    document.refresh_from_db()
    return document


def files_of(document: Document) -> list[Path]:
    names = list(document.versions.values_list("storage_name", flat=True))
    names += [document.thumbnail, document.preview]
    assert all(names)
    return [media(name) for name in names]


def index_rows(document_id: int) -> int:
    sql = {
        "sqlite": "SELECT count(*) FROM documents_search WHERE rowid = %s",
        "postgresql": "SELECT count(*) FROM documents_search WHERE document_id = %s",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [document_id])
        return int(cursor.fetchone()[0])


def make_old(path: Path, *, days: float = 2) -> None:
    old = time.time() - days * 86400
    os.utime(path, (old, old))


# --- Trash purge ---------------------------------------------------------------------------


def test_only_documents_trashed_more_than_30_days_ago_are_purged(
    office, django_capture_on_commit_callbacks
):
    old = trashed(office, "ancien.pdf", days_ago=31)
    recent = trashed(office, "recent.pdf", days_ago=29)
    alive = upload(office, "vivant.pdf", b"v")
    old_files, recent_files = files_of(old), files_of(recent)
    assert all(path.exists() for path in old_files)
    assert index_rows(old.pk) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert documents_trash_purge(now=timezone.now()) == 1

    assert not Document.objects.filter(pk=old.pk).exists()
    assert not DocumentVersion.objects.filter(document_id=old.pk).exists()
    assert not any(path.exists() for path in old_files)
    assert index_rows(old.pk) == 0
    assert Document.objects.filter(pk__in=[recent.pk, alive.pk]).count() == 2
    assert all(path.exists() for path in recent_files)
    event = AuditEvent.objects.get(action="document.purged")
    assert event.object_id == str(old.pk)
    assert event.dossier_id == office["dossier"].pk
    assert event.actor is None


def test_a_document_restored_before_the_purge_stays(office):
    document = trashed(office, "rendu.pdf", days_ago=40)
    Document.objects.filter(pk=document.pk).update(deleted_at=None)
    assert documents_trash_purge(now=timezone.now()) == 0
    assert Document.objects.filter(pk=document.pk).exists()
    assert not AuditEvent.objects.filter(action="document.purged").exists()


def test_the_purge_task_runs_the_purge(office):
    document = trashed(office, "ancien.pdf", days_ago=31)
    assert tasks.trash_purge.call() == 1
    assert not Document.objects.filter(pk=document.pk).exists()
    assert tasks.trash_purge.call() == 0


# --- Orphan files --------------------------------------------------------------------------


def test_the_sweep_removes_old_unreferenced_files_only(office):
    document = upload(office, "garde.pdf", pdf_bytes("Gardé"))
    document_process(document_id=document.pk)
    document.refresh_from_db()
    referenced = files_of(document)
    dossier = office["dossier"].pk
    orphan = media(default_storage.save(f"documents/{dossier}/orphelin", ContentFile(b"o")))
    orphan_thumb = media(
        default_storage.save(f"thumbnails/{dossier}/orphelin.webp", ContentFile(b"t"))
    )
    young = media(default_storage.save(f"documents/{dossier}/en-cours", ContentFile(b"y")))
    elsewhere = media(default_storage.save("autre/vieux.txt", ContentFile(b"e")))
    for path in [*referenced, orphan, orphan_thumb, elsewhere]:
        make_old(path)

    assert orphan_files_remove(now=timezone.now()) == 2

    assert not orphan.exists()
    assert not orphan_thumb.exists()
    assert all(path.exists() for path in referenced)
    assert young.exists()  # maybe an upload still committing
    assert elsewhere.exists()  # not ours to judge


def test_the_sweep_task_also_prunes_the_search_index(office):
    document = upload(office, "disparu.pdf", b"d")
    document_process(document_id=document.pk)
    # Gone without the purge (e.g. a dossier deleted by the operator): its row lingers.
    Document.objects.filter(pk=document.pk).update(current_version=None)
    Document.objects.filter(pk=document.pk).delete()
    assert index_rows(document.pk) == 1
    tasks.orphan_files_sweep.call()
    assert index_rows(document.pk) == 0


def test_the_sweep_copes_with_an_empty_storage(office):
    assert orphan_files_remove(now=timezone.now()) == 0


def test_stale_index_rows_are_never_found(office):
    kept = upload(office, "facture-gardee.pdf", b"g")
    document_process(document_id=kept.pk)
    gone = upload(office, "facture-partie.pdf", b"p")
    document_process(document_id=gone.pk)
    Document.objects.filter(pk=gone.pk).update(current_version=None)
    Document.objects.filter(pk=gone.pk).delete()
    result = documents_search(
        documents_visible(access_of(office)),
        dossier_id=office["dossier"].pk,
        filters=SearchFilters(query="facture"),
    )
    assert [d.pk for d in result] == [kept.pk]
