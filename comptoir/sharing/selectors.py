"""Reads for the dossier's link pages, in a number of queries that does not grow with links.

A link's state depends on its creator's rights today. On the recipient's page that is
`dossiers.access.dossier_access_for(creator)`; for a page of fifty links the same answer is
built here for every creator at once (memberships and firm seats in two queries, the folder
tree in one), then each link is judged by `access.link_state`, the rule both sides share.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from comptoir.documents.models import Document, Folder
from comptoir.dossiers.access import membership_permissions
from comptoir.dossiers.models import Dossier, FirmMember, Membership
from comptoir.dossiers.permissions import (
    ROLE_PERMISSIONS,
    UNRESTRICTED_ROLES,
    Permission,
    Role,
)

from .access import link_state
from .models import ShareLink, ShareLinkDocument


@dataclass(frozen=True)
class CreatorRights:
    can_share: bool
    # None: every folder; a set: only these (and what is below them).
    folder_ids: set[int] | None = None


@dataclass
class LinkRow:
    link: ShareLink
    state: str
    documents: list[Document] = field(default_factory=list)
    served_ids: set[int] = field(default_factory=set)


def _descendants(tree: dict[int | None, list[int]], roots: Iterable[int]) -> set[int]:
    result: set[int] = set()
    stack = list(roots)
    while stack:
        pk = stack.pop()
        if pk in result:
            continue
        result.add(pk)
        stack.extend(tree.get(pk, []))
    return result


def creators_rights(*, dossier: Dossier, user_ids: set[int]) -> dict[int, CreatorRights]:
    """What `dossier_access_for` would answer for each of these users, in bulk.

    Mirrors it: a firm seat gives the Comptable permissions and no folder limit; a direct
    membership adds its own; a folder limit applies only to a limited role without a firm.
    """
    if not user_ids:
        return {}
    memberships = {
        m.user_id: m
        for m in Membership.objects.select_related("profile").filter(
            dossier=dossier, user_id__in=user_ids, user__is_active=True
        )
    }
    via_firm = set(
        FirmMember.objects.filter(
            user_id__in=user_ids, user__is_active=True, firm__dossier_accesses__dossier=dossier
        ).values_list("user_id", flat=True)
    )
    tree: dict[int | None, list[int]] | None = None
    rights: dict[int, CreatorRights] = {}
    for user_id in user_ids:
        membership = memberships.get(user_id)
        if membership is None and user_id not in via_firm:
            rights[user_id] = CreatorRights(can_share=False)
            continue
        permissions: frozenset[Permission] = frozenset()
        role = Role.ACCOUNTANT.value
        if user_id in via_firm:
            permissions = ROLE_PERMISSIONS[Role.ACCOUNTANT]
        if membership is not None:
            permissions = permissions | membership_permissions(membership)
            if membership.role in {Role.OWNER, Role.ADMIN} or user_id not in via_firm:
                role = membership.role
        folder_ids: set[int] | None = None
        if (
            membership is not None
            and role not in UNRESTRICTED_ROLES
            and membership.restrict_folders
        ):
            if tree is None:
                tree = {}
                for pk, parent_id in Folder.objects.filter(dossier=dossier).values_list(
                    "pk", "parent_id"
                ):
                    tree.setdefault(parent_id, []).append(pk)
            existing = {pk for children in tree.values() for pk in children}
            roots = [int(pk) for pk in membership.visible_folder_ids if int(pk) in existing]
            folder_ids = _descendants(tree, roots)
        rights[user_id] = CreatorRights(
            can_share=Permission.DOCUMENT_SHARE in permissions, folder_ids=folder_ids
        )
    return rights


def link_rows(
    *, dossier: Dossier, links: Iterable[ShareLink], now: datetime.datetime | None = None
) -> list[LinkRow]:
    """Each link with its documents and its state. `links` is one page, already fetched
    with `links_with_details()`."""
    now = now or timezone.now()
    links = list(links)
    rights = creators_rights(
        dossier=dossier, user_ids={link.created_by_id for link in links if link.created_by_id}
    )
    rows = []
    for link in links:
        documents = [entry.document for entry in link.link_documents.all()]
        creator = rights.get(link.created_by_id) if link.created_by_id else None
        can_share = creator is not None and creator.can_share
        served = {
            d.pk
            for d in documents
            if can_share
            and d.deleted_at is None
            and d.current_version_id is not None
            and (creator.folder_ids is None or d.folder_id in creator.folder_ids)  # type: ignore[union-attr]
        }
        state = link_state(link, now=now, creator_can_share=can_share, served_count=len(served))
        rows.append(LinkRow(link=link, state=state, documents=documents, served_ids=served))
    return rows


def links_with_details(links: QuerySet[ShareLink]) -> QuerySet[ShareLink]:
    """The prefetches `link_rows` reads: documents (with what their state needs), recipients."""
    return links.select_related("created_by", "revoked_by").prefetch_related(
        Prefetch(
            "link_documents",
            queryset=ShareLinkDocument.objects.select_related("document").order_by(
                "document__name", "document_id"
            ),
        ),
        "recipients",
    )
