"""The notification centre: the list, opening one, marking all read, the bell's refresh,
the email preferences, and the unsubscribe page emails link to.

None of these pages is under /d/<slug>/: notifications belong to the person, across
dossiers. Every fetch is filtered by the logged-in user: another's pk is a 404. The
unsubscribe page is the exception: no login, the signed token in its address says who.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor

from . import actions, selectors
from .forms import NotificationPreferencesForm
from .models import NotificationKind
from .tokens import DIGEST, TokenExpired, TokenInvalid, unsubscribe_read

PAGE_SIZE = 30
# htmx stops polling on this status: a bell whose session ended must not swap in the
# login page every minute.
HTMX_STOP_POLLING = 286


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.notifications_for(user=request.user)  # type: ignore[arg-type]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_of(user=request.user, pk=pk)  # type: ignore[arg-type]
    if notification is None:
        raise Http404
    actions.notifications_mark_read(user=request.user, notification=notification)  # type: ignore[arg-type]
    # Checked again on the way out: only a path on this site, whatever the row says.
    if notification.url and actions.safe_path(notification.url):
        return redirect(notification.url)
    return redirect("notifications:list")


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    actions.notifications_mark_read(user=request.user)  # type: ignore[arg-type]
    return redirect("notifications:list")


@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The top bar's bell alone, for htmx's refresh every minute."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    if not request.headers.get("HX-Request"):
        return redirect("notifications:list")
    response = render(request, "notifications/_bell.html")
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        initial=selectors.preferences_of(user=user),  # type: ignore[arg-type]
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.notification_preferences_update(
                actor=Actor.from_request(request),
                user=user,  # type: ignore[arg-type]
                deliveries=form.deliveries(),
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def _kind_label(kind: str) -> str:
    if kind == DIGEST:
        return _("Résumé quotidien")
    return str(NotificationKind(kind).label)


@csrf_exempt  # RFC 8058: mail clients POST here without a session; the token is the proof.
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (never changes anything: link scanners open links); POST turns it off."""
    try:
        unsubscribe = unsubscribe_read(token)
    except TokenExpired:
        return render(request, "notifications/unsubscribe.html", {"state": "expired"}, status=410)
    except TokenInvalid:
        return render(request, "notifications/unsubscribe.html", {"state": "invalid"}, status=400)
    user = get_user_model().objects.filter(pk=unsubscribe.user_id, is_active=True).first()
    if user is None:
        return render(request, "notifications/unsubscribe.html", {"state": "invalid"}, status=400)
    context = {"state": "ask", "kind": unsubscribe.kind, "is_digest": unsubscribe.kind == DIGEST}
    if request.method == "POST":
        actor = Actor.from_request(request)
        actions.notification_unsubscribe(
            actor=Actor(
                user=None,
                ip=actor.ip,
                user_agent=actor.user_agent,
                label="lien de désabonnement",
            ),
            user=user,  # type: ignore[arg-type]
            kind=unsubscribe.kind,
        )
        context["state"] = "done"
    # The page speaks the language of the person the email was for.
    with translation.override(getattr(user, "language", "") or translation.get_language()):
        context["kind_label"] = _kind_label(unsubscribe.kind)
        response = render(request, "notifications/unsubscribe.html", context)
    return response
