"""Permission-checked fetches of folders and documents.

Every query on documents starts from `documents_visible(access)` / `folders_visible(access)`:
scoped to the dossier and, for an Utilisateur the owner restricted, to the folders it may
see (and their sub-folders). A document or folder outside that set answers 404, exactly
like one that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from comptoir.dossiers.access import DossierAccess

from .models import Document, DocumentVersion, Folder


def folder_ids_with_descendants(*, dossier_id: int, root_ids: list[int]) -> set[int]:
    """The given folders and every folder below them (one query for the whole tree)."""
    tree: dict[int | None, list[int]] = {}
    existing: set[int] = set()
    for pk, parent_id in Folder.objects.filter(dossier_id=dossier_id).values_list(
        "pk", "parent_id"
    ):
        tree.setdefault(parent_id, []).append(pk)
        existing.add(pk)
    result: set[int] = set()
    stack = [pk for pk in root_ids if pk in existing]
    while stack:
        pk = stack.pop()
        if pk in result:
            continue
        result.add(pk)
        stack.extend(tree.get(pk, []))
    return result


def visible_folder_ids(access: DossierAccess) -> set[int] | None:
    """None: every folder. A set: only these (an Utilisateur restricted by the owner)."""
    cached: set[int] | bool | None = getattr(access, "_visible_folder_ids", False)
    if cached is not False:
        return cached if isinstance(cached, set) else None
    restricted = access.restricted_folder_ids
    result = (
        None
        if restricted is None
        else folder_ids_with_descendants(dossier_id=access.dossier.pk, root_ids=restricted)
    )
    # DossierAccess is frozen; the answer is valid for this request only.
    object.__setattr__(access, "_visible_folder_ids", result)
    return result


def folders_visible(access: DossierAccess) -> QuerySet[Folder]:
    folders = Folder.objects.filter(dossier=access.dossier)
    allowed = visible_folder_ids(access)
    if allowed is not None:
        folders = folders.filter(pk__in=allowed)
    return folders


def documents_visible(access: DossierAccess, *, trashed: bool = False) -> QuerySet[Document]:
    documents = Document.objects.filter(dossier=access.dossier)
    documents = documents.trashed() if trashed else documents.alive()
    allowed = visible_folder_ids(access)
    if allowed is not None:
        # A restricted person sees only documents filed in its folders (not the root).
        documents = documents.filter(Q(folder__in=allowed))
    return documents


def access_folder(access: DossierAccess, pk: int) -> Folder:
    folder = folders_visible(access).filter(pk=pk).first()
    if folder is None:
        raise Http404
    return folder


def access_document(access: DossierAccess, pk: int, *, trashed: bool = False) -> Document:
    document = (
        documents_visible(access, trashed=trashed)
        .select_related("folder", "current_version", "created_by")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404
    return document


def access_version(document: Document, pk: int) -> DocumentVersion:
    version = DocumentVersion.objects.filter(document=document, pk=pk).first()
    if version is None:
        raise Http404
    return version
