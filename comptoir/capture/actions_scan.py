"""Saving a scan: the pages made into one PDF, stored as a document of the chosen
classeur, with the photos it was made from attached byte for byte; then, after commit,
the worker's OCR (capture/tasks_scan.py) adds the text layer that search reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.assignments.actions import task_documents_attach
from comptoir.assignments.models import Step, Task
from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused
from comptoir.documents.actions import document_upload
from comptoir.documents.actions_originals import document_originals_attach
from comptoir.documents.models import Document, Folder
from comptoir.documents.uploads import IMAGE_TYPES, ReceivedFile, filename_sanitise
from comptoir.dossiers.access import DossierAccess

from . import scan_pdf

MAX_PAGES = 30


@dataclass(frozen=True)
class ScannedPage:
    photo: ReceivedFile  # the original, as the phone took it
    spec: scan_pdf.PageSpec


def _pdf_name(name: str) -> str:
    cleaned = filename_sanitise(name.strip()) or _("Numérisation")
    if not cleaned.lower().endswith(".pdf"):
        cleaned = f"{cleaned[:196]}.pdf"
    return cleaned


def _photo_bytes(received: ReceivedFile) -> bytes:
    received.file.seek(0)
    data = received.file.read()
    received.file.seek(0)
    return data


def scan_save(
    *,
    actor: Actor,
    access: DossierAccess,
    folder: Folder | None,
    name: str,
    pages: list[ScannedPage],
    task: Task | None = None,
    step: Step | None = None,
) -> Document:
    """Make the PDF (nothing is stored if a page cannot be made), store it as a document
    of `folder`, attach the photos, link it to `task` (or its `step`) when the scan
    answers one, queue the OCR after commit."""
    if not pages:
        raise ActionRefused(_("Prenez au moins une page en photo."))
    if len(pages) > MAX_PAGES:
        raise ActionRefused(_("Une numérisation compte au plus %(n)s pages.") % {"n": MAX_PAGES})
    rendered = []
    for number, page in enumerate(pages, start=1):
        if page.photo.mime_type not in IMAGE_TYPES:
            raise ActionRefused(_("La page %(n)s n'est pas une photo.") % {"n": number})
        try:
            rendered.append(scan_pdf.page_render(_photo_bytes(page.photo), page.spec))
        except scan_pdf.ScanRefused as refusal:
            raise ActionRefused(
                _("La page %(n)s n'a pas pu être redressée.") % {"n": number}
            ) from refusal
    pdf = scan_pdf.pdf_assemble(rendered)
    filename = _pdf_name(name)
    received = ReceivedFile(
        file=SimpleUploadedFile(filename, pdf, content_type="application/pdf"),
        name=filename,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        mime_type="application/pdf",
    )
    with transaction.atomic():
        document = document_upload(actor=actor, access=access, received=received, folder=folder)
        document_originals_attach(
            actor=actor,
            access=access,
            document=document,
            originals=[page.photo for page in pages],
        )
        if task is not None:
            task_documents_attach(
                actor=actor, access=access, task=task, step=step, documents=[document]
            )
        version_id = document.current_version_id
        assert version_id is not None
        # Imported here: the task module imports this one.
        from .tasks_scan import scan_text_layer

        document_id = document.pk
        transaction.on_commit(lambda: scan_text_layer.enqueue(document_id, version_id))
    return document
