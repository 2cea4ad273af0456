"""Background job of the scanner: the text layer (OCR, Tesseract in French through
OCRmyPDF) on a saved scan, so that its words are found by the document search."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.tasks import task

from comptoir.documents.actions_originals import document_text_layer_add
from comptoir.documents.models import DocumentVersion
from comptoir.documents.uploads import ReceivedFile

from .scan_ocr import pdf_ocr

logger = logging.getLogger(__name__)


def text_layer_make(*, document_id: int, version_id: int) -> DocumentVersion | None:
    version = DocumentVersion.objects.filter(pk=version_id, document_id=document_id).first()
    if version is None:
        return None
    with tempfile.TemporaryDirectory(prefix="comptoir-ocr-") as directory:
        source, target = Path(directory, "scan.pdf"), Path(directory, "ocr.pdf")
        with default_storage.open(version.storage_name, "rb") as stored:
            source.write_bytes(stored.read())
        try:
            pdf_ocr(source, target)
        except Exception:
            # A page OCR cannot read leaves the scan as it is: searchable by its name.
            logger.exception("OCR failed for document %s", document_id)
            return None
        data = target.read_bytes()
    received = ReceivedFile(
        file=SimpleUploadedFile(version.original_name, data, content_type="application/pdf"),
        name=version.original_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        mime_type="application/pdf",
    )
    return document_text_layer_add(
        document_id=document_id, base_version_id=version_id, received=received
    )


@task()
def scan_text_layer(document_id: int, version_id: int) -> None:
    text_layer_make(document_id=document_id, version_id=version_id)
