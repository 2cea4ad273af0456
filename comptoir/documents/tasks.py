"""Background jobs of the documents capability: thin, they call the processing code."""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from . import actions, processing, search
from .models import TRASH_RETENTION, Document, DocumentOriginal, DocumentVersion

logger = logging.getLogger(__name__)


@task()
def document_process(document_id: int) -> None:
    processing.document_process(document_id=document_id)


# --- Periodic jobs (registered in comptoir/core/scheduler.py) -----------------------------

ORPHAN_MIN_AGE = datetime.timedelta(days=1)
# Folders of the default storage whose files belong to documents (see actions._storage_name
# and processing.document_process).
DOCUMENT_STORAGE_ROOTS = ("documents", "thumbnails")
_CHUNK = 500


@task()
def trash_purge() -> int:
    return documents_trash_purge(now=timezone.now())


@task()
def orphan_files_sweep() -> int:
    now = timezone.now()
    removed = orphan_files_remove(now=now) + upload_temp_files_remove(now=now)
    search.search_index_prune()
    return removed


def upload_temp_files_remove(*, now: datetime.datetime) -> int:
    """Delete temporary upload files older than ORPHAN_MIN_AGE: a web process killed in
    the middle of an upload (SIGKILL, power cut) never closes, hence never deletes, the
    file its upload was streaming into."""
    folder = settings.FILE_UPLOAD_TEMP_DIR
    if not folder or not os.path.isdir(folder):
        return 0
    cutoff = (now - ORPHAN_MIN_AGE).timestamp()
    removed = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
    if removed:
        logger.info("stale upload temporary files removed: %s", removed)
    return removed


def documents_trash_purge(*, now: datetime.datetime) -> int:
    """Purge the documents trashed more than TRASH_RETENTION ago; returns how many went."""
    cutoff = now - TRASH_RETENTION
    candidates = list(
        Document.objects.filter(deleted_at__lt=cutoff).order_by("pk").values_list("pk", flat=True)
    )
    purged = 0
    for pk in candidates:
        with transaction.atomic():
            # Checked again under lock: restored meanwhile means kept.
            document = (
                Document.objects.select_for_update()
                .select_related("dossier")
                .filter(pk=pk, deleted_at__lt=cutoff)
                .first()
            )
            if document is None:
                continue
            actions.document_purge(document=document)
            search.document_unindex(document_id=pk)
        purged += 1
    if purged:
        logger.info("trash purge: %s document(s) purged", purged)
    return purged


def _storage_files(storage: Storage, root: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(root)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{root}/{name}"
    for directory in directories:
        yield from _storage_files(storage, f"{root}/{directory}")


def _unreferenced(names: list[str]) -> set[str]:
    """The names (all in one storage folder) that no version or document refers to."""
    referenced = set(
        DocumentVersion.objects.filter(storage_name__in=names).values_list(
            "storage_name", flat=True
        )
    )
    referenced.update(
        DocumentOriginal.objects.filter(storage_name__in=names).values_list(
            "storage_name", flat=True
        )
    )
    pictures = Document.objects.filter(Q(thumbnail__in=names) | Q(preview__in=names))
    # thumbnails/<dossier id>/…: the dossier's index narrows the scan to its documents.
    parts = names[0].split("/")
    if len(parts) == 3 and parts[0] == "thumbnails" and parts[1].isdigit():
        pictures = pictures.filter(dossier_id=int(parts[1]))
    for thumbnail, preview in pictures.values_list("thumbnail", "preview"):
        referenced.update((thumbnail, preview))
    return set(names) - referenced


def orphan_files_remove(*, now: datetime.datetime, storage: Storage | None = None) -> int:
    """Delete files under documents/ and thumbnails/ that no version or document names and
    that are older than ORPHAN_MIN_AGE (an upload whose process died between storing the
    file and committing its row; a thumbnail whose job died before saving it).

    Young files are kept: they may belong to an upload or a job still running.
    """
    storage = storage or default_storage
    cutoff = now - ORPHAN_MIN_AGE
    removed = 0

    def sweep(batch: list[str]) -> int:
        count = 0
        for name in sorted(_unreferenced(batch)):
            try:
                if storage.get_modified_time(name) >= cutoff:
                    continue
            except (NotImplementedError, OSError):
                continue  # age unknown: never delete what might be in use
            storage.delete(name)
            logger.info("orphan file removed: %s", name)
            count += 1
        return count

    for root in DOCUMENT_STORAGE_ROOTS:
        batch: list[str] = []
        folder = ""
        for name in _storage_files(storage, root):
            # A batch holds files of one folder only (see _unreferenced).
            if batch and (len(batch) >= _CHUNK or name.rsplit("/", 1)[0] != folder):
                removed += sweep(batch)
                batch = []
            folder = name.rsplit("/", 1)[0]
            batch.append(name)
        if batch:
            removed += sweep(batch)
    return removed
