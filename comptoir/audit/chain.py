"""The audit log's hash chain, and the append-only guard on its table.

Each dossier's events form one chain (key "d:<dossier id>"); events without a dossier form
one more (key "global"). In a chain, `seq` counts from 1 and each event's `hash` is the
SHA-256 of its canonical content, which includes the previous event's hash (`prev_hash`).
`AuditChain` holds each chain's head (last `seq` and `hash`): a deleted tail shows as a
head ahead of the last event.

The canonical content is computed from values normalised the way the database gives them
back (IP addresses in one spelling, JSON through a JSON round trip, times in UTC with
microseconds), so an event read back from SQLite or PostgreSQL hashes to what was hashed
when it was written. Changing this serialisation breaks every existing chain: don't, or
version it.

The database refuses UPDATE and DELETE on `audit_auditevent` (triggers, migration 0003).
`append_only_suspended()` is the one way around them, for the test harness's flush and a
deliberate operator; PostgreSQL's TRUNCATE is not guarded (row triggers do not fire on
it): it is what the test harness flushes with, and it needs the table's owner.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from .models import AuditEvent

GLOBAL_CHAIN = "global"

# What the hash covers, in the event's own column names. `id` is not in it: it is only
# known after the INSERT, and order within a chain is `seq`'s job.
HASHED_FIELDS = (
    "dossier_id",
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "ip",
    "user_agent",
    "details",
    "prev_hash",
)

# The guard's names, shared by migration 0003, the test harness and `audit-verify`.
TABLE = "audit_auditevent"
SQLITE_TRIGGERS = ("audit_auditevent_no_update", "audit_auditevent_no_delete")
POSTGRES_TRIGGER = "audit_auditevent_append_only"
# SQLite: while a TEMP table of this name exists, the triggers let its connection through.
# TEMP tables belong to one connection: no other is ever let through. (A trigger of the
# main schema may not name a TEMP object; it finds it through `pragma_table_list`.)
SQLITE_UNLOCK_TABLE = "audit_unlock"


def chain_key(dossier_id: int | None) -> str:
    return GLOBAL_CHAIN if dossier_id is None else f"d:{dossier_id}"


# --- Canonical content ------------------------------------------------------------------


def ip_normalise(value: Any) -> str | None:
    """The address to store: a valid IP in its usual spelling, else nothing."""
    if value is None or value == "":
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def _ip_canonical(value: Any) -> str | None:
    # The exploded form is a function of the address alone: it does not depend on how
    # PostgreSQL's inet or a Python version spells an IPv6 address (e.g. ::ffff:1.2.3.4).
    if value is None or value == "":
        return None
    try:
        return ipaddress.ip_address(str(value)).exploded
    except ValueError:
        return str(value)


def details_normalise(value: Any) -> Any:
    """`details` as the JSONField gives it back: tuples are lists, keys are strings."""
    return json.loads(json.dumps(value if value is not None else {}))


def _json_canonical(value: Any) -> Any:
    # PostgreSQL's jsonb keeps numbers as numerics: 1e20 comes back as an integer. An
    # integral float and the integer hash the same.
    if isinstance(value, dict):
        return {str(key): _json_canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_canonical(item) for item in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _time_canonical(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # USE_TZ off: times are stored as given, taken as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(values: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash is computed from (`values` keyed by HASHED_FIELDS)."""
    content = {
        "dossier_id": values["dossier_id"],
        "seq": values["seq"],
        "created_at": _time_canonical(values["created_at"]),
        "actor_id": values["actor_id"],
        "actor_label": values["actor_label"] or "",
        "action": values["action"] or "",
        "object_type": values["object_type"] or "",
        "object_id": values["object_id"] or "",
        "object_repr": values["object_repr"] or "",
        "ip": _ip_canonical(values["ip"]),
        "user_agent": values["user_agent"] or "",
        "details": _json_canonical(values["details"] if values["details"] is not None else {}),
        "prev_hash": values["prev_hash"] or "",
    }
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def event_hash(event: AuditEvent | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an event's canonical content; an event or a mapping of its values."""
    values = event if isinstance(event, Mapping) else {f: getattr(event, f) for f in HASHED_FIELDS}
    return hashlib.sha256(canonical_bytes(values)).hexdigest()


# --- Verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first place a chain does not hold."""

    key: str
    reason: str
    event_id: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class ChainReport:
    events: int
    chains: int
    broken: ChainBreak | None = None


@dataclass
class _Walk:
    key: str
    # The head as read before the events: (last_seq, last_hash), or None for a chain begun
    # since then.
    head: tuple[int, str] | None
    expected: int = 1
    prev_hash: str = ""
    last_id: int | None = None


def _heads(dossier_id: int | None) -> dict[str, tuple[int, str]]:
    from .models import AuditChain

    heads = AuditChain.objects.all()
    if dossier_id is not None:
        heads = heads.filter(key=chain_key(dossier_id))
    # One row per dossier that has events: small next to the events themselves.
    return {
        key: (seq, last) for key, seq, last in heads.values_list("key", "last_seq", "last_hash")
    }


def chains_verify(*, dossier_id: int | None = None, chunk_size: int = 2000) -> ChainReport:
    """Walk every chain (or one dossier's) in `seq` order, in flat memory.

    For each event: `seq` follows the previous one, `prev_hash` is the previous event's
    hash and `hash` recomputes. The heads are read first: each chain must reach its head's
    rank with its head's hash (else events were deleted at the end, or the head or the
    event was rewritten). Events written while the command runs come after their head's
    rank, or in a chain begun meanwhile: their links are checked, nothing is reported for
    them. Stops at the first break.
    """
    from .models import AuditChain, AuditEvent

    events = AuditEvent.objects.all()
    if dossier_id is not None:
        events = events.filter(dossier_id=dossier_id)
    heads = _heads(dossier_id)

    outside = events.filter(seq__isnull=True).order_by("id").values_list("id", "dossier_id").first()
    if outside is not None:
        return ChainReport(
            events=0,
            chains=0,
            broken=ChainBreak(
                key=chain_key(outside[1]),
                reason=_("il est hors chaîne (sans rang) : il n'a pas été écrit par record()"),
                event_id=outside[0],
            ),
        )

    columns = ("id", "hash", *HASHED_FIELDS)
    count = 0
    chains = 0
    walk: _Walk | None = None
    # PostgreSQL: inside a transaction the server-side cursor needs no WITH HOLD copy of
    # the whole result. SQLite: no transaction, which would take the write lock.
    reading = (
        transaction.atomic() if connections[events.db].vendor == "postgresql" else nullcontext()
    )
    with reading:
        rows = (
            events.filter(seq__isnull=False)
            .order_by("dossier_id", "seq")
            .values_list(*columns)
            .iterator(chunk_size=chunk_size)
        )
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            key = chain_key(values["dossier_id"])
            if walk is None or walk.key != key:
                if walk is not None and (broken := _chain_end(walk)) is not None:
                    return ChainReport(events=count, chains=chains, broken=broken)
                head = heads.pop(key, None)
                if head is None and not AuditChain.objects.filter(key=key).exists():
                    return ChainReport(
                        events=count,
                        chains=chains,
                        broken=ChainBreak(
                            key=key,
                            reason=_("ces événements n'ont pas de tête de chaîne"),
                            event_id=values["id"],
                            seq=values["seq"],
                        ),
                    )
                walk = _Walk(key=key, head=head)
                chains += 1
            broken = _event_check(walk, values)
            if broken is not None:
                return ChainReport(events=count, chains=chains, broken=broken)
            walk.expected += 1
            walk.prev_hash = values["hash"]
            walk.last_id = values["id"]
            count += 1
    if walk is not None and (broken := _chain_end(walk)) is not None:
        return ChainReport(events=count, chains=chains, broken=broken)
    # Heads whose events are all gone.
    for key, head in sorted(heads.items()):
        if head[0]:
            broken = _chain_end(_Walk(key=key, head=head))
            return ChainReport(events=count, chains=chains, broken=broken)
    return ChainReport(events=count, chains=chains)


def _event_check(walk: _Walk, values: dict[str, Any]) -> ChainBreak | None:
    seq = values["seq"]

    def broken(reason: str) -> ChainBreak:
        return ChainBreak(key=walk.key, reason=reason, event_id=values["id"], seq=seq)

    if seq < walk.expected:
        return broken(_("ce rang est déjà pris par un autre événement de la chaîne"))
    if seq > walk.expected:
        missing = seq - walk.expected
        return broken(
            ngettext(
                "l'événement de rang %(first)s manque avant lui (supprimé)",
                "les %(count)s événements des rangs %(first)s à %(last)s manquent avant lui "
                "(supprimés)",
                missing,
            )
            % {"count": missing, "first": walk.expected, "last": seq - 1}
        )
    if values["prev_hash"] != walk.prev_hash:
        return broken(
            _(
                "l'empreinte précédente qu'il porte n'est pas celle de l'événement qui le "
                "précède (ordre modifié, ou événement remplacé)"
            )
        )
    if values["hash"] != event_hash(values):
        return broken(_("son contenu ne correspond plus à son empreinte (événement modifié)"))
    if walk.head is not None and seq == walk.head[0] and values["hash"] != walk.head[1]:
        return broken(
            _("la tête de chaîne a une autre empreinte pour ce rang (événement ou tête réécrits)")
        )
    return None


def _chain_end(walk: _Walk) -> ChainBreak | None:
    seen = walk.expected - 1
    if walk.head is None or walk.head[0] <= seen:
        return None
    last_seq = walk.head[0]
    if not seen:
        reason = _(
            "il ne reste aucun événement alors que sa tête en annonce %(head)s : "
            "ils ont été supprimés"
        ) % {"head": last_seq}
    else:
        reason = ngettext(
            "la chaîne s'arrête au rang %(seen)s alors que sa tête en annonce %(head)s : "
            "le dernier événement a été supprimé",
            "la chaîne s'arrête au rang %(seen)s alors que sa tête en annonce %(head)s : "
            "les %(missing)s derniers événements ont été supprimés",
            last_seq - seen,
        ) % {"seen": seen, "head": last_seq, "missing": last_seq - seen}
    return ChainBreak(
        key=walk.key, reason=reason, event_id=walk.last_id, seq=seen if seen else None
    )


# --- The append-only guard --------------------------------------------------------------


def append_only_guarded(connection: BaseDatabaseWrapper | None = None) -> bool:
    """Whether the database still has the triggers refusing UPDATE and DELETE, enabled.

    On SQLite, a migration that rebuilds the table (any AlterField there) drops them.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "AND name IN (%s, %s)",
                [TABLE, *SQLITE_TRIGGERS],
            )
            return cursor.fetchone()[0] == len(SQLITE_TRIGGERS)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND tgname = %s AND tgenabled <> 'D'",
                [TABLE, POSTGRES_TRIGGER],
            )
            return cursor.fetchone()[0] == 1
    return False


@contextmanager
def append_only_suspended(connection: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """Let this connection (only) UPDATE and DELETE events until the block ends.

    For the test harness's flush and for tests that tamper on purpose; an operator who
    means it can use it from `comptoir shell`. Whatever it changes breaks the chain, which
    `audit-verify` reports. SQLite: creates the TEMP unlock table on this connection.
    PostgreSQL: disables the trigger inside a transaction (the table's owner only; the
    ALTER is undone if the block fails, and other writers wait until it ends).
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                # ALTER TABLE refuses to run while the transaction has deferred checks
                # pending (Django's foreign keys are deferred): run them now, and keep them
                # immediate until the trigger is back.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {POSTGRES_TRIGGER}")
            yield
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {POSTGRES_TRIGGER}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM temp.sqlite_master WHERE type = 'table' AND name = %s",
            [SQLITE_UNLOCK_TABLE],
        )
        already = cursor.fetchone()[0] > 0  # an enclosing block: it removes the table
        if not already:
            cursor.execute(f"CREATE TEMP TABLE {SQLITE_UNLOCK_TABLE} (id integer)")
    try:
        yield
    finally:
        if not already:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS temp.{SQLITE_UNLOCK_TABLE}")
