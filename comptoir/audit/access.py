"""Permission-checked reads of the activity log.

A dossier's log is read through `events_visible(access)` (the view has checked
AUDIT_VIEW with `dossier_view`); the accountant's log across dossiers through
`events_visible_across(user)`, which covers exactly the live dossiers where the person
holds AUDIT_VIEW (`dossiers_audited`). Nothing else reads `AuditEvent` for a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from comptoir.dossiers.access import DossierAccess, membership_permissions
from comptoir.dossiers.models import Dossier, FirmMember, Membership
from comptoir.dossiers.permissions import ROLE_PERMISSIONS, Permission, Role

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
    that permission too: `also=Permission.EXPORT` for exports), by name.

    Two queries whatever the number of dossiers: the firms' dossiers (their staff are
    Comptable there) and the direct memberships, whose permissions are worked out exactly
    as `dossier_access_for` does.
    """
    found: dict[int, Dossier] = {}
    wanted = {Permission.AUDIT_VIEW} | ({also} if also is not None else set())
    if wanted <= ROLE_PERMISSIONS[Role.ACCOUNTANT]:
        firms = FirmMember.objects.filter(user=user).values("firm")
        for dossier in Dossier.objects.alive().filter(firm_accesses__firm__in=firms).distinct():
            found[dossier.pk] = dossier
    memberships = Membership.objects.select_related("dossier", "profile").filter(
        user=user, dossier__deleted_at__isnull=True
    )
    for membership in memberships:
        if wanted <= membership_permissions(membership):
            found[membership.dossier_id] = membership.dossier
    return sorted(found.values(), key=lambda d: (d.name.casefold(), d.pk))


def events_visible_across(
    user: User, dossiers: list[Dossier] | None = None
) -> QuerySet[AuditEvent]:
    """Events of every dossier the person may audit (pass `dossiers_audited(user)` when
    the caller has it already, to save its queries)."""
    if dossiers is None:
        dossiers = dossiers_audited(user)
    return AuditEvent.objects.filter(dossier_id__in=[d.pk for d in dossiers])
