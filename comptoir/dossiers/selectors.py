"""Reads across dossiers: the switcher's search, "Mes dossiers", the accountant's home.

Every list here is one query whatever the number of dossiers: what a row shows (the
user's role, the firm, the members count) comes from correlated subqueries, never from
a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext as _

from .access import dossiers_for_user
from .models import Dossier, Firm, FirmAccess, FirmMember, Membership
from .permissions import Role

if TYPE_CHECKING:
    from comptoir.accounts.models import User

SWITCHER_SIZE = 20
QUERY_MAX_LENGTH = 100


def _matching(queryset: QuerySet[Dossier], query: str) -> QuerySet[Dossier]:
    """Name contains the query, or SIREN does (spaces ignored: "732 829 320")."""
    query = query.strip()[:QUERY_MAX_LENGTH]
    if not query:
        return queryset
    condition = Q(name__icontains=query)
    compact = query.replace(" ", "")
    if compact.isdigit():
        condition |= Q(siren__contains=compact)
    return queryset.filter(condition)


def _alphabetical(queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
    # Lower(): "atelier" sorts with "Atelier", not after every capital letter.
    return queryset.order_by(Lower("name"), "pk")


def dossier_search(
    *, user: User, query: str = "", limit: int | None = SWITCHER_SIZE
) -> QuerySet[Dossier]:
    """The user's dossiers whose name or SIREN contains `query`, alphabetical, `limit` first."""
    queryset = _alphabetical(_matching(dossiers_for_user(user), query))
    if limit is not None:
        queryset = queryset[:limit]
    return queryset


def _members_count() -> Subquery:
    members = (
        Membership.objects.filter(dossier=OuterRef("pk"))
        .order_by()
        .values("dossier")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), 0)  # type: ignore[return-value]


def dossier_rows(*, user: User, query: str = "") -> QuerySet[Dossier]:
    """The user's dossiers for "Mes dossiers", each with what `role_label()` needs."""
    mine = Membership.objects.filter(dossier=OuterRef("pk"), user=user)
    firms = Firm.objects.filter(
        dossier_accesses__dossier=OuterRef("pk"), members__user=user
    ).order_by("name")
    return dossier_search(user=user, query=query, limit=None).annotate(
        my_role=Subquery(mine.values("role")[:1]),
        my_profile=Subquery(mine.values("profile__name")[:1]),
        via_firm=Subquery(firms.values("name")[:1]),
    )


def role_label(dossier: Dossier) -> str:
    """The same answer as `DossierAccess.role_label`, from `dossier_rows()`'s annotations.

    A direct Propriétaire or Administrateur role wins over a firm's access; otherwise a
    firm's access makes the person Comptable there.
    """
    role: str | None = getattr(dossier, "my_role", None)
    firm: str | None = getattr(dossier, "via_firm", None)
    if role is not None and (role in {Role.OWNER, Role.ADMIN} or firm is None):
        if role == Role.CUSTOM and getattr(dossier, "my_profile", None):
            return str(dossier.my_profile)  # type: ignore[attr-defined]
        return str(Role(role).label)
    if firm is not None:
        return _("Comptable (via %(firm)s)") % {"firm": firm}
    return ""


def with_role_labels(dossiers: list[Dossier]) -> list[Dossier]:
    for dossier in dossiers:
        dossier.role_label = role_label(dossier)  # type: ignore[attr-defined]
    return dossiers


def dossiers_served(*, user: User, query: str = "") -> QuerySet[Dossier]:
    """What an accountant serves: through its firms, and as a direct Comptable member.

    Each row carries the firm it is served through (`served_firm`), since when
    (`served_since`) and its members count (`members_count`).
    """
    firm_ids = FirmMember.objects.filter(user=user).values("firm")
    through_firm = FirmAccess.objects.filter(dossier=OuterRef("pk"), firm__in=firm_ids).order_by(
        "created_at"
    )
    as_member = Membership.objects.filter(dossier=OuterRef("pk"), user=user, role=Role.ACCOUNTANT)
    queryset = Dossier.objects.alive().filter(Exists(through_firm) | Exists(as_member))
    return _alphabetical(_matching(queryset, query)).annotate(
        served_firm=Subquery(through_firm.values("firm__name")[:1]),
        served_since=Coalesce(
            Subquery(through_firm.values("created_at")[:1]),
            Subquery(as_member.values("created_at")[:1]),
        ),
        members_count=_members_count(),
    )


@dataclass(frozen=True)
class FirmSeat:
    firm: Firm
    is_admin: bool
    dossiers_count: int


def firm_seats(*, user: User) -> list[FirmSeat]:
    """The firms the user works in, with how many live dossiers each serves."""
    members = (
        FirmMember.objects.filter(user=user)
        .select_related("firm")
        .annotate(
            dossiers_count=Count(
                "firm__dossier_accesses",
                filter=Q(firm__dossier_accesses__dossier__deleted_at__isnull=True),
            )
        )
        .order_by(Lower("firm__name"))
    )
    return [
        FirmSeat(firm=m.firm, is_admin=m.is_admin, dossiers_count=m.dossiers_count)  # type: ignore[attr-defined]
        for m in members
    ]


def user_serves_dossiers(*, user: User) -> bool:
    """Whether the accountant's home has anything for this user (firm staff or Comptable)."""
    return (
        FirmMember.objects.filter(user=user).exists()
        or Membership.objects.filter(user=user, role=Role.ACCOUNTANT).exists()
    )
