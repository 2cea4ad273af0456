"""Invitations: a dossier's list and form, "Accès comptable", and the emailed link itself.

The link's pages (`invitations/<token>/…`) need no login: the token is the secret, sent
only to the invited address. Button-like actions redirect back with a message when
refused; form pages re-render with the person's input.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.accounts.actions import user_create
from comptoir.accounts.models import User
from comptoir.audit.actions import Actor

from . import actions
from .access import (
    DossierAccess,
    access_firm_access,
    access_invitation,
    access_membership,
    dossier_view,
    invitation_addressed_to,
)
from .forms import AccountantAccessForm, InvitationForm, InvitationSignupForm
from .models import Firm, FirmAccess, FirmMember, Invitation, Membership, Profile
from .permissions import PERMISSION_LABELS, Permission, Role
from .views_dossier import dossier_context

PAGE_SIZE = 50
# The invitation was accepted, revoked, has expired, or its dossier was deleted.
GONE_STATUS = 410


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _option_labels(values: list[str]) -> list[str]:
    valid = {p.value for p in Permission}
    return [str(PERMISSION_LABELS[Permission(v)]) for v in values if v in valid]


def _role_label(invitation: Invitation) -> str:
    if invitation.firm_id is not None:
        return _("Collaborateur du cabinet")
    if invitation.role == Role.CUSTOM and invitation.profile is not None:
        return invitation.profile.name
    return str(Role(invitation.role).label)


# --- A dossier's invitations --------------------------------------------------------------


def _invitation_form(access: DossierAccess, data: Any = None) -> InvitationForm:
    return InvitationForm(
        data,
        profiles=list(Profile.objects.filter(dossier=access.dossier)),
        may_name_owner=access.has(Permission.OWNERSHIP_TRANSFER),
    )


@dossier_view(Permission.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = _invitation_form(access, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = actions.invitation_create(
                actor=Actor.from_request(request),
                base_url=_base_url(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                access=access,
                profile=form.cleaned_data["profile"],
                extra_permissions=form.cleaned_data["extra_permissions"],
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s. Le lien est valable 14 jours.")
                % {"email": invitation.email},
            )
            return redirect("dossiers:invitations", slug=access.dossier.slug)
    invitations = Invitation.objects.filter(dossier=access.dossier).select_related(
        "created_by", "accepted_by", "profile"
    )
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "invitation": invitation,
            "role_label": _role_label(invitation),
            "option_labels": _option_labels(invitation.extra_permissions)
            if invitation.role == Role.USER
            else [],
        }
        for invitation in page.object_list
    ]
    context = dossier_context(access, form=form, page=page, rows=rows)
    return render(request, "dossiers/invitations/list.html", context)


def _back_to_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    # Revoke and re-send serve both pages; a fixed choice, never a URL from the form.
    if request.POST.get("return_to") == "accountant" and access.has(Permission.SETTINGS_MANAGE):
        return redirect("dossiers:accountant_access", slug=access.dossier.slug)
    return redirect("dossiers:invitations", slug=access.dossier.slug)


def invitation_revoke_and_report(request: HttpRequest, invitation: Invitation) -> None:
    """Revoke, and tell the person what happened (shared with the firm's page)."""
    try:
        actions.invitation_revoke(actor=Actor.from_request(request), invitation=invitation)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("L'invitation de %(email)s est révoquée : son lien ne fonctionne plus.")
            % {"email": invitation.email},
        )


def invitation_resend_and_report(request: HttpRequest, invitation: Invitation) -> None:
    """Send a new link, and tell the person what happened (shared with the firm's page)."""
    try:
        actions.invitation_resend(
            actor=Actor.from_request(request), invitation=invitation, base_url=_base_url(request)
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _(
                "Nouveau lien envoyé à %(email)s, valable 14 jours. "
                "L'ancien lien ne fonctionne plus."
            )
            % {"email": invitation.email},
        )


