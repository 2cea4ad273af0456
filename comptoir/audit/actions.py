"""`record()`: the only way an AuditEvent is written. Call it inside the action's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from comptoir.core.clientip import client_ip

from .chain import chain_key, details_normalise, event_hash, ip_normalise
from .models import AuditChain, AuditEvent

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.dossiers.models import Dossier


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: what every action needs for its audit event."""

    user: User | None
    ip: str | None = None
    user_agent: str = ""
    # Who acts when no account does, as the log shows it (e.g. "lien de partage #12").
    label: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user if request.user.is_authenticated else None
        return cls(
            user=user,  # type: ignore[arg-type]
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None)


def record(
    *,
    actor: Actor,
    action: str,
    dossier: Dossier | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to its chain (the dossier's, or the one of events without a dossier).

    Locks the chain's head row until the action's transaction ends, so two actions in one
    dossier at once get consecutive ranks. What is hashed is what the database will give
    back (see chain.py), so the chain verifies on SQLite and PostgreSQL alike.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    event = AuditEvent(
        dossier=dossier,
        actor=actor.user,
        actor_label=(actor.label or (actor.user.email if actor.user else "système"))[:320],
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk)[:64] if target is not None else "",
        object_repr=str(target)[:300] if target is not None else "",
        ip=ip_normalise(actor.ip),
        user_agent=actor.user_agent[:300],
        details=details_normalise(details or {}),
    )
    # get_or_create creates a missing head in a savepoint and, when another transaction
    # created it first (IntegrityError on the unique key), reads it again, locked.
    head, _created = AuditChain.objects.select_for_update().get_or_create(
        key=chain_key(event.dossier_id)
    )
    # Taken once the head is ours, so that times follow ranks within a chain.
    event.created_at = timezone.now()
    event.seq = head.last_seq + 1
    event.prev_hash = head.last_hash
    event.hash = event_hash(event)
    event.save(force_insert=True)
    AuditChain.objects.filter(pk=head.pk).update(last_seq=event.seq, last_hash=event.hash)
    return event
