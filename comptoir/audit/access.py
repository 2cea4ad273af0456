"""Permission-checked reads of the activity log.

A dossier's log is read through `events_visible(access)` (the view has checked
AUDIT_VIEW with `dossier_view`); the accountant's log across dossiers through
`events_visible_across(user)`, which covers exactly the live dossiers where the person
holds AUDIT_VIEW (`dossiers_audited`). Nothing else reads `AuditEvent` for a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from comptoir.dossiers.access import DossierAccess, dossiers_with
from comptoir.dossiers.models import Dossier
from comptoir.dossiers.permissions import Permission

from .models import AuditEvent

if TYPE_CHECKING:
    from comptoir.accounts.models import User


def events_visible(access: DossierAccess) -> QuerySet[AuditEvent]:
    """The dossier's events (the caller has checked AUDIT_VIEW)."""
    if not access.has(Permission.AUDIT_VIEW):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(dossier=access.dossier)


def dossiers_audited(user: User, *, also: Permission | None = None) -> list[Dossier]:
    """The live dossiers whose log the person may read (and, with `also`, where they hold
    that permission too: `also=Permission.EXPORT` for exports), by name."""
    return dossiers_with(user, Permission.AUDIT_VIEW, *([also] if also is not None else []))


def events_visible_across(
    user: User, dossiers: list[Dossier] | None = None
) -> QuerySet[AuditEvent]:
    """Events of every dossier the person may audit (pass `dossiers_audited(user)` when
    the caller has it already, to save its queries)."""
    if dossiers is None:
        dossiers = dossiers_audited(user)
    return AuditEvent.objects.filter(dossier_id__in=[d.pk for d in dossiers])
