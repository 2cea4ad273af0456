"""HTTP responses that carry a document's bytes.

Only types a browser shows safely (PDF, raster images) are ever served inline; everything
else, HTML and SVG first, is an attachment. Every file response says `nosniff` and carries
a CSP that forbids scripts, so nothing uploaded ever runs from Comptoir's origin. Bytes are
streamed from storage in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from zipstream import ZipStream

from .models import Document, DocumentOriginal, DocumentVersion
from .uploads import INLINE_TYPES

__all__ = ["INLINE_TYPES", "file_response", "thumbnail_response", "zip_response"]

CHUNK = 256 * 1024
# No script, no plugin, no form, nothing fetched: a document is only looked at.
ATTACHMENT_CSP = "default-src 'none'; sandbox"
# Chromium's PDF viewer refuses sandboxed documents; scripts stay forbidden all the same.
INLINE_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'"
)


def _harden(response: HttpResponse | StreamingHttpResponse, *, csp: str) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"


def file_response(
    *, version: DocumentVersion | DocumentOriginal, name: str, inline: bool
) -> FileResponse:
    show = inline and version.mime_type in INLINE_TYPES
    file = default_storage.open(version.storage_name, "rb")
    response = FileResponse(
        file,
        as_attachment=not show,
        filename=name,
        content_type=version.mime_type if show else "application/octet-stream",
    )
    response.block_size = CHUNK
    _harden(response, csp=INLINE_CSP if show else ATTACHMENT_CSP)
    if show:
        # Our own pages may frame a preview; no one else may.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] += "; frame-ancestors 'self'"
    return response


def thumbnail_response(storage_name: str) -> FileResponse:
    response = FileResponse(default_storage.open(storage_name, "rb"), content_type="image/webp")
    _harden(response, csp=ATTACHMENT_CSP)
    return response


def _chunks(storage_name: str) -> Iterator[bytes]:
    with default_storage.open(storage_name, "rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def unique_names(names: Iterable[str]) -> list[str]:
    """Two documents may share a name; inside one ZIP they get "name (2).ext"."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 1
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem:
            stem, dot, extension = name, "", ""
        while candidate.lower() in seen:
            n += 1
            candidate = f"{stem} ({n}){dot}{extension}"
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def zip_stream(documents: list[Document]) -> ZipStream:
    stream = ZipStream(sized=True)
    versions = [d.current_version for d in documents if d.current_version is not None]
    for version, arcname in zip(
        versions,
        unique_names(d.name for d in documents if d.current_version is not None),
        strict=True,
    ):
        # Stored, not deflated: PDFs and photos do not shrink, and the size is known upfront.
        stream.add(_chunks(version.storage_name), arcname, size=version.size)
    return stream


def zip_response(*, documents: list[Document], filename: str) -> StreamingHttpResponse:
    stream = zip_stream(documents)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Length"] = str(len(stream))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    _harden(response, csp=ATTACHMENT_CSP)
    return response
