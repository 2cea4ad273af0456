"""Business rules of the dossier, member and profile actions (the views are tested apart)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from comptoir.accounts.tests.factories import UserFactory
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.dossiers import actions
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.models import Dossier, Membership, Profile
from comptoir.dossiers.permissions import ROLE_PERMISSIONS, USER_OPTIONS, Permission, Role
from comptoir.dossiers.tests.factories import (
    DossierFactory,
    FirmAccessFactory,
    FirmMemberFactory,
    MembershipFactory,
    ProfileFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    dossier = DossierFactory()
    members = {
        role: MembershipFactory(dossier=dossier, role=role)
        for role in (Role.OWNER, Role.ADMIN, Role.USER, Role.READ_ONLY)
    }
    return dossier, members


def access_of(membership: Membership):
    return dossier_access_for(membership.user, membership.dossier.slug)


def actor_of(membership: Membership) -> Actor:
    return Actor(user=membership.user)


# --- Dossiers -----------------------------------------------------------------------------


def test_dossier_create_makes_the_creator_owner_and_records_it():
    user = UserFactory()
    dossier = actions.dossier_create(
        actor=Actor(user=user), name="Boulangerie Martin", siren="732 829 320"
    )
    assert dossier.siren == "732829320"
    assert dossier.slug == "boulangerie-martin"
    assert Membership.objects.get(dossier=dossier).role == Role.OWNER
    assert AuditEvent.objects.filter(dossier=dossier, action="dossier.created").count() == 1


def test_dossier_create_refuses_an_invalid_siren_and_creates_nothing():
    with pytest.raises(ValidationError):
        actions.dossier_create(actor=Actor(user=UserFactory()), name="X", siren="732829321")
    assert not Dossier.objects.exists()
    assert not Membership.objects.exists()
    assert not AuditEvent.objects.exists()


def test_dossier_update_records_what_changed(team):
    dossier, members = team
    actions.dossier_update(
        actor=actor_of(members[Role.OWNER]),
        access=access_of(members[Role.OWNER]),
        name="Nouveau nom",
        siren=dossier.siren,
        address=dossier.address,
        fiscal_year_end_month=6,
        fiscal_year_end_day=30,
        require_2fa=True,
    )
    event = AuditEvent.objects.get(action="dossier.updated")
    assert event.dossier == dossier
    assert set(event.details["changed"]) == {"name", "fiscal_year_end", "require_2fa"}
    dossier.refresh_from_db()
    assert (dossier.name, dossier.fiscal_year_end_month, dossier.require_2fa) == (
        "Nouveau nom",
        6,
        True,
    )


def test_dossier_delete_needs_the_exact_name(team):
    dossier, members = team
    owner = members[Role.OWNER]
    with pytest.raises(actions.ActionRefused):
        actions.dossier_delete(
            actor=actor_of(owner), access=access_of(owner), confirm_name="autre chose"
        )
    dossier.refresh_from_db()
    assert dossier.deleted_at is None
    actions.dossier_delete(
        actor=actor_of(owner), access=access_of(owner), confirm_name=dossier.name
    )
    with pytest.raises(Http404):
        access_of(owner)
    assert AuditEvent.objects.filter(action="dossier.deleted", dossier=dossier).exists()


def test_an_admin_cannot_delete_the_dossier(team):
    dossier, members = team
    admin = members[Role.ADMIN]
    with pytest.raises(actions.ActionRefused):
        actions.dossier_delete(
            actor=actor_of(admin), access=access_of(admin), confirm_name=dossier.name
        )
    assert Dossier.objects.alive().filter(pk=dossier.pk).exists()


# --- Roles --------------------------------------------------------------------------------


def change(by: Membership, target: Membership, role: str, **kwargs) -> Membership:
    return actions.membership_change_role(
        actor=actor_of(by), access=access_of(by), membership=target, role=role, **kwargs
    )


def test_the_last_owner_cannot_be_demoted(team):
    _, members = team
    owner = members[Role.OWNER]
    with pytest.raises(actions.ActionRefused):
        change(owner, owner, Role.ADMIN)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_an_owner_may_step_down_when_another_owner_remains(team):
    _, members = team
    owner, admin = members[Role.OWNER], members[Role.ADMIN]
    change(owner, admin, Role.OWNER)
    change(owner, owner, Role.ADMIN)
    assert Membership.objects.get(pk=owner.pk).role == Role.ADMIN
    assert Membership.objects.get(pk=admin.pk).role == Role.OWNER


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_an_admin_cannot_name_or_touch_an_owner(team, role):
    _, members = team
    admin, user, owner = members[Role.ADMIN], members[Role.USER], members[Role.OWNER]
    target = user if role == Role.OWNER else owner
    with pytest.raises(actions.ActionRefused):
        change(admin, target, role)
    target.refresh_from_db()
    assert target.role in {Role.USER, Role.OWNER}
    assert target.role != role


def test_user_options_keep_only_what_an_utilisateur_may_receive(team):
    dossier, members = team
    user = members[Role.USER]
    change(
        members[Role.OWNER],
        user,
        Role.USER,
        extra_permissions=[Permission.EXPORT.value, Permission.DOSSIER_DELETE.value, "nope"],
    )
    user.refresh_from_db()
    assert user.extra_permissions == [Permission.EXPORT.value]
    permissions = dossier_access_for(user.user, dossier.slug).permissions
    assert permissions == ROLE_PERMISSIONS[Role.USER] | {Permission.EXPORT}
    assert Permission.EXPORT in USER_OPTIONS


def test_a_profile_of_another_dossier_is_refused(team):
    _, members = team
    foreign = ProfileFactory()
    with pytest.raises(actions.ActionRefused):
        change(members[Role.OWNER], members[Role.USER], Role.CUSTOM, profile=foreign)
    assert Membership.objects.get(pk=members[Role.USER].pk).role == Role.USER


def test_the_last_owner_cannot_leave_nor_be_removed(team):
    _, members = team
    owner, admin = members[Role.OWNER], members[Role.ADMIN]
    with pytest.raises(actions.ActionRefused):
        actions.membership_remove(actor=actor_of(owner), access=access_of(owner), membership=owner)
    with pytest.raises(actions.ActionRefused):
        actions.membership_remove(actor=actor_of(admin), access=access_of(admin), membership=owner)
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_removal_is_recorded(team):
    dossier, members = team
    owner, user = members[Role.OWNER], members[Role.USER]
    actions.membership_remove(actor=actor_of(owner), access=access_of(owner), membership=user)
    assert not Membership.objects.filter(pk=user.pk).exists()
    event = AuditEvent.objects.get(action="member.removed")
    assert event.details["email"] == user.user.email
    with pytest.raises(Http404):
        dossier_access_for(user.user, dossier.slug)


def test_ownership_transfer_swaps_owner_and_admin(team):
    _, members = team
    owner, user = members[Role.OWNER], members[Role.USER]
    actions.ownership_transfer(actor=actor_of(owner), access=access_of(owner), to=user)
    assert Membership.objects.get(pk=user.pk).role == Role.OWNER
    assert Membership.objects.get(pk=owner.pk).role == Role.ADMIN
    assert AuditEvent.objects.filter(action="dossier.ownership_transferred").exists()


def test_ownership_transfer_to_another_dossiers_member_is_refused(team):
    _, members = team
    owner, stranger = members[Role.OWNER], MembershipFactory(role=Role.USER)
    with pytest.raises(Membership.DoesNotExist):
        actions.ownership_transfer(actor=actor_of(owner), access=access_of(owner), to=stranger)
    assert Membership.objects.get(pk=stranger.pk).role == Role.USER


# --- Profiles -----------------------------------------------------------------------------


def test_a_custom_profile_grants_exactly_its_permissions(team):
    dossier, members = team
    owner, member = members[Role.OWNER], members[Role.READ_ONLY]
    profile = actions.profile_save(
        actor=actor_of(owner),
        access=access_of(owner),
        name="Assistant",
        permissions=[
            Permission.DOCUMENT_VIEW.value,
            Permission.TASK_SEND.value,
            # Never grantable by a profile:
            Permission.DOSSIER_DELETE.value,
            Permission.OWNERSHIP_TRANSFER.value,
        ],
    )
    change(owner, member, Role.CUSTOM, profile=profile)
    assert dossier_access_for(member.user, dossier.slug).permissions == {
        Permission.DOSSIER_VIEW,
        Permission.DOCUMENT_VIEW,
        Permission.TASK_SEND,
    }
    actions.profile_save(
        actor=actor_of(owner),
        access=access_of(owner),
        profile=profile,
        name="Assistant",
        permissions=[Permission.AUDIT_VIEW.value],
    )
    assert dossier_access_for(member.user, dossier.slug).permissions == {
        Permission.DOSSIER_VIEW,
        Permission.AUDIT_VIEW,
    }


def test_profile_names_are_unique_in_a_dossier_only(team):
    dossier, members = team
    owner = members[Role.OWNER]
    ProfileFactory(dossier=dossier, name="Stagiaire")
    ProfileFactory(name="Assistant")  # another dossier's
    with pytest.raises(actions.ActionRefused):
        actions.profile_save(
            actor=actor_of(owner), access=access_of(owner), name="stagiaire", permissions=[]
        )
    actions.profile_save(
        actor=actor_of(owner), access=access_of(owner), name="Assistant", permissions=[]
    )
    assert Profile.objects.filter(dossier=dossier).count() == 2


def test_a_profile_in_use_cannot_be_deleted(team):
    dossier, members = team
    owner = members[Role.OWNER]
    member = MembershipFactory(dossier=dossier, role=Role.CUSTOM)
    with pytest.raises(actions.ActionRefused):
        actions.profile_delete(
            actor=actor_of(owner), access=access_of(owner), profile=member.profile
        )
    assert Profile.objects.filter(pk=member.profile.pk).exists()


def test_a_firm_gives_its_staff_the_comptable_role():
    firm_access = FirmAccessFactory()
    staff = FirmMemberFactory(firm=firm_access.firm)
    access = dossier_access_for(staff.user, firm_access.dossier.slug)
    assert access.role == Role.ACCOUNTANT
    assert access.permissions == ROLE_PERMISSIONS[Role.ACCOUNTANT]
    assert access.membership is None
