"""The tus 1.0 resumable-upload protocol: headers, metadata and the partial file's bytes.

https://tus.io/protocols/resumable-upload — core, creation, termination and expiration.
The views (`views_tus.py`) speak HTTP, the actions (`actions_tus.py`) change rows; this
module knows the protocol's vocabulary and how bytes reach the partial file:

- a PATCH is streamed from the request to the partial file in blocks (never the whole body
  in memory), under an exclusive `flock` of that file, so two requests for one upload
  (a retry racing a request the client believes dead) never interleave: the second is
  told 409 and asks the offset again;
- the database's `offset` is the truth: the file is cut back to it before appending, so
  bytes written by a process that died before recording them are simply received again;
- a connection that drops mid-chunk keeps what arrived (the client resumes from there).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.http import http_date

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# An upload nobody has sent bytes to for this long is abandoned: refused, then purged.
TUS_EXPIRY = datetime.timedelta(hours=24)
BLOCK_SIZE = 1024 * 1024
MAX_METADATA_LENGTH = 4096


class TusError(Exception):
    """A request the protocol refuses: its HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def metadata_parse(header: str) -> dict[str, str]:
    """`Upload-Metadata: key base64value,key2 base64value2` → {key: decoded text}.

    Keys are unique ASCII without spaces or commas; a value that is not base64 of UTF-8
    text is refused (400).
    """
    if len(header) > MAX_METADATA_LENGTH:
        raise TusError(400, "Upload-Metadata too long")
    result: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _sep, value = pair.partition(" ")
        if not key or not key.isascii() or key in result:
            raise TusError(400, "Upload-Metadata: invalid key")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise TusError(400, "Upload-Metadata: invalid value") from error
    return result


def non_negative(value: str | None, header: str) -> int:
    """An integer header (Upload-Length, Upload-Offset, Content-Length), or 400."""
    if value is None or not value.isdigit() or len(value) > 18:
        raise TusError(400, f"{header} must be a non-negative integer")
    return int(value)


def expires_header(touched_at: datetime.datetime) -> str:
    return http_date((touched_at + TUS_EXPIRY).timestamp())


@contextmanager
def partial_file_locked(path: Path) -> Iterator[IO[bytes]]:
    """The partial file, opened for writing under an exclusive lock; 409 if already held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    file = os.fdopen(descriptor, "r+b")
    try:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise TusError(409, "another request is writing this upload") from error
        yield file
    finally:
        file.close()  # closing releases the lock


@dataclass
class ChunkResult:
    written: int
    complete_body: bool  # False when the connection ended before Content-Length bytes


def chunk_append(
    *, stream: IO[bytes], file: IO[bytes], offset: int, content_length: int
) -> ChunkResult:
    """Append up to `content_length` bytes from `stream` at `offset` (the recorded offset).

    Whatever arrived before a dropped connection is written and flushed to disk: the
    caller records it, and the client resumes from there.
    """
    file.truncate(offset)
    file.seek(offset)
    written = 0
    complete = True
    while written < content_length:
        try:
            block = stream.read(min(BLOCK_SIZE, content_length - written))
        except OSError:
            # The client went away mid-body (reset, timeout): keep what arrived.
            complete = False
            break
        if not block:
            complete = False
            break
        file.write(block)
        written += len(block)
    file.flush()
    os.fsync(file.fileno())
    return ChunkResult(written=written, complete_body=complete)
