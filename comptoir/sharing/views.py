"""The dossier's side of share links: create, list, one link's record, revoke, the policy.

Listing and reading links needs the right to share (DOCUMENT_SHARE), not only to read
documents: the pages show recipients' addresses and the IP addresses of the people who
opened the links, which only those who send documents out need to see. A person limited
to some folders sees only the links whose documents all sit in them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.core.converters import parse_id
from comptoir.documents.access import documents_visible
from comptoir.documents.models import Document
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions
from .access import access_share_link, links_visible
from .forms import ShareLinkForm, SharePolicyForm
from .selectors import link_rows, links_with_details

PAGE_SIZE = 50


def sharing_context(access: DossierAccess, **extra: Any) -> dict[str, Any]:
    return dossier_context(
        access,
        can_share=access.has(Permission.DOCUMENT_SHARE),
        **extra,
    )


def _document_ids(values: list[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        pk = parse_id(value)
        if pk is None:
            raise Http404  # not an id at all: the same answer as an id that is not there
        ids.append(pk)
    return list(dict.fromkeys(ids))


def _chosen_documents(access: DossierAccess, data: QueryDict) -> tuple[list[Document], bool]:
    """The documents named in the request, and whether there were too many to look at.

    One that the person cannot see (another dossier's, a folder it may not open, the
    trash) answers 404, exactly like one that does not exist.
    """
    ids = _document_ids(data.getlist("documents"))
    if len(ids) > actions.MAX_DOCUMENTS:
        return [], True
    if not ids:
        return [], False
    documents = list(
        documents_visible(access)
        .filter(pk__in=ids)
        .select_related("current_version", "folder")
        .order_by("name", "id")
    )
    if len(documents) != len(ids):
        raise Http404
    return documents, False


@dossier_view(Permission.DOCUMENT_SHARE)
@require_http_methods(["GET", "POST"])
def link_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    posted = request.method == "POST"
    documents, too_many = _chosen_documents(access, request.POST if posted else request.GET)
    policy = actions.policy_of(access.dossier)
    form = ShareLinkForm(request.POST if posted else None, policy=policy)
    if posted and form.is_valid():
        if too_many:
            form.add_error(
                None,
                _("Un lien peut contenir %(n)s documents au plus.") % {"n": actions.MAX_DOCUMENTS},
            )
        elif not documents:
            form.add_error(None, _("Choisissez au moins un document à partager."))
        else:
            data = form.cleaned_data
            try:
                link, token = actions.share_link_create(
                    actor=Actor.from_request(request),
                    access=access,
                    documents=documents,
                    recipients=data["recipients"],
                    expires_at=(
                        actions.expiry_from_date(data["expires_on"]) if data["expires_on"] else None
                    ),
                    password=data["password"],
                    message=data["message"],
                    max_downloads=data["max_downloads"],
                    notify_first_open=data["notify_first_open"],
                    base_url=request.build_absolute_uri("/"),
                )
            except actions.ActionRefused as refused:
                form.add_error(None, refused.message)
            else:
                # Shown once, in this answer only: nothing but the token's hash is kept.
                context = sharing_context(
                    access,
                    link=link,
                    url=actions.link_url(token, request.build_absolute_uri("/")),
                    documents=documents,
                    recipients=data["recipients"],
                )
                return render(request, "sharing/created.html", context)
    context = sharing_context(
        access,
        form=form,
        documents=documents,
        too_many=too_many,
        policy=policy,
        max_documents=actions.MAX_DOCUMENTS,
    )
    return render(request, "sharing/create.html", context)


@dossier_view(Permission.DOCUMENT_SHARE)
@require_http_methods(["GET"])
def link_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    links = links_with_details(links_visible(access).order_by("-created_at", "-id"))
    page = Paginator(links, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = link_rows(dossier=access.dossier, links=page.object_list)
    return render(request, "sharing/list.html", sharing_context(access, page=page, rows=rows))


@dossier_view(Permission.DOCUMENT_SHARE)
@require_http_methods(["GET"])
def link_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    link = links_with_details(links_visible(access).filter(pk=pk)).first()
    if link is None:
        raise Http404
    (row,) = link_rows(dossier=access.dossier, links=[link])
    accesses = link.accesses.order_by("-at", "-id")
    page = Paginator(accesses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "sharing/detail.html", sharing_context(access, row=row, link=link, page=page)
    )


@dossier_view(Permission.DOCUMENT_SHARE)
@require_POST
def link_revoke(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    link = access_share_link(access, pk)
    try:
        actions.share_link_revoke(actor=Actor.from_request(request), access=access, link=link)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Le lien est révoqué : il ne sert plus aucun fichier."))
    return redirect("sharing:link_detail", slug=access.dossier.slug, pk=link.pk)


@dossier_view(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    policy = actions.policy_of(access.dossier)
    form = SharePolicyForm(
        request.POST if request.method == "POST" else None,
        initial={
            "require_password": policy.require_password,
            "max_expiry_days": policy.max_expiry_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.sharing_policy_update(
                actor=Actor.from_request(request),
                access=access,
                require_password=form.cleaned_data["require_password"],
                max_expiry_days=form.cleaned_data["max_expiry_days"],
            )
        except actions.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Les règles de partage sont enregistrées."))
            return redirect("sharing:policy", slug=access.dossier.slug)
    return render(request, "sharing/policy.html", sharing_context(access, form=form))


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/links/", link_list, name="link_list"),
    path("d/<slug:slug>/links/new/", link_create, name="link_create"),
    path("d/<slug:slug>/links/<id:pk>/", link_detail, name="link_detail"),
    path("d/<slug:slug>/links/<id:pk>/revoke/", link_revoke, name="link_revoke"),
    path("d/<slug:slug>/settings/sharing/", policy_edit, name="policy"),
]
