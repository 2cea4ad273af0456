"""Members of a dossier, their roles, custom profiles, ownership, leaving.

Button-like actions (remove, delete a profile, leave) redirect back with a message when
refused; form pages re-render with the person's input and the errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor

from . import actions
from .access import DossierAccess, access_membership, access_profile, dossier_view
from .forms import MemberRoleForm, OwnershipTransferForm, ProfileForm
from .models import Membership, Profile
from .permissions import PERMISSION_LABELS, Permission, Role
from .views_dossier import dossier_context

ROLE_ORDER = {role: index for index, role in enumerate(Role.values)}


@dataclass
class MemberRow:
    membership: Membership
    form: MemberRoleForm | None  # None: this person may not change that member
    is_self: bool
    option_labels: list[str]
    form_open: bool = False


def _permission_labels(values: list[str]) -> list[str]:
    """Labels in the enum's order; seeing the dossier goes without saying."""
    chosen = set(values)
    return [
        str(PERMISSION_LABELS[p])
        for p in Permission
        if p.value in chosen and p != Permission.DOSSIER_VIEW
    ]


def _profiles(access: DossierAccess) -> list[Profile]:
    return list(Profile.objects.filter(dossier=access.dossier))


def _folder_choices(access: DossierAccess) -> list[tuple[int, str]]:
    # Imported here: documents builds on dossiers, not the other way round.
    from comptoir.documents.models import Folder

    folders = {
        pk: (name, parent_id)
        for pk, name, parent_id in Folder.objects.filter(dossier=access.dossier).values_list(
            "pk", "name", "parent_id"
        )
    }

    def label(pk: int) -> str:
        parts: list[str] = []
        seen: set[int] = set()
        current: int | None = pk
        while current in folders and current not in seen:
            seen.add(current)
            parts.insert(0, folders[current][0])
            current = folders[current][1]
        return " / ".join(parts)

    return sorted(((pk, label(pk)) for pk in folders), key=lambda c: c[1].lower())


def _role_form(
    access: DossierAccess,
    membership: Membership,
    profiles: list[Profile],
    data: Any = None,
    folders: list[tuple[int, str]] | None = None,
) -> MemberRoleForm:
    return MemberRoleForm(
        data,
        prefix=f"m{membership.pk}",
        profiles=profiles,
        may_name_owner=access.has(Permission.OWNERSHIP_TRANSFER),
        membership=membership,
        folders=folders if folders is not None else _folder_choices(access),
    )


def _transfer_candidates(access: DossierAccess, members: list[Membership]) -> list[Membership]:
    if not access.has(Permission.OWNERSHIP_TRANSFER) or access.membership is None:
        return []
    return [m for m in members if m.role != Role.OWNER]


def _members_page(
    request: HttpRequest,
    access: DossierAccess,
    *,
    bound_role_form: MemberRoleForm | None = None,
    bound_pk: int | None = None,
    transfer_form: OwnershipTransferForm | None = None,
) -> HttpResponse:
    members = sorted(
        Membership.objects.filter(dossier=access.dossier).select_related("user", "profile"),
        key=lambda m: (ROLE_ORDER.get(m.role, 99), m.user.display_name.lower(), m.pk),
    )
    profiles = _profiles(access)
    folders = _folder_choices(access)
    may_touch_owners = access.has(Permission.OWNERSHIP_TRANSFER)
    rows = []
    for member in members:
        editable = member.role != Role.OWNER or may_touch_owners
        form = None
        if editable:
            form = bound_role_form if member.pk == bound_pk else None
            form = form or _role_form(access, member, profiles, folders=folders)
        rows.append(
            MemberRow(
                membership=member,
                form=form,
                is_self=member.user_id == request.user.pk,
                option_labels=_permission_labels(member.extra_permissions)
                if member.role == Role.USER
                else [],
                form_open=member.pk == bound_pk,
            )
        )
    candidates = _transfer_candidates(access, members)
    if transfer_form is None and candidates:
        transfer_form = OwnershipTransferForm(candidates=candidates)
    context = dossier_context(
        access,
        rows=rows,
        transfer_form=transfer_form if candidates else None,
    )
    return render(request, "dossiers/members/list.html", context)


