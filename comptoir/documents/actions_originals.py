"""A scanned document's original photos, and the searchable PDF the worker makes of it.

The originals are stored once, byte for byte (same storage, random names, SHA-256 kept),
and never change: they are the evidence a cleaned-up page is not. The text layer is added
by the worker as a new version of the document, by the system, only if the version it
read is still the current one — a person's newer version is never overwritten.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from comptoir.audit.actions import Actor, record
from comptoir.dossiers.access import DossierAccess

from .actions import _enqueue_processing, _storage_name
from .models import Document, DocumentOriginal, DocumentVersion
from .uploads import ReceivedFile


def document_originals_attach(
    *, actor: Actor, access: DossierAccess, document: Document, originals: list[ReceivedFile]
) -> list[DocumentOriginal]:
    """Keep `originals` beside `document`, in this order (page 1 first)."""
    stored: list[str] = []
    try:
        for received in originals:
            stored.append(default_storage.save(_storage_name(access.dossier), received.file))
        with transaction.atomic():
            rows = [
                DocumentOriginal.objects.create(
                    dossier=access.dossier,
                    document=document,
                    position=position,
                    storage_name=name,
                    original_name=received.name,
                    size=received.size,
                    sha256=received.sha256,
                    mime_type=received.mime_type,
                    uploaded_by=actor.user,
                )
                for position, (name, received) in enumerate(
                    zip(stored, originals, strict=True), start=1
                )
            ]
            record(
                actor=actor,
                action="document.originals_attached",
                dossier=access.dossier,
                target=document,
                details={"originals": [[r.original_name, r.sha256] for r in rows]},
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return rows


def document_text_layer_add(
    *, document_id: int, base_version_id: int, received: ReceivedFile
) -> DocumentVersion | None:
    """The worker's searchable copy of a scan as the document's next version; None (and
    nothing stored) when the document went to the trash or got another version since."""
    document = Document.objects.select_related("dossier").filter(pk=document_id).first()
    if document is None:
        return None
    storage_name = default_storage.save(_storage_name(document.dossier), received.file)
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            if locked.is_trashed or locked.current_version_id != base_version_id:
                default_storage.delete(storage_name)
                return None
            latest = locked.versions.aggregate(n=Max("number"))["n"] or 0
            version = DocumentVersion.objects.create(
                document=locked,
                number=latest + 1,
                storage_name=storage_name,
                original_name=received.name,
                size=received.size,
                sha256=received.sha256,
                mime_type=received.mime_type,
                uploaded_by=None,
            )
            locked.current_version = version
            locked.processed_at = None
            locked.save(update_fields=["current_version", "processed_at", "updated_at"])
            record(
                actor=Actor.system(),
                action="document.text_layer_added",
                dossier=document.dossier,
                target=locked,
                details={
                    "version": version.number,
                    "size": received.size,
                    "sha256": received.sha256,
                },
            )
            _enqueue_processing(locked.pk)
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return version


def document_original_read_record(
    *, actor: Actor, access: DossierAccess, document: Document, original: DocumentOriginal
) -> None:
    """A download of an original photo is in the log, as any read of a document."""
    with transaction.atomic():
        record(
            actor=actor,
            action="document.original_downloaded",
            dossier=access.dossier,
            target=document,
            details={"page": original.position, "sha256": original.sha256},
        )
