"""The account's security events, recorded from allauth's and Django's signals.

Logging in and out, failed logins, password and email changes and second factors are
allauth's flows, not Comptoir's actions: its signals are the one place to see them (the
project uses no signals for its own domain wiring). Each receiver writes one audit event
without a dossier (the account's own events), whose object is the account, in its own
transaction. Connected in `AccountsConfig.ready()`; ended sessions are recorded by
`adapter.UserSessionsAdapter` (allauth sends no signal for them).

A failed login records the address typed (truncated), never the password.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.db import transaction

from comptoir.audit.actions import Actor, record
from comptoir.core.clientip import client_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

    from comptoir.accounts.models import User

# How much of a failed login's address is kept: enough to recognise it, not a dump.
ATTEMPTED_EMAIL_MAX_LENGTH = 100
# Who the log names for a failed login by someone not logged in.
ANONYMOUS_LABEL = "visiteur non connecté"


def actor_for(request: HttpRequest | None, user: User | None) -> Actor:
    """The person acting (`user`), from the request's address and browser when there is one."""
    if request is None:
        return Actor(user=user)
    if hasattr(request, "user"):
        actor = Actor.from_request(request)
    else:  # a bare request (the test client's logout): no middleware ran on it
        actor = Actor(
            user=None,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
    return dataclasses.replace(actor, user=user)


def account_event(
    *,
    request: HttpRequest | None,
    user: User,
    action: str,
    details: dict[str, Any] | None = None,
) -> None:
    with transaction.atomic():
        record(
            actor=actor_for(request, user),
            action=action,
            target=user,
            details={"email": user.email, **(details or {})},
        )


# --- Logging in and out -------------------------------------------------------------------


def on_logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    from allauth.account.internal.flows.login import get_authentication_records

    methods = [
        str(entry.get("method", ""))
        for entry in get_authentication_records(request, user)
        if isinstance(entry, dict)
    ]
    account_event(
        request=request, user=user, action="account.logged_in", details={"methods": methods}
    )


def on_logged_out(
    sender: Any, request: HttpRequest | None = None, user: User | None = None, **kwargs: Any
) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return  # logging out without being logged in: nothing happened
    account_event(request=request, user=user, action="account.logged_out")


def on_login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """A wrong password (at login, or when confirming it): the address typed, never the
    password (Django has already masked it in `credentials`, and it is not read here)."""
    from comptoir.accounts.models import User

    typed = credentials.get("email") or credentials.get("username") or ""
    attempted = str(typed).strip()[:ATTEMPTED_EMAIL_MAX_LENGTH]
    actor = actor_for(request, None)
    if request is not None and hasattr(request, "user") and request.user.is_authenticated:
        actor = dataclasses.replace(actor, user=request.user)  # confirming their password
    if actor.user is None:
        actor = dataclasses.replace(actor, label=ANONYMOUS_LABEL)
    # The account tried, when it exists: its owner can see the attempts on it.
    account = User.objects.filter(email__iexact=attempted).first() if attempted else None
    with transaction.atomic():
        record(
            actor=actor,
            action="account.login_failed",
            target=account,
            details={"email": attempted},
        )


# --- Account creation, passwords and addresses --------------------------------------------


def on_signed_up(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    account_event(request=request, user=user, action="account.created", details={"via": "signup"})


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    account_event(request=request, user=user, action="account.password_changed")


def on_password_set(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    account_event(request=request, user=user, action="account.password_set")


def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    account_event(request=request, user=user, action="account.password_reset")


def on_email_confirmed(
    sender: Any, request: HttpRequest | None = None, email_address: Any = None, **kwargs: Any
) -> None:
    if email_address is None:
        return
    account_event(
        request=request,
        user=email_address.user,
        action="account.email_confirmed",
        details={"email": email_address.email, "via": "link"},
    )


def on_email_added(
    sender: Any, request: HttpRequest, user: User, email_address: Any, **kwargs: Any
) -> None:
    account_event(
        request=request,
        user=user,
        action="account.email_added",
        details={"email": email_address.email},
    )


def on_email_removed(
    sender: Any, request: HttpRequest, user: User, email_address: Any, **kwargs: Any
) -> None:
    account_event(
        request=request,
        user=user,
        action="account.email_removed",
        details={"email": email_address.email},
    )


def on_email_changed(
    sender: Any,
    request: HttpRequest,
    user: User,
    from_email_address: Any = None,
    to_email_address: Any = None,
    **kwargs: Any,
) -> None:
    account_event(
        request=request,
        user=user,
        action="account.email_primary_changed",
        details={
            "from": from_email_address.email if from_email_address is not None else None,
            "to": to_email_address.email if to_email_address is not None else None,
        },
    )


# --- Second factors -----------------------------------------------------------------------


def _authenticator_details(authenticator: Any) -> dict[str, Any]:
    """Its type, and a security key's name (no id: a removed one has none left)."""
    if authenticator is None:
        return {}
    details = {"type": str(authenticator.type)}
    name = (authenticator.data or {}).get("name") if authenticator.type == "webauthn" else None
    if name:
        details["name"] = str(name)[:100]
    return details


def on_authenticator_added(
    sender: Any, request: HttpRequest, user: User, authenticator: Any = None, **kwargs: Any
) -> None:
    account_event(
        request=request,
        user=user,
        action="account.mfa_added",
        details=_authenticator_details(authenticator),
    )


def on_authenticator_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Any = None, **kwargs: Any
) -> None:
    account_event(
        request=request,
        user=user,
        action="account.mfa_removed",
        details=_authenticator_details(authenticator),
    )


def on_authenticator_reset(
    sender: Any, request: HttpRequest, user: User, authenticator: Any = None, **kwargs: Any
) -> None:
    account_event(
        request=request,
        user=user,
        action="account.mfa_reset",
        details=_authenticator_details(authenticator),
    )


def on_mfa_failed(
    sender: Any, request: HttpRequest, user: User, authenticator: Any = None, **kwargs: Any
) -> None:
    """A wrong second-factor code (at login, or when confirming it)."""
    account_event(
        request=request,
        user=user,
        action="account.mfa_failed",
        details={
            **_authenticator_details(authenticator),
            "reauthentication": bool(kwargs.get("reauthentication", False)),
        },
    )


def connect() -> None:
    """Called once, by AccountsConfig.ready(); dispatch_uid keeps it idempotent."""
    pairs = [
        (account_signals.user_logged_in, on_logged_in),
        (auth_signals.user_logged_out, on_logged_out),
        (auth_signals.user_login_failed, on_login_failed),
        (account_signals.user_signed_up, on_signed_up),
        (account_signals.password_changed, on_password_changed),
        (account_signals.password_set, on_password_set),
        (account_signals.password_reset, on_password_reset),
        (account_signals.email_confirmed, on_email_confirmed),
        (account_signals.email_added, on_email_added),
        (account_signals.email_removed, on_email_removed),
        (account_signals.email_changed, on_email_changed),
        (mfa_signals.authenticator_added, on_authenticator_added),
        (mfa_signals.authenticator_removed, on_authenticator_removed),
        (mfa_signals.authenticator_reset, on_authenticator_reset),
        (mfa_signals.authentication_failed, on_mfa_failed),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"comptoir.accounts.{receiver.__name__}")