@dossier_view(Permission.MEMBERS_MANAGE)
@require_GET
def members(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    return _members_page(request, access)


def _after_change_of(request: HttpRequest, member: Membership) -> str:
    # Changing one's own role may take away this very page.
    if member.user_id == request.user.pk:
        return "dossiers:dossier_home"
    return "dossiers:members"


@dossier_view(Permission.MEMBERS_MANAGE)
@require_POST
def member_role(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    member = access_membership(access, pk)
    form = _role_form(access, member, _profiles(access), data=request.POST)
    if not form.is_valid():
        messages.error(request, _("Le rôle n'a pas été modifié : corrigez le formulaire."))
        return _members_page(request, access, bound_role_form=form, bound_pk=member.pk)
    try:
        actions.membership_change_role(
            actor=Actor.from_request(request),
            access=access,
            membership=member,
            role=form.cleaned_data["role"],
            profile=form.cleaned_data["profile"],
            extra_permissions=form.cleaned_data["extra_permissions"],
            restrict_folders=form.cleaned_data["restrict_folders"],
            visible_folder_ids=form.cleaned_data["visible_folders"],
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:members", slug=access.dossier.slug)
    messages.success(
        request,
        _("Le rôle de %(name)s est modifié.") % {"name": member.user.display_name},
    )
    return redirect(_after_change_of(request, member), slug=access.dossier.slug)


@dossier_view(Permission.MEMBERS_MANAGE)
@require_POST
def member_remove(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    member = access_membership(access, pk)
    try:
        actions.membership_remove(
            actor=Actor.from_request(request), access=access, membership=member
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:members", slug=access.dossier.slug)
    if member.user_id == request.user.pk:
        messages.success(
            request, _("Vous avez quitté le dossier « %(name)s ».") % {"name": access.dossier.name}
        )
        return redirect("dossiers:dossier_list")
    messages.success(
        request,
        _("%(name)s n'a plus accès au dossier.") % {"name": member.user.display_name},
    )
    return redirect("dossiers:members", slug=access.dossier.slug)


@dossier_view(Permission.OWNERSHIP_TRANSFER)
@require_POST
def ownership_transfer(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    candidates = _transfer_candidates(
        access, list(Membership.objects.filter(dossier=access.dossier).select_related("user"))
    )
    form = OwnershipTransferForm(request.POST, candidates=candidates)
    if not form.is_valid():
        messages.error(request, _("La propriété n'a pas été transférée : corrigez le formulaire."))
        return _members_page(request, access, transfer_form=form)
    target = access_membership(access, form.cleaned_data["to"])
    try:
        actions.ownership_transfer(actor=Actor.from_request(request), access=access, to=target)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:members", slug=access.dossier.slug)
    messages.success(
        request,
        _("%(name)s est maintenant propriétaire ; vous restez administrateur.")
        % {"name": target.user.display_name},
    )
    return redirect("dossiers:members", slug=access.dossier.slug)


@dossier_view(Permission.DOSSIER_VIEW)
@require_POST
def dossier_leave(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    if access.membership is None:
        messages.error(
            request,
            _(
                "Vous accédez à ce dossier par votre cabinet : c'est au dossier de retirer "
                "l'accès du cabinet."
            ),
        )
        return redirect("dossiers:dossier_home", slug=access.dossier.slug)
    try:
        actions.membership_remove(
            actor=Actor.from_request(request), access=access, membership=access.membership
        )
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:dossier_home", slug=access.dossier.slug)
    messages.success(
        request, _("Vous avez quitté le dossier « %(name)s ».") % {"name": access.dossier.name}
    )
    return redirect("dossiers:dossier_list")


# --- Profiles -----------------------------------------------------------------------------


@dossier_view(Permission.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def profiles(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = actions.profile_save(
                actor=Actor.from_request(request), access=access, **form.cleaned_data
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("Le profil « %(name)s » est créé.") % {"name": profile.name}
            )
            return redirect("dossiers:profiles", slug=access.dossier.slug)
    rows = [
        (profile, _permission_labels(profile.permissions))
        for profile in Profile.objects.filter(dossier=access.dossier).annotate(
            members_count=Count("memberships")
        )
    ]
    return render(
        request, "dossiers/members/profiles.html", dossier_context(access, rows=rows, form=form)
    )


@dossier_view(Permission.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    profile = access_profile(access, pk)
    form = ProfileForm(
        request.POST if request.method == "POST" else None, initial=ProfileForm.initial_for(profile)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.profile_save(
                actor=Actor.from_request(request),
                access=access,
                profile=profile,
                **form.cleaned_data,
            )
        except actions.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("Le profil « %(name)s » est enregistré.") % {"name": profile.name}
            )
            return redirect("dossiers:profiles", slug=access.dossier.slug)
    context = dossier_context(
        access, profile=profile, form=form, members_count=profile.memberships.count()
    )
    return render(request, "dossiers/members/profile_edit.html", context)


@dossier_view(Permission.MEMBERS_MANAGE)
@require_POST
def profile_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    profile = access_profile(access, pk)
    name = profile.name
    try:
        actions.profile_delete(actor=Actor.from_request(request), access=access, profile=profile)
    except actions.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:profile_edit", slug=access.dossier.slug, pk=pk)
    messages.success(request, _("Le profil « %(name)s » est supprimé.") % {"name": name})
    return redirect("dossiers:profiles", slug=access.dossier.slug)


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/members/", members, name="members"),
    path("d/<slug:slug>/members/<id:pk>/role/", member_role, name="member_role"),
    path("d/<slug:slug>/members/<id:pk>/remove/", member_remove, name="member_remove"),
    path("d/<slug:slug>/members/transfer/", ownership_transfer, name="ownership_transfer"),
    path("d/<slug:slug>/leave/", dossier_leave, name="dossier_leave"),
    path("d/<slug:slug>/profiles/", profiles, name="profiles"),
    path("d/<slug:slug>/profiles/<id:pk>/", profile_edit, name="profile_edit"),
    path("d/<slug:slug>/profiles/<id:pk>/delete/", profile_delete, name="profile_delete"),
]
