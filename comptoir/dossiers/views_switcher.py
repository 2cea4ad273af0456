"""Moving between dossiers: the full list, the top bar's switcher, the accountant's home.

None of these pages is under /d/<slug>/: they list dossiers, each linking to its own URL.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from . import selectors
from .context_processors import switcher_section

PAGE_SIZE = 50


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[: selectors.QUERY_MAX_LENGTH]


@require_GET
@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    rows = selectors.dossier_rows(user=request.user, query=query)  # type: ignore[arg-type]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_role_labels(list(page.object_list))
    return render(request, "dossiers/dossier_list.html", {"page": page, "q": query})


@require_GET
@login_required
def switcher(request: HttpRequest) -> HttpResponse:
    """The switcher's list for htmx; without htmx, the full list with the same search."""
    query = _query(request)
    if not request.headers.get("HX-Request"):
        url = reverse("dossiers:dossier_list")
        return redirect(f"{url}?{urlencode({'q': query})}" if query else url)
    response = render(
        request,
        "dossiers/_switcher.html#switcher_list",
        {
            "switcher_dossiers": selectors.dossier_search(user=request.user, query=query),  # type: ignore[arg-type]
            # Only to mark the current dossier in the list: its slug, from the page's URL.
            "switcher_current": request.GET.get("current", ""),
            "switcher_query": query,
            "switcher_section": switcher_section(request.GET.get("section", "")),
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def accountant_home(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    served = selectors.dossiers_served(user=request.user, query=query)  # type: ignore[arg-type]
    page = Paginator(served, PAGE_SIZE).get_page(request.GET.get("page"))
    # Open and overdue tasks of the dossiers on this page: one query for all of them.
    from comptoir.accounting.selectors import pending_counts_by_dossier
    from comptoir.assignments.selectors import task_counts_by_dossier

    page.object_list = list(page.object_list)
    counts = task_counts_by_dossier([d.pk for d in page.object_list])
    # Entries waiting for the next batch (lots d'écritures), one query for the page.
    pending = pending_counts_by_dossier([d.pk for d in page.object_list])
    for dossier in page.object_list:
        found = counts.get(dossier.pk, {})
        dossier.open_tasks = found.get("open", 0)  # type: ignore[attr-defined]
        dossier.overdue_tasks = found.get("overdue", 0)  # type: ignore[attr-defined]
        dossier.pending_entries = pending.get(dossier.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "dossiers/accountant_home.html",
        {
            "page": page,
            "q": query,
            "seats": selectors.firm_seats(user=request.user),  # type: ignore[arg-type]
        },
    )


urlpatterns: list[URLPattern] = [
    path("dossiers/", dossier_list, name="dossier_list"),
    path("dossiers/switcher/", switcher, name="switcher"),
    path("comptable/", accountant_home, name="accountant_home"),
]
