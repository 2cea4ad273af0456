"""Writes on users. Every other module creates users through here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.db import transaction

from .models import User

if TYPE_CHECKING:
    from comptoir.dossiers.models import Dossier


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    language: str = "fr",
    email_verified: bool = False,
    is_staff: bool = False,
) -> User:
    """Create a user and its primary allauth EmailAddress in one transaction."""
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        language=language,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    return user


def user_remember_dossier(*, user: User, dossier: Dossier) -> None:
    """Remember the dossier last opened, to open it after the next login.

    Called on every dossier page, so it writes only when the dossier changes: one UPDATE
    of one column, no save() of the whole user (which could overwrite a concurrent change
    of another field) and no audit event (a preference, not an action).
    """
    if user.last_dossier_id == dossier.pk:  # type: ignore[attr-defined]
        return
    User.objects.filter(pk=user.pk).update(last_dossier=dossier)
    user.last_dossier_id = dossier.pk  # type: ignore[attr-defined]
