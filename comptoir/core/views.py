from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from comptoir.dossiers import selectors as dossier_selectors

from .models import OutboxEmail

HOME_DOSSIERS = 50


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # The login page is the first page a visitor sees.
    if not request.user.is_authenticated:
        return redirect("account_login")
    user = request.user
    # One row more than shown tells whether to offer the full list, without a COUNT.
    rows = list(dossier_selectors.dossier_rows(user=user)[: HOME_DOSSIERS + 1])  # type: ignore[arg-type]
    return render(
        request,
        "core/home.html",
        {
            "dossiers": dossier_selectors.with_role_labels(rows[:HOME_DOSSIERS]),
            "more_dossiers": len(rows) > HOME_DOSSIERS,
            "serves_dossiers": dossier_selectors.user_serves_dossiers(user=user),  # type: ignore[arg-type]
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
@staff_member_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(OutboxEmail.objects.only("id", "created_at", "to", "subject"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "core/outbox_list.html", {"page": page})


@require_GET
@staff_member_required
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboxEmail, pk=pk)
    return render(request, "core/outbox_detail.html", {"email": email})


@require_GET
@staff_member_required
def outbox_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML part, served in a sandbox: no script, no form, no request to our origin."""
    email = get_object_or_404(OutboxEmail, pk=pk)
    response = HttpResponse(email.body_html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response
