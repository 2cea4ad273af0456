"""A firm's (cabinet's) pages: create one, its staff, the dossiers it serves, its settings.

Only the firm's staff see it (404 for everyone else, as for a firm that does not exist);
only its administrators change it (403 for the rest of the staff).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.audit.actions import Actor

from . import actions
from .access import access_firm, access_firm_invitation, access_firm_member
from .forms import FirmForm, FirmInviteForm, FirmSettingsForm
from .models import FirmAccess, FirmMember, Invitation
from .permissions import Role
from .views_invitations import invitation_resend_and_report, invitation_revoke_and_report

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def firm_create(request: HttpRequest) -> HttpResponse:
    form = FirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            firm = actions.firm_create(
                actor=Actor.from_request(request), name=form.cleaned_data["name"]
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("Le cabinet « %(name)s » est créé : invitez maintenant vos collaborateurs.")
                % {"name": firm.name},
            )
            return redirect("dossiers:firm_detail", slug=firm.slug)
    return render(request, "dossiers/firms/create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def firm_detail(request: HttpRequest, slug: str) -> HttpResponse:
    seat = access_firm(request.user, slug)  # type: ignore[arg-type]
    firm = seat.firm
    if request.method == "POST" and not seat.is_admin:
        # Only administrators invite; the rest of the staff may only read this page.
        raise PermissionDenied
    invite_form = None
    if seat.is_admin:
        invite_form = FirmInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and invite_form is not None and invite_form.is_valid():
        try:
            invitation = actions.invitation_create(
                actor=Actor.from_request(request),
                base_url=request.build_absolute_uri("/"),
                email=invite_form.cleaned_data["email"],
                role=Role.ACCOUNTANT,
                firm=firm,
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s. Le lien est valable 14 jours.")
                % {"email": invitation.email},
            )
            return redirect("dossiers:firm_detail", slug=firm.slug)
    staff = list(
        FirmMember.objects.filter(firm=firm).select_related("user").order_by("user__email")
    )
    served = (
        FirmAccess.objects.filter(firm=firm, dossier__deleted_at__isnull=True)
        .select_related("dossier")
        .order_by("dossier__name")
    )
    page = Paginator(served, PAGE_SIZE).get_page(request.GET.get("page"))
    invitations = []
    if seat.is_admin:
        invitations = list(
            Invitation.objects.filter(firm=firm, accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("created_by")
            .order_by("-created_at")
        )
    context = {
        "firm": firm,
        "seat": seat,
        "staff": staff,
        # The last administrator cannot leave: no button that would only answer no.
        "sole_admin": sum(member.is_admin for member in staff) == 1,
        "page": page,
        "invitations": invitations,
        "invite_form": invite_form,
        "settings_form": FirmSettingsForm(initial={"require_2fa": firm.require_2fa})
        if seat.is_admin
        else None,
    }
    return render(request, "dossiers/firms/detail.html", context)


@login_required
@require_POST
def firm_member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat = access_firm(request.user, slug, admin=True)  # type: ignore[arg-type]
    member = access_firm_member(seat, pk)
    try:
        actions.firm_member_remove(actor=Actor.from_request(request), member=member)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:firm_detail", slug=slug)
    if member.user_id == request.user.pk:
        messages.success(
            request, _("Vous avez quitté le cabinet « %(name)s ».") % {"name": seat.firm.name}
        )
        return redirect("core:home")
    messages.success(
        request,
        _("%(name)s ne fait plus partie du cabinet et n'a plus accès aux dossiers qu'il sert.")
        % {"name": member.user.display_name},
    )
    return redirect("dossiers:firm_detail", slug=slug)


@login_required
@require_POST
def firm_settings(request: HttpRequest, slug: str) -> HttpResponse:
    seat = access_firm(request.user, slug, admin=True)  # type: ignore[arg-type]
    form = FirmSettingsForm(request.POST)
    if form.is_valid():
        actions.firm_update(
            actor=Actor.from_request(request),
            firm=seat.firm,
            require_2fa=form.cleaned_data["require_2fa"],
        )
        messages.success(request, _("Les paramètres du cabinet sont enregistrés."))
    return redirect("dossiers:firm_detail", slug=slug)


@login_required
@require_POST
def firm_invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat = access_firm(request.user, slug, admin=True)  # type: ignore[arg-type]
    invitation_revoke_and_report(request, access_firm_invitation(seat, pk))
    return redirect("dossiers:firm_detail", slug=slug)


@login_required
@require_POST
def firm_invitation_resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat = access_firm(request.user, slug, admin=True)  # type: ignore[arg-type]
    invitation_resend_and_report(request, access_firm_invitation(seat, pk))
    return redirect("dossiers:firm_detail", slug=slug)


urlpatterns: list[URLPattern] = [
    path("cabinets/new/", firm_create, name="firm_create"),
    path("cabinets/<slug:slug>/", firm_detail, name="firm_detail"),
    path("cabinets/<slug:slug>/settings/", firm_settings, name="firm_settings"),
    path(
        "cabinets/<slug:slug>/members/<id:pk>/remove/",
        firm_member_remove,
        name="firm_member_remove",
    ),
    path(
        "cabinets/<slug:slug>/invitations/<id:pk>/revoke/",
        firm_invitation_revoke,
        name="firm_invitation_revoke",
    ),
    path(
        "cabinets/<slug:slug>/invitations/<id:pk>/resend/",
        firm_invitation_resend,
        name="firm_invitation_resend",
    ),
]
