"""Every write on folders and documents, and every recorded read.

The view has checked the permission and fetched objects through `access.py`; actions check
the business rules, save, record the audit event in the same transaction and queue the
background processing after commit. A refused action raises ActionRefused; nothing changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.models import Dossier

from .access import visible_folder_ids
from .models import DEFAULT_FOLDERS, Document, DocumentVersion, Folder
from .search import document_index
from .uploads import ReceivedFile, filename_sanitise

__all__ = ["ActionRefused"]


def _storage_name(dossier: Dossier) -> str:
    # Random and flat per dossier: nothing a person typed reaches the file system.
    return f"documents/{dossier.pk}/{uuid.uuid4().hex}"


def _folder_name_clean(name: str) -> str:
    cleaned = filename_sanitise(name or "")[:120]
    if not (name or "").strip():
        raise ActionRefused(_("Donnez un nom au classeur."))
    return cleaned


def _check_target_folder(access: DossierAccess, folder: Folder | None) -> None:
    """A person limited to some folders may file only into them (never at the root)."""
    if folder is not None and folder.dossier_id != access.dossier.pk:
        raise ActionRefused(_("Ce classeur n'appartient pas à ce dossier."))
    allowed = visible_folder_ids(access)
    if allowed is not None and (folder is None or folder.pk not in allowed):
        raise ActionRefused(_("Choisissez un des classeurs auxquels vous avez accès."))


def _refuse_if_locked(document_ids: list[int], names: dict[int, str]) -> None:
    """A document waiting for an approval stays as the approver sees it (call under its row
    lock: the approval's creation locks the same rows)."""
    # Imported here: documents does not depend on tasks to load.
    from comptoir.assignments.locks import documents_locked

    locked = documents_locked(document_ids)
    if locked:
        document_id, task = next(iter(sorted(locked.items())))
        raise ActionRefused(
            _(
                "« %(name)s » attend une approbation (%(task)s) : il ne peut être ni "
                "modifié, ni déplacé, ni supprimé avant la décision."
            )
            % {"name": names.get(document_id, ""), "task": task.title}
        )


def _lock_and_refuse_if_locked(documents: list[Document]) -> None:
    """Lock every row first (in id order, like the approval's creation), then check."""
    rows = (
        Document.objects.select_for_update()
        .filter(pk__in=[d.pk for d in documents])
        .order_by("pk")
        .values_list("pk", "name")
    )
    names = dict(rows)
    _refuse_if_locked(list(names), names)


def _enqueue_processing(document_id: int) -> None:
    from .tasks import document_process

    transaction.on_commit(lambda: document_process.enqueue(document_id))


# --- Folders ------------------------------------------------------------------------------


def folders_create_defaults(*, dossier: Dossier, actor: Actor) -> list[Folder]:
    """The default set a new dossier starts with. Runs inside dossier_create's transaction."""
    return [
        Folder.objects.create(dossier=dossier, name=name, created_by=actor.user)
        for name in DEFAULT_FOLDERS
    ]


@transaction.atomic
def folder_create(
    *, actor: Actor, access: DossierAccess, name: str, parent: Folder | None = None
) -> Folder:
    clean_name = _folder_name_clean(name)
    _check_target_folder(access, parent)
    if Folder.objects.filter(dossier=access.dossier, parent=parent, name=clean_name).exists():
        raise ActionRefused(_("Un classeur porte déjà ce nom ici."))
    folder = Folder.objects.create(
        dossier=access.dossier, parent=parent, name=clean_name, created_by=actor.user
    )
    record(
        actor=actor,
        action="folder.created",
        dossier=access.dossier,
        target=folder,
        details={"parent": parent.name if parent else None},
    )
    return folder


@transaction.atomic
def folder_rename(*, actor: Actor, access: DossierAccess, folder: Folder, name: str) -> Folder:
    clean_name = _folder_name_clean(name)
    folder = Folder.objects.select_for_update().get(pk=folder.pk)
    if clean_name == folder.name:
        return folder
    if (
        Folder.objects.filter(dossier=access.dossier, parent=folder.parent_id, name=clean_name)
        .exclude(pk=folder.pk)
        .exists()
    ):
        raise ActionRefused(_("Un classeur porte déjà ce nom ici."))
    before = folder.name
    folder.name = clean_name
    folder.save(update_fields=["name"])
    record(
        actor=actor,
        action="folder.renamed",
        dossier=access.dossier,
        target=folder,
        details={"from": before, "to": clean_name},
    )
    return folder


@transaction.atomic
def folder_move(
    *, actor: Actor, access: DossierAccess, folder: Folder, parent: Folder | None
) -> Folder:
    folder = Folder.objects.select_for_update().get(pk=folder.pk)
    if parent is not None:
        _check_target_folder(access, parent)
        # Walk up from the new parent: reaching the folder itself would make a loop.
        ancestor: Folder | None = parent
        while ancestor is not None:
            if ancestor.pk == folder.pk:
                raise ActionRefused(_("Un classeur ne peut pas être rangé dans lui-même."))
            ancestor = ancestor.parent
    elif visible_folder_ids(access) is not None:
        raise ActionRefused(_("Choisissez un des classeurs auxquels vous avez accès."))
    if (
        Folder.objects.filter(dossier=access.dossier, parent=parent, name=folder.name)
        .exclude(pk=folder.pk)
        .exists()
    ):
        raise ActionRefused(_("Un classeur porte déjà ce nom à cet endroit."))
    before = folder.parent.name if folder.parent else None
    folder.parent = parent
    folder.save(update_fields=["parent"])
    record(
        actor=actor,
        action="folder.moved",
        dossier=access.dossier,
        target=folder,
        details={"from": before, "to": parent.name if parent else None},
    )
    return folder


@transaction.atomic
def folder_delete(*, actor: Actor, access: DossierAccess, folder: Folder) -> None:
    """Only an empty folder goes: documents are never deleted as a side effect."""
    folder = Folder.objects.select_for_update().get(pk=folder.pk)
    if Document.objects.alive().filter(folder=folder).exists() or folder.children.exists():
        raise ActionRefused(
            _("Ce classeur n'est pas vide : déplacez ou supprimez d'abord son contenu.")
        )
    # Documents in the trash that were filed here will be restored at the root.
    record(actor=actor, action="folder.deleted", dossier=access.dossier, target=folder)
    folder.delete()


# --- Documents ----------------------------------------------------------------------------


def document_upload(
    *, actor: Actor, access: DossierAccess, received: ReceivedFile, folder: Folder | None
) -> Document:
    """Store the bytes, then record the document; if the database refuses, the file goes."""
    _check_target_folder(access, folder)
    storage_name = default_storage.save(_storage_name(access.dossier), received.file)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                dossier=access.dossier, folder=folder, name=received.name, created_by=actor.user
            )
            version = DocumentVersion.objects.create(
                document=document,
                number=1,
                storage_name=storage_name,
                original_name=received.name,
                size=received.size,
                sha256=received.sha256,
                mime_type=received.mime_type,
                uploaded_by=actor.user,
            )
            document.current_version = version
            document.save(update_fields=["current_version"])
            # Searchable by name at once; the text content joins when extracted.
            document_index(document=document)
            record(
                actor=actor,
                action="document.uploaded",
                dossier=access.dossier,
                target=document,
                details={
                    "folder": folder.name if folder else None,
                    "size": received.size,
                    "sha256": received.sha256,
                    "type": received.mime_type,
                },
            )
            _enqueue_processing(document.pk)
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return document


