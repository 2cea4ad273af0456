"""The access layer: every dossier-scoped read goes through here.

`dossier_access_for()` answers who the user is in a dossier (direct membership and/or a
firm's access); `dossier_view(permission)` wraps a view so it receives that answer, or a
404 when the user has no access (the same answer as for a dossier that does not exist),
or a 403 when its role lacks the declared permission. `access_<entity>()` fetches one
object of the dossier, 404 for missing and foreign alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from comptoir.accounts.actions import user_remember_dossier

from .models import Dossier, Firm, FirmAccess, FirmMember, Invitation, Membership, Profile
from .permissions import ROLE_PERMISSIONS, UNRESTRICTED_ROLES, USER_OPTIONS, Permission, Role

if TYPE_CHECKING:
    from comptoir.accounts.models import User


@dataclass(frozen=True)
class DossierAccess:
    dossier: Dossier
    user: User
    role: str
    permissions: frozenset[Permission]
    membership: Membership | None = None
    firms: tuple[Firm, ...] = field(default=())

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def restricted_folder_ids(self) -> list[int] | None:
        """None: every folder. A list: only these (an Utilisateur the owner restricted)."""
        if self.membership is None or self.role in UNRESTRICTED_ROLES:
            return None
        if not self.membership.restrict_folders:
            return None
        return [int(pk) for pk in self.membership.visible_folder_ids]

    @property
    def role_label(self) -> str:
        if self.membership is not None and self.membership.profile is not None:
            return self.membership.profile.name
        return str(Role(self.role).label)


def membership_permissions(membership: Membership) -> frozenset[Permission]:
    base = ROLE_PERMISSIONS[membership.role]
    if membership.role == Role.USER:
        extras = {Permission(p) for p in membership.extra_permissions if p in USER_OPTIONS}
        return base | extras
    if membership.role == Role.CUSTOM and membership.profile is not None:
        valid = {p.value for p in Permission}
        chosen = {Permission(p) for p in membership.profile.permissions if p in valid}
        return base | chosen - {Permission.DOSSIER_DELETE, Permission.OWNERSHIP_TRANSFER}
    return base


def firms_of(user: User) -> QuerySet[Firm]:
    return Firm.objects.filter(members__user=user)


def dossiers_for_user(user: User) -> QuerySet[Dossier]:
    """Every live dossier the user reaches, directly or through a firm: two subqueries of
    ids, no JOIN, so no DISTINCT over the dossiers (sorting a thousand of them for the
    switcher's ten would otherwise de-duplicate them all first)."""
    firms = FirmMember.objects.filter(user=user).values("firm")
    return Dossier.objects.alive().filter(
        Q(pk__in=Membership.objects.filter(user=user).values("dossier"))
        | Q(pk__in=FirmAccess.objects.filter(firm__in=firms).values("dossier"))
    )


def dossier_permissions(user: User) -> list[tuple[Dossier, frozenset[Permission]]]:
    """Every live dossier the person reaches, with what they may do there, by name.

    Two queries whatever the number of dossiers: the dossiers (sorted by SQL, only `pk`,
    `slug` and `name` loaded, and whether a firm serves them to the person) and the direct
    memberships, whose permissions are worked out exactly as `dossier_access_for` does.
    Callers needing several permission sets ask once and filter the list in Python.
    """
    firms = FirmMember.objects.filter(user=user).values("firm")
    served = FirmAccess.objects.filter(firm__in=firms).values("dossier")
    dossiers = (
        Dossier.objects.alive()
        .filter(Q(pk__in=served) | Q(pk__in=Membership.objects.filter(user=user).values("dossier")))
        .annotate(via_firm=Exists(served.filter(dossier=OuterRef("pk"))))
        .only("pk", "slug", "name")
        .order_by(Lower("name"), "pk")
    )
    direct = {
        m.dossier_id: membership_permissions(m)
        for m in Membership.objects.select_related("profile").filter(user=user)
    }
    accountant = ROLE_PERMISSIONS[Role.ACCOUNTANT]
    found: list[tuple[Dossier, frozenset[Permission]]] = []
    for dossier in dossiers:
        permissions = direct.get(dossier.pk, frozenset())
        if dossier.via_firm:  # type: ignore[attr-defined]
            permissions = permissions | accountant
        found.append((dossier, permissions))
    return found


def dossiers_with(user: User, *permissions: Permission) -> list[Dossier]:
    """The live dossiers where the person holds every one of `permissions`, by name
    (two queries, see `dossier_permissions`)."""
    wanted = set(permissions)
    return [dossier for dossier, held in dossier_permissions(user) if wanted <= held]


def dossier_access_for(user: User, slug: str) -> DossierAccess:
    """The user's access to the dossier, or Http404 (no access and no such dossier alike)."""
    if not user.is_authenticated:
        raise Http404
    dossier = Dossier.objects.alive().filter(slug=slug).first()
    if dossier is None:
        raise Http404
    membership = (
        Membership.objects.select_related("profile").filter(dossier=dossier, user=user).first()
    )
    firms = tuple(
        Firm.objects.filter(dossier_accesses__dossier=dossier, members__user=user).distinct()
    )
    if membership is None and not firms:
        raise Http404
    permissions: frozenset[Permission] = frozenset()
    role = Role.ACCOUNTANT.value
    if firms:
        permissions = ROLE_PERMISSIONS[Role.ACCOUNTANT]
    if membership is not None:
        permissions = permissions | membership_permissions(membership)
        # A direct role that is higher than Comptable wins for display and ownership.
        if membership.role in {Role.OWNER, Role.ADMIN} or not firms:
            role = membership.role
    return DossierAccess(
        dossier=dossier,
        user=user,
        role=role,
        permissions=permissions,
        membership=membership,
        firms=firms,
    )


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def dossier_view(permission: Permission) -> Callable[[ViewFunc], ViewFunc]:
    """Declare what a /d/<slug>/ view needs. The view gets `access` as its second argument.

    The tenancy test enumerates the URL patterns and fails on a dossier view without it.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = dossier_access_for(request.user, slug)  # type: ignore[arg-type]
            if not access.has(permission):
                raise PermissionDenied
            request.dossier_access = access  # type: ignore[attr-defined]
            # After the permission check: a refused request writes nothing.
            user_remember_dossier(user=request.user, dossier=access.dossier)  # type: ignore[arg-type]
            return view(request, access, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def access_membership(access: DossierAccess, pk: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "profile")
        .filter(dossier=access.dossier, pk=pk)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def access_invitation(access: DossierAccess, pk: int) -> Invitation:
    invitation = Invitation.objects.filter(dossier=access.dossier, pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


def access_profile(access: DossierAccess, pk: int) -> Profile:
    profile = Profile.objects.filter(dossier=access.dossier, pk=pk).first()
    if profile is None:
        raise Http404
    return profile


def access_firm_access(access: DossierAccess, pk: int) -> FirmAccess:
    firm_access = (
        FirmAccess.objects.select_related("firm").filter(dossier=access.dossier, pk=pk).first()
    )
    if firm_access is None:
        raise Http404
    return firm_access


# --- Firms --------------------------------------------------------------------------------


def access_firm(user: User, slug: str, *, admin: bool = False) -> FirmMember:
    """The user's seat in the firm: 404 when not on its staff (or no such firm), alike.

    With `admin=True`, a staff member who is not an administrator gets 403: they already
    know the firm exists, they may not change it.
    """
    if not user.is_authenticated:
        raise Http404
    member = FirmMember.objects.select_related("firm").filter(firm__slug=slug, user=user).first()
    if member is None:
        raise Http404
    if admin and not member.is_admin:
        raise PermissionDenied
    return member


def access_firm_member(member: FirmMember, pk: int) -> FirmMember:
    """Another seat of the same firm (404 for another firm's seat and a missing one alike)."""
    other = FirmMember.objects.select_related("user").filter(firm=member.firm_id, pk=pk).first()
    if other is None:
        raise Http404
    return other


def access_firm_invitation(member: FirmMember, pk: int) -> Invitation:
    invitation = Invitation.objects.filter(firm=member.firm_id, pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


def invitation_addressed_to(user: User, invitation: Invitation) -> bool:
    """Whether the invited address is one of the account's (its login or another address
    it added): only such an account may accept the invitation."""
    from allauth.account.models import EmailAddress

    email = invitation.email.strip()
    if user.email.strip().lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email).exists()
