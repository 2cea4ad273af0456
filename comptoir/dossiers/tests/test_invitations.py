"""Invitations: the email, the link's pages, single use, expiry, revoke, re-send."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.accounts.models import User
from comptoir.accounts.tests.factories import PASSWORD, UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.models import Invitation, Membership
from comptoir.dossiers.permissions import Permission, Role
from comptoir.dossiers.tests.factories import MembershipFactory, ProfileFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([A-Za-z0-9_-]+)/")
NEW_PASSWORD = "Un-nouveau-secret-2026"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner():
    return MembershipFactory(role=Role.OWNER)


def invite(client, dossier, capture, email="nouvelle@exemple.test", role="user", **extra):
    with capture(execute=True):
        return client.post(
            f"/d/{dossier.slug}/invitations/", {"email": email, "role": role, **extra}
        )


def token_of(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def html_of(message) -> str:
    return dict((mime, body) for body, mime in message.alternatives)["text/html"]


def audit(action: str):
    return AuditEvent.objects.filter(action=action)


# --- Sending ------------------------------------------------------------------------------


def test_invitation_email_has_text_and_html_with_the_link_and_expiry(
    owner, django_capture_on_commit_callbacks
):
    client = client_for(owner.user)
    response = invite(client, owner.dossier, django_capture_on_commit_callbacks, role="readonly")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == Role.READ_ONLY
    assert invitation.email == "nouvelle@exemple.test"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@exemple.test"]
    assert owner.dossier.name in message.subject
    token = token_of(message)
    html = html_of(message)
    assert f"/invitations/{token}/" in html
    assert "Lecture seule" in message.body
    assert "Lecture seule" in html
    expiry = invitation.expires_at.astimezone(timezone.get_current_timezone())
    assert str(expiry.year) in message.body
    assert "expire" in message.body
    for part in (message.body, html, message.subject):
        assert "mot de passe" not in part.lower()
        assert PASSWORD not in part
    assert audit("invitation.created").filter(dossier=owner.dossier).count() == 1


def test_the_invitation_list_shows_each_state(owner, django_capture_on_commit_callbacks):
    client = client_for(owner.user)
    for email in ["a@exemple.test", "b@exemple.test", "c@exemple.test"]:
        invite(client, owner.dossier, django_capture_on_commit_callbacks, email=email)
    Invitation.objects.filter(email="b@exemple.test").update(revoked_at=timezone.now())
    Invitation.objects.filter(email="c@exemple.test").update(
        expires_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    page = client.get(f"/d/{owner.dossier.slug}/invitations/").content.decode()
    assert "En attente" in page
    assert "Révoquée" in page
    assert "Expirée" in page


def test_invitation_list_query_count_does_not_grow(owner, django_capture_on_commit_callbacks):
    client = client_for(owner.user)
    url = f"/d/{owner.dossier.slug}/invitations/"
    invite(client, owner.dossier, django_capture_on_commit_callbacks, email="un@exemple.test")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        invite(client, owner.dossier, django_capture_on_commit_callbacks, email=f"x{n}@e.test")
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_role_choices_offer_profiles_and_owner_only_to_owners(owner):
    profile = ProfileFactory(dossier=owner.dossier, name="Assistante paie")
    admin = MembershipFactory(dossier=owner.dossier, role=Role.ADMIN)
    as_owner = client_for(owner.user).get(f"/d/{owner.dossier.slug}/invitations/")
    as_admin = client_for(admin.user).get(f"/d/{owner.dossier.slug}/invitations/")
    assert f'value="profile-{profile.pk}"' in as_owner.content.decode()
    assert 'value="owner"' in as_owner.content.decode()
    assert 'value="owner"' not in as_admin.content.decode()
    # An admin forging the owner role is refused by the form: nothing is sent.
    response = client_for(admin.user).post(
        f"/d/{owner.dossier.slug}/invitations/", {"email": "x@exemple.test", "role": "owner"}
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_inviting_with_a_custom_profile_and_user_options(owner, django_capture_on_commit_callbacks):
    profile = ProfileFactory(dossier=owner.dossier, name="Assistante paie")
    client = client_for(owner.user)
    invite(
        client,
        owner.dossier,
        django_capture_on_commit_callbacks,
        email="paie@exemple.test",
        role=f"profile-{profile.pk}",
    )
    invite(
        client,
        owner.dossier,
        django_capture_on_commit_callbacks,
        email="salarie@exemple.test",
        role="user",
        extra_permissions=[Permission.EXPORT.value, Permission.DOCUMENT_DELETE.value],
    )
    paie = Invitation.objects.get(email="paie@exemple.test")
    assert (paie.role, paie.profile) == (Role.CUSTOM, profile)
    assert "Assistante paie" in mail.outbox[0].body
    salarie = Invitation.objects.get(email="salarie@exemple.test")
    assert salarie.extra_permissions == sorted(
        [Permission.EXPORT.value, Permission.DOCUMENT_DELETE.value]
    )


def test_inviting_an_existing_member_is_refused_and_creates_nothing(
    owner, django_capture_on_commit_callbacks
):
    member = MembershipFactory(dossier=owner.dossier, role=Role.USER)
    response = invite(
        client_for(owner.user),
        owner.dossier,
        django_capture_on_commit_callbacks,
        email=member.user.email.upper(),
    )
    assert response.status_code == 200
    assert "déjà membre de ce dossier" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    assert not audit("invitation.created").exists()


def test_inviting_an_address_again_replaces_the_old_invitation(
    owner, django_capture_on_commit_callbacks
):
    client = client_for(owner.user)
    invite(client, owner.dossier, django_capture_on_commit_callbacks, role="readonly")
    invite(client, owner.dossier, django_capture_on_commit_callbacks, role="admin")
    old, new = Invitation.objects.order_by("pk")
    assert old.state == "revoked"
    assert new.state == "pending"
    assert new.role == Role.ADMIN
    assert client.get(f"/invitations/{token_of(mail.outbox[0])}/").status_code == 410
    assert client.get(f"/invitations/{token_of(mail.outbox[1])}/").status_code == 200


def test_bad_input_is_a_form_error_not_a_500(owner):
    client = client_for(owner.user)
    for data in [{}, {"email": "pas-une-adresse", "role": "user"}, {"email": "a@b.test"}]:
        response = client.post(f"/d/{owner.dossier.slug}/invitations/", data)
        assert response.status_code == 200
    response = client.post(
        f"/d/{owner.dossier.slug}/invitations/", {"email": "a@b.test", "role": "profile-999"}
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


# --- Accepting ----------------------------------------------------------------------------


def test_accepted_by_an_existing_account(owner, django_capture_on_commit_callbacks):
    invitee = UserFactory(email="nouvelle@exemple.test")
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    client = client_for(invitee)
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert owner.dossier.name in content
    assert "Utilisateur" in content
    assert owner.user.display_name in content
    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/d/{owner.dossier.slug}/"
    membership = Membership.objects.get(dossier=owner.dossier, user=invitee)
    assert membership.role == Role.USER
    assert client.get(response["Location"]).status_code == 200
    event = audit("invitation.accepted").get()
    assert event.dossier == owner.dossier
    assert event.actor == invitee


def test_the_anonymous_page_offers_login_and_signup(owner, django_capture_on_commit_callbacks):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    page = Client().get(f"/invitations/{token}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "entrance" in content  # the entrance layout
    assert f"/accounts/login/?next=/invitations/{token}/" in content
    assert f"/invitations/{token}/signup/" in content
    assert "nouvelle@exemple.test" in content
    # Posting without an account sends to the login, and changes nothing.
    response = Client().post(f"/invitations/{token}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Invitation.objects.get().state == "pending"


def test_accepted_by_signing_up_from_the_link(owner, django_capture_on_commit_callbacks):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    client = Client()
    form = client.get(f"/invitations/{token}/signup/")
    assert form.status_code == 200
    assert 'value="nouvelle@exemple.test" readonly' in form.content.decode()
    response = client.post(
        f"/invitations/{token}/signup/",
        # A forged address is ignored: the account gets the invited one.
        {"email": "autre@exemple.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/d/{owner.dossier.slug}/"
    user = User.objects.get(email="nouvelle@exemple.test")
    assert not User.objects.filter(email="autre@exemple.test").exists()
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    assert Membership.objects.get(dossier=owner.dossier, user=user).role == Role.USER
    # Logged in, and lands in the dossier.
    assert client.get(response["Location"]).status_code == 200
    assert audit("invitation.accepted").get().actor == user
    assert Invitation.objects.get().accepted_by == user


def test_signup_checks_the_passwords_and_creates_nothing_on_error(
    owner, django_capture_on_commit_callbacks
):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    client = Client()
    for data in [
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
        {"password1": "123", "password2": "123"},
        {},
    ]:
        response = client.post(f"/invitations/{token}/signup/", data)
        assert response.status_code == 200
    assert (
        "ne sont pas identiques"
        in client.post(
            f"/invitations/{token}/signup/", {"password1": NEW_PASSWORD, "password2": "autre"}
        ).content.decode()
    )
    assert not User.objects.filter(email="nouvelle@exemple.test").exists()
    assert Invitation.objects.get().state == "pending"


def test_signup_with_an_address_that_has_an_account_sends_to_login(
    owner, django_capture_on_commit_callbacks
):
    UserFactory(email="nouvelle@exemple.test")
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    response = Client().post(
        f"/invitations/{token}/signup/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert User.objects.filter(email="nouvelle@exemple.test").count() == 1
    assert Invitation.objects.get().state == "pending"


def test_another_account_cannot_accept_and_is_told_whose_invitation_it_is(
    owner, django_capture_on_commit_callbacks
):
    invite(
        client_for(owner.user),
        owner.dossier,
        django_capture_on_commit_callbacks,
        email="pro@cabinet.test",
    )
    token = token_of(mail.outbox[0])
    other = UserFactory(email="perso@exemple.test")
    client = client_for(other)
    page = client.get(f"/invitations/{token}/").content.decode()
    assert "envoyée à pro@cabinet.test" in page
    assert "perso@exemple.test" in page
    assert "Déconnectez-vous" in page
    assert "Accepter l&#x27;invitation" not in page
    assert 'action="/accounts/logout/"' in page
    response = client.post(f"/invitations/{token}/", follow=True)
    assert "connectez-vous avec ce compte" in response.content.decode()
    assert not Membership.objects.filter(dossier=owner.dossier, user=other).exists()
    assert Invitation.objects.get().state == "pending"
    assert not audit("invitation.accepted").exists()
    # The invited address, added to an account as a second address, is that account's.
    EmailAddress.objects.create(user=other, email="Pro@Cabinet.test", verified=False)
    assert client.post(f"/invitations/{token}/").status_code == 302
    assert Membership.objects.filter(dossier=owner.dossier, user=other).exists()
    assert EmailAddress.objects.get(user=other, email="Pro@Cabinet.test").verified


def test_accepting_verifies_the_invited_address_of_the_account(
    owner, django_capture_on_commit_callbacks
):
    invitee = UserFactory(email="nouvelle@exemple.test")
    EmailAddress.objects.filter(user=invitee).update(verified=False)
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    client_for(invitee).post(f"/invitations/{token_of(mail.outbox[0])}/")
    assert EmailAddress.objects.get(user=invitee).verified


def test_a_link_is_single_use(owner, django_capture_on_commit_callbacks):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    first = UserFactory(email="nouvelle@exemple.test")
    assert client_for(first).post(f"/invitations/{token}/").status_code == 302
    second = UserFactory()
    client = client_for(second)
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 410
    assert "déjà été utilisée" in page.content.decode()
    response = client.post(f"/invitations/{token}/", follow=True)
    assert response.status_code == 410
    assert not Membership.objects.filter(dossier=owner.dossier, user=second).exists()
    # Signing up from a used link is refused too.
    response = Client().post(
        f"/invitations/{token}/signup/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert Client().get(response["Location"]).status_code == 410
    assert audit("invitation.accepted").count() == 1


def test_an_invitation_expires_after_14_days(owner, django_capture_on_commit_callbacks):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    lifetime = invitation.expires_at - invitation.created_at
    assert timezone.timedelta(days=13, hours=23) < lifetime <= timezone.timedelta(days=14)
    Invitation.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    token = token_of(mail.outbox[0])
    invitee = UserFactory()
    client = client_for(invitee)
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 410
    assert "a expiré" in page.content.decode()
    client.post(f"/invitations/{token}/")
    assert not Membership.objects.filter(user=invitee).exists()
    signup = Client().post(
        f"/invitations/{token}/signup/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert signup.status_code == 302
    assert not User.objects.filter(email="nouvelle@exemple.test").exists()


def test_a_revoked_invitation_is_refused(owner, django_capture_on_commit_callbacks):
    client = client_for(owner.user)
    invite(client, owner.dossier, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    response = client.post(f"/d/{owner.dossier.slug}/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    assert audit("invitation.revoked").filter(dossier=owner.dossier).count() == 1
    token = token_of(mail.outbox[0])
    invitee = UserFactory()
    page = client_for(invitee).get(f"/invitations/{token}/")
    assert page.status_code == 410
    assert "annulée" in page.content.decode()
    client_for(invitee).post(f"/invitations/{token}/")
    assert not Membership.objects.filter(user=invitee).exists()
    # Revoking twice says why, and changes nothing.
    again = client.post(f"/d/{owner.dossier.slug}/invitations/{invitation.pk}/revoke/", follow=True)
    assert "plus en attente" in again.content.decode()
    assert audit("invitation.revoked").count() == 1


def test_resend_gives_a_new_link_and_the_old_one_stops_working(
    owner, django_capture_on_commit_callbacks
):
    client = client_for(owner.user)
    invite(client, owner.dossier, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    Invitation.objects.update(expires_at=timezone.now() - timezone.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/d/{owner.dossier.slug}/invitations/{invitation.pk}/resend/")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    old, new = token_of(mail.outbox[0]), token_of(mail.outbox[1])
    assert old != new
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    assert invitation.sent_count == 2
    assert Client().get(f"/invitations/{old}/").status_code == 404
    assert Client().get(f"/invitations/{new}/").status_code == 200
    assert audit("invitation.resent").filter(dossier=owner.dossier).count() == 1


def test_an_unknown_link_is_404_with_a_clear_page():
    response = Client().get("/invitations/nimporte-quoi/")
    assert response.status_code == 404
    assert "non valide" in response.content.decode()
    assert Client().get("/invitations/nimporte-quoi/signup/").status_code == 404


def test_an_invitation_to_a_deleted_dossier_is_gone(owner, django_capture_on_commit_callbacks):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    owner.dossier.deleted_at = timezone.now()
    owner.dossier.save()
    token = token_of(mail.outbox[0])
    assert client_for(UserFactory()).get(f"/invitations/{token}/").status_code == 410


def test_a_member_already_there_is_shown_the_way_in(owner, django_capture_on_commit_callbacks):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    token = token_of(mail.outbox[0])
    invitee = UserFactory()
    Membership.objects.create(dossier=owner.dossier, user=invitee, role=Role.READ_ONLY)
    page = client_for(invitee).get(f"/invitations/{token}/").content.decode()
    assert "déjà accès" in page
    assert f'href="/d/{owner.dossier.slug}/"' in page


# --- Across dossiers ----------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["revoke", "resend"])
def test_another_dossiers_invitation_is_404_and_unchanged(
    owner, verb, django_capture_on_commit_callbacks
):
    invite(client_for(owner.user), owner.dossier, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    before = (invitation.token_hash, invitation.expires_at, invitation.revoked_at)
    other = MembershipFactory(role=Role.OWNER)
    client = client_for(other.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/d/{other.dossier.slug}/invitations/{invitation.pk}/{verb}/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert (invitation.token_hash, invitation.expires_at, invitation.revoked_at) == before
    assert len(mail.outbox) == 1
    assert not audit("invitation.revoked").exists()
    assert not audit("invitation.resent").exists()


def test_too_low_a_role_cannot_invite(owner):
    accountant = MembershipFactory(dossier=owner.dossier, role=Role.ACCOUNTANT)
    response = client_for(accountant.user).post(
        f"/d/{owner.dossier.slug}/invitations/", {"email": "x@exemple.test", "role": "admin"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert dossier_access_for(accountant.user, owner.dossier.slug).role == Role.ACCOUNTANT
