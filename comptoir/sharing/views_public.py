"""The recipient's side: `/s/<token>/`, for people without an account.

The token is the secret, so every answer here says `Referrer-Policy: no-referrer` (the
address never leaves in a Referer header), `Cache-Control: no-store` and `noindex`.
Unknown tokens get 404; revoked, expired, exhausted or dead links a page with status 410
and never a byte of a file. Downloads are POST forms: a mail scanner or a link preview
fetching the page cannot use up a download limit.

CSRF: under `no-referrer` browsers send no Referer and an `Origin: null` header with a form
POST, which Django's middleware refuses. These views keep Django's token check (the form
token against the cookie) and only accept that null origin and the missing Referer; any
other origin is still refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.core.clientip import client_ip
from comptoir.documents import responses

from . import actions
from .access import ResolvedLink, share_link_by_token, share_link_resolve
from .actions import Throttle
from .forms import LinkPasswordForm
from .models import ShareLink

SESSION_KEY = "sharing_unlocked"
GONE = 410
TOO_MANY = 429


class _NoReferrerCsrfMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return True  # what `Referrer-Policy: no-referrer` makes browsers send
        return super()._origin_verified(request)  # type: ignore[misc,no-any-return]

    def _check_referer(self, request: HttpRequest) -> None:
        return None  # there is none, by design; the token check below still applies


_link_csrf_protect = decorator_from_middleware(_NoReferrerCsrfMiddleware)

View = Callable[..., HttpResponseBase]


def link_page(view: View) -> View:
    """Headers of every link answer, and CSRF as explained above."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        patch_vary_headers(response, ["Cookie"])
        return response

    return csrf_exempt(_link_csrf_protect(wrapper))  # type: ignore[no-any-return]


def _actor(request: HttpRequest, link: ShareLink) -> actions.Actor:
    return actions.link_actor(
        link, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )


def _unlock_proof(link: ShareLink) -> str:
    # Bound to the link and to its password hash: a proof for one link opens no other.
    return salted_hmac(
        "comptoir.sharing.unlock", f"{link.pk}:{link.password_hash}", algorithm="sha256"
    ).hexdigest()


def _is_unlocked(request: HttpRequest, link: ShareLink) -> bool:
    if not link.has_password:
        return True
    proofs = request.session.get(SESSION_KEY)
    proof = proofs.get(str(link.pk)) if isinstance(proofs, dict) else None
    return isinstance(proof, str) and constant_time_compare(proof, _unlock_proof(link))


def _unlock(request: HttpRequest, link: ShareLink) -> None:
    proofs = request.session.get(SESSION_KEY)
    proofs = dict(proofs) if isinstance(proofs, dict) else {}
    proofs[str(link.pk)] = _unlock_proof(link)
    request.session[SESSION_KEY] = proofs


def _unknown(request: HttpRequest) -> HttpResponse:
    return render(request, "sharing/public/unknown.html", status=404)


def _gone(
    request: HttpRequest, resolved: ResolvedLink, token: str, *, document: bool = False
) -> HttpResponse:
    context = {
        "state": resolved.state,
        "link": resolved.link,
        "document_gone": document,
        "token": token,
    }
    return render(request, "sharing/public/gone.html", context, status=GONE)


def _resolve(token: str) -> ResolvedLink | None:
    link = share_link_by_token(token)
    return None if link is None else share_link_resolve(link)


