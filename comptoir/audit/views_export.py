"""Exporting the activity log: the export buttons' POSTs, an export's page and its file.

`d/<slug>/journal/export/` (AUDIT_VIEW) and `journal/export/` (across the dossiers the
person audits; 403 when there is none) take the page's filters as hidden inputs. Up to
SMALL_EXPORT_ROWS events the file is the answer; past that the worker writes it and the
person is sent to the export's page, which follows its progress (htmx every 2 s; without
JavaScript a `<noscript>` meta refresh) and links to the file when it is ready.

An export's page and file are the requester's alone, at `journal/exports/<id>/` for
dossier exports as well: everyone else gets 404, and so does the requester once their
access no longer covers it (AUDIT_VIEW withdrawn, a dossier of an export across gone).
The pages are not under `d/<slug>/` because they are not the dossier's: its other
auditors have no business with someone else's file.
"""

from __future__ import annotations

import tempfile
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.models import Dossier
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions_export, exports
from .access import dossiers_audited
from .actions import Actor
from .actions_export import ExportScope
from .labels import action_label, object_label
from .models import AuditExport, ExportFormat, ExportState
from .selectors import EventFilters

if TYPE_CHECKING:
    from comptoir.accounts.models import User

# htmx stops polling on this status.
HTMX_STOP_POLLING = 286
# Files are only downloaded: nothing in them may run, be framed or be sniffed as HTML.
ATTACHMENT_CSP = "default-src 'none'; sandbox"


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=ExportFormat.choices,
        error_messages={
            "required": gettext_lazy("Choisissez le format du fichier : XLSX ou CSV."),
            "invalid_choice": gettext_lazy("Choisissez le format du fichier : XLSX ou CSV."),
        },
    )
    delimiter = forms.ChoiceField(
        label=gettext_lazy("Séparateur (CSV)"),
        choices=[(d, d) for d in exports.DELIMITERS],
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choisissez le séparateur du CSV : point-virgule ou virgule."
            ),
        },
    )

    def clean_delimiter(self) -> str:
        return self.cleaned_data.get("delimiter") or ";"


def _disposition(filename: str) -> str:
    """An attachment with its name twice: plain ASCII, and RFC 5987 UTF-8 (`filename*`)."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _file_response(file: IO[bytes], *, filename: str, format: str) -> FileResponse:
    response = FileResponse(file, content_type=exports.CONTENT_TYPES[format])
    response["Content-Disposition"] = _disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _page_context(access: DossierAccess | None, **extra: Any) -> dict[str, Any]:
    if access is not None:
        return dossier_context(access, layout="dossiers/dossier/layout.html", **extra)
    return {"dossier": None, "layout": "base.html", **extra}


def _export(
    request: HttpRequest, *, scope: ExportScope, access: DossierAccess | None
) -> HttpResponseBase:
    form = ExportForm(request.POST)
    if not form.is_valid():
        context = _page_context(
            access,
            export=None,
            export_form=form,
            filters=scope.filters,
            chosen_delimiter=request.POST.get("delimiter"),
        )
        return render(request, "audit/export_detail.html", context, status=400)
    format, delimiter = form.cleaned_data["format"], form.cleaned_data["delimiter"]
    actor = Actor.from_request(request)
    if not scope.is_small():
        export = actions_export.export_request(
            actor=actor, scope=scope, format=format, delimiter=delimiter
        )
        return redirect("audit:export_detail", pk=export.pk)
    # Anonymous and deleted on close, whatever happens.
    file = tempfile.TemporaryFile(suffix=f".{format}")  # noqa: SIM115
    try:
        rows = exports.write_export(
            exports.export_rows(
                scope.events(),
                dossier_names=scope.dossier_names(),
                by_time=scope.filters.by_time,
            ),
            file,
            format=format,
            delimiter=delimiter,
            across=scope.across,
        )
        actions_export.export_record(
            actor=actor, scope=scope, format=format, delimiter=delimiter, rows=rows
        )
    except BaseException:
        file.close()
        raise
    file.seek(0)
    filename = exports.export_filename(
        slug=scope.dossier.slug if scope.dossier else None,
        day=timezone.localdate(),
        format=format,
    )
    return _file_response(file, filename=filename, format=format)


@dossier_view(Permission.AUDIT_VIEW)
@require_POST
def dossier_export(request: HttpRequest, access: DossierAccess) -> HttpResponseBase:
    if not access.has(Permission.EXPORT):  # reading the log is not exporting it
        raise PermissionDenied
    scope = actions_export.scope_of_dossier(access, EventFilters.from_query(request.POST))
    return _export(request, scope=scope, access=access)


@login_required
@require_POST
def export_across(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    audited = dossiers_audited(user, also=Permission.EXPORT)
    if not audited:
        raise PermissionDenied
    scope = actions_export.scope_across(
        user, EventFilters.from_query(request.POST), audited=audited
    )
    return _export(request, scope=scope, access=None)


# --- One export: its page, its progress, its file -------------------------------------------


def _requested_export(request: HttpRequest, pk: int) -> tuple[AuditExport, DossierAccess | None]:
    """The person's own export while their access still covers it; else 404."""
    export = (
        AuditExport.objects.select_related("dossier", "requested_by")
        .filter(pk=pk, requested_by=request.user.pk)
        .first()
    )
    if export is None:
        raise Http404
    access, _dossiers = actions_export.export_access_now(export)
    return export, access


