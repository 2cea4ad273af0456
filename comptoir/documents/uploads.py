"""Receiving files: the streaming upload handler, name sanitising, type sniffing, checks.

Uploads stream to a temporary file in chunks while their SHA-256 is computed; nothing
holds a whole file in memory. A file over the size limit is dropped as soon as its
bytes pass the limit (and a request whose declared length is already too big is refused
by the view before its body is read). What a person sees as the name is sanitised here;
storage never uses it.
"""

from __future__ import annotations

import errno
import hashlib
import unicodedata
import warnings
from dataclasses import dataclass
from typing import IO, Any

import magic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from PIL import Image

MAX_NAME_LENGTH = 200
SNIFF_BYTES = 8192
# Beyond this many pixels an image is refused (a "decompression bomb" would exhaust memory
# when a thumbnail is made).
MAX_IMAGE_PIXELS = 60_000_000
# Types a browser may show from our origin. Everything else is always an attachment.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff"})


def filename_sanitise(name: str) -> str:
    """The name to show: no path separators, control or bidi-override characters, bounded.

    Two documents may share a name; the extension survives truncation.
    """
    name = unicodedata.normalize("NFC", name or "")
    cleaned = []
    for char in name:
        if char in "/\\":
            cleaned.append("_")
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            # Control, format (U+202E right-to-left override, zero-width…), surrogates,
            # private use, unassigned, line and paragraph separators.
            continue
        else:
            cleaned.append(char)
    result = " ".join("".join(cleaned).split()).strip(" .")
    if not result:
        return _("document")
    if len(result) > MAX_NAME_LENGTH:
        stem, dot, extension = result.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            result = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            result = result[:MAX_NAME_LENGTH].rstrip()
    return result


def mime_sniff(head: bytes) -> str:
    """The type of a file from its first bytes (libmagic), never from its name."""
    if not head:
        return "application/octet-stream"
    mime = magic.from_buffer(head, mime=True) or "application/octet-stream"
    if mime in {"application/x-empty", "inode/x-empty"}:
        return "application/octet-stream"
    return mime


class UploadRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def image_check(file: IO[bytes], mime_type: str) -> None:
    """Refuse images whose pixel count would exhaust memory when decoded."""
    if mime_type not in IMAGE_TYPES:
        return
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UploadRefused(
            _("Cette image est trop grande pour être traitée sans risque.")
        ) from error
    except Exception:
        return
    finally:
        file.seek(0)
    if width * height > MAX_IMAGE_PIXELS:
        raise UploadRefused(_("Cette image est trop grande pour être traitée sans risque."))


@dataclass(frozen=True)
class ReceivedFile:
    """A checked upload, ready to be stored."""

    file: UploadedFile
    name: str
    size: int
    sha256: str
    mime_type: str


def file_receive(uploaded: UploadedFile) -> ReceivedFile:
    """Check one uploaded file and describe it. Raises UploadRefused with a clear message."""
    size = uploaded.size or 0
    if size > settings.UPLOAD_MAX_BYTES:
        raise UploadRefused(size_limit_message())
    digest = getattr(uploaded, "sha256", None)
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    if digest is None:
        sha = hashlib.sha256(head)
        for chunk in iter(lambda: uploaded.read(1024 * 1024), b""):
            sha.update(chunk)
        digest = sha.hexdigest()
    mime_type = mime_sniff(head)
    image_check(uploaded, mime_type)
    uploaded.seek(0)
    return ReceivedFile(
        file=uploaded,
        name=filename_sanitise(uploaded.name or ""),
        size=size,
        sha256=digest,
        mime_type=mime_type,
    )


def body_unreadable(request: HttpRequest) -> str | None:
    """Parse the multipart body now (with the handlers already set): the refusal to show
    when Django cannot (a file name of 1,000 characters passes its header limit), else None.
    Read before the CSRF check, which would otherwise meet the error and answer a bare 400."""
    try:
        request.POST  # noqa: B018 - reading it parses the body
    except MultiPartParserError:
        return _("Envoi illisible : le nom du fichier est peut-être trop long. Renommez-le.")
    except UnreadablePostError:
        return _("L'envoi a été interrompu : réessayez.")
    return None


def no_space_message() -> str:
    return _(
        "Le serveur n'a plus assez d'espace disque : le fichier n'a pas été enregistré. "
        "Réessayez plus tard et prévenez l'administrateur."
    )


def size_limit_message() -> str:
    from django.template.defaultfilters import filesizeformat

    return _("Ce fichier dépasse la taille maximale autorisée (%(limit)s).") % {
        "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)
    }


class CheckedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file, hashing it, and drops it past the size limit.

    Dropped files are listed on `request.uploads_too_large` so the view can say which.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_bytes = settings.UPLOAD_MAX_BYTES
        self.sha = hashlib.sha256()
        self.received = 0
        if request is not None and not hasattr(request, "uploads_too_large"):
            request.uploads_too_large = []  # type: ignore[attr-defined]

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.sha = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.file.close()  # a TemporaryUploadedFile deletes itself on close
            if self.request is not None:
                self.request.uploads_too_large.append(self.file_name)  # type: ignore[attr-defined]
            raise SkipFile
        self.sha.update(raw_data)
        try:
            self.file.write(raw_data)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            # Disk full: nothing half-written stays (closing deletes it); the view says so.
            self.file.close()
            if self.request is not None:
                self.request.uploads_no_space = True  # type: ignore[attr-defined]
            raise SkipFile from None
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.sha256 = self.sha.hexdigest()  # type: ignore[attr-defined]
        return uploaded
