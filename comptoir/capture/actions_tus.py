"""Resumable uploads (tus 1.0): start one, append bytes, finish it as a document, stop it.

An upload belongs to the person and the dossier that created it (`access_tus.py`). Its
size is declared at creation and refused beyond UPLOAD_MAX_BYTES; a chunk that would
pass the declared size is refused before any byte of it is written. The last chunk hands
the assembled file to the very action an ordinary upload uses (`documents.actions.
document_upload`, or `assignments.actions.task_documents_upload` for a task), so a
finished tus upload is checked, stored and audited exactly like a form upload. The
partial upload itself is transport state, not an event of the dossier: starting,
appending, stopping and purging record nothing; the document it becomes is recorded.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused
from comptoir.documents.models import Document, Folder
from comptoir.documents.uploads import UploadRefused, file_receive, size_limit_message
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.permissions import Permission

from .models_tus import TusUpload, tus_directory
from .tus import BLOCK_SIZE, TUS_EXPIRY, TusError, chunk_append, partial_file_locked

logger = logging.getLogger(__name__)

# Unfinished uploads one person may have in one dossier (each holds disk space for a day).
MAX_OPEN_UPLOADS = 100


@dataclass(frozen=True)
class TusTarget:
    """Where the finished file goes: a classeur (None: the root), or a task and its step."""

    folder: Folder | None = None
    task_id: int | None = None
    step_id: int | None = None


def _target_resolve(*, access: DossierAccess, metadata: dict[str, str]) -> TusTarget:
    """The target named by Upload-Metadata (`folder`, or `task` and optional `step`), as
    this person may use it; a missing or foreign one is refused, never guessed."""
    from comptoir.assignments.models import Step, TaskKind, TaskState
    from comptoir.documents.access import folders_visible

    def number(key: str) -> int | None:
        value = (metadata.get(key) or "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 18:
            raise ActionRefused(_("Destination inconnue : rechargez la page."))
        return int(value)

    task_id, step_id, folder_id = number("task"), number("step"), number("folder")
    if task_id is not None:
        from comptoir.assignments.access import tasks_visible

        if not access.has(Permission.TASK_WORK):
            raise ActionRefused(_("Vous ne pouvez pas déposer de documents dans cette tâche."))
        task = (
            tasks_visible(access)
            .filter(pk=task_id, kind=TaskKind.UPLOAD, state=TaskState.OPEN)
            .first()
        )
        if task is None:
            raise ActionRefused(_("Cette tâche n'est plus ouverte."))
        if (
            step_id is not None
            and not Step.objects.filter(task=task, pk=step_id, deleted_at__isnull=True).exists()
        ):
            raise ActionRefused(_("Cette étape n'existe plus."))
        return TusTarget(task_id=task.pk, step_id=step_id)
    if step_id is not None:
        raise ActionRefused(_("Destination inconnue : rechargez la page."))
    if folder_id is None:
        return TusTarget()
    folder = folders_visible(access).filter(pk=folder_id).first()
    if folder is None:
        raise ActionRefused(_("Ce classeur n'existe plus : choisissez-en un autre."))
    return TusTarget(folder=folder)


def tus_upload_create(
    *, actor: Actor, access: DossierAccess, length: int, metadata: dict[str, str]
) -> TusUpload:
    """Start an upload of `length` bytes (declared now, refused beyond the limit)."""
    if not access.has(Permission.DOCUMENT_UPLOAD):
        raise ActionRefused(_("Vous ne pouvez pas déposer de documents dans ce dossier."))
    if length > settings.UPLOAD_MAX_BYTES:
        raise ActionRefused(size_limit_message())
    target = _target_resolve(access=access, metadata=metadata)
    open_count = TusUpload.objects.filter(
        dossier=access.dossier, created_by=access.user, completed_at__isnull=True
    ).count()
    if open_count >= MAX_OPEN_UPLOADS:
        raise ActionRefused(
            _("Trop d'envois inachevés : terminez ou annulez ceux en cours avant d'en ajouter.")
        )
    upload = TusUpload.objects.create(
        dossier=access.dossier,
        created_by=access.user,
        length=length,
        filename=(metadata.get("filename") or "")[:255],
        folder=target.folder,
        step_id=target.step_id,
        task_id=target.task_id,
        touched_at=timezone.now(),
    )
    upload.tus_path.parent.mkdir(parents=True, exist_ok=True)
    upload.tus_path.touch(mode=0o600)
    if length == 0:
        tus_upload_finish(actor=actor, access=access, upload=upload)
    return upload


def tus_upload_append(
    *,
    actor: Actor,
    access: DossierAccess,
    upload: TusUpload,
    offset: int,
    stream: IO[bytes],
    content_length: int,
) -> TusUpload:
    """Append one chunk at `offset`; the last one finishes the upload (a document).

    Raises TusError (409 offset mismatch or concurrent request, 413 past the declared
    length, 410 already finished) before writing anything, ActionRefused when the
    finished file is refused (the upload is then removed).
    """
    if offset + content_length > upload.length:
        raise TusError(413, size_limit_message())
    with partial_file_locked(upload.tus_path) as file:
        upload.refresh_from_db()
        if upload.completed_at is not None:
            raise TusError(409, "upload already complete")
        if offset != upload.offset:
            raise TusError(409, "Upload-Offset does not match")
        result = chunk_append(
            stream=stream, file=file, offset=offset, content_length=content_length
        )
        upload.offset = offset + result.written
        upload.touched_at = timezone.now()
        TusUpload.objects.filter(pk=upload.pk).update(
            offset=upload.offset, touched_at=upload.touched_at
        )
        if upload.offset == upload.length:
            tus_upload_finish(actor=actor, access=access, upload=upload)
    return upload


class AssembledFile(UploadedFile):
    """The partial file once complete, handed to the upload actions as an upload.

    `temporary_file_path` lets a file-system storage move it into place (a rename on the
    same disk) instead of copying it, as it does for Django's own temporary uploads.
    """

    def __init__(self, path: Path, name: str, size: int) -> None:
        super().__init__(file=path.open("rb"), name=name, size=size)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def tus_upload_finish(*, actor: Actor, access: DossierAccess, upload: TusUpload) -> Document:
    """Hand the complete file to the upload action of its target; the upload keeps the
    document for a day (a client that missed the answer asks HEAD and learns it is done).

    A refused file (size, bomb, permission, task closed meanwhile) removes the upload and
    its bytes, then raises ActionRefused with the reason."""
    from comptoir.documents.actions import document_upload

    uploaded = AssembledFile(upload.tus_path, upload.filename, upload.length)
    try:
        # Hashed before the transaction: a database write lock is never held while a
        # large file is read.
        uploaded.sha256 = _file_sha256(upload.tus_path)  # type: ignore[attr-defined]
        with transaction.atomic():
            if upload.task_id is not None:
                document = _task_upload(actor, access, upload, uploaded)
            else:
                received = file_receive(uploaded)
                document = document_upload(
                    actor=actor, access=access, received=received, folder=upload.folder
                )
            upload.document = document
            upload.completed_at = timezone.now()
            TusUpload.objects.filter(pk=upload.pk).update(
                document=document, completed_at=upload.completed_at
            )
    except (UploadRefused, ActionRefused) as refusal:
        uploaded.close()
        tus_upload_terminate(upload=upload)
        raise ActionRefused(refusal.message) from refusal
    except BaseException:
        # The storage may already have moved the bytes away: an upload left at its full
        # offset would tell the client (HEAD) that it is done. Gone, it starts again.
        uploaded.close()
        tus_upload_terminate(upload=upload)
        raise
    uploaded.close()
    upload.tus_path.unlink(missing_ok=True)  # moved by the storage, or copied from
    return document


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(BLOCK_SIZE):
            digest.update(block)
    return digest.hexdigest()


def _task_upload(
    actor: Actor, access: DossierAccess, upload: TusUpload, uploaded: UploadedFile
) -> Document:
    from comptoir.assignments.access import access_step, access_task
    from comptoir.assignments.actions import task_documents_upload

    assert upload.task_id is not None
    try:
        task = access_task(access, upload.task_id)
        step = access_step(task, upload.step_id) if upload.step_id is not None else None
    except Http404 as error:  # deleted meanwhile
        raise ActionRefused(_("Cette tâche ou cette étape n'existe plus.")) from error
    result = task_documents_upload(
        actor=actor, access=access, task=task, step=step, files=[uploaded]
    )
    if not result.documents:
        raise ActionRefused(result.refused[0][1] if result.refused else _("Fichier refusé."))
    return result.documents[0]


def tus_upload_terminate(*, upload: TusUpload) -> None:
    """Stop an upload: its row and its bytes go (tus termination)."""
    upload.tus_path.unlink(missing_ok=True)
    TusUpload.objects.filter(pk=upload.pk).delete()


def tus_uploads_purge(*, now: datetime.datetime) -> int:
    """Remove uploads abandoned for 24 hours with their bytes, finished ones a day after,
    and partial files no upload names (a crash between the file and its row)."""
    cutoff = now - TUS_EXPIRY
    stale = list(
        TusUpload.objects.filter(completed_at__isnull=True, touched_at__lt=cutoff)
        | TusUpload.objects.filter(completed_at__lt=cutoff)
    )
    for upload in stale:
        tus_upload_terminate(upload=upload)
    directory = tus_directory()
    removed_files = 0
    if directory.is_dir():
        known = {u.hex for u in TusUpload.objects.values_list("id", flat=True)}
        for path in directory.iterdir():
            modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
            if path.name not in known and modified < cutoff:
                path.unlink(missing_ok=True)
                removed_files += 1
    if stale or removed_files:
        logger.info("tus: purged %s uploads, %s stray files", len(stale), removed_files)
    return len(stale)
