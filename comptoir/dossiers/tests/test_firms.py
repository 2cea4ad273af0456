"""Firms (cabinets): creation, staff, invitations of staff, settings."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.dossiers.models import Firm, FirmMember, Invitation
from comptoir.dossiers.permissions import Role
from comptoir.dossiers.tests.factories import (
    DossierFactory,
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
def firm():
    firm = FirmFactory(name="Cabinet Martin")
    FirmMemberFactory(firm=firm, is_admin=True, user__email="claire@cabinet.test")
    FirmMemberFactory(firm=firm, user__email="hugo@cabinet.test")
    return firm


def admin_of(firm):
    return firm.members.get(is_admin=True).user


def staff_of(firm):
    return firm.members.get(is_admin=False).user


def test_creating_a_firm_makes_its_creator_admin():
    user = UserFactory()
    client = client_for(user)
    assert client.get("/cabinets/new/").status_code == 200
    response = client.post("/cabinets/new/", {"name": "Cabinet Durand"})
    firm = Firm.objects.get()
    assert response["Location"] == f"/cabinets/{firm.slug}/"
    assert FirmMember.objects.get(firm=firm).user == user
    assert FirmMember.objects.get(firm=firm).is_admin
    assert AuditEvent.objects.filter(action="firm.created", actor=user).exists()
    assert client.post("/cabinets/new/", {"name": "   "}).status_code == 200
    assert Firm.objects.count() == 1


def test_creating_a_firm_needs_a_login():
    response = Client().post("/cabinets/new/", {"name": "Cabinet"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Firm.objects.exists()


def test_the_firm_page_is_for_its_staff_only(firm):
    served = DossierFactory(name="Boulangerie Dupont")
    FirmAccessFactory(firm=firm, dossier=served)
    page = client_for(staff_of(firm)).get(f"/cabinets/{firm.slug}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "claire@cabinet.test" in content
    assert "Boulangerie Dupont" in content
    # A simple staff member reads, without the admin's forms.
    assert "Inviter un collaborateur" not in content
    outsider = UserFactory()
    assert client_for(outsider).get(f"/cabinets/{firm.slug}/").status_code == 404
    assert client_for(outsider).get("/cabinets/nexiste-pas/").status_code == 404
    assert Client().get(f"/cabinets/{firm.slug}/").status_code == 302


def test_an_admin_invites_staff_who_join_by_the_link(firm, django_capture_on_commit_callbacks):
    client = client_for(admin_of(firm))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cabinets/{firm.slug}/", {"email": "nouveau@cabinet.test"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.firm, invitation.dossier) == (firm, None)
    message = mail.outbox[0]
    assert "Cabinet Martin" in message.subject
    token = LINK.search(message.body).group(1)
    # Signing up from the link lands on the firm's page.
    signup = Client()
    response = signup.post(
        f"/invitations/{token}/signup/",
        {"password1": "Un-nouveau-secret-2026", "password2": "Un-nouveau-secret-2026"},
    )
    assert response["Location"] == f"/cabinets/{firm.slug}/"
    member = FirmMember.objects.get(firm=firm, user__email="nouveau@cabinet.test")
    assert not member.is_admin
    assert signup.get(response["Location"]).status_code == 200
    assert AuditEvent.objects.filter(action="invitation.accepted").exists()


def test_inviting_someone_already_on_staff_is_refused(firm, django_capture_on_commit_callbacks):
    client = client_for(admin_of(firm))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cabinets/{firm.slug}/", {"email": "hugo@cabinet.test"})
    assert response.status_code == 200
    assert "fait déjà partie du cabinet" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_staff_who_are_not_admin_change_nothing(firm, django_capture_on_commit_callbacks):
    client = client_for(staff_of(firm))
    admin_seat = firm.members.get(is_admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/cabinets/{firm.slug}/", {"email": "x@e.test"}).status_code == 403
    assert client.post(f"/cabinets/{firm.slug}/members/{admin_seat.pk}/remove/").status_code == 403
    assert client.post(f"/cabinets/{firm.slug}/settings/", {"require_2fa": "on"}).status_code == 403
    firm.refresh_from_db()
    assert not firm.require_2fa
    assert firm.members.count() == 2
    assert not Invitation.objects.exists()


def test_removing_staff_takes_away_the_firms_dossiers(firm):
    dossier = DossierFactory()
    FirmAccessFactory(firm=firm, dossier=dossier)
    hugo = staff_of(firm)
    hugo_client = client_for(hugo)
    assert hugo_client.get(f"/d/{dossier.slug}/").status_code == 200
    seat = firm.members.get(user=hugo)
    response = client_for(admin_of(firm)).post(f"/cabinets/{firm.slug}/members/{seat.pk}/remove/")
    assert response.status_code == 302
    assert not FirmMember.objects.filter(pk=seat.pk).exists()
    assert hugo_client.get(f"/d/{dossier.slug}/").status_code == 404
    assert hugo_client.get(f"/cabinets/{firm.slug}/").status_code == 404
    assert AuditEvent.objects.filter(action="firm.member_removed").exists()


def test_the_last_admin_cannot_leave(firm):
    admin = admin_of(firm)
    seat = firm.members.get(user=admin)
    response = client_for(admin).post(
        f"/cabinets/{firm.slug}/members/{seat.pk}/remove/", follow=True
    )
    assert "au moins un administrateur" in response.content.decode()
    assert FirmMember.objects.filter(pk=seat.pk).exists()


def test_another_firms_member_is_404(firm):
    other = FirmMemberFactory()
    response = client_for(admin_of(firm)).post(f"/cabinets/{firm.slug}/members/{other.pk}/remove/")
    assert response.status_code == 404
    assert FirmMember.objects.filter(pk=other.pk).exists()


def test_an_admin_makes_2fa_mandatory(firm):
    admin = admin_of(firm)
    # An admin with a second factor keeps working once it is mandatory.
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={})
    client = client_for(admin)
    response = client.post(f"/cabinets/{firm.slug}/settings/", {"require_2fa": "on"})
    assert response.status_code == 302
    firm.refresh_from_db()
    assert firm.require_2fa
    event = AuditEvent.objects.get(action="firm.updated")
    assert event.details == {"changed": {"require_2fa": [False, True]}}
    # Saving the same value again records nothing.
    client.post(f"/cabinets/{firm.slug}/settings/", {"require_2fa": "on"})
    assert AuditEvent.objects.filter(action="firm.updated").count() == 1
    client.post(f"/cabinets/{firm.slug}/settings/", {})
    firm.refresh_from_db()
    assert not firm.require_2fa
    assert client.get(f"/cabinets/{firm.slug}/settings/").status_code == 405


def test_once_mandatory_staff_without_2fa_are_sent_to_set_it_up(firm):
    client_for(admin_of(firm)).post(f"/cabinets/{firm.slug}/settings/", {"require_2fa": "on"})
    response = client_for(staff_of(firm)).get(f"/cabinets/{firm.slug}/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")


def test_firm_invitations_are_revoked_and_resent(firm, django_capture_on_commit_callbacks):
    client = client_for(admin_of(firm))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/cabinets/{firm.slug}/", {"email": "nouveau@cabinet.test"})
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/cabinets/{firm.slug}/invitations/{invitation.pk}/resend/")
    assert len(mail.outbox) == 2
    client.post(f"/cabinets/{firm.slug}/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    other_firm_admin = FirmMemberFactory(is_admin=True)
    response = client_for(other_firm_admin.user).post(
        f"/cabinets/{other_firm_admin.firm.slug}/invitations/{invitation.pk}/resend/"
    )
    assert response.status_code == 404


def test_a_firm_invitation_makes_no_dossier_member(firm, django_capture_on_commit_callbacks):
    dossier_owner = MembershipFactory(role=Role.OWNER)
    FirmAccessFactory(firm=firm, dossier=dossier_owner.dossier)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_of(firm)).post(f"/cabinets/{firm.slug}/", {"email": "n@cabinet.test"})
    token = LINK.search(mail.outbox[0].body).group(1)
    newcomer = UserFactory(email="n@cabinet.test")
    client = client_for(newcomer)
    client.post(f"/invitations/{token}/")
    # Through the firm, the newcomer serves the firm's dossiers at once.
    assert client.get(f"/d/{dossier_owner.dossier.slug}/").status_code == 200
    assert not dossier_owner.dossier.memberships.filter(user=newcomer).exists()
