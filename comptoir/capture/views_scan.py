"""The scanner's pages: the camera page, the corner detection answer, the save.

Thin: the detector and the PDF live in scan_detect.py / scan_pdf.py, the writes in
actions_scan.py. Photos arrive through the documents' CheckedUploadHandler (SHA-256 on
the way, size limit), CSRF checked once it is in place, as for any upload.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from comptoir.assignments.access import access_step, access_task
from comptoir.assignments.models import Step, Task
from comptoir.audit.actions import Actor
from comptoir.core.converters import parse_id
from comptoir.core.exceptions import ActionRefused
from comptoir.documents.access import access_folder, folders_visible, visible_folder_ids
from comptoir.documents.models import Folder
from comptoir.documents.uploads import (
    IMAGE_TYPES,
    CheckedUploadHandler,
    UploadRefused,
    file_receive,
    size_limit_message,
)
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import scan_detect, scan_pdf
from .actions_scan import MAX_PAGES, ScannedPage, scan_save

# The page sends a copy of at most this many pixels a side for detection.
DETECT_MAX_BYTES = 4 * 1024 * 1024


def _folder(access: DossierAccess, value: str | None) -> Folder | None:
    pk = parse_id(value or "")
    return access_folder(access, pk) if pk is not None else None


def _task_step(
    access: DossierAccess, task_value: str | None, step_value: str | None
) -> tuple[Task | None, Step | None]:
    """The upload task (and step) a scan answers, when it answers one."""
    task_pk = parse_id(task_value or "")
    if task_pk is None:
        return None, None
    if not access.has(Permission.TASK_WORK):
        raise PermissionDenied
    task = access_task(access, task_pk)
    step_pk = parse_id(step_value or "")
    return task, access_step(task, step_pk) if step_pk is not None else None


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_GET
def scan_page(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    restricted = visible_folder_ids(access) is not None
    folders = list(folders_visible(access).order_by("name"))
    task, step = _task_step(access, request.GET.get("task"), request.GET.get("step"))
    chosen = _folder(access, request.GET.get("folder"))
    if chosen is None and step is not None:
        chosen = step.folder
    if chosen is None and restricted and folders:
        chosen = folders[0]
    context = dossier_context(
        access,
        folders=folders,
        chosen=chosen,
        task=task,
        step=step,
        root_allowed=not restricted,
        enhancements=(
            ("contrast", _("Contraste automatique")),
            ("bw", _("Noir et blanc")),
            ("colour", _("Couleur")),
        ),
        max_pages=MAX_PAGES,
        urls=json.dumps(
            {
                "detect": reverse("capture:scan_detect", args=[access.dossier.slug]),
                "save": reverse("capture:scan_save", args=[access.dossier.slug]),
            }
        ),
    )
    return render(request, "capture/scan.html", context)


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def scan_detect_view(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    """Corners of the page in a (reduced) photo, in that photo's pixels."""
    photo = request.FILES.get("photo")
    if photo is None or (photo.size or 0) > DETECT_MAX_BYTES:
        return JsonResponse({"error": _("Photo absente ou trop grande.")}, status=400)
    try:
        # The type from the bytes, and no decompression bomb (a few KB of PNG that would
        # decode to gigabytes): the same checks as any upload.
        received = file_receive(photo)
    except UploadRefused as refusal:
        return JsonResponse({"error": refusal.message}, status=400)
    if received.mime_type not in IMAGE_TYPES:
        return JsonResponse({"error": _("Ce fichier n'est pas une photo.")}, status=400)
    detection = scan_detect.detect_bytes(photo.read())
    if detection is None:
        return JsonResponse({"error": _("Ce fichier n'est pas une photo.")}, status=400)
    return JsonResponse(
        {**detection.as_json(), "width": detection.width, "height": detection.height}
    )


def _page_specs(raw: str, count: int) -> list[scan_pdf.PageSpec] | None:
    """The pages' corners, rotation and enhancement as the page sent them, or None."""
    try:
        items = json.loads(raw)
        if not isinstance(items, list) or len(items) != count:
            return None
        specs = []
        for item in items:
            corners = [(float(x), float(y)) for x, y in item["corners"]]
            rotation = int(item.get("rotation", 0))
            enhancement = item.get("enhancement", "contrast")
            if len(corners) != 4 or rotation not in (0, 90, 180, 270):
                return None
            if enhancement not in scan_pdf.ENHANCEMENTS:
                return None
            specs.append(
                scan_pdf.PageSpec(corners=corners, rotation=rotation, enhancement=enhancement)
            )
        return specs
    except (ValueError, TypeError, KeyError):
        return None


def _refusal(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@csrf_exempt
@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def scan_save_view(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.UPLOAD_MAX_BYTES * MAX_PAGES + 1024 * 1024:
        return _refusal(size_limit_message(), 413)
    request.upload_handlers = [CheckedUploadHandler(request)]
    return _scan_save_read(request, access)


@csrf_protect
def _scan_save_read(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    if getattr(request, "uploads_too_large", []):
        return _refusal(size_limit_message(), 413)
    photos = request.FILES.getlist("photos")
    specs = _page_specs(request.POST.get("pages", ""), len(photos))
    if not photos or specs is None:
        return _refusal(_("Les pages envoyées sont incomplètes : recommencez."))
    try:
        folder = _folder(access, request.POST.get("folder"))
        task, step = _task_step(access, request.POST.get("task"), request.POST.get("step"))
        received = [file_receive(photo) for photo in photos]
        document = scan_save(
            actor=Actor.from_request(request),
            access=access,
            folder=folder,
            name=request.POST.get("name", ""),
            pages=[
                ScannedPage(photo=photo, spec=spec)
                for photo, spec in zip(received, specs, strict=True)
            ],
            task=task,
            step=step,
        )
    except (UploadRefused, ActionRefused) as refusal:
        return _refusal(refusal.message)
    finally:
        for photo in photos:
            photo.close()
    url = (
        reverse("assignments:task_detail", args=[access.dossier.slug, task.pk])
        if task is not None
        else reverse("documents:document_detail", args=[access.dossier.slug, document.pk])
    )
    return JsonResponse({"ok": True, "url": url, "id": document.pk}, status=201)


def _pattern(route: str, view: Any, name: str) -> URLPattern:
    return path(f"d/<slug:slug>/scan/{route}", view, name=name)


urlpatterns = [
    _pattern("", scan_page, "scan"),
    _pattern("detect/", scan_detect_view, "scan_detect"),
    _pattern("save/", scan_save_view, "scan_save"),
]
