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
from typing import IO, Any

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
# A page's size is the file's to choose (a 331-byte PDF may declare 300 x 50,000 points):
# every render is bounded like an image is.
MAX_RENDER_PIXELS = MAX_IMAGE_PIXELS
MAX_RENDER_SCALE = 3
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
            image = pdf_page_render(page, PREVIEW_BOX)
            page.close()
        return "\n".join(parts)[:MAX_TEXT_CHARS], image
    finally:
        pdf.close()


def pdf_render_scale(width: float, height: float, box: tuple[int, int]) -> float:
    """The scale that fits a page of width x height points in `box`, from both sides, never
    above MAX_RENDER_SCALE nor past MAX_RENDER_PIXELS."""
    width, height = max(width, 1.0), max(height, 1.0)
    scale = min(box[0] / width, box[1] / height, MAX_RENDER_SCALE)
    return min(scale, (MAX_RENDER_PIXELS / (width * height)) ** 0.5)


def pdf_page_render(page: Any, box: tuple[int, int]) -> Image.Image:
    """One page as an image that fits `box`: every render of a PDF page goes through here."""
    width, height = page.get_size()
    return page.render(scale=pdf_render_scale(width, height, box)).to_pil()  # type: ignore[no-any-return]


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
