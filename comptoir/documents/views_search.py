"""The document search page: text (name and content), folder, period, uploader, type.

Every query starts from `documents_visible(access)`: a restricted Utilisateur finds only
what its folders hold, and trashed documents are never found. The page costs the same
number of queries however many documents match (pinned by tests/test_search.py).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from comptoir.accounts.models import User
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission

from .access import documents_visible, folder_ids_with_descendants
from .forms_search import DocumentSearchForm
from .search import SearchFilters, documents_search
from .views import PAGE_SIZE, _folder_choices, documents_context

FILTER_NAMES = ("q", "folder", "date_from", "date_to", "uploader", "kind")


def uploader_choices(access: DossierAccess) -> list[tuple[int, str]]:
    """The dossier's members and the staff of the firms serving it (one query)."""
    dossier = access.dossier
    people = (
        User.objects.filter(
            Q(memberships__dossier=dossier)
            | Q(firm_memberships__firm__dossier_accesses__dossier=dossier)
        )
        .distinct()
        .only("pk", "email", "first_name", "last_name")
    )
    return sorted(
        ((person.pk, person.display_name) for person in people), key=lambda c: c[1].lower()
    )


@dossier_view(Permission.DOCUMENT_VIEW)
@require_GET
def document_search(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = DocumentSearchForm(
        request.GET,
        folder_choices=_folder_choices(access),
        uploader_choices=uploader_choices(access),
    )
    page = None
    if form.is_valid():
        data = form.cleaned_data
        folder_ids = None
        if data["folder"] is not None:
            # The choices were the visible folders; below a visible folder all is visible.
            folder_ids = frozenset(
                folder_ids_with_descendants(dossier_id=access.dossier.pk, root_ids=[data["folder"]])
            )
        filters = SearchFilters(
            query=data["q"],
            folder_ids=folder_ids,
            date_from=data["date_from"],
            date_to=data["date_to"],
            uploader_id=data["uploader"],
            kind=data["kind"],
        )
        documents = documents_search(
            documents_visible(access).select_related("current_version", "created_by", "folder"),
            dossier_id=access.dossier.pk,
            filters=filters,
        )
        page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = documents_context(
        access,
        form=form,
        page=page,
        filtered=any(request.GET.get(name) for name in FILTER_NAMES),
        folder_choices=form.fields["folder"].choices[1:],  # type: ignore[attr-defined]
        show_folder=True,
    )
    return render(request, "documents/search.html", context)


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/documents/search/", document_search, name="search"),
]
