"""Reads about users that are more than a one-line queryset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from allauth.mfa.models import Authenticator
from django.db.models import IntegerField, Value

from comptoir.dossiers.access import dossiers_for_user
from comptoir.dossiers.models import Firm

if TYPE_CHECKING:
    from comptoir.accounts.models import User

# Recovery codes only back up one of these; on their own they are not a second factor.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

_DOSSIER, _FIRM = 0, 1


@dataclass(frozen=True)
class TwoFactorRequirement:
    """Who makes two-factor authentication mandatory for a user: a dossier or a firm."""

    kind: Literal["dossier", "firm"]
    name: str


def two_factor_requirement(*, user: User) -> TwoFactorRequirement | None:
    """The dossier (first) or firm that makes 2FA mandatory for the user, else None.

    One query: the live dossiers the user reaches (directly or through a firm) that
    require 2FA, UNION the firms the user belongs to that require it. Nothing is cached,
    so a removed membership stops requiring 2FA on the next request.
    """
    dossiers = (
        dossiers_for_user(user)
        .filter(require_2fa=True)
        .order_by()
        .annotate(kind=Value(_DOSSIER, output_field=IntegerField()))
        .values_list("kind", "name")
    )
    firms = (
        Firm.objects.filter(members__user=user, require_2fa=True)
        .order_by()
        .annotate(kind=Value(_FIRM, output_field=IntegerField()))
        .values_list("kind", "name")
    )
    row = dossiers.union(firms).order_by("kind", "name").first()
    if row is None:
        return None
    kind, name = row
    return TwoFactorRequirement(kind="dossier" if kind == _DOSSIER else "firm", name=name)


def user_requires_2fa(*, user: User) -> str | None:
    """The name of the dossier or firm that requires 2FA of the user, or None."""
    requirement = two_factor_requirement(user=user)
    return requirement.name if requirement else None


def user_has_second_factor(*, user: User) -> bool:
    """Whether the user has an authenticator app or a security key/passkey set up."""
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exists()
