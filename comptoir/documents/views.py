"""Document pages of a dossier: browse folders, upload, preview, versions, trash, ZIP.

Thin views: `dossier_view` answers who may come in, `access.py` fetches what they may
see, `actions.py` changes things and writes the log. File responses are built in
`responses.py` (attachment unless the sniffed type is safe to show, nosniff, sandbox).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from comptoir.audit.actions import Actor
from comptoir.core.converters import parse_id
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions, actions_originals, responses
from .access import (
    access_document,
    access_folder,
    access_version,
    documents_visible,
    folders_visible,
    visible_folder_ids,
)
from .forms import FolderForm, RenameForm
from .models import Document, Folder
from .uploads import (
    CheckedUploadHandler,
    UploadRefused,
    body_unreadable,
    file_receive,
    no_space_message,
    size_limit_message,
)

PAGE_SIZE = 50
# A request may carry this many files (the no-JavaScript form); the script sends one each.
MAX_FILES_PER_REQUEST = 20


def documents_context(access: DossierAccess, **extra: Any) -> dict[str, Any]:
    return dossier_context(
        access,
        can_upload=access.has(Permission.DOCUMENT_UPLOAD),
        can_delete=access.has(Permission.DOCUMENT_DELETE),
        can_share=access.has(Permission.DOCUMENT_SHARE),
        upload_max_bytes=settings.UPLOAD_MAX_BYTES,
        restricted=visible_folder_ids(access) is not None,
        **extra,
    )


def _folder_or_none(access: DossierAccess, value: str | None) -> Folder | None:
    if not value:
        return None
    pk = parse_id(value)
    if pk is None:
        raise Http404
    return access_folder(access, pk)


def _breadcrumbs(folder: Folder | None) -> list[Folder]:
    trail: list[Folder] = []
    while folder is not None:
        trail.insert(0, folder)
        folder = folder.parent
    return trail


def _folder_choices(access: DossierAccess) -> list[tuple[int, str]]:
    """Every visible folder with its path, for "move to" lists (one query)."""
    folders = {f.pk: f for f in folders_visible(access).only("pk", "name", "parent_id")}

    def label(folder: Folder) -> str:
        parts = [folder.name]
        parent_id = folder.parent_id
        seen = {folder.pk}
        while parent_id in folders and parent_id not in seen:
            seen.add(parent_id)
            parts.insert(0, folders[parent_id].name)
            parent_id = folders[parent_id].parent_id
        return " / ".join(parts)

    return sorted(((pk, label(f)) for pk, f in folders.items()), key=lambda c: c[1].lower())


# --- Browsing -----------------------------------------------------------------------------


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def document_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    return _browse(request, access, folder=None)


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def folder_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    return _browse(request, access, folder=access_folder(access, pk))


def _browse(request: HttpRequest, access: DossierAccess, *, folder: Folder | None) -> HttpResponse:
    restricted = visible_folder_ids(access) is not None
    subfolders = (
        folders_visible(access)
        .filter(parent=folder)
        .annotate(document_count=Count("documents", filter=Q(documents__deleted_at__isnull=True)))
        .order_by("name")
    )
    if restricted and folder is None:
        # At the top, a restricted person sees its folders wherever they sit in the tree.
        allowed = visible_folder_ids(access) or set()
        subfolders = (
            folders_visible(access)
            .exclude(parent__in=allowed)
            .annotate(
                document_count=Count("documents", filter=Q(documents__deleted_at__isnull=True))
            )
            .order_by("name")
        )
    documents = (
        documents_visible(access)
        .filter(folder=folder)
        .select_related("current_version", "created_by")
        .order_by("-created_at", "-id")
    )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    can_upload_here = access.has(Permission.DOCUMENT_UPLOAD) and not (restricted and folder is None)
    context = documents_context(
        access,
        folder=folder,
        breadcrumbs=_breadcrumbs(folder),
        subfolders=subfolders,
        page=page,
        can_upload_here=can_upload_here,
        folder_form=FolderForm(),
        folder_choices=_folder_choices(access),
        upload_config=upload_config(access, folder),
        # Thumbnails still being made: the list refreshes itself until they are there.
        pending=any(d.processed_at is None for d in page.object_list),
    )
    return render(request, "documents/browse.html", context)


# --- Upload -------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _upload_refusal(request: HttpRequest, access: DossierAccess, message: str, status: int):
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": message}, status=status)
    messages.error(request, message)
    return redirect(request.headers.get("Referer") or reverse_documents(access))


def reverse_documents(access: DossierAccess, folder: Folder | None = None) -> str:
    if folder is None:
        return reverse("documents:document_list", args=[access.dossier.slug])
    return reverse("documents:folder_detail", args=[access.dossier.slug, folder.pk])


# CSRF is checked inside, once the streaming upload handler is in place: the middleware
# would otherwise parse the body first, with the default handlers.
@csrf_exempt
@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def document_upload(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    # Refused before the body is read: the declared length already says it is too big.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.UPLOAD_MAX_BYTES * MAX_FILES_PER_REQUEST + 1024 * 1024 or (
        _wants_json(request) and declared > settings.UPLOAD_MAX_BYTES + 64 * 1024
    ):
        return _upload_refusal(request, access, size_limit_message(), 413)
    request.upload_handlers = [CheckedUploadHandler(request)]
    if unreadable := body_unreadable(request):
        return _upload_refusal(request, access, unreadable, 400)
    return _document_upload_read(request, access)


@csrf_protect
def _document_upload_read(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    folder = _folder_or_none(access, request.POST.get("folder"))
    files = request.FILES.getlist("files")
    too_large: list[str] = getattr(request, "uploads_too_large", [])
    refused: list[dict[str, str]] = [
        {"name": name, "error": size_limit_message()} for name in too_large
    ]
    no_space = getattr(request, "uploads_no_space", False)
    if no_space:
        refused.append({"name": "", "error": no_space_message()})
    if len(files) > MAX_FILES_PER_REQUEST:
        return _upload_refusal(
            request,
            access,
            _("Envoyez au plus %(n)s fichiers à la fois.") % {"n": MAX_FILES_PER_REQUEST},
            400,
        )
    if not files and not refused:
        return _upload_refusal(
            request, access, _("Aucun fichier reçu : choisissez un fichier."), 400
        )
    created: list[Document] = []
    actor = Actor.from_request(request)
    for uploaded in files:
        try:
            received = file_receive(uploaded)
            created.append(
                actions.document_upload(
                    actor=actor, access=access, received=received, folder=folder
                )
            )
        except (UploadRefused, actions.ActionRefused) as refusal:
            refused.append({"name": uploaded.name or "", "error": refusal.message})
        finally:
            uploaded.close()
    if _wants_json(request):
        status = 201 if created else (507 if no_space else 413 if too_large else 400)
        return JsonResponse(
            {
                "ok": bool(created),
                "documents": [
                    {
                        "id": d.pk,
                        "name": d.name,
                        "url": reverse(
                            "documents:document_detail", args=[access.dossier.slug, d.pk]
                        ),
                    }
                    for d in created
                ],
                "refused": refused,
                "error": refused[0]["error"] if refused and not created else "",
            },
            status=status,
        )
    if created:
        messages.success(
            request,
            ngettext("%(n)s document déposé.", "%(n)s documents déposés.", len(created))
            % {"n": len(created)},
        )
    for item in refused:
        messages.error(
            request, f"{item['name']} : {item['error']}" if item["name"] else item["error"]
        )
    return redirect(reverse_documents(access, folder))


# --- One document -------------------------------------------------------------------------


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def document_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    document = access_document(access, pk)
    versions = document.versions.select_related("uploaded_by").order_by("-number")
    version = document.current_version
    # Imported here: documents does not depend on tasks to load.
    from comptoir.assignments.locks import document_lock

    context = documents_context(
        access,
        approval_lock=document_lock(document.pk),
        document=document,
        version=version,
        versions=versions,
        breadcrumbs=_breadcrumbs(document.folder),
        previewable=version is not None and version.mime_type in responses.INLINE_TYPES,
        is_pdf=version is not None and version.mime_type == "application/pdf",
        rename_form=RenameForm(initial={"name": document.name, "expected_name": document.name}),
        folder_choices=_folder_choices(access),
        originals=list(document.originals.all()),
    )
    if request.headers.get("HX-Request") and request.GET.get("part") == "preview":
        return render(request, "documents/detail.html#preview", context)
    return render(request, "documents/detail.html", context)


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def document_inline(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponseBase:
    """The current version shown in the browser (PDF, images); anything else downloads."""
    document = access_document(access, pk)
    version = document.current_version
    if version is None:
        raise Http404
    actions.document_read_record(
        actor=Actor.from_request(request),
        access=access,
        document=document,
        version=version,
        kind="viewed",
    )
    return responses.file_response(version=version, name=document.name, inline=True)


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def document_download(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponseBase:
    document = access_document(access, pk)
    version = document.current_version
    if version is None:
        raise Http404
    actions.document_read_record(
        actor=Actor.from_request(request),
        access=access,
        document=document,
        version=version,
        kind="downloaded",
    )
    return responses.file_response(version=version, name=document.name, inline=False)


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def version_download(
    request: HttpRequest, access: DossierAccess, pk: int, version_pk: int
) -> HttpResponseBase:
    document = access_document(access, pk)
    version = access_version(document, version_pk)
    actions.document_read_record(
        actor=Actor.from_request(request),
        access=access,
        document=document,
        version=version,
        kind="downloaded",
    )
    return responses.file_response(version=version, name=version.original_name, inline=False)


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def original_download(
    request: HttpRequest, access: DossierAccess, pk: int, original_pk: int
) -> HttpResponseBase:
    """A photo a scan was made from, as it was received (always an attachment)."""
    document = access_document(access, pk)
    original = document.originals.filter(pk=original_pk).first()
    if original is None:
        raise Http404
    actions_originals.document_original_read_record(
        actor=Actor.from_request(request), access=access, document=document, original=original
    )
    return responses.file_response(version=original, name=original.original_name, inline=False)


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def document_thumbnail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponseBase:
    document = access_document(access, pk)
    name = document.preview if request.GET.get("size") == "large" else document.thumbnail
    if not name:
        raise Http404
    return responses.thumbnail_response(name)


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def document_rename(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    document = access_document(access, pk)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez un nom au document."))
    else:
        try:
            actions.document_rename(
                actor=Actor.from_request(request),
                access=access,
                document=document,
                name=form.cleaned_data["name"],
                expected_name=form.cleaned_data["expected_name"] or None,
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Le document est renommé."))
    return redirect("documents:document_detail", slug=access.dossier.slug, pk=document.pk)


@csrf_exempt  # checked inside, after the upload handler is set (see document_upload)
@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def document_version_add(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    document = access_document(access, pk)
    if declared > settings.UPLOAD_MAX_BYTES + 64 * 1024:
        messages.error(request, size_limit_message())
        return redirect("documents:document_detail", slug=access.dossier.slug, pk=pk)
    request.upload_handlers = [CheckedUploadHandler(request)]
    if unreadable := body_unreadable(request):
        messages.error(request, unreadable)
        return redirect("documents:document_detail", slug=access.dossier.slug, pk=pk)
    return _document_version_add_read(request, access, document)


@csrf_protect
def _document_version_add_read(
    request: HttpRequest, access: DossierAccess, document: Document
) -> HttpResponse:
    detail = reverse("documents:document_detail", args=[access.dossier.slug, document.pk])
    uploaded = request.FILES.get("file")
    if getattr(request, "uploads_too_large", []):
        messages.error(request, size_limit_message())
        return redirect(detail)
    if uploaded is None:
        messages.error(request, _("Aucun fichier reçu : choisissez un fichier."))
        return redirect(detail)
    base = parse_id(request.POST.get("base_version"))
    try:
        version = actions.document_version_add(
            actor=Actor.from_request(request),
            access=access,
            document=document,
            received=file_receive(uploaded),
            base_version=base,
        )
    except (UploadRefused, actions.ActionRefused) as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("La version %(n)s est déposée.") % {"n": version.number})
    finally:
        uploaded.close()
    return redirect(detail)


# --- Several documents --------------------------------------------------------------------


def _selected_documents(
    request: HttpRequest, access: DossierAccess, **kwargs: Any
) -> list[Document]:
    ids: list[int] = []
    for value in request.POST.getlist("documents") or request.GET.getlist("documents"):
        pk = parse_id(value)
        if pk is None:
            raise Http404
        ids.append(pk)
    if not ids:
        return []
    documents = list(
        documents_visible(access, **kwargs).filter(pk__in=ids).select_related("current_version")
    )
    if len(documents) != len(set(ids)):
        raise Http404  # one of them is not visible: same answer as not existing
    return documents


def _back(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    target = request.POST.get("next", "")
    prefix = f"/d/{access.dossier.slug}/"
    if target.startswith(prefix) and "//" not in target:
        return redirect(target)
    return redirect(reverse_documents(access))


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def documents_move(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    documents = _selected_documents(request, access)
    folder = _folder_or_none(access, request.POST.get("folder"))
    if not documents:
        messages.error(request, _("Cochez au moins un document."))
        return _back(request, access)
    try:
        moved = actions.documents_move(
            actor=Actor.from_request(request), access=access, documents=documents, folder=folder
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            ngettext("%(n)s document déplacé.", "%(n)s documents déplacés.", moved) % {"n": moved},
        )
    return _back(request, access)


@dossier_view(Permission.DOCUMENT_DELETE)
@require_POST
def documents_trash(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    documents = _selected_documents(request, access)
    if not documents:
        messages.error(request, _("Cochez au moins un document."))
        return _back(request, access)
    trashed = actions.documents_trash(
        actor=Actor.from_request(request), access=access, documents=documents
    )
    messages.success(
        request,
        ngettext(
            "%(n)s document placé dans la corbeille, restaurable pendant 30 jours.",
            "%(n)s documents placés dans la corbeille, restaurables pendant 30 jours.",
            trashed,
        )
        % {"n": trashed},
    )
    folder_id = documents[0].folder_id
    if len({d.folder_id for d in documents}) == 1 and folder_id is not None:
        return redirect("documents:folder_detail", slug=access.dossier.slug, pk=folder_id)
    return redirect(reverse_documents(access))


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def documents_zip(request: HttpRequest, access: DossierAccess) -> HttpResponseBase:
    documents = _selected_documents(request, access)
    if not documents:
        messages.error(request, _("Cochez au moins un document."))
        return redirect(reverse_documents(access))
    actions.documents_zip_record(
        actor=Actor.from_request(request), access=access, documents=documents
    )
    return responses.zip_response(
        documents=documents, filename=f"{access.dossier.slug}-documents.zip"
    )


# --- Trash --------------------------------------------------------------------------------


@dossier_view(Permission.DOCUMENT_DELETE)
@require_GET
def trash_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    documents = (
        documents_visible(access, trashed=True)
        .select_related("folder", "deleted_by", "current_version")
        .order_by("-deleted_at", "-id")
    )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "documents/trash.html", documents_context(access, page=page))


@dossier_view(Permission.DOCUMENT_DELETE)
@require_POST
def trash_restore(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    document = access_document(access, pk, trashed=True)
    try:
        actions.document_restore(
            actor=Actor.from_request(request), access=access, document=document
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("documents:trash", slug=access.dossier.slug)
    messages.success(request, _("« %(name)s » est restauré.") % {"name": document.name})
    return redirect("documents:trash", slug=access.dossier.slug)


# --- Folders ------------------------------------------------------------------------------


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def folder_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    parent = _folder_or_none(access, request.POST.get("parent"))
    form = FolderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez un nom au classeur."))
        return redirect(reverse_documents(access, parent))
    try:
        folder = actions.folder_create(
            actor=Actor.from_request(request),
            access=access,
            name=form.cleaned_data["name"],
            parent=parent,
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(reverse_documents(access, parent))
    messages.success(request, _("Le classeur « %(name)s » est créé.") % {"name": folder.name})
    return redirect(reverse_documents(access, folder))


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def folder_rename(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    folder = access_folder(access, pk)
    form = FolderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez un nom au classeur."))
    else:
        try:
            actions.folder_rename(
                actor=Actor.from_request(request),
                access=access,
                folder=folder,
                name=form.cleaned_data["name"],
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Le classeur est renommé."))
    return redirect(reverse_documents(access, folder))


@dossier_view(Permission.DOCUMENT_UPLOAD)
@require_POST
def folder_move(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    folder = access_folder(access, pk)
    parent = _folder_or_none(access, request.POST.get("parent"))
    try:
        actions.folder_move(
            actor=Actor.from_request(request), access=access, folder=folder, parent=parent
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Le classeur est déplacé."))
    return redirect(reverse_documents(access, folder))


@dossier_view(Permission.DOCUMENT_DELETE)
@require_POST
def folder_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    folder = access_folder(access, pk)
    parent = folder.parent
    try:
        actions.folder_delete(actor=Actor.from_request(request), access=access, folder=folder)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(reverse_documents(access, folder))
    messages.success(request, _("Le classeur « %(name)s » est supprimé.") % {"name": folder.name})
    return redirect(reverse_documents(access, parent))


def upload_config(access: DossierAccess, folder: Folder | None) -> str:
    """What the upload script needs, as JSON in a data attribute (no inline script)."""
    return json.dumps(
        {
            "url": reverse("documents:document_upload", args=[access.dossier.slug]),
            "folder": folder.pk if folder else "",
            "maxBytes": settings.UPLOAD_MAX_BYTES,
            # The resumable path (static/comptoir/pwa_queue.js), when the browser has it.
            "tus": reverse("capture:tus_collection", args=[access.dossier.slug]),
            "slug": access.dossier.slug,
            "label": f"{access.dossier.name} · {folder.name}" if folder else access.dossier.name,
        }
    )


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/documents/", document_list, name="document_list"),
    path("d/<slug:slug>/documents/upload/", document_upload, name="document_upload"),
    path("d/<slug:slug>/documents/move/", documents_move, name="documents_move"),
    path("d/<slug:slug>/documents/delete/", documents_trash, name="documents_trash"),
    path("d/<slug:slug>/documents/zip/", documents_zip, name="documents_zip"),
    path("d/<slug:slug>/documents/<id:pk>/", document_detail, name="document_detail"),
    path("d/<slug:slug>/documents/<id:pk>/view/", document_inline, name="document_inline"),
    path("d/<slug:slug>/documents/<id:pk>/download/", document_download, name="document_download"),
    path(
        "d/<slug:slug>/documents/<id:pk>/thumbnail/",
        document_thumbnail,
        name="document_thumbnail",
    ),
    path("d/<slug:slug>/documents/<id:pk>/rename/", document_rename, name="document_rename"),
    path(
        "d/<slug:slug>/documents/<id:pk>/versions/new/",
        document_version_add,
        name="document_version_add",
    ),
    path(
        "d/<slug:slug>/documents/<id:pk>/versions/<id:version_pk>/download/",
        version_download,
        name="version_download",
    ),
    path(
        "d/<slug:slug>/documents/<id:pk>/originals/<id:original_pk>/",
        original_download,
        name="original_download",
    ),
    path("d/<slug:slug>/trash/", trash_list, name="trash"),
    path("d/<slug:slug>/trash/<id:pk>/restore/", trash_restore, name="trash_restore"),
    path("d/<slug:slug>/folders/new/", folder_create, name="folder_create"),
    path("d/<slug:slug>/folders/<id:pk>/", folder_detail, name="folder_detail"),
    path("d/<slug:slug>/folders/<id:pk>/rename/", folder_rename, name="folder_rename"),
    path("d/<slug:slug>/folders/<id:pk>/move/", folder_move, name="folder_move"),
    path("d/<slug:slug>/folders/<id:pk>/delete/", folder_delete, name="folder_delete"),
]
