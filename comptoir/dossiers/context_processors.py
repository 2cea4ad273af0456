"""What the top bar's dossier switcher needs on every page.

Nothing is written and nothing is read from the session: the current dossier is the one
in the URL (set on the request by `access.dossier_view`), so two tabs on two dossiers
never disturb each other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import SWITCHER_SIZE, dossier_search

# Switching dossier keeps the section: from a page of one of these apps, the switcher links
# to that app's list in the other dossier (Documents → Documents); elsewhere to its home.
SECTIONS = {
    "documents": "documents:document_list",
    "assignments": "assignments:task_list",
    "invoicing": "invoicing:invoice_list",
    "sharing": "sharing:link_list",
    "accounting": "accounting:entry_list",
    "audit": "audit:dossier_log",
}
HOME = "dossiers:dossier_home"


def switcher_section(app_name: str) -> str:
    """The URL name the switcher links to, from the current page's app (or a given one)."""
    return SECTIONS.get(app_name, HOME)


def switcher(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "dossier_access", None)

    def first_dossiers() -> list[Any]:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        dossiers = list(dossier_search(user=user, query="", limit=SWITCHER_SIZE))  # type: ignore[arg-type]
        if access is not None and all(d.pk != access.dossier.pk for d in dossiers):
            # An accountant's current dossier may be far down the alphabet: keep it in view.
            dossiers = [access.dossier, *dossiers[: SWITCHER_SIZE - 1]]
        return dossiers

    match = getattr(request, "resolver_match", None)
    section = switcher_section(match.app_name if access is not None and match else "")
    return {
        "current_dossier": access.dossier if access is not None else None,
        "switcher_section": section,
        "switcher_app": next((app for app, name in SECTIONS.items() if name == section), ""),
        # Evaluated once, and only if the page's template shows the switcher.
        "switcher_dossiers": SimpleLazyObject(first_dossiers),
    }
