"""`{% documents_recent access %}`: the dossier home's latest documents.

A template tag, so that the dossiers app (a lower layer) lists documents without importing
the documents app; reads go through `documents_visible(access)` (folder restrictions hold).
"""

from __future__ import annotations

from typing import Any

from django import template

from comptoir.dossiers.access import DossierAccess

from ..access import documents_visible

register = template.Library()

HOME_DOCUMENTS = 5


@register.inclusion_tag("documents/_home_recent.html")
def documents_recent(access: DossierAccess) -> dict[str, Any]:
    documents = list(
        documents_visible(access)
        .select_related("current_version", "created_by")
        .order_by("-created_at", "-id")[:HOME_DOCUMENTS]
    )
    return {"dossier": access.dossier, "documents": documents}
