"""A dossier's own pages: create, overview, settings, deletion.

`dossier_view` is the outermost decorator of every /d/<slug>/ view: who may see the
dossier is answered (login, 404, 403) before anything else, the HTTP method included.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from comptoir.accounts.selectors import user_has_second_factor
from comptoir.audit.actions import Actor

from . import actions
from .access import DossierAccess, dossier_view
from .forms import DossierDeleteForm, DossierForm, DossierSettingsForm
from .models import Membership
from .permissions import Permission, Role


def dossier_context(access: DossierAccess, **extra: Any) -> dict[str, Any]:
    """What every /d/<slug>/ page's layout needs (navigation shows only what is allowed)."""
    return {
        "access": access,
        "dossier": access.dossier,
        "can_view_documents": access.has(Permission.DOCUMENT_VIEW),
        "can_delete_documents": access.has(Permission.DOCUMENT_DELETE),
        "can_share_documents": access.has(Permission.DOCUMENT_SHARE),
        "can_manage_members": access.has(Permission.MEMBERS_MANAGE),
        "can_manage_settings": access.has(Permission.SETTINGS_MANAGE),
        "can_delete_dossier": access.has(Permission.DOSSIER_DELETE),
        "can_transfer_ownership": access.has(Permission.OWNERSHIP_TRANSFER),
        "can_view_tasks": access.has(Permission.TASK_VIEW),
        "can_work_tasks": access.has(Permission.TASK_WORK),
        "can_send_tasks": access.has(Permission.TASK_SEND),
        "can_view_audit": access.has(Permission.AUDIT_VIEW),
        "can_view_invoices": access.has(Permission.INVOICE_VIEW),
        "can_view_entries": access.has(Permission.INVOICE_VIEW),
        "can_export": access.has(Permission.EXPORT),
        # The rule is portability.actions.dossier_export_allowed (a higher app).
        "can_export_dossier": access.has(Permission.EXPORT)
        and access.has(Permission.AUDIT_VIEW)
        and access.restricted_folder_ids is None,
        **extra,
    }


def _apply_validation_error(form: DossierForm, error: ValidationError) -> None:
    # The action re-validates the model; a field it names may not be on the form.
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_http_methods(["GET", "POST"])
def dossier_create(request: HttpRequest) -> HttpResponse:
    form = DossierForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            dossier = actions.dossier_create(actor=Actor.from_request(request), **form.cleaned_data)
        except ValidationError as error:
            _apply_validation_error(form, error)
        else:
            messages.success(
                request, _("Le dossier « %(name)s » est créé.") % {"name": dossier.name}
            )
            return redirect("dossiers:dossier_home", slug=dossier.slug)
    return render(request, "dossiers/dossier/create.html", {"form": form})


@dossier_view(Permission.DOSSIER_VIEW)
@require_GET
def dossier_home(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    dossier = access.dossier
    # The last owner cannot leave: the button would only ever answer no.
    can_leave = access.membership is not None and (
        access.membership.role != Role.OWNER
        or Membership.objects.filter(dossier=dossier, role=Role.OWNER).count() > 1
    )
    # "À faire": what waits for the person (tasks, notifications, invoices, documents) comes
    # from the apps' template tags; the company's details are on the settings page.
    context = dossier_context(
        access,
        can_upload_documents=access.has(Permission.DOCUMENT_UPLOAD),
        can_leave=can_leave,
    )
    return render(request, "dossiers/dossier/home.html", context)


@dossier_view(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def dossier_settings(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = DossierSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=DossierSettingsForm.initial_for(access.dossier),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.dossier_update(
                actor=Actor.from_request(request), access=access, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_validation_error(form, error)
        else:
            messages.success(request, _("Les paramètres du dossier sont enregistrés."))
            return redirect("dossiers:dossier_settings", slug=access.dossier.slug)
    context = dossier_context(
        access, form=form, has_second_factor=user_has_second_factor(user=access.user)
    )
    return render(request, "dossiers/dossier/settings.html", context)


@dossier_view(Permission.DOSSIER_DELETE)
@require_http_methods(["GET", "POST"])
def dossier_delete(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = DossierDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.dossier_delete(
                actor=Actor.from_request(request),
                access=access,
                confirm_name=form.cleaned_data["confirm_name"],
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect("dossiers:dossier_delete", slug=access.dossier.slug)
        messages.success(
            request, _("Le dossier « %(name)s » est supprimé.") % {"name": access.dossier.name}
        )
        return redirect("dossiers:dossier_list")
    return render(request, "dossiers/dossier/delete.html", dossier_context(access, form=form))


urlpatterns: list[URLPattern] = [
    path("dossiers/new/", dossier_create, name="dossier_create"),
    path("d/<slug:slug>/", dossier_home, name="dossier_home"),
    path("d/<slug:slug>/settings/", dossier_settings, name="dossier_settings"),
    path("d/<slug:slug>/settings/delete/", dossier_delete, name="dossier_delete"),
]