def _filters_shown(export: AuditExport) -> list[tuple[str, str]]:
    from comptoir.accounts.models import User

    filters = EventFilters.from_query(export.filters)
    shown: list[tuple[str, str]] = []
    if filters.dossier is not None:
        dossier = Dossier.objects.filter(pk=filters.dossier).first()
        shown.append((_("Dossier"), dossier.name if dossier else str(filters.dossier)))
    if filters.actor is not None:
        actor = User.objects.filter(pk=filters.actor).first()
        shown.append((_("Auteur"), actor.display_name if actor else str(filters.actor)))
    if filters.action:
        shown.append((_("Action"), str(action_label(filters.action))))
    if filters.object_type:
        shown.append((_("Type d'objet"), str(object_label(filters.object_type))))
    if filters.date_from:
        shown.append((_("Du"), date_format(filters.date_from, "SHORT_DATE_FORMAT")))
    if filters.date_to:
        shown.append((_("Au"), date_format(filters.date_to, "SHORT_DATE_FORMAT")))
    return shown


@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    polling = bool(request.headers.get("HX-Request")) and request.GET.get("part") == "progress"
    if not request.user.is_authenticated:
        if polling:  # a session that ended must not swap the login page into the page
            return HttpResponse(status=HTMX_STOP_POLLING)
        return redirect_to_login(request.get_full_path())
    try:
        export, access = _requested_export(request, pk)
    except Http404:
        if polling:  # purged, or access withdrawn meanwhile: stop asking
            return HttpResponse(status=HTMX_STOP_POLLING)
        raise
    in_progress = export.state in {ExportState.PENDING, ExportState.RUNNING}
    context = _page_context(
        access,
        export=export,
        in_progress=in_progress,
        percent=(
            min(100, export.rows_done * 100 // export.rows_total) if export.rows_total else None
        ),
        expires_at=export.created_at + actions_export.EXPORT_RETENTION,
    )
    if polling:
        response = render(request, "audit/export_detail.html#progress", context)
    else:
        context["filters_shown"] = _filters_shown(export)
        response = render(request, "audit/export_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export, _access = _requested_export(request, pk)
    if export.state != ExportState.DONE or not export.file:
        raise Http404
    try:
        file = default_storage.open(export.file, "rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = exports.export_filename(
        slug=export.dossier.slug if export.dossier else None,
        day=timezone.localdate(export.created_at),
        format=export.format,
    )
    response = _file_response(file, filename=filename, format=export.format)
    if export.size is not None:
        response["Content-Length"] = str(export.size)
    return response


# Included by audit/urls.py (app_name "audit").
urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/journal/export/", dossier_export, name="dossier_export"),
    path("journal/export/", export_across, name="export_across"),
    path("journal/exports/<id:pk>/", export_detail, name="export_detail"),
    path("journal/exports/<id:pk>/download/", export_download, name="export_download"),
]
