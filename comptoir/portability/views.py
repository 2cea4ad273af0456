"""A dossier's full export: its page (`d/<slug>/export/`: the button, the person's recent
exports), and one export's page and file at `exports/dossier/<id>/`, the requester's
alone while their access still allows it (404 otherwise, as the log's exports)."""

from __future__ import annotations

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
from django.views.decorators.http import require_GET

from comptoir.audit.actions import Actor
from comptoir.audit.actions_export import EXPORT_RETENTION
from comptoir.audit.models import ExportState
from comptoir.audit.views_export import ATTACHMENT_CSP, HTMX_STOP_POLLING, _disposition
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions, exporting
from .models import DossierExport

RECENT = 10


@dossier_view(Permission.EXPORT)
def dossier_export(request: HttpRequest, access: DossierAccess) -> HttpResponseBase:
    if not actions.dossier_export_allowed(access):
        raise PermissionDenied
    if request.method == "POST":
        export = actions.dossier_export_request(actor=Actor.from_request(request), access=access)
        return redirect("portability:export_detail", pk=export.pk)
    recent = DossierExport.objects.filter(dossier=access.dossier, requested_by=access.user)[:RECENT]
    context = dossier_context(access, exports=list(recent), retention_days=EXPORT_RETENTION.days)
    return render(request, "portability/dossier_export.html", context)


def _requested(request: HttpRequest, pk: int) -> tuple[DossierExport, DossierAccess]:
    export = (
        DossierExport.objects.select_related("dossier", "requested_by")
        .filter(pk=pk, requested_by=request.user.pk)
        .first()
    )
    if export is None:
        raise Http404
    return export, exporting.export_access_now(export)


@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    polling = bool(request.headers.get("HX-Request")) and request.GET.get("part") == "progress"
    if not request.user.is_authenticated:
        if polling:
            return HttpResponse(status=HTMX_STOP_POLLING)
        return redirect_to_login(request.get_full_path())
    try:
        export, access = _requested(request, pk)
    except Http404:
        if polling:
            return HttpResponse(status=HTMX_STOP_POLLING)
        raise
    context = dossier_context(
        access,
        export=export,
        in_progress=export.state in {ExportState.PENDING, ExportState.RUNNING},
        percent=(
            min(100, export.items_done * 100 // export.items_total) if export.items_total else None
        ),
        expires_at=export.created_at + EXPORT_RETENTION,
    )
    template = "portability/export_detail.html"
    response = render(request, f"{template}#progress" if polling else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export, _access = _requested(request, pk)
    if export.state != ExportState.DONE or not export.file:
        raise Http404
    try:
        file = default_storage.open(export.file, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(file, content_type="application/zip")
    filename = f"{export.dossier.slug}-{timezone.localdate(export.created_at).isoformat()}.zip"
    response["Content-Disposition"] = _disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    response["Cache-Control"] = "private, no-store"
    if export.size is not None:
        response["Content-Length"] = str(export.size)
    return response


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/export/", dossier_export, name="dossier_export"),
    path("exports/dossier/<id:pk>/", export_detail, name="export_detail"),
    path("exports/dossier/<id:pk>/download/", export_download, name="export_download"),
]
