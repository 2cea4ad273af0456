"""Permission-checked fetches of share links, and what a link may still serve.

Dossier side: `links_visible(access)` is the dossier's links, minus (for a person limited to
some folders) any link with a document outside them; `access_share_link` answers 404 for a
missing link and another dossier's alike.

Recipient side: `share_link_by_token` finds a link from its token (by hash), and
`share_link_resolve` says what state it is in and which documents it serves now: those
still alive that its creator can still see, and none at all when the creator no longer
holds the right to share in the dossier.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from comptoir.documents.access import documents_visible, visible_folder_ids
from comptoir.documents.models import Document
from comptoir.dossiers.access import DossierAccess, dossier_access_for
from comptoir.dossiers.permissions import Permission

from .models import LinkState, ShareLink, ShareLinkDocument, token_digest

# A token is `secrets.token_urlsafe(32)`: 43 characters of the URL-safe alphabet.
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
TOKEN_MAX_LENGTH = 128


def links_visible(access: DossierAccess) -> QuerySet[ShareLink]:
    links = ShareLink.objects.filter(dossier=access.dossier)
    allowed = visible_folder_ids(access)
    if allowed is not None:
        # Same rule as documents: a restricted person sees only what is filed in its folders.
        hidden = ShareLinkDocument.objects.filter(link=OuterRef("pk")).exclude(
            document__folder__in=allowed
        )
        links = links.exclude(Exists(hidden))
    return links


def access_share_link(access: DossierAccess, pk: int) -> ShareLink:
    link = links_visible(access).select_related("created_by", "revoked_by").filter(pk=pk).first()
    if link is None:
        raise Http404
    return link


def share_link_by_token(token: str) -> ShareLink | None:
    """The link behind a token, or None. Malformed tokens are not even looked up."""
    if not token or len(token) > TOKEN_MAX_LENGTH or not set(token) <= TOKEN_ALPHABET:
        return None
    return (
        ShareLink.objects.select_related("dossier", "created_by")
        .filter(token_hash=token_digest(token))
        .first()
    )


def link_state(
    link: ShareLink, *, now: datetime.datetime, creator_can_share: bool, served_count: int
) -> str:
    """One rule for the dossier's list and the recipient's page. The first reason wins."""
    if link.revoked_at is not None:
        return LinkState.REVOKED
    if link.expires_at is not None and link.expires_at <= now:
        return LinkState.EXPIRED
    if link.max_downloads is not None and link.download_count >= link.max_downloads:
        return LinkState.EXHAUSTED
    if not creator_can_share or served_count == 0:
        return LinkState.INACTIVE
    return LinkState.ACTIVE


@dataclass
class ResolvedLink:
    link: ShareLink
    state: str
    documents: list[Document] = field(default_factory=list)

    @property
    def is_active(self) -> bool:
        return self.state == LinkState.ACTIVE


def creator_access(link: ShareLink) -> DossierAccess | None:
    """The creator's access to the dossier now, if it still includes sharing."""
    creator = link.created_by
    if creator is None or not creator.is_active:
        return None
    try:
        access = dossier_access_for(creator, link.dossier.slug)
    except Http404:
        return None  # no longer a member, or the dossier was deleted
    return access if access.has(Permission.DOCUMENT_SHARE) else None


def share_link_resolve(link: ShareLink, *, now: datetime.datetime | None = None) -> ResolvedLink:
    now = now or timezone.now()
    # The cheap reasons first: a revoked or expired link needs no further question.
    state = link_state(link, now=now, creator_can_share=True, served_count=1)
    if state != LinkState.ACTIVE:
        return ResolvedLink(link=link, state=state)
    access = creator_access(link)
    documents: list[Document] = []
    if access is not None:
        documents = list(
            documents_visible(access)
            .filter(share_link_entries__link=link, current_version__isnull=False)
            .select_related("current_version")
            .order_by("name", "id")
        )
    state = link_state(
        link, now=now, creator_can_share=access is not None, served_count=len(documents)
    )
    return ResolvedLink(link=link, state=state, documents=documents if state == "active" else [])
