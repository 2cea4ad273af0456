"""Background processing of a document's current version: text for search, a thumbnail.

Run by the worker (`tasks.document_process`) after the upload commits. Derived data only:
nothing here is a person's action, so nothing is written to the activity log. A file
that cannot be read (damaged PDF, unknown image) simply gets no text and no thumbnail.
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image

from .models import Document
from .uploads import IMAGE_TYPES, MAX_IMAGE_PIXELS

logger = logging.getLogger(__name__)

THUMBNAIL_BOX = (160, 160)
PREVIEW_BOX = (1000, 1400)
MAX_TEXT_PAGES = 300
MAX_TEXT_CHARS = 1_000_000


def pdf_text_and_first_page(file: IO[bytes]) -> tuple[str, Image.Image | None]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(file)
    try:
        parts: list[str] = []
        length = 0
        for index in range(min(len(pdf), MAX_TEXT_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            textpage.close()
            page.close()
            parts.append(text)
            length += len(text)
            if length >= MAX_TEXT_CHARS:
                break
        image = None
        if len(pdf):
            page = pdf[0]
            width = page.get_width() or 1
            image = page.render(scale=min(PREVIEW_BOX[0] / width, 3)).to_pil()
            page.close()
        return "\n".join(parts)[:MAX_TEXT_CHARS], image
    finally:
        pdf.close()


def image_open(file: IO[bytes]) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(file)
        if image.size[0] * image.size[1] > MAX_IMAGE_PIXELS:
            raise ValueError("image too large")
        image.load()
    return image


def webp_bytes(image: Image.Image, box: tuple[int, int]) -> bytes:
    image = image.convert("RGB")
    image.thumbnail(box)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()


def document_process(*, document_id: int) -> None:
    document = Document.objects.select_related("current_version").filter(pk=document_id).first()
    if document is None or document.current_version is None:
        return
    version = document.current_version
    text = ""
    picture: Image.Image | None = None
    try:
        with default_storage.open(version.storage_name, "rb") as file:
            if version.mime_type == "application/pdf":
                text, picture = pdf_text_and_first_page(file)
            elif version.mime_type in IMAGE_TYPES:
                picture = image_open(file)
    except Exception:
        logger.warning("document %s: version %s could not be processed", document.pk, version.pk)
    names = {"thumbnail": "", "preview": ""}
    if picture is not None:
        for field, box in (("thumbnail", THUMBNAIL_BOX), ("preview", PREVIEW_BOX)):
            names[field] = default_storage.save(
                f"thumbnails/{document.dossier_id}/{uuid.uuid4().hex}.webp",
                ContentFile(webp_bytes(picture, box)),
            )
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.current_version_id != version.pk:
            # A newer version arrived meanwhile; its own job will describe it.
            stale = [name for name in names.values() if name]
        else:
            stale = [name for name in (locked.thumbnail, locked.preview) if name]
            locked.text_content = text
            locked.thumbnail = names["thumbnail"]
            locked.preview = names["preview"]
            locked.processed_at = timezone.now()
            locked.save(update_fields=["text_content", "thumbnail", "preview", "processed_at"])
            from .search import document_index

            document_index(document=locked)
    for name in stale:
        default_storage.delete(name)
