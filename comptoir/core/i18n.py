"""Language choice: the person's explicit choice, else French.

Comptoir is French-first: the browser's Accept-Language is not consulted, so a French
firm's client with an English browser still sees the French the firm works in, and
switches to English with one click (the choice is kept in a cookie and on the account,
where emails read it).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def language_for(request: HttpRequest) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in SUPPORTED:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return str(user.language)
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect), also remembered on the account."""
    response = set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if language in SUPPORTED and user.is_authenticated and user.language != language:
        # Imported here: core is below the apps; the account's change is an audited action.
        from comptoir.accounts.actions import user_language_set
        from comptoir.audit.actions import Actor

        user_language_set(actor=Actor.from_request(request), user=user, language=language)  # type: ignore[arg-type]
    return response
