from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import two_factor_requirement, user_has_second_factor

# What a person who must set up 2FA can still reach: the 2FA pages themselves (and the
# reauthentication they may ask for), logging out, and the email and password pages.
EXEMPT_URL_NAMES = frozenset(
    {
        "account_logout",
        "account_reauthenticate",
        "account_email",
        "account_email_verification_sent",
        "account_confirm_email",
        "account_change_password",
        "account_set_password",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "set_language",
        "core:healthz",
    }
)
EXEMPT_URL_NAME_PREFIXES = ("mfa_",)
EXEMPT_PATH_PREFIXES = ("/i18n/", "/healthz")


class RequireTwoFactorMiddleware:
    """Sends a member of a dossier or firm that requires 2FA to set it up first.

    Decided in `process_view`, once the URL is resolved, so exemptions go by URL name.
    Nothing is cached across requests: when the access that required 2FA is withdrawn,
    the next request passes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self._is_exempt(request):
            return None
        requirement = two_factor_requirement(user=user)  # type: ignore[arg-type]
        if requirement is None or user_has_second_factor(user=user):  # type: ignore[arg-type]
            return None
        if requirement.kind == "dossier":
            text = _(
                "Le dossier « %(name)s » exige la double authentification : activez une "
                "application d'authentification ou une clé d'accès pour continuer."
            )
        else:
            text = _(
                "Le cabinet « %(name)s » exige la double authentification : activez une "
                "application d'authentification ou une clé d'accès pour continuer."
            )
        target = reverse("mfa_index")
        if request.headers.get("HX-Request"):
            # htmx would follow a 302 inside the XHR and swap the whole setup page into a
            # fragment; HX-Redirect makes it load the page instead.
            response: HttpResponse = HttpResponse(status=204, headers={"HX-Redirect": target})
        else:
            response = HttpResponseRedirect(target)
        self._add_message(request, text % {"name": requirement.name})
        return response

    @staticmethod
    def _is_exempt(request: HttpRequest) -> bool:
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or path.startswith(EXEMPT_PATH_PREFIXES):
            return True
        match = request.resolver_match
        name = match.view_name if match is not None else ""
        return name in EXEMPT_URL_NAMES or name.startswith(EXEMPT_URL_NAME_PREFIXES)

    @staticmethod
    def _add_message(request: HttpRequest, text: str) -> None:
        """Queue the explanation for the setup page, once.

        process_view runs after every middleware's request half (MessageMiddleware's
        included), and the response returned here goes back through their response
        halves, so the message framework works as in a view.
        """
        # Several requests redirected before the setup page is shown must not stack copies.
        storage = getattr(request, "_messages", None)
        if storage is not None and Message(messages.WARNING, text) in storage:
            return
        messages.warning(request, text, fail_silently=True)


class SessionActivityMiddleware:
    """allauth's `UserSessionsMiddleware`, without a write on every page.

    allauth's writes the person's `UserSession` row on every signed-in request (taking
    SQLite's write lock for a page view). This reads it (one indexed SELECT) and writes it
    through allauth's own `create_from_request` only when the address or browser changed
    (allauth's `session_client_changed` still fires) or when `last_seen_at` is older than
    `SESSION_ACTIVITY_SECONDS`: the sessions page stays right to within those minutes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            getattr(settings, "USERSESSIONS_TRACK_ACTIVITY", False)
            and hasattr(request, "session")
            and request.session.session_key
            and hasattr(request, "user")
            and request.user.is_authenticated
        ):
            session_activity_note(request)
        return self.get_response(request)


def session_activity_note(request: HttpRequest) -> None:
    from allauth.account.adapter import get_adapter
    from allauth.usersessions.models import UserSession
    from django.utils import timezone

    seen = (
        UserSession.objects.filter(session_key=request.session.session_key)
        .values_list("user_id", "ip", "user_agent", "last_seen_at")
        .first()
    )
    if seen is not None:
        user_id, ip, user_agent, last_seen_at = seen
        longest = UserSession._meta.get_field("user_agent").max_length
        agent = request.META.get("HTTP_USER_AGENT", "")[:longest]
        fresh = (timezone.now() - last_seen_at).total_seconds() < settings.SESSION_ACTIVITY_SECONDS
        same = (
            user_id == request.user.pk
            and ip == get_adapter().get_client_ip(request)
            and user_agent == agent
        )
        if fresh and same:
            return
    UserSession.objects.create_from_request(request)
