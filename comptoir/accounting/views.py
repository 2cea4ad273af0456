"""The ledger's pages: entries, batches (lots d'écritures), the chart, exports.

Reading entries needs INVOICE_VIEW (they are the invoices' accounting side; Lecture seule
reads them too); batches, downloads, whole-year exports and the chart need EXPORT.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions_batches, exports, selectors
from .access import access_batch
from .actions_chart import chart_update
from .chart import chart_of, fiscal_year_end, fiscal_year_start
from .forms import ChartForm, CollectForm, EntryFilterForm


def accounting_context(access: DossierAccess, **extra: Any) -> dict[str, Any]:
    return dossier_context(access, **extra)


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def entry_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = EntryFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    after = selectors.Cursor.parse(request.GET.get("after", ""))
    page = selectors.entries_page(dossier=access.dossier, filters=filters, after=after)
    totals = selectors.entries_totals(dossier=access.dossier, filters=filters)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "accounting/entry_list.html",
        accounting_context(
            access, form=form, page=page, totals=totals, filters=filters, query=query.urlencode()
        ),
    )


@dossier_view(Permission.EXPORT)
@require_http_methods(["GET", "POST"])
def batch_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    today = timezone.localdate()
    form = CollectForm(request.POST or None, initial={"up_to": today})
    if request.method == "POST" and form.is_valid():
        try:
            batch = actions_batches.batch_collect(
                actor=Actor.from_request(request), access=access, up_to=form.cleaned_data["up_to"]
            )
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Lot n° %(n)s collecté : %(count)s écriture.",
                    "Lot n° %(n)s collecté : %(count)s écritures.",
                    batch.entries_count,
                )
                % {"n": batch.sequence, "count": batch.entries_count},
            )
            return redirect("accounting:batch_list", access.dossier.slug)
    batches = list(selectors.batches_of(access.dossier)[:100])
    latest = next((b for b in batches if b.cancelled_at is None), None)
    closings = selectors.fiscal_years_of(access.dossier)
    return render(
        request,
        "accounting/batch_list.html",
        accounting_context(
            access,
            form=form,
            batches=batches,
            latest=latest,
            pending=selectors.pending_count(dossier=access.dossier),
            pending_today=selectors.pending_count(dossier=access.dossier, up_to=today),
            years=[(c, fiscal_year_start(access.dossier, c)) for c in closings],
        ),
    )


@dossier_view(Permission.EXPORT)
@require_POST
def batch_cancel(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    batch = access_batch(access, pk)
    try:
        count = actions_batches.batch_cancel(
            actor=Actor.from_request(request), access=access, batch=batch
        )
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            ngettext(
                "Lot n° %(n)s annulé : %(count)s écriture revient à collecter.",
                "Lot n° %(n)s annulé : %(count)s écritures reviennent à collecter.",
                count,
            )
            % {"n": batch.sequence, "count": count},
        )
    return redirect("accounting:batch_list", access.dossier.slug)


def _batch_download(
    request: HttpRequest, access: DossierAccess, pk: int, format: str
) -> HttpResponseBase:
    batch = access_batch(access, pk)
    try:
        file, filename = actions_batches.batch_download(
            actor=Actor.from_request(request), access=access, batch=batch, format=format
        )
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("accounting:batch_list", access.dossier.slug)
    content_type = "text/plain; charset=utf-8" if format == "fec" else "text/csv; charset=utf-8"
    return FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)


@dossier_view(Permission.EXPORT)
@require_GET
def batch_fec(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponseBase:
    return _batch_download(request, access, pk, "fec")


@dossier_view(Permission.EXPORT)
@require_GET
def batch_csv(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponseBase:
    return _batch_download(request, access, pk, "csv")


def _ledger_export(request: HttpRequest, access: DossierAccess, format: str) -> HttpResponseBase:
    """A whole fiscal year, streamed: `?cloture=AAAAMMJJ` its closing date (the current
    fiscal year without it)."""
    value = request.GET.get("cloture", "")
    if value:
        try:
            day = datetime.datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise Http404 from None
        if fiscal_year_end(access.dossier, day) != day:
            raise Http404
    else:
        day = fiscal_year_end(access.dossier, timezone.localdate())
    actions_batches.ledger_export_record(
        actor=Actor.from_request(request), access=access, closing=day, format=format
    )
    rows = exports.rows(exports.lines_of_year(access.dossier.pk, day))
    if format == "fec":
        body = exports.encoded(exports.fec_lines(rows))
        filename = exports.fec_name(access.dossier.siren, day)
        content_type = "text/plain; charset=utf-8"
    else:
        body = exports.encoded(exports.csv_lines(rows), bom=True)
        filename = f"ecritures-{access.dossier.siren}-{day:%Y%m%d}.csv"
        content_type = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@dossier_view(Permission.EXPORT)
@require_GET
def ledger_fec(request: HttpRequest, access: DossierAccess) -> HttpResponseBase:
    return _ledger_export(request, access, "fec")


@dossier_view(Permission.EXPORT)
@require_GET
def ledger_csv(request: HttpRequest, access: DossierAccess) -> HttpResponseBase:
    return _ledger_export(request, access, "csv")


@dossier_view(Permission.EXPORT)
@require_http_methods(["GET", "POST"])
def chart_edit(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    chart = chart_of(access.dossier)
    form = ChartForm(request.POST or None, chart=chart)
    if request.method == "POST" and form.is_valid():
        try:
            changed = chart_update(
                actor=Actor.from_request(request),
                access=access,
                mapping=form.mapping(),
                labels=form.labels(),
            )
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            if changed["mapping"] or changed["labels"]:
                messages.success(request, _("Plan comptable enregistré."))
            else:
                messages.info(request, _("Rien n'a changé."))
            return redirect("accounting:chart", access.dossier.slug)
    return render(request, "accounting/chart.html", accounting_context(access, form=form))


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/comptabilite/ecritures/", entry_list, name="entry_list"),
    path("d/<slug:slug>/comptabilite/lots/", batch_list, name="batch_list"),
    path("d/<slug:slug>/comptabilite/lots/<id:pk>/annuler/", batch_cancel, name="batch_cancel"),
    path("d/<slug:slug>/comptabilite/lots/<id:pk>/fec/", batch_fec, name="batch_fec"),
    path("d/<slug:slug>/comptabilite/lots/<id:pk>/csv/", batch_csv, name="batch_csv"),
    path("d/<slug:slug>/comptabilite/exercice/fec/", ledger_fec, name="ledger_fec"),
    path("d/<slug:slug>/comptabilite/exercice/csv/", ledger_csv, name="ledger_csv"),
    path("d/<slug:slug>/comptabilite/plan/", chart_edit, name="chart"),
]