@dossier_view(Permission.MEMBERS_MANAGE)
@require_POST
def invitation_revoke(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invitation_revoke_and_report(request, access_invitation(access, pk))
    return _back_to_list(request, access)


@dossier_view(Permission.MEMBERS_MANAGE)
@require_POST
def invitation_resend(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invitation_resend_and_report(request, access_invitation(access, pk))
    return _back_to_list(request, access)


# --- "Accès comptable" --------------------------------------------------------------------


def _firm_of(email: str) -> Firm:
    """The firm this address works in, for "tout son cabinet"."""
    seats = list(
        FirmMember.objects.select_related("firm").filter(user__email__iexact=email.strip())
    )
    if not seats:
        raise actions.ActionRefused(
            _(
                "Aucun cabinet n'est inscrit sur Comptoir avec l'adresse %(email)s. "
                "Choisissez « Cette personne seulement » pour l'inviter, ou demandez à "
                "votre comptable l'adresse qu'il utilise sur Comptoir."
            )
            % {"email": email}
        )
    if len(seats) > 1:
        # Several firms: the one this person administers is the one they speak for.
        administered = [seat for seat in seats if seat.is_admin]
        if len(administered) != 1:
            raise actions.ActionRefused(
                _(
                    "%(email)s fait partie de plusieurs cabinets : indiquez l'adresse de "
                    "l'administrateur du cabinet voulu."
                )
                % {"email": email}
            )
        seats = administered
    return seats[0].firm


def _accountant_page(
    request: HttpRequest, access: DossierAccess, form: AccountantAccessForm
) -> HttpResponse:
    dossier = access.dossier
    firm_accesses = (
        FirmAccess.objects.filter(dossier=dossier)
        .select_related("firm", "granted_by")
        .prefetch_related(
            Prefetch(
                "firm__members",
                queryset=FirmMember.objects.select_related("user").order_by("user__email"),
            )
        )
        .order_by("firm__name")
    )
    accountants = (
        Membership.objects.filter(dossier=dossier, role=Role.ACCOUNTANT)
        .select_related("user")
        .order_by("user__email")
    )
    pending = (
        Invitation.objects.filter(
            dossier=dossier,
            role=Role.ACCOUNTANT,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .select_related("created_by")
        .order_by("-created_at")
    )
    context = dossier_context(
        access,
        form=form,
        firm_accesses=firm_accesses,
        accountants=accountants,
        pending=pending,
    )
    return render(request, "dossiers/invitations/accountant_access.html", context)


@dossier_view(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def accountant_access(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = AccountantAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        actor = Actor.from_request(request)
        try:
            if form.cleaned_data["scope"] == AccountantAccessForm.FIRM:
                firm = _firm_of(email)
                actions.firm_access_grant(actor=actor, access=access, firm=firm)
                message = _(
                    "Le cabinet %(firm)s a maintenant accès au dossier, avec le rôle "
                    "Comptable, pour tous ses collaborateurs."
                ) % {"firm": firm.name}
            else:
                invitation = actions.invitation_create(
                    actor=actor,
                    base_url=_base_url(request),
                    email=email,
                    role=Role.ACCOUNTANT,
                    access=access,
                )
                message = _(
                    "Invitation envoyée à %(email)s : en l'acceptant, cette personne "
                    "rejoindra le dossier avec le rôle Comptable."
                ) % {"email": invitation.email}
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, message)
            return redirect("dossiers:accountant_access", slug=access.dossier.slug)
    return _accountant_page(request, access, form)


@dossier_view(Permission.SETTINGS_MANAGE)
@require_POST
def firm_access_revoke(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    firm_access = access_firm_access(access, pk)
    actions.firm_access_revoke(
        actor=Actor.from_request(request), access=access, firm_access=firm_access
    )
    messages.success(
        request,
        _(
            "Le cabinet %(firm)s n'a plus accès au dossier : aucun de ses collaborateurs "
            "ne peut plus l'ouvrir."
        )
        % {"firm": firm_access.firm.name},
    )
    return redirect("dossiers:accountant_access", slug=access.dossier.slug)


@dossier_view(Permission.SETTINGS_MANAGE)
@require_POST
def accountant_remove(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    """Withdraw an accountant invited in person (a member with the Comptable role)."""
    membership = access_membership(access, pk)
    if membership.role != Role.ACCOUNTANT:
        raise Http404
    try:
        actions.membership_remove(
            actor=Actor.from_request(request), access=access, membership=membership
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(name)s n'a plus accès au dossier.") % {"name": membership.user.display_name},
        )
    return redirect("dossiers:accountant_access", slug=access.dossier.slug)


# --- The emailed link ---------------------------------------------------------------------


def _link_state(invitation: Invitation) -> str:
    if invitation.dossier is not None and invitation.dossier.deleted_at is not None:
        return "gone"
    return invitation.state


def _landing_url(invitation: Invitation) -> str:
    if invitation.dossier is not None:
        return reverse("dossiers:dossier_home", args=[invitation.dossier.slug])
    assert invitation.firm is not None
    return reverse("dossiers:firm_detail", args=[invitation.firm.slug])


def _login_url(request: HttpRequest, token: str) -> str:
    here = reverse("dossiers:invitation_accept", args=[token])
    return f"{reverse('account_login')}?next={quote(here)}"


def _has_access_already(user: Any, invitation: Invitation) -> bool:
    if invitation.dossier is not None:
        return Membership.objects.filter(dossier=invitation.dossier, user=user).exists()
    return FirmMember.objects.filter(firm=invitation.firm, user=user).exists()


def _link_page(request: HttpRequest, token: str, invitation: Invitation | None) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "layout": "base.html" if user.is_authenticated else "base_entrance.html",
        "invitation": invitation,
        "token": token,
        "state": "invalid",
    }
    status = 404
    if invitation is not None:
        state = _link_state(invitation)
        status = 200 if state == "pending" else GONE_STATUS
        target = invitation.dossier or invitation.firm
        context.update(
            state=state,
            target=str(target),
            is_firm=invitation.firm_id is not None,
            role_label=_role_label(invitation),
            is_accountant=invitation.firm_id is None and invitation.role == Role.ACCOUNTANT,
            inviter=invitation.created_by.display_name if invitation.created_by else "",
            login_url=_login_url(request, token),
        )
        if user.is_authenticated:
            has_access = _has_access_already(user, invitation)
            context.update(
                email_differs=not invitation_addressed_to(user, invitation),  # type: ignore[arg-type]
                has_access=has_access,
                landing_url=_landing_url(invitation) if has_access else "",
            )
    return render(request, "dossiers/invitations/accept.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = actions.invitation_by_token(token)
    if request.method == "GET" or invitation is None:
        return _link_page(request, token, invitation)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("dossiers:invitation_accept", args=[token]))
    try:
        invitation = actions.invitation_accept(actor=Actor.from_request(request), token=token)
    except actions.ActionRefused as refused:
        found = actions.invitation_by_token(token)
        if found is not None and _link_state(found) == "pending":
            # Otherwise the page itself says why (used, revoked, expired).
            messages.error(request, refused.message)
        return redirect("dossiers:invitation_accept", token=token)
    # Reading the link proves the address: if it is one of this account's addresses,
    # it is verified now (a no-op when the account uses another address).
    actions.user_mark_email_verified(
        actor=Actor.from_request(request),
        user=request.user,  # type: ignore[arg-type]
        email=invitation.email,
    )
    messages.success(request, _welcome(invitation))
    return redirect(_landing_url(invitation))


def _welcome(invitation: Invitation) -> str:
    if invitation.firm is not None:
        return _("Bienvenue au cabinet %(name)s.") % {"name": invitation.firm.name}
    assert invitation.dossier is not None
    return _("Bienvenue dans le dossier %(name)s (rôle : %(role)s).") % {
        "name": invitation.dossier.name,
        "role": _role_label(invitation),
    }


def _account_exists(email: str) -> bool:
    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_signup(request: HttpRequest, token: str) -> HttpResponse:
    invitation = actions.invitation_by_token(token)
    if invitation is None:
        return _link_page(request, token, None)
    if request.user.is_authenticated or _link_state(invitation) != "pending":
        return redirect("dossiers:invitation_accept", token=token)
    if _account_exists(invitation.email):
        messages.info(
            request,
            _("Un compte existe déjà pour %(email)s : connectez-vous pour accepter l'invitation.")
            % {"email": invitation.email},
        )
        return redirect(_login_url(request, token))
    form = InvitationSignupForm(
        request.POST if request.method == "POST" else None, email=invitation.email
    )
    if request.method == "POST" and form.is_valid():
        language = getattr(request, "LANGUAGE_CODE", "fr")
        try:
            # One transaction: if the invitation cannot be accepted, no account is left.
            with transaction.atomic():
                user = user_create(
                    email=invitation.email,
                    password=form.cleaned_data["password1"],
                    language=language,
                    # The address is proven: this person opened the link emailed to it.
                    email_verified=True,
                    actor=Actor.from_request(request),
                )
                actor = dataclasses.replace(Actor.from_request(request), user=user)
                invitation = actions.invitation_accept(actor=actor, token=token)
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect("dossiers:invitation_accept", token=token)
        except IntegrityError:
            # The same address signed up a moment ago, in another tab.
            return redirect(_login_url(request, token))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _welcome(invitation))
        return redirect(_landing_url(invitation))
    context = {
        "form": form,
        "invitation": invitation,
        "target": str(invitation.dossier or invitation.firm),
        "is_firm": invitation.firm_id is not None,
        "role_label": _role_label(invitation),
        "login_url": _login_url(request, token),
        "token": token,
    }
    return render(request, "dossiers/invitations/signup.html", context)


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/invitations/", invitation_list, name="invitations"),
    path("d/<slug:slug>/invitations/<id:pk>/revoke/", invitation_revoke, name="invitation_revoke"),
    path("d/<slug:slug>/invitations/<id:pk>/resend/", invitation_resend, name="invitation_resend"),
    path("d/<slug:slug>/accountant-access/", accountant_access, name="accountant_access"),
    path(
        "d/<slug:slug>/accountant-access/firms/<id:pk>/revoke/",
        firm_access_revoke,
        name="firm_access_revoke",
    ),
    path(
        "d/<slug:slug>/accountant-access/members/<id:pk>/remove/",
        accountant_remove,
        name="accountant_remove",
    ),
    path("invitations/<str:token>/", invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/signup/", invitation_signup, name="invitation_signup"),
]
