"""Permission-checked reads of the activity log.

A dossier's log is read through `events_visible(access)` (the view has checked
AUDIT_VIEW with `dossier_view`); the accountant's log across dossiers through
`events_visible_across(user)`, which covers exactly the live dossiers where the person
holds AUDIT_VIEW (`dossiers_audited`). Nothing else reads `AuditEvent` for a page or
an export.

Folder restrictions hold in the log too: for an Utilisateur the owner restricted to some
folders, events about what it may not see are left out (`hidden_for_restricted`) — a
document outside its folders (or gone), a folder outside them, a share link with such a
document, and the task events that name such documents. One SQL statement still reads a
page: the conditions are subqueries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import CharField, F, Q, QuerySet
from django.db.models.functions import Cast

from comptoir.dossiers.access import (
    DossierAccess,
    dossier_access_for,
    dossier_permissions,
    dossiers_with,
)
from comptoir.dossiers.models import Dossier, Membership
from comptoir.dossiers.permissions import UNRESTRICTED_ROLES, Permission

from .models import AuditEvent

if TYPE_CHECKING:
    from comptoir.accounts.models import User


# Task events whose details name documents (ids, names, SHA-256).
TASK_DOCUMENT_ACTIONS = (
    "task.created",
    "task.documents_uploaded",
    "task.documents_attached",
    "task.document_opened",
    "task.approved",
    "task.declined",
    "task.step_added",  # names the step's destination folder
)


def _keys(queryset: QuerySet, field: str) -> QuerySet:
    """A subquery of `field` as text, to compare with `AuditEvent.object_id`."""
    return queryset.annotate(key=Cast(field, output_field=CharField())).values("key")


def hidden_for_restricted(dossier_id: int, folder_ids: set[int]) -> Q:
    """The events of one dossier about objects a reader limited to `folder_ids` may not see."""
    from comptoir.assignments.models import ApprovalDocument, Step, TaskDocument
    from comptoir.documents.models import Document
    from comptoir.sharing.models import ShareLink, ShareLinkDocument

    allowed = sorted(folder_ids)
    visible_documents = Document.objects.filter(dossier_id=dossier_id, folder_id__in=allowed)
    # A link is visible when it has documents and all of them are (a purged document
    # leaves its link: such a link is hidden, its event named the document).
    hidden_links = ShareLinkDocument.objects.filter(link__dossier_id=dossier_id).exclude(
        document__folder_id__in=allowed
    )
    visible_links = (
        ShareLink.objects.filter(dossier_id=dossier_id, link_documents__isnull=False)
        .exclude(pk__in=hidden_links.values("link_id"))
        .distinct()
    )
    foreign_documents = TaskDocument.objects.filter(task__dossier_id=dossier_id).exclude(
        document__folder_id__in=allowed
    )
    # A decision keeps its proofs (document, version, SHA-256) after a document is purged.
    foreign_proofs = ApprovalDocument.objects.filter(approval__task__dossier_id=dossier_id).exclude(
        document__folder_id__in=allowed
    )
    foreign_steps = Step.objects.filter(task__dossier_id=dossier_id, folder__isnull=False).exclude(
        folder_id__in=allowed
    )
    return (
        Q(object_type="documents.document") & ~Q(object_id__in=_keys(visible_documents, "pk"))
        | Q(object_type="documents.folder") & ~Q(object_id__in=[str(pk) for pk in allowed])
        | Q(object_type="sharing.sharelink") & ~Q(object_id__in=_keys(visible_links, "pk"))
        | Q(action__in=TASK_DOCUMENT_ACTIONS)
        & (
            Q(object_type="assignments.task", object_id__in=_keys(foreign_documents, "task_id"))
            | Q(
                object_type="assignments.task",
                object_id__in=_keys(foreign_proofs, "approval__task_id"),
            )
            | Q(
                object_type="assignments.step",
                object_id__in=_keys(foreign_documents.filter(step__isnull=False), "step_id"),
            )
            | Q(object_type="assignments.step", object_id__in=_keys(foreign_steps, "pk"))
        )
    )


def events_visible(access: DossierAccess) -> QuerySet[AuditEvent]:
    """The dossier's events (the caller has checked AUDIT_VIEW), minus those about objects
    a restricted reader may not see."""
    if not access.has(Permission.AUDIT_VIEW):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(dossier=access.dossier)
    from comptoir.documents.access import visible_folder_ids

    folder_ids = visible_folder_ids(access)
    if folder_ids is not None:
        events = events.exclude(hidden_for_restricted(access.dossier.pk, folder_ids))
    return events


def dossiers_audited(user: User, *, also: Permission | None = None) -> list[Dossier]:
    """The live dossiers whose log the person may read (and, with `also`, where they hold
    that permission too: `also=Permission.EXPORT` for exports), by name."""
    return dossiers_with(user, Permission.AUDIT_VIEW, *([also] if also is not None else []))


@dataclass(frozen=True)
class AuditScope:
    dossiers: list[Dossier]  # whose log the person may read, by name (pk, slug, name only)
    exportable: bool  # whether they may export the log of any of them


def audit_scope(user: User) -> AuditScope:
    """`dossiers_audited` and whether any of them is exportable, from one reading of the
    person's access (two queries)."""
    reached = dossier_permissions(user)
    return AuditScope(
        dossiers=[d for d, held in reached if Permission.AUDIT_VIEW in held],
        exportable=any({Permission.AUDIT_VIEW, Permission.EXPORT} <= held for _d, held in reached),
    )


# From this many dossiers, `walk_by_id` reads events newest first along the primary key,
# keeping those of the dossiers, instead of reading every event of every dossier through
# the (dossier, -id) index and sorting them all before the LIMIT (see ARCHITECTURE.md).
WALK_MIN = 20


def events_visible_across(
    user: User, dossiers: list[Dossier] | None = None, *, walk_by_id: bool = False
) -> QuerySet[AuditEvent]:
    """Events of every dossier the person may audit (pass `dossiers_audited(user)` when
    the caller has it already, to save its queries).

    `walk_by_id`, for a page without a filter: with WALK_MIN dossiers or more the dossier
    condition is written so that no index serves it (`dossier_id + 0`), and the database
    walks the primary key backwards until it has a page — a firm's dossiers hold most of
    the events, so that is a page's worth of rows, where the index would read them all.
    """
    if dossiers is None:
        dossiers = dossiers_audited(user)
    from comptoir.documents.access import visible_folder_ids

    ids = [d.pk for d in dossiers]
    # Dossiers where the person may be limited to some folders (one query; the exact
    # answer, firms included, comes from the dossier's access, only for those).
    candidates = {
        membership.dossier_id: membership.dossier
        for membership in Membership.objects.select_related("dossier")
        .filter(user=user, dossier_id__in=ids, restrict_folders=True)
        .exclude(role__in=UNRESTRICTED_ROLES)
    }
    limited: dict[int, set[int]] = {}
    for dossier_id, dossier in candidates.items():
        folder_ids = visible_folder_ids(dossier_access_for(user, dossier.slug))
        if folder_ids is not None:
            limited[dossier_id] = folder_ids
    events = AuditEvent.objects.all()
    whole = [pk for pk in ids if pk not in limited]
    if walk_by_id and len(ids) >= WALK_MIN:
        events = events.alias(dossier_key=F("dossier_id") + 0)
        condition = Q(dossier_key__in=whole)
    else:
        condition = Q(dossier_id__in=whole)
    for dossier_id, folder_ids in limited.items():
        condition |= Q(dossier_id=dossier_id) & ~hidden_for_restricted(dossier_id, folder_ids)
    return events.filter(condition)
