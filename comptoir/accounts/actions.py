"""Writes on users. Every other module creates users through here.

Account events have no dossier: they are the person's own (creation, language here; login,
password, email and second-factor events are recorded from allauth's signals, in
`signals.py`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction

from comptoir.audit.actions import Actor, record

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
    actor: Actor | None = None,
) -> User:
    """Create a user and its primary allauth EmailAddress in one transaction.

    `actor` is who creates the account: none is the system (the demo data, a command); an
    anonymous visitor (a request without a logged-in user) is the person signing up, and
    the event names the new account.
    """
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
    if actor is None:
        actor = Actor.system()
    elif actor.user is None and not actor.label:
        actor = dataclasses.replace(actor, user=user)
    record(
        actor=actor,
        action="account.created",
        target=user,
        details={"email": user.email, "email_verified": email_verified, "is_staff": is_staff},
    )
    return user


@transaction.atomic
def user_language_set(*, actor: Actor, user: User, language: str) -> bool:
    """The person's language for the interface and the emails; answers whether it changed.

    One UPDATE of one column (no save() of the whole user, which could overwrite a
    concurrent change of another field).
    """
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(f"Unsupported language: {language!r}")
    rows = User.objects.select_for_update().filter(pk=user.pk)
    previous = rows.values_list("language", flat=True).first()
    if previous is None or previous == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    record(
        actor=actor,
        action="account.language_changed",
        target=user,
        details={"changed": {"language": [previous, language]}},
    )
    return True


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
