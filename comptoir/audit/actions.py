"""`record()`: the only way an AuditEvent is written. Call it inside the action's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.http import HttpRequest

from .models import AuditEvent

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
            ip=request.META.get("REMOTE_ADDR") or None,
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
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    return AuditEvent.objects.create(
        dossier=dossier,
        actor=actor.user,
        actor_label=actor.label or (actor.user.email if actor.user else "système"),
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:300] if target is not None else "",
        ip=actor.ip,
        user_agent=actor.user_agent,
        details=details or {},
    )
