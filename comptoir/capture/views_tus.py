"""The tus 1.0 endpoint of a dossier: `/d/<slug>/tus/` (OPTIONS, POST) and
`/d/<slug>/tus/<id>/` (OPTIONS, HEAD, PATCH, DELETE).

Every request, each chunk included, goes through `dossier_view(DOCUMENT_UPLOAD)` and then
`access_tus_upload` (the person's own upload in this dossier): a member who lost access
between two chunks is refused at the next one.

CSRF: POST, PATCH and DELETE are checked by Django's middleware like any other write; the
page's uploader sends the token in the X-CSRFToken header (tus clients let one add
headers). The protocol's custom headers would already force a CORS preflight that this
site never grants, but the session cookie is not left to rest on that alone.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse

from comptoir.audit.actions import Actor
from comptoir.core.exceptions import ActionRefused
from comptoir.documents.uploads import size_limit_message
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission

from . import actions_tus
from .access_tus import access_tus_upload
from .models_tus import TusUpload
from .tus import (
    OFFSET_CONTENT_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    TusError,
    expires_header,
    metadata_parse,
    non_negative,
)


def _answer(status: int, headers: dict[str, str] | None = None, text: str = "") -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _options() -> HttpResponse:
    return _answer(
        204,
        {
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(settings.UPLOAD_MAX_BYTES),
        },
    )


def _version_checked(request: HttpRequest) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusError(412, "Tus-Resumable 1.0.0 required")


def _upload_headers(access: DossierAccess, upload: TusUpload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length)}
    if upload.completed_at is None:
        headers["Upload-Expires"] = expires_header(upload.touched_at)
    elif upload.document_id is not None:
        headers["Comptoir-Document"] = reverse(
            "documents:document_detail", args=[access.dossier.slug, upload.document_id]
        )
    return headers


def _refused(error: TusError | ActionRefused) -> HttpResponse:
    if isinstance(error, TusError):
        extra = {"Tus-Version": TUS_VERSION} if error.status == 412 else {}
        return _answer(error.status, extra, error.message)
    return _answer(400, text=error.message)


@dossier_view(Permission.DOCUMENT_UPLOAD)
def tus_collection(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    """OPTIONS: what this server speaks. POST: create an upload (its length declared)."""
    if request.method == "OPTIONS":
        return _options()
    if request.method != "POST":
        return _answer(405, {"Allow": "OPTIONS, POST"})
    try:
        _version_checked(request)
        if "Upload-Defer-Length" in request.headers:
            raise TusError(400, "Upload-Defer-Length is not supported")
        length = non_negative(request.headers.get("Upload-Length"), "Upload-Length")
        if length > settings.UPLOAD_MAX_BYTES:
            raise TusError(413, size_limit_message())
        metadata = metadata_parse(request.headers.get("Upload-Metadata", ""))
        upload = actions_tus.tus_upload_create(
            actor=Actor.from_request(request), access=access, length=length, metadata=metadata
        )
    except (TusError, ActionRefused) as error:
        return _refused(error)
    location = request.build_absolute_uri(
        reverse("capture:tus_upload", args=[access.dossier.slug, upload.pk])
    )
    return _answer(201, {"Location": location, **_upload_headers(access, upload)})


@dossier_view(Permission.DOCUMENT_UPLOAD)
def tus_upload(request: HttpRequest, access: DossierAccess, upload_id: uuid.UUID) -> HttpResponse:
    """HEAD: how far it is. PATCH: the next bytes. DELETE: stop it."""
    if request.method == "OPTIONS":
        return _options()
    if request.method not in {"HEAD", "PATCH", "DELETE"}:
        return _answer(405, {"Allow": "OPTIONS, HEAD, PATCH, DELETE"})
    try:
        _version_checked(request)
        upload = access_tus_upload(access, upload_id)
        if request.method == "HEAD":
            return _answer(200, _upload_headers(access, upload))
        if request.method == "DELETE":
            actions_tus.tus_upload_terminate(upload=upload)
            return _answer(204)
        if request.content_type != OFFSET_CONTENT_TYPE:
            raise TusError(415, f"Content-Type must be {OFFSET_CONTENT_TYPE}")
        offset = non_negative(request.headers.get("Upload-Offset"), "Upload-Offset")
        if request.META.get("CONTENT_LENGTH") in (None, ""):
            raise TusError(411, "Content-Length required")
        content_length = non_negative(request.META.get("CONTENT_LENGTH"), "Content-Length")
        upload = actions_tus.tus_upload_append(
            actor=Actor.from_request(request),
            access=access,
            upload=upload,
            offset=offset,
            stream=request,  # type: ignore[arg-type]
            content_length=content_length,
        )
    except (TusError, ActionRefused) as error:
        return _refused(error)
    return _answer(204, _upload_headers(access, upload))


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/tus/", tus_collection, name="tus_collection"),
    path("d/<slug:slug>/tus/<uuid:upload_id>/", tus_upload, name="tus_upload"),
]
