"""Every write on dossiers, members, profiles, invitations and firms.

Each action checks its business rules (the view already checked the permission), saves,
records its audit event in the same transaction, and sends its emails after commit.
A refused action raises ActionRefused with a message for the person; nothing is changed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.core.mail import email_send

from .access import DossierAccess, invitation_addressed_to
from .models import (
    INVITATION_VALIDITY,
    Dossier,
    Firm,
    FirmAccess,
    FirmMember,
    Invitation,
    Membership,
    Profile,
    token_digest,
)
from .permissions import PROFILE_OPTIONS, USER_OPTIONS, Permission, Role

if TYPE_CHECKING:
    from comptoir.accounts.models import User


def _unique_slug(model: type[Dossier] | type[Firm], name: str) -> str:
    base = slugify(name)[:60] or "dossier"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_permissions(values: Iterable[str], allowed: frozenset[Permission]) -> list[str]:
    allowed_values = {p.value for p in allowed}
    return sorted({v for v in values if v in allowed_values})


# --- Dossiers -----------------------------------------------------------------------------


@transaction.atomic
def dossier_create(
    *,
    actor: Actor,
    name: str,
    siren: str,
    address: str = "",
    fiscal_year_end_month: int = 12,
    fiscal_year_end_day: int = 31,
    slug: str | None = None,
) -> Dossier:
    assert actor.user is not None
    dossier = Dossier(
        name=name.strip(),
        slug=slug or _unique_slug(Dossier, name),
        siren=siren.replace(" ", ""),
        address=address.strip(),
        fiscal_year_end_month=fiscal_year_end_month,
        fiscal_year_end_day=fiscal_year_end_day,
        created_by=actor.user,
    )
    dossier.full_clean()
    dossier.save()
    Membership.objects.create(dossier=dossier, user=actor.user, role=Role.OWNER)
    # Imported here: documents builds on dossiers, not the other way round.
    from comptoir.documents.actions import folders_create_defaults

    folders = folders_create_defaults(dossier=dossier, actor=actor)
    # One event for the dossier and the folders it starts with (no event per folder).
    record(
        actor=actor,
        action="dossier.created",
        dossier=dossier,
        target=dossier,
        details={"siren": dossier.siren, "folders": [folder.name for folder in folders]},
    )
    return dossier


@transaction.atomic
def dossier_update(
    *,
    actor: Actor,
    access: DossierAccess,
    name: str,
    siren: str,
    address: str,
    fiscal_year_end_month: int,
    fiscal_year_end_day: int,
    require_2fa: bool,
) -> Dossier:
    dossier = Dossier.objects.select_for_update().get(pk=access.dossier.pk)
    before = {
        "name": dossier.name,
        "siren": dossier.siren,
        "address": dossier.address,
        "fiscal_year_end": f"{dossier.fiscal_year_end_day}/{dossier.fiscal_year_end_month}",
        "require_2fa": dossier.require_2fa,
    }
    dossier.name = name.strip()
    dossier.siren = siren.replace(" ", "")
    dossier.address = address.strip()
    dossier.fiscal_year_end_month = fiscal_year_end_month
    dossier.fiscal_year_end_day = fiscal_year_end_day
    dossier.require_2fa = require_2fa
    # created_by is empty once the creator's account is gone: that must not lock settings.
    dossier.full_clean(exclude=["created_by"])
    dossier.save()
    after = {
        "name": dossier.name,
        "siren": dossier.siren,
        "address": dossier.address,
        "fiscal_year_end": f"{dossier.fiscal_year_end_day}/{dossier.fiscal_year_end_month}",
        "require_2fa": dossier.require_2fa,
    }
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        record(
            actor=actor,
            action="dossier.updated",
            dossier=dossier,
            target=dossier,
            details={"changed": changed},
        )
    return dossier


@transaction.atomic
def dossier_delete(*, actor: Actor, access: DossierAccess, confirm_name: str) -> None:
    if not access.has(Permission.DOSSIER_DELETE):
        raise ActionRefused(_("Seul le propriétaire peut supprimer le dossier."))
    if confirm_name.strip() != access.dossier.name:
        raise ActionRefused(_("Le nom saisi ne correspond pas : le dossier n'est pas supprimé."))
    dossier = Dossier.objects.select_for_update().get(pk=access.dossier.pk)
    dossier.deleted_at = timezone.now()
    dossier.save(update_fields=["deleted_at"])
    record(actor=actor, action="dossier.deleted", dossier=dossier, target=dossier)


# --- Members ------------------------------------------------------------------------------


def _owners_count(dossier: Dossier) -> int:
    return Membership.objects.filter(dossier=dossier, role=Role.OWNER).count()


def _lock_members(dossier: Dossier) -> None:
    # Serialise membership changes of one dossier: two admins demoting the two last owners
    # at once must not both succeed.
    Dossier.objects.select_for_update().filter(pk=dossier.pk).first()


@transaction.atomic
def membership_change_role(
    *,
    actor: Actor,
    access: DossierAccess,
    membership: Membership,
    role: str,
    profile: Profile | None = None,
    extra_permissions: Iterable[str] = (),
    restrict_folders: bool = False,
    visible_folder_ids: Iterable[int] = (),
) -> Membership:
    _lock_members(access.dossier)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Role.values:
        raise ActionRefused(_("Rôle inconnu."))
    touches_owner = Role.OWNER in {role, membership.role}
    if touches_owner and not access.has(Permission.OWNERSHIP_TRANSFER):
        raise ActionRefused(_("Seul un propriétaire peut nommer ou modifier un propriétaire."))
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_count(access.dossier) <= 1:
        raise ActionRefused(_("Le dossier doit garder au moins un propriétaire."))
    if role == Role.CUSTOM and (profile is None or profile.dossier_id != access.dossier.pk):
        raise ActionRefused(_("Choisissez un profil de ce dossier."))
    before = {
        "role": membership.role,
        "profile": membership.profile_id,
        "extra_permissions": membership.extra_permissions,
        "restrict_folders": membership.restrict_folders,
        "visible_folder_ids": membership.visible_folder_ids,
    }
    membership.role = role
    membership.profile = profile if role == Role.CUSTOM else None
    membership.extra_permissions = (
        _clean_permissions(extra_permissions, USER_OPTIONS) if role == Role.USER else []
    )
    membership.restrict_folders = restrict_folders and role in {
        Role.USER,
        Role.READ_ONLY,
        Role.CUSTOM,
    }
    from comptoir.documents.models import Folder  # documents builds on dossiers

    chosen = {int(pk) for pk in visible_folder_ids} if membership.restrict_folders else set()
    # Only this dossier's folders: an id from elsewhere is dropped, never stored.
    membership.visible_folder_ids = sorted(
        Folder.objects.filter(dossier=access.dossier, pk__in=chosen).values_list("pk", flat=True)
    )
    membership.save()
    record(
        actor=actor,
        action="member.role_changed",
        dossier=access.dossier,
        target=membership,
        details={
            "before": before,
            "after": {
                "role": membership.role,
                "profile": membership.profile_id,
                "extra_permissions": membership.extra_permissions,
                "restrict_folders": membership.restrict_folders,
                "visible_folder_ids": membership.visible_folder_ids,
            },
        },
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: Actor, access: DossierAccess, membership: Membership) -> None:
    _lock_members(access.dossier)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    leaving = membership.user_id == (actor.user.pk if actor.user else None)
    if membership.role == Role.OWNER:
        if _owners_count(access.dossier) <= 1:
            raise ActionRefused(
                _(
                    "Le dernier propriétaire ne peut ni partir ni être retiré : "
                    "transférez d'abord la propriété."
                )
            )
        if not leaving and not access.has(Permission.OWNERSHIP_TRANSFER):
            raise ActionRefused(_("Seul un propriétaire peut retirer un propriétaire."))
    record(
        actor=actor,
        action="member.left" if leaving else "member.removed",
        dossier=access.dossier,
        target=membership,
        details={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def ownership_transfer(*, actor: Actor, access: DossierAccess, to: Membership) -> None:
    if not access.has(Permission.OWNERSHIP_TRANSFER) or access.membership is None:
        raise ActionRefused(_("Seul un propriétaire peut transférer la propriété."))
    _lock_members(access.dossier)
    target = Membership.objects.select_for_update().get(pk=to.pk, dossier=access.dossier)
    if target.pk == access.membership.pk:
        raise ActionRefused(_("Vous êtes déjà propriétaire."))
    target.role = Role.OWNER
    target.profile = None
    target.extra_permissions = []
    target.restrict_folders = False
    target.save()
    Membership.objects.filter(pk=access.membership.pk).update(role=Role.ADMIN)
    record(
        actor=actor,
        action="dossier.ownership_transferred",
        dossier=access.dossier,
        target=target,
        details={"from": actor.user.email if actor.user else "", "to": target.user.email},
    )


# --- Profiles -----------------------------------------------------------------------------


@transaction.atomic
def profile_save(
    *,
    actor: Actor,
    access: DossierAccess,
    name: str,
    permissions: Iterable[str],
    profile: Profile | None = None,
) -> Profile:
    name = name.strip()
    if not name:
        raise ActionRefused(_("Donnez un nom au profil."))
    clash = Profile.objects.filter(dossier=access.dossier, name__iexact=name)
    if profile is not None:
        clash = clash.exclude(pk=profile.pk)
    if clash.exists():
        raise ActionRefused(_("Un profil porte déjà ce nom dans ce dossier."))
    chosen = _clean_permissions(permissions, PROFILE_OPTIONS)
    if Permission.DOSSIER_VIEW.value not in chosen:
        chosen = sorted({*chosen, Permission.DOSSIER_VIEW.value})
    created = profile is None
    if profile is None:
        profile = Profile(dossier=access.dossier)
    profile.name = name
    profile.permissions = chosen
    profile.save()
    record(
        actor=actor,
        action="profile.created" if created else "profile.updated",
        dossier=access.dossier,
        target=profile,
        details={"permissions": chosen},
    )
    return profile


@transaction.atomic
def profile_delete(*, actor: Actor, access: DossierAccess, profile: Profile) -> None:
    if profile.memberships.exists():
        raise ActionRefused(_("Ce profil est attribué à des membres : changez d'abord leur rôle."))
    record(actor=actor, action="profile.deleted", dossier=access.dossier, target=profile)
    profile.delete()


# --- Invitations --------------------------------------------------------------------------


def _send_invitation(invitation: Invitation, token: str, base_url: str) -> None:
    url = base_url.rstrip("/") + reverse("dossiers:invitation_accept", args=[token])
    target = invitation.dossier or invitation.firm
    inviter = invitation.created_by
    role: object = ""  # a lazy label, rendered in the email's language
    if invitation.firm_id is None:
        # A custom profile is known by its name, not by "Profil personnalisé".
        role = invitation.profile.name if invitation.profile else Role(invitation.role).label
    email_send(
        template_prefix="dossiers/email/invitation",
        to=[invitation.email],
        context={
            "url": url,
            "target": str(target),
            "is_firm": invitation.firm_id is not None,
            "role": role,
            "inviter": inviter.display_name if inviter else "",
            "expires_at": invitation.expires_at,
        },
    )


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    base_url: str,
    email: str,
    role: str,
    access: DossierAccess | None = None,
    firm: Firm | None = None,
    profile: Profile | None = None,
    extra_permissions: Iterable[str] = (),
) -> Invitation:
    email = email.strip().lower()
    if access is not None:
        dossier = access.dossier
        if Membership.objects.filter(dossier=dossier, user__email__iexact=email).exists():
            raise ActionRefused(_("%(email)s est déjà membre de ce dossier.") % {"email": email})
        if role == Role.OWNER and not access.has(Permission.OWNERSHIP_TRANSFER):
            raise ActionRefused(_("Seul un propriétaire peut inviter un propriétaire."))
        if role == Role.CUSTOM and (profile is None or profile.dossier_id != dossier.pk):
            raise ActionRefused(_("Choisissez un profil de ce dossier."))
        pending = Invitation.objects.filter(dossier=dossier, email__iexact=email)
    else:
        assert firm is not None
        if FirmMember.objects.filter(firm=firm, user__email__iexact=email).exists():
            raise ActionRefused(_("%(email)s fait déjà partie du cabinet.") % {"email": email})
        pending = Invitation.objects.filter(firm=firm, email__iexact=email)
    if role not in Role.values:
        raise ActionRefused(_("Rôle inconnu."))
    # A second invitation to the same address replaces the first: one live link at a time.
    pending.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token = _new_token()
    invitation = Invitation.objects.create(
        dossier=access.dossier if access else None,
        firm=firm,
        email=email,
        role=role if access else Role.ACCOUNTANT,
        profile=profile if role == Role.CUSTOM else None,
        extra_permissions=_clean_permissions(extra_permissions, USER_OPTIONS)
        if role == Role.USER
        else [],
        token_hash=token_digest(token),
        created_by=actor.user,
        expires_at=timezone.now() + INVITATION_VALIDITY,
        sent_count=1,
    )
    record(
        actor=actor,
        action="invitation.created",
        dossier=invitation.dossier,
        target=invitation,
        details={"email": email, "role": invitation.role, "firm": firm.slug if firm else None},
    )
    transaction.on_commit(lambda: _send_invitation(invitation, token, base_url))
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise ActionRefused(_("Cette invitation n'est plus en attente."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(
        actor=actor,
        action="invitation.revoked",
        dossier=invitation.dossier,
        target=invitation,
        details={"email": invitation.email},
    )


@transaction.atomic
def invitation_resend(*, actor: Actor, invitation: Invitation, base_url: str) -> Invitation:
    """A new link (the old one stops working) and fourteen more days."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ActionRefused(_("Cette invitation a déjà été acceptée ou révoquée."))
    token = _new_token()
    invitation.token_hash = token_digest(token)
    invitation.expires_at = timezone.now() + INVITATION_VALIDITY
    invitation.sent_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_count"])
    record(
        actor=actor,
        action="invitation.resent",
        dossier=invitation.dossier,
        target=invitation,
        details={"email": invitation.email},
    )
    transaction.on_commit(lambda: _send_invitation(invitation, token, base_url))
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("dossier", "firm", "created_by")
        .filter(token_hash=token_digest(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, actor: Actor, token: str) -> Invitation:
    user = actor.user
    assert user is not None
    found = invitation_by_token(token)
    if found is None:
        raise ActionRefused(_("Ce lien d'invitation n'est pas valide."))
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    if invitation.state == "accepted":
        raise ActionRefused(_("Cette invitation a déjà été utilisée."))
    if invitation.state == "revoked":
        raise ActionRefused(_("Cette invitation a été annulée."))
    if invitation.state == "expired":
        raise ActionRefused(
            _(
                "Cette invitation a expiré : demandez à la personne qui vous a invité "
                "de vous la renvoyer."
            )
        )
    if invitation.dossier is not None and invitation.dossier.deleted_at is not None:
        raise ActionRefused(_("Ce dossier n'existe plus."))
    if not invitation_addressed_to(user, invitation):
        # A link forwarded, or opened while logged in as someone else, gives nothing.
        raise ActionRefused(
            _(
                "Cette invitation a été envoyée à %(email)s : connectez-vous avec ce compte "
                "pour l'accepter, ou demandez une invitation pour votre adresse."
            )
            % {"email": invitation.email}
        )
    try:
        with transaction.atomic():
            if invitation.dossier is not None:
                Membership.objects.create(
                    dossier=invitation.dossier,
                    user=user,
                    role=invitation.role,
                    profile=invitation.profile,
                    extra_permissions=invitation.extra_permissions,
                )
            else:
                assert invitation.firm is not None
                FirmMember.objects.create(firm=invitation.firm, user=user)
    except IntegrityError:
        raise ActionRefused(_("Vous avez déjà accès.")) from None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record(
        actor=actor,
        action="invitation.accepted",
        dossier=invitation.dossier,
        target=invitation,
        details={"email": invitation.email, "by": user.email},
    )
    return invitation


# --- Firms and "Accès comptable" ---------------------------------------------------------


@transaction.atomic
def firm_create(*, actor: Actor, name: str, slug: str | None = None) -> Firm:
    assert actor.user is not None
    name = name.strip()
    if not name:
        raise ActionRefused(_("Donnez le nom du cabinet."))
    firm = Firm.objects.create(name=name, slug=slug or _unique_slug(Firm, name))
    FirmMember.objects.create(firm=firm, user=actor.user, is_admin=True)
    record(actor=actor, action="firm.created", target=firm)
    return firm


@transaction.atomic
def firm_member_remove(*, actor: Actor, member: FirmMember) -> None:
    firm = Firm.objects.select_for_update().get(pk=member.firm_id)
    if member.is_admin and firm.members.filter(is_admin=True).count() <= 1:
        raise ActionRefused(_("Le cabinet doit garder au moins un administrateur."))
    record(
        actor=actor, action="firm.member_removed", target=firm, details={"email": member.user.email}
    )
    member.delete()


@transaction.atomic
def firm_access_grant(*, actor: Actor, access: DossierAccess, firm: Firm) -> FirmAccess:
    firm_access, created = FirmAccess.objects.get_or_create(
        dossier=access.dossier, firm=firm, defaults={"granted_by": actor.user}
    )
    if not created:
        raise ActionRefused(_("Ce cabinet a déjà accès au dossier."))
    record(
        actor=actor,
        action="firm_access.granted",
        dossier=access.dossier,
        target=firm_access,
        details={"firm": firm.name},
    )
    return firm_access


@transaction.atomic
def firm_access_revoke(*, actor: Actor, access: DossierAccess, firm_access: FirmAccess) -> None:
    record(
        actor=actor,
        action="firm_access.revoked",
        dossier=access.dossier,
        target=firm_access,
        details={"firm": firm_access.firm.name},
    )
    firm_access.delete()


@transaction.atomic
def user_mark_email_verified(*, actor: Actor, user: User, email: str) -> int:
    """Accepting an invitation sent to this address proves the person reads it.

    Answers how many addresses were verified now: none when the account uses another
    address or had already verified it (then nothing is recorded).
    """
    from allauth.account.models import EmailAddress

    addresses = list(
        EmailAddress.objects.select_for_update().filter(
            user=user, email__iexact=email, verified=False
        )
    )
    for address in addresses:
        address.verified = True
        address.save(update_fields=["verified"])
        # An account's event (no dossier), about the account, like allauth's confirmations.
        record(
            actor=actor,
            action="account.email_confirmed",
            target=user,
            details={"email": address.email, "via": "invitation"},
        )
    return len(addresses)


@transaction.atomic
def firm_update(*, actor: Actor, firm: Firm, require_2fa: bool) -> Firm:
    firm = Firm.objects.select_for_update().get(pk=firm.pk)
    if firm.require_2fa == require_2fa:
        return firm
    before = firm.require_2fa
    firm.require_2fa = require_2fa
    firm.save(update_fields=["require_2fa"])
    record(
        actor=actor,
        action="firm.updated",
        target=firm,
        details={"changed": {"require_2fa": [before, require_2fa]}},
    )
    return firm
