"""The chains' heads written outside the database ("anchors"), and the check against them.

The hash chain alone shows an edit to whoever does not recompute: someone able to write
to the database can edit an event, recompute every later hash and the head, and the chain
holds again. An anchor is the heads ({chain key: (last seq, last hash)}) at one moment,
appended as one JSON line to `<AUDIT_ANCHORS_DIR>/anchors.jsonl`, a file the database
cannot reach (point AUDIT_ANCHORS_DIR at another disk, a write-once mount or a synced
folder to put it out of the database administrator's reach too). Each backup writes one
(and keeps it in its manifest), and so does the daily job `audit_anchor`.

`anchor_check` compares the database with the last anchor: for each chain, the event at
the anchor's rank must still carry the anchor's hash. With `chains_verify` holding
(every event links to the one before), that proves every event up to the anchor is the
one anchored. Chains only grow, so later events are not the anchor's business; a chain
shorter than its anchor lost events.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .chain import GLOBAL_CHAIN, ChainBreak, chain_key

ANCHORS_FILE = "anchors.jsonl"
_TAIL_BLOCK = 64 * 1024
_CHECK_CHUNK = 200

Heads = dict[str, tuple[int, str]]


@dataclass(frozen=True)
class Anchor:
    at: datetime
    source: str
    heads: Heads


def anchors_path() -> Path:
    return Path(settings.AUDIT_ANCHORS_DIR) / ANCHORS_FILE


def heads_current() -> Heads:
    """Every chain's head, as the database has it now."""
    from .models import AuditChain

    return {
        key: (int(seq), last)
        for key, seq, last in AuditChain.objects.order_by("key").values_list(
            "key", "last_seq", "last_hash"
        )
    }


def heads_as_json(heads: Heads) -> dict[str, list[Any]]:
    return {key: [seq, last] for key, (seq, last) in sorted(heads.items())}


def heads_from_json(value: Any) -> Heads:
    return {str(key): (int(item[0]), str(item[1])) for key, item in dict(value).items()}


def anchor_write(*, source: str, heads: Heads | None = None, path: Path | None = None) -> Anchor:
    """Append the heads (now's, unless given) as one line; flushed to disk before returning.

    One `write` on a file opened O_APPEND: two writers never interleave within a line.
    """
    anchor = Anchor(
        at=timezone.now(), source=source, heads=heads_current() if heads is None else heads
    )
    path = path or anchors_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"at": anchor.at.isoformat(), "source": source, "heads": heads_as_json(anchor.heads)},
        separators=(",", ":"),
        sort_keys=True,
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor


def _parse(line: bytes) -> Anchor | None:
    try:
        value = json.loads(line)
        at = parse_datetime(value["at"])
        if at is None:
            return None
        return Anchor(at=at, source=str(value["source"]), heads=heads_from_json(value["heads"]))
    except (ValueError, KeyError, TypeError, IndexError):
        return None  # a line cut short by a crash: the one before is the last anchor


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The file's lines from the last one, reading blocks from the end (the file grows by
    one line a day and per backup: never read it whole)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        position = handle.tell()
        rest = b""
        while position > 0:
            step = min(_TAIL_BLOCK, position)
            position -= step
            handle.seek(position)
            block = handle.read(step) + rest
            lines = block.split(b"\n")
            rest = lines.pop(0)
            for line in reversed(lines):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest


def anchor_last(path: Path | None = None) -> Anchor | None:
    path = path or anchors_path()
    if not path.exists():
        return None
    for line in _lines_backwards(path):
        anchor = _parse(line)
        if anchor is not None:
            return anchor
    return None


def _dossier_of(key: str) -> int | None:
    return None if key == GLOBAL_CHAIN else int(key.removeprefix("d:"))


def anchor_check(anchor: Anchor, *, dossier_id: int | None = None) -> ChainBreak | None:
    """The first chain that no longer has, at the anchor's rank, the anchor's hash."""
    from .models import AuditEvent

    wanted = sorted(
        (key, head)
        for key, head in anchor.heads.items()
        if head[0] > 0 and (dossier_id is None or key == chain_key(dossier_id))
    )
    when = date_format(timezone.localtime(anchor.at), "DATETIME_FORMAT")
    for start in range(0, len(wanted), _CHECK_CHUNK):
        chunk = wanted[start : start + _CHECK_CHUNK]
        match = Q()
        for key, (seq, _last) in chunk:
            dossier = _dossier_of(key)
            match |= (
                Q(dossier__isnull=True, seq=seq)
                if dossier is None
                else Q(dossier_id=dossier, seq=seq)
            )
        found = {
            (chain_key(dossier), seq): (pk, digest)
            for pk, dossier, seq, digest in AuditEvent.objects.filter(match).values_list(
                "id", "dossier_id", "seq", "hash"
            )
        }
        for key, (seq, last) in chunk:
            event = found.get((key, seq))
            if event is None:
                return ChainBreak(
                    key=key,
                    reason=_(
                        "l'ancre du %(when)s enregistrait un événement de rang %(seq)s, qui "
                        "n'existe plus : des événements ont été supprimés"
                    )
                    % {"when": when, "seq": seq},
                    seq=seq,
                )
            if event[1] != last:
                return ChainBreak(
                    key=key,
                    reason=_(
                        "son empreinte n'est plus celle que l'ancre du %(when)s a enregistrée : "
                        "la chaîne a été recalculée après une modification"
                    )
                    % {"when": when},
                    event_id=event[0],
                    seq=seq,
                )
    return None