def _documents_page(
    request: HttpRequest, resolved: ResolvedLink, token: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    link = resolved.link
    context = {
        "link": link,
        "documents": resolved.documents,
        "sender": link.created_by.display_name if link.created_by else "",
        "dossier_name": link.dossier.name,
        "error": error,
        "token": token,
    }
    return render(request, "sharing/public/documents.html", context, status=status)


def _password_page(
    request: HttpRequest,
    resolved: ResolvedLink,
    form: LinkPasswordForm,
    *,
    throttle: Throttle | None = None,
    wrong: bool = False,
) -> HttpResponse:
    """The password form. 429 when the throttle refused to look at a try, or now refuses
    any; a wrong password still inside the allowance is a plain form error."""
    refused = throttle is not None and (
        throttle.blocked or (not wrong and not throttle.allows_attempt)
    )
    status = TOO_MANY if refused else 200
    link = resolved.link
    context = {
        "link": link,
        "form": form,
        "throttle": throttle,
        "wrong": wrong,
        "sender": link.created_by.display_name if link.created_by else "",
    }
    response = render(request, "sharing/public/password.html", context, status=status)
    if refused and throttle is not None:
        response["Retry-After"] = str(throttle.wait_seconds)
    return response


@link_page
@require_http_methods(["GET", "POST"])
def link_public(request: HttpRequest, token: str) -> HttpResponse:
    resolved = _resolve(token)
    if resolved is None:
        return _unknown(request)
    if not resolved.is_active:
        return _gone(request, resolved, token)
    link = resolved.link
    if not _is_unlocked(request, link):
        actor = _actor(request, link)
        if request.method != "POST":
            throttle = actions.password_throttle(link=link, ip=actor.ip)
            return _password_page(
                request,
                resolved,
                LinkPasswordForm(),
                throttle=throttle if throttle.blocked else None,
            )
        form = LinkPasswordForm(request.POST)
        if not form.is_valid():
            return _password_page(request, resolved, form)
        answer = actions.share_link_password_attempt(
            actor=actor, link=link, password=form.cleaned_data["password"]
        )
        if not answer.accepted:
            return _password_page(
                request,
                resolved,
                LinkPasswordForm(),
                throttle=answer.throttle,
                wrong=answer.checked,
            )
        _unlock(request, link)
        return redirect(request.path)
    if request.method == "POST":
        return redirect(request.path)
    actions.share_link_open_record(actor=_actor(request, link), link=link)
    return _documents_page(request, resolved, token)


def _refused_download(request: HttpRequest, token: str, message: str) -> HttpResponse:
    # Between the page and the click, the link may have changed: judge it again.
    resolved = _resolve(token)
    if resolved is None:
        return _unknown(request)
    if not resolved.is_active:
        return _gone(request, resolved, token)
    return _documents_page(request, resolved, token, error=message, status=409)


@link_page
@require_POST
def link_download(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    resolved = _resolve(token)
    if resolved is None:
        return _unknown(request)
    if not resolved.is_active:
        return _gone(request, resolved, token)
    link = resolved.link
    if not _is_unlocked(request, link):
        return redirect("sharing:public", token=token)
    document = next((d for d in resolved.documents if d.pk == pk), None)
    if document is None or document.current_version is None:
        # In the trash, or no longer visible to the link's creator: not served.
        return _gone(request, resolved, token, document=True)
    try:
        actions.share_link_downloads_record(
            actor=_actor(request, link), link=link, documents=[document]
        )
    except actions.ActionRefused as refused:
        return _refused_download(request, token, refused.message)
    return responses.file_response(
        version=document.current_version, name=document.name, inline=False
    )


@link_page
@require_POST
def link_zip(request: HttpRequest, token: str) -> HttpResponseBase:
    resolved = _resolve(token)
    if resolved is None:
        return _unknown(request)
    if not resolved.is_active:
        return _gone(request, resolved, token)
    link = resolved.link
    if not _is_unlocked(request, link):
        return redirect("sharing:public", token=token)
    try:
        actions.share_link_downloads_record(
            actor=_actor(request, link), link=link, documents=resolved.documents, as_zip=True
        )
    except actions.ActionRefused as refused:
        return _refused_download(request, token, refused.message)
    filename = f"documents-{timezone.localdate():%Y-%m-%d}.zip"
    return responses.zip_response(documents=resolved.documents, filename=filename)


urlpatterns: list[URLPattern] = [
    path("s/<str:token>/", link_public, name="public"),
    path("s/<str:token>/documents/<id:pk>/", link_download, name="public_download"),
    path("s/<str:token>/zip/", link_zip, name="public_zip"),
]