def document_version_add(
    *,
    actor: Actor,
    access: DossierAccess,
    document: Document,
    received: ReceivedFile,
    base_version: int | None = None,
) -> DocumentVersion:
    """A new version on top of `base_version` (the one the person saw): if someone added
    another meanwhile, refuse instead of silently stacking on a version they never saw."""
    storage_name = default_storage.save(_storage_name(access.dossier), received.file)
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            if locked.is_trashed:
                raise ActionRefused(_("Ce document est dans la corbeille."))
            _refuse_if_locked([locked.pk], {locked.pk: locked.name})
            latest = locked.versions.aggregate(n=Max("number"))["n"] or 0
            if base_version is not None and base_version != latest:
                raise ActionRefused(
                    _(
                        "Une autre version a été déposée entre-temps (version %(n)s) : "
                        "rechargez la page et vérifiez-la avant d'en déposer une nouvelle."
                    )
                    % {"n": latest}
                )
            version = DocumentVersion.objects.create(
                document=locked,
                number=latest + 1,
                storage_name=storage_name,
                original_name=received.name,
                size=received.size,
                sha256=received.sha256,
                mime_type=received.mime_type,
                uploaded_by=actor.user,
            )
            locked.current_version = version
            locked.processed_at = None
            locked.save(update_fields=["current_version", "processed_at", "updated_at"])
            record(
                actor=actor,
                action="document.version_added",
                dossier=access.dossier,
                target=locked,
                details={
                    "version": version.number,
                    "size": received.size,
                    "sha256": received.sha256,
                    "type": received.mime_type,
                },
            )
            _enqueue_processing(locked.pk)
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return version


