"""A minimal reader of gettext .po files, enough to check a catalogue is complete."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PoEntry:
    msgid: str
    msgstr: str
    fuzzy: bool
    plural: bool


def _unquote(fragments: list[str]) -> str:
    return "".join(ast.literal_eval(fragment) for fragment in fragments)


def po_entries(path: Path) -> list[PoEntry]:
    entries: list[PoEntry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"') and current:
                fields[current].append(line)
                continue
            key, _, rest = line.partition(" ")
            current = key
            fields[key] = [rest]
        if "msgid" not in fields:
            continue
        msgid = _unquote(fields["msgid"])
        if not msgid:
            continue
        plural = "msgid_plural" in fields
        msgstr = _unquote(fields.get("msgstr[0]" if plural else "msgstr", ['""']))
        entries.append(PoEntry(msgid=msgid, msgstr=msgstr, fuzzy=fuzzy, plural=plural))
    return entries
