"""Members, roles, ownership, leaving and custom profiles, through the pages."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.audit.models import AuditEvent
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.models import Dossier, Membership, Profile
from comptoir.dossiers.permissions import ROLE_PERMISSIONS, Permission, Role
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
    dossier = DossierFactory(name="Boulangerie Martin")
    members = {
        role: MembershipFactory(dossier=dossier, role=role)
        for role in (Role.OWNER, Role.ADMIN, Role.USER, Role.READ_ONLY)
    }
    return dossier, members


def url(name: str, dossier: Dossier, *args) -> str:
    return reverse(f"dossiers:{name}", args=[dossier.slug, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def login(client, membership_or_user):
    client.force_login(getattr(membership_or_user, "user", membership_or_user))
    return client


def role_data(member: Membership, role: str, options=()) -> dict:
    return {f"m{member.pk}-role": role, f"m{member.pk}-extra_permissions": list(options)}


def role_of(member: Membership) -> str:
    return Membership.objects.get(pk=member.pk).role


# --- The list -----------------------------------------------------------------------------


def test_members_page_lists_everyone_with_their_role(client, team):
    dossier, members = team
    profile = ProfileFactory(dossier=dossier, name="Assistant comptable")
    custom = MembershipFactory(dossier=dossier, role=Role.CUSTOM, profile=profile)
    Membership.objects.filter(pk=members[Role.USER].pk).update(
        extra_permissions=[Permission.EXPORT.value]
    )
    response = login(client, members[Role.OWNER]).get(url("members", dossier))
    assert_strict_page(response)
    html = response.text
    for member in [*members.values(), custom]:
        assert member.user.email in html
    for label in ("Propriétaire", "Administrateur", "Utilisateur", "Lecture seule"):
        assert label in html
    assert "Assistant comptable" in html
    assert "<dt>Peut aussi</dt><dd>Exporter</dd>" in html
    # The profile is offered in every role select.
    assert f'value="profile-{profile.pk}"' in html
    assert f'href="{url("members", dossier)}" aria-current="page"' in html
    assert url("ownership_transfer", dossier) in html


def test_an_admin_sees_no_owner_choice_nor_transfer(client, team):
    dossier, members = team
    response = login(client, members[Role.ADMIN]).get(url("members", dossier))
    assert response.status_code == 200
    assert 'value="owner"' not in response.text
    assert url("member_role", dossier, members[Role.OWNER].pk) not in response.text
    assert url("ownership_transfer", dossier) not in response.text


def test_members_page_query_count_does_not_grow_with_members(
    client, team, django_assert_max_num_queries
):
    dossier, members = team
    ProfileFactory(dossier=dossier)
    ProfileFactory(dossier=dossier)
    client = login(client, members[Role.OWNER])
    client.get(url("members", dossier))  # the first request records the session (allauth)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("members", dossier)).status_code == 200
    assert len(dossier.memberships.all()) == 4
    MembershipFactory.create_batch(26, dossier=dossier, role=Role.USER)
    MembershipFactory.create_batch(4, dossier=dossier, role=Role.CUSTOM)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url("members", dossier))
    assert response.text.count('<article class="panel" id="member-') == 34
    # Session, user, usersessions, 2FA policy and access: about ten; the page adds three
    # (members, profiles, the folders a member may be limited to), the bell one (unread count).
    assert len(few) <= 16


# --- Roles --------------------------------------------------------------------------------


def test_owner_changes_a_role_and_it_is_audited(client, team):
    dossier, members = team
    user = members[Role.USER]
    response = login(client, members[Role.OWNER]).post(
        url("member_role", dossier, user.pk), role_data(user, Role.ADMIN)
    )
    assert response.status_code == 302
    assert response["Location"] == url("members", dossier)
    assert role_of(user) == Role.ADMIN
    assert AuditEvent.objects.filter(action="member.role_changed", dossier=dossier).count() == 1


def test_user_options_are_granted(client, team):
    dossier, members = team
    user = members[Role.READ_ONLY]
    login(client, members[Role.ADMIN]).post(
        url("member_role", dossier, user.pk),
        role_data(user, Role.USER, [Permission.EXPORT.value, Permission.DOCUMENT_SHARE.value]),
    )
    assert dossier_access_for(user.user, dossier.slug).permissions == ROLE_PERMISSIONS[
        Role.USER
    ] | {Permission.EXPORT, Permission.DOCUMENT_SHARE}


def test_the_owner_limits_a_user_to_chosen_folders(client, team):
    from comptoir.documents.models import Folder

    dossier, members = team
    user = members[Role.USER]
    fiscal = Folder.objects.create(dossier=dossier, name="Fiscal")
    foreign = Folder.objects.create(dossier=DossierFactory(), name="Ailleurs")
    data = role_data(user, Role.USER, [Permission.EXPORT.value])
    data[f"m{user.pk}-restrict_folders"] = "on"
    data[f"m{user.pk}-visible_folders"] = [str(fiscal.pk)]
    login(client, members[Role.OWNER]).post(url("member_role", dossier, user.pk), data)
    user.refresh_from_db()
    assert (user.restrict_folders, user.visible_folder_ids) == (True, [fiscal.pk])

    # A folder of another dossier is not a choice: the form refuses and nothing changes.
    data[f"m{user.pk}-visible_folders"] = [str(foreign.pk)]
    response = client.post(url("member_role", dossier, user.pk), data)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.visible_folder_ids == [fiscal.pk]


def test_limiting_to_no_folder_is_refused_with_a_message(client, team):
    from comptoir.documents.models import Folder

    dossier, members = team
    Folder.objects.create(dossier=dossier, name="Social")
    user = members[Role.USER]
    data = role_data(user, Role.USER)
    data[f"m{user.pk}-restrict_folders"] = "on"
    response = login(client, members[Role.OWNER]).post(url("member_role", dossier, user.pk), data)
    assert "Cochez au moins un classeur" in response.text
    user.refresh_from_db()
    assert user.restrict_folders is False


def test_a_custom_profile_grants_exactly_its_permissions(client, team):
    dossier, members = team
    owner, member = members[Role.OWNER], members[Role.USER]
    client = login(client, owner)
    client.post(
        url("profiles", dossier),
        {
            "name": "Assistant",
            "permissions": [Permission.DOCUMENT_VIEW.value, Permission.INVOICE_EDIT.value],
        },
    )
    profile = Profile.objects.get(dossier=dossier)
    client.post(url("member_role", dossier, member.pk), role_data(member, f"profile-{profile.pk}"))
    member.refresh_from_db()
    assert (member.role, member.profile) == (Role.CUSTOM, profile)
    assert dossier_access_for(member.user, dossier.slug).permissions == {
        Permission.DOSSIER_VIEW,
        Permission.DOCUMENT_VIEW,
        Permission.INVOICE_EDIT,
    }
    # Its page is then out of reach for the member (no MEMBERS_MANAGE in the profile).
    assert login(client, member).get(url("members", dossier)).status_code == 403


@pytest.mark.parametrize(
    "value", ["", "superuser", "custom", "profile-", "profile-abc", "profile-999999"]
)
def test_a_malformed_role_is_a_form_error(client, team, value):
    dossier, members = team
    user = members[Role.USER]
    response = login(client, members[Role.OWNER]).post(
        url("member_role", dossier, user.pk), role_data(user, value)
    )
    assert response.status_code == 200
    assert response.context["rows"]
    assert 'class="field-errors"' in response.text
    assert role_of(user) == Role.USER
    assert not AuditEvent.objects.exists()


def test_a_malformed_option_is_a_form_error(client, team):
    dossier, members = team
    user = members[Role.USER]
    response = login(client, members[Role.OWNER]).post(
        url("member_role", dossier, user.pk),
        role_data(user, Role.USER, [Permission.DOSSIER_DELETE.value]),
    )
    assert response.status_code == 200
    assert Membership.objects.get(pk=user.pk).extra_permissions == []


def test_another_dossiers_profile_cannot_be_assigned(client, team):
    dossier, members = team
    foreign = ProfileFactory()
    user = members[Role.USER]
    response = login(client, members[Role.OWNER]).post(
        url("member_role", dossier, user.pk), role_data(user, f"profile-{foreign.pk}")
    )
    assert response.status_code == 200
    assert role_of(user) == Role.USER


def test_an_admin_cannot_make_an_owner(client, team):
    dossier, members = team
    user = members[Role.USER]
    response = login(client, members[Role.ADMIN]).post(
        url("member_role", dossier, user.pk), role_data(user, Role.OWNER)
    )
    assert response.status_code == 200  # "owner" is not among an admin's choices
    assert role_of(user) == Role.USER


def test_an_admin_cannot_demote_an_owner(client, team):
    dossier, members = team
    owner = members[Role.OWNER]
    MembershipFactory(dossier=dossier, role=Role.OWNER)  # not the last one
    response = login(client, members[Role.ADMIN]).post(
        url("member_role", dossier, owner.pk), role_data(owner, Role.READ_ONLY)
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "Seul un propriétaire peut nommer ou modifier un propriétaire."
    ]
    assert role_of(owner) == Role.OWNER


def test_the_last_owner_cannot_demote_themself(client, team):
    dossier, members = team
    owner = members[Role.OWNER]
    response = login(client, owner).post(
        url("member_role", dossier, owner.pk), role_data(owner, Role.ADMIN)
    )
    assert response.status_code == 302
    assert messages_of(response) == ["Le dossier doit garder au moins un propriétaire."]
    assert role_of(owner) == Role.OWNER


def test_a_member_of_another_dossier_is_404(client, team):
    dossier, members = team
    stranger = MembershipFactory(role=Role.USER)
    client = login(client, members[Role.OWNER])
    role = client.post(url("member_role", dossier, stranger.pk), role_data(stranger, Role.ADMIN))
    remove = client.post(url("member_remove", dossier, stranger.pk))
    assert (role.status_code, remove.status_code) == (404, 404)
    assert Membership.objects.get(pk=stranger.pk).role == Role.USER


# --- Removal and leaving ------------------------------------------------------------------


def test_removal_takes_effect_on_the_members_next_request(client, team):
    dossier, members = team
    user = members[Role.USER]
    member_client = login(client.__class__(), user)
    assert member_client.get(url("dossier_home", dossier)).status_code == 200
    response = login(client, members[Role.ADMIN]).post(url("member_remove", dossier, user.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=user.pk).exists()
    assert member_client.get(url("dossier_home", dossier)).status_code == 404
    assert AuditEvent.objects.filter(action="member.removed").count() == 1


def test_an_admin_cannot_remove_an_owner(client, team):
    dossier, members = team
    owner = members[Role.OWNER]
    MembershipFactory(dossier=dossier, role=Role.OWNER)
    response = login(client, members[Role.ADMIN]).post(url("member_remove", dossier, owner.pk))
    assert messages_of(response) == ["Seul un propriétaire peut retirer un propriétaire."]
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_the_last_owner_cannot_be_removed(client, team):
    dossier, members = team
    owner = members[Role.OWNER]
    response = login(client, owner).post(url("member_remove", dossier, owner.pk))
    assert response.status_code == 302
    assert "Le dernier propriétaire" in messages_of(response)[0]
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_a_member_leaves(client, team):
    dossier, members = team
    user = members[Role.READ_ONLY]
    client = login(client, user)
    response = client.post(url("dossier_leave", dossier))
    assert response["Location"] == reverse("dossiers:dossier_list")
    assert not Membership.objects.filter(pk=user.pk).exists()
    assert AuditEvent.objects.filter(action="member.left").count() == 1
    assert client.get(url("dossier_home", dossier)).status_code == 404


def test_the_last_owner_cannot_leave(client, team):
    dossier, members = team
    owner = members[Role.OWNER]
    response = login(client, owner).post(url("dossier_leave", dossier))
    assert response["Location"] == url("dossier_home", dossier)
    assert "transférez d'abord la propriété" in messages_of(response)[0]
    assert role_of(owner) == Role.OWNER


def test_leave_needs_post(client, team):
    dossier, members = team
    user = members[Role.USER]
    assert login(client, user).get(url("dossier_leave", dossier)).status_code == 405
    assert Membership.objects.filter(pk=user.pk).exists()


def test_a_firms_accountant_cannot_leave_what_the_firm_was_given(client, team):
    dossier, _ = team
    firm_access = FirmAccessFactory(dossier=dossier)
    staff = FirmMemberFactory(firm=firm_access.firm).user
    response = login(client, staff).post(url("dossier_leave", dossier))
    assert response.status_code == 302
    assert "par votre cabinet" in messages_of(response)[0]
    assert dossier_access_for(staff, dossier.slug).role == Role.ACCOUNTANT


@pytest.mark.parametrize("name", ["members", "profiles"])
def test_a_firms_accountant_gets_403_on_member_pages(client, team, name):
    dossier, _ = team
    firm_access = FirmAccessFactory(dossier=dossier)
    staff = FirmMemberFactory(firm=firm_access.firm).user
    assert login(client, staff).get(url(name, dossier)).status_code == 403


@pytest.mark.parametrize("name", ["members", "profiles"])
def test_another_dossiers_owner_gets_404(client, team, name):
    dossier, _ = team
    stranger = MembershipFactory(role=Role.OWNER)
    assert login(client, stranger).get(url(name, dossier)).status_code == 404


# --- Ownership transfer -------------------------------------------------------------------


def test_owner_transfers_ownership_and_becomes_admin(client, team):
    dossier, members = team
    owner, user = members[Role.OWNER], members[Role.USER]
    response = login(client, owner).post(url("ownership_transfer", dossier), {"to": user.pk})
    assert response["Location"] == url("members", dossier)
    assert (role_of(user), role_of(owner)) == (Role.OWNER, Role.ADMIN)
    # The former owner is admin: the members page stays, the transfer is gone.
    page = client.get(url("members", dossier))
    assert page.status_code == 200
    assert url("ownership_transfer", dossier) not in page.text


def test_an_admin_cannot_transfer_ownership(client, team):
    dossier, members = team
    admin = members[Role.ADMIN]
    response = login(client, admin).post(url("ownership_transfer", dossier), {"to": admin.pk})
    assert response.status_code == 403
    assert role_of(admin) == Role.ADMIN


@pytest.mark.parametrize("to", ["", "abc", "999999", "other-dossier"])
def test_a_bad_transfer_target_is_a_form_error(client, team, to):
    dossier, members = team
    owner = members[Role.OWNER]
    if to == "other-dossier":
        to = str(MembershipFactory(role=Role.USER).pk)
    response = login(client, owner).post(url("ownership_transfer", dossier), {"to": to})
    assert response.status_code == 200
    assert response.context["transfer_form"].errors["to"]
    assert role_of(owner) == Role.OWNER
    assert not AuditEvent.objects.exists()


# --- Profiles -----------------------------------------------------------------------------


def test_profiles_page_lists_and_creates(client, team):
    dossier, members = team
    client = login(client, members[Role.ADMIN])
    page = client.get(url("profiles", dossier))
    assert_strict_page(page)
    # The owner's own powers cannot be put in a profile; seeing the dossier is implied.
    assert Permission.DOSSIER_DELETE.value not in page.text
    assert Permission.OWNERSHIP_TRANSFER.value not in page.text
    assert f'value="{Permission.DOSSIER_VIEW.value}"' not in page.text
    assert "Lire le journal d&#x27;activité" in page.text
    response = client.post(
        url("profiles", dossier), {"name": "Stagiaire", "permissions": [Permission.TASK_VIEW]}
    )
    assert response["Location"] == url("profiles", dossier)
    profile = Profile.objects.get(dossier=dossier)
    assert sorted(profile.permissions) == sorted(
        [Permission.DOSSIER_VIEW.value, Permission.TASK_VIEW.value]
    )
    assert "Stagiaire" in client.get(url("profiles", dossier)).text


def test_profile_with_a_duplicate_name_is_refused_with_the_input_kept(client, team):
    dossier, members = team
    ProfileFactory(dossier=dossier, name="Stagiaire")
    response = login(client, members[Role.OWNER]).post(
        url("profiles", dossier), {"name": "stagiaire", "permissions": [Permission.EXPORT]}
    )
    assert response.status_code == 200
    assert messages_of(response) == ["Un profil porte déjà ce nom dans ce dossier."]
    assert 'value="stagiaire"' in response.text
    assert Profile.objects.filter(dossier=dossier).count() == 1


def test_profile_with_an_unknown_permission_is_a_form_error(client, team):
    dossier, members = team
    response = login(client, members[Role.OWNER]).post(
        url("profiles", dossier), {"name": "X", "permissions": ["dossier.delete"]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["permissions"]
    assert not Profile.objects.exists()


def test_profile_edit_changes_permissions(client, team):
    dossier, members = team
    profile = ProfileFactory(dossier=dossier, name="Stagiaire")
    client = login(client, members[Role.OWNER])
    assert_strict_page(client.get(url("profile_edit", dossier, profile.pk)))
    response = client.post(
        url("profile_edit", dossier, profile.pk),
        {"name": "Stagiaire senior", "permissions": [Permission.AUDIT_VIEW]},
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.name == "Stagiaire senior"
    assert Permission.AUDIT_VIEW.value in profile.permissions
    assert AuditEvent.objects.filter(action="profile.updated").count() == 1


def test_a_profile_in_use_is_not_deleted(client, team):
    dossier, members = team
    member = MembershipFactory(dossier=dossier, role=Role.CUSTOM)
    response = login(client, members[Role.OWNER]).post(
        url("profile_delete", dossier, member.profile.pk)
    )
    assert response.status_code == 302
    assert "attribué à des membres" in messages_of(response)[0]
    assert Profile.objects.filter(pk=member.profile.pk).exists()


def test_an_unused_profile_is_deleted(client, team):
    dossier, members = team
    profile = ProfileFactory(dossier=dossier)
    response = login(client, members[Role.OWNER]).post(url("profile_delete", dossier, profile.pk))
    assert response["Location"] == url("profiles", dossier)
    assert not Profile.objects.filter(pk=profile.pk).exists()


def test_another_dossiers_profile_is_404(client, team):
    dossier, members = team
    foreign = ProfileFactory()
    client = login(client, members[Role.OWNER])
    assert client.get(url("profile_edit", dossier, foreign.pk)).status_code == 404
    assert client.post(url("profile_delete", dossier, foreign.pk)).status_code == 404
    assert Profile.objects.filter(pk=foreign.pk).exists()


def test_an_owner_stepping_down_lands_on_the_dossier_home(client, team):
    dossier, members = team
    owner = members[Role.OWNER]
    MembershipFactory(dossier=dossier, role=Role.OWNER)
    response = login(client, owner).post(
        url("member_role", dossier, owner.pk), role_data(owner, Role.READ_ONLY)
    )
    assert response["Location"] == url("dossier_home", dossier)
    assert role_of(owner) == Role.READ_ONLY
    assert client.get(url("members", dossier)).status_code == 403