@transaction.atomic
def document_rename(
    *,
    actor: Actor,
    access: DossierAccess,
    document: Document,
    name: str,
    expected_name: str | None = None,
) -> Document:
    if not (name or "").strip():
        raise ActionRefused(_("Donnez un nom au document."))
    clean_name = filename_sanitise(name)
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if expected_name is not None and locked.name != expected_name:
        raise ActionRefused(
            _("Ce document a été renommé entre-temps en « %(name)s » : rien n'est changé.")
            % {"name": locked.name}
        )
    if clean_name == locked.name:
        return locked
    _refuse_if_locked([locked.pk], {locked.pk: locked.name})
    before = locked.name
    locked.name = clean_name
    locked.save(update_fields=["name", "updated_at"])
    document_index(document=locked)
    record(
        actor=actor,
        action="document.renamed",
        dossier=access.dossier,
        target=locked,
        details={"from": before, "to": clean_name},
    )
    return locked


@transaction.atomic
def documents_move(
    *, actor: Actor, access: DossierAccess, documents: Iterable[Document], folder: Folder | None
) -> int:
    _check_target_folder(access, folder)
    documents = list(documents)
    _lock_and_refuse_if_locked(documents)
    moved = 0
    for document in documents:
        locked = (
            Document.objects.select_for_update(of=("self",))
            .select_related("folder")
            .get(pk=document.pk)
        )
        if locked.folder_id == (folder.pk if folder else None):
            continue
        before = locked.folder.name if locked.folder else None
        locked.folder = folder
        locked.save(update_fields=["folder", "updated_at"])
        record(
            actor=actor,
            action="document.moved",
            dossier=access.dossier,
            target=locked,
            details={"from": before, "to": folder.name if folder else None},
        )
        moved += 1
    return moved


@transaction.atomic
def documents_trash(*, actor: Actor, access: DossierAccess, documents: Iterable[Document]) -> int:
    now = timezone.now()
    documents = list(documents)
    _lock_and_refuse_if_locked(documents)
    trashed = 0
    for document in documents:
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.is_trashed:
            continue
        locked.deleted_at = now
        locked.deleted_by = actor.user
        locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        record(actor=actor, action="document.trashed", dossier=access.dossier, target=locked)
        trashed += 1
    return trashed


@transaction.atomic
def document_restore(*, actor: Actor, access: DossierAccess, document: Document) -> Document:
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if not locked.is_trashed:
        return locked
    allowed = visible_folder_ids(access)
    if allowed is not None and locked.folder_id not in allowed:
        raise ActionRefused(_("Ce document était rangé dans un classeur qui n'existe plus."))
    locked.deleted_at = None
    locked.deleted_by = None
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    record(actor=actor, action="document.restored", dossier=access.dossier, target=locked)
    return locked


@transaction.atomic
def document_read_record(
    *,
    actor: Actor,
    access: DossierAccess,
    document: Document,
    version: DocumentVersion,
    kind: str,
) -> None:
    """Every read of a document is in the log: `kind` is "viewed" or "downloaded"."""
    assert kind in {"viewed", "downloaded"}
    record(
        actor=actor,
        action=f"document.{kind}",
        dossier=access.dossier,
        target=document,
        details={"version": version.number, "sha256": version.sha256},
    )


@transaction.atomic
def documents_zip_record(*, actor: Actor, access: DossierAccess, documents: list[Document]) -> None:
    for document in documents:
        record(
            actor=actor,
            action="document.downloaded",
            dossier=access.dossier,
            target=document,
            details={
                "version": document.current_version.number if document.current_version else None,
                "zip": True,
            },
        )


def document_purge(*, document: Document) -> None:
    """Remove a document for good (trash retention elapsed): rows first, then the bytes."""
    names = list(document.versions.values_list("storage_name", flat=True))
    names += list(document.originals.values_list("storage_name", flat=True))
    names += [name for name in (document.thumbnail, document.preview) if name]
    with transaction.atomic():
        record(
            actor=Actor.system(),
            action="document.purged",
            dossier=document.dossier,
            target=document,
            details={
                "deleted_at": document.deleted_at.isoformat() if document.deleted_at else None
            },
        )
        Document.objects.filter(pk=document.pk).update(current_version=None)
        document.delete()
        # The bytes go only once the rows are gone for good: if an outer transaction
        # rolls back, the document is still whole.
        transaction.on_commit(lambda: _storage_delete(names))


def _storage_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
