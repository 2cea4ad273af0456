""" "Accès comptable": invite one accountant, or give a whole firm access; withdraw either."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.http import Http404
from django.test import Client

from comptoir.accounts.tests.factories import UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.models import FirmAccess, Invitation, Membership
from comptoir.dossiers.permissions import Permission, Role
from comptoir.dossiers.tests.factories import (
    FirmAccessFactory,
    FirmFactory,
    FirmMemberFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([A-Za-z0-9_-]+)/")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner():
    return MembershipFactory(role=Role.OWNER)


@pytest.fixture
def firm_staff():
    firm = FirmFactory(name="Cabinet Martin & Associés")
    admin = FirmMemberFactory(firm=firm, is_admin=True, user__email="claire@cabinet.test")
    assistant = FirmMemberFactory(firm=firm, user__email="hugo@cabinet.test")
    return firm, [admin.user, assistant.user]


def grant(client, dossier, capture, email, scope):
    with capture(execute=True):
        return client.post(
            f"/d/{dossier.slug}/accountant-access/", {"email": email, "scope": scope}
        )


def test_inviting_one_accountant_gives_the_comptable_role(
    owner, django_capture_on_commit_callbacks
):
    response = grant(
        client_for(owner.user),
        owner.dossier,
        django_capture_on_commit_callbacks,
        "expert@exemple.test",
        "person",
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.dossier) == (Role.ACCOUNTANT, owner.dossier)
    message = mail.outbox[0]
    assert "Comptable" in message.body
    token = LINK.search(message.body).group(1)
    accountant = UserFactory(email="expert@exemple.test")
    client = client_for(accountant)
    assert client.post(f"/invitations/{token}/").status_code == 302
    assert Membership.objects.get(dossier=owner.dossier, user=accountant).role == Role.ACCOUNTANT
    access = dossier_access_for(accountant, owner.dossier.slug)
    assert access.has(Permission.AUDIT_VIEW)
    assert not access.has(Permission.SETTINGS_MANAGE)
    # The accountant is listed, with a way to withdraw it.
    page = client_for(owner.user).get(f"/d/{owner.dossier.slug}/accountant-access/")
    assert "expert@exemple.test" in page.content.decode()
    assert AuditEvent.objects.filter(action="invitation.created", dossier=owner.dossier).exists()
    assert AuditEvent.objects.filter(action="invitation.accepted", dossier=owner.dossier).exists()


def test_pending_accountant_invitations_are_listed(owner, django_capture_on_commit_callbacks):
    grant(
        client_for(owner.user),
        owner.dossier,
        django_capture_on_commit_callbacks,
        "expert@exemple.test",
        "person",
    )
    page = client_for(owner.user).get(f"/d/{owner.dossier.slug}/accountant-access/")
    content = page.content.decode()
    assert "expert@exemple.test" in content
    assert "En attente" in content


def test_granting_the_firm_lets_all_its_staff_see_the_dossier(
    owner, firm_staff, django_capture_on_commit_callbacks
):
    firm, staff = firm_staff
    for person in staff:
        with pytest.raises(Http404):
            dossier_access_for(person, owner.dossier.slug)
    response = grant(
        client_for(owner.user),
        owner.dossier,
        django_capture_on_commit_callbacks,
        # Any staff address names the firm, whatever its case.
        "HUGO@cabinet.test",
        "firm",
    )
    assert response.status_code == 302
    assert FirmAccess.objects.filter(dossier=owner.dossier, firm=firm).exists()
    for person in staff:
        access = dossier_access_for(person, owner.dossier.slug)
        assert access.role == Role.ACCOUNTANT
        assert client_for(person).get(f"/d/{owner.dossier.slug}/").status_code == 200
    event = AuditEvent.objects.get(action="firm_access.granted")
    assert (event.dossier, event.actor) == (owner.dossier, owner.user)
    page = client_for(owner.user).get(f"/d/{owner.dossier.slug}/accountant-access/")
    content = page.content.decode()
    assert "Cabinet Martin &amp; Associés" in content
    assert "claire@cabinet.test" in content
    assert "Retirer l&#x27;accès" in content or "Retirer l'accès" in content


def test_granting_a_firm_to_an_address_of_no_firm_is_a_clear_error(
    owner, django_capture_on_commit_callbacks
):
    UserFactory(email="seul@exemple.test")
    response = grant(
        client_for(owner.user),
        owner.dossier,
        django_capture_on_commit_callbacks,
        "seul@exemple.test",
        "firm",
    )
    assert response.status_code == 200
    assert "Aucun cabinet" in response.content.decode()
    # The person's input is still in the form.
    assert 'value="seul@exemple.test"' in response.content.decode()
    assert not FirmAccess.objects.exists()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_granting_a_firm_twice_is_refused(owner, firm_staff, django_capture_on_commit_callbacks):
    client = client_for(owner.user)
    for _ in range(2):
        response = grant(
            client, owner.dossier, django_capture_on_commit_callbacks, "claire@cabinet.test", "firm"
        )
    assert response.status_code == 200
    assert "déjà accès" in response.content.decode()
    assert FirmAccess.objects.count() == 1
    assert AuditEvent.objects.filter(action="firm_access.granted").count() == 1


def test_revoking_the_firm_removes_access_for_all_its_staff_at_once(owner, firm_staff):
    firm, staff = firm_staff
    firm_access = FirmAccessFactory(dossier=owner.dossier, firm=firm)
    clients = [client_for(person) for person in staff]
    for client in clients:
        assert client.get(f"/d/{owner.dossier.slug}/").status_code == 200
    response = client_for(owner.user).post(
        f"/d/{owner.dossier.slug}/accountant-access/firms/{firm_access.pk}/revoke/"
    )
    assert response.status_code == 302
    assert not FirmAccess.objects.exists()
    # Their next request, in the sessions they already have.
    for client in clients:
        assert client.get(f"/d/{owner.dossier.slug}/").status_code == 404
    # They remain staff of their firm.
    assert firm.members.count() == 2
    event = AuditEvent.objects.get(action="firm_access.revoked")
    assert event.dossier == owner.dossier
    assert event.details["firm"] == firm.name


def test_withdrawing_an_invited_accountant(owner):
    accountant = MembershipFactory(dossier=owner.dossier, role=Role.ACCOUNTANT)
    client = client_for(accountant.user)
    assert client.get(f"/d/{owner.dossier.slug}/").status_code == 200
    response = client_for(owner.user).post(
        f"/d/{owner.dossier.slug}/accountant-access/members/{accountant.pk}/remove/"
    )
    assert response.status_code == 302
    assert client.get(f"/d/{owner.dossier.slug}/").status_code == 404
    assert AuditEvent.objects.filter(action="member.removed", dossier=owner.dossier).exists()


def test_only_accountants_are_withdrawn_from_this_page(owner):
    user = MembershipFactory(dossier=owner.dossier, role=Role.USER)
    response = client_for(owner.user).post(
        f"/d/{owner.dossier.slug}/accountant-access/members/{user.pk}/remove/"
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=user.pk).exists()


def test_a_comptable_gets_403_on_the_accountant_access_page(owner, firm_staff):
    firm, staff = firm_staff
    firm_access = FirmAccessFactory(dossier=owner.dossier, firm=firm)
    accountant = MembershipFactory(dossier=owner.dossier, role=Role.ACCOUNTANT)
    for person in [accountant.user, staff[0]]:
        client = client_for(person)
        assert client.get(f"/d/{owner.dossier.slug}/accountant-access/").status_code == 403
        response = client.post(
            f"/d/{owner.dossier.slug}/accountant-access/",
            {"email": "x@exemple.test", "scope": "person"},
        )
        assert response.status_code == 403
        revoke = client.post(
            f"/d/{owner.dossier.slug}/accountant-access/firms/{firm_access.pk}/revoke/"
        )
        assert revoke.status_code == 403
    assert not Invitation.objects.exists()
    assert FirmAccess.objects.filter(pk=firm_access.pk).exists()


def test_another_dossiers_firm_access_is_404_and_unchanged(owner, firm_staff):
    firm, _staff = firm_staff
    firm_access = FirmAccessFactory(dossier=owner.dossier, firm=firm)
    other = MembershipFactory(role=Role.OWNER)
    response = client_for(other.user).post(
        f"/d/{other.dossier.slug}/accountant-access/firms/{firm_access.pk}/revoke/"
    )
    assert response.status_code == 404
    assert FirmAccess.objects.filter(pk=firm_access.pk).exists()
    assert not AuditEvent.objects.filter(action="firm_access.revoked").exists()


def test_bad_input_never_500(owner):
    client = client_for(owner.user)
    url = f"/d/{owner.dossier.slug}/accountant-access/"
    for data in [{}, {"email": "x"}, {"email": "a@b.test", "scope": "tous"}]:
        assert client.post(url, data).status_code == 200
    assert client.post(f"{url}firms/999999/revoke/").status_code == 404
    assert client.get(f"{url}firms/1/revoke/").status_code == 405
    assert not Invitation.objects.exists()
