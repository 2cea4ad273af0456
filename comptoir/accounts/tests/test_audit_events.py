"""The account's security events in the activity log, through the real pages.

Each one is an event without a dossier whose object is the account, with the address and
browser of the request that caused it: login, logout, failed login (the address typed,
never the password), password change and reset, sign-up and email confirmation, email
addresses, second factors, sessions ended, the language.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from comptoir.accounts.models import User
from comptoir.accounts.tests.factories import PASSWORD, UserFactory
from comptoir.accounts.tests.test_mfa import (
    SECRET,
    activate_totp,
    another_code,
    login_with_totp,
    totp_code,
)
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import invitation_create
from comptoir.dossiers.models import Invitation, token_digest
from comptoir.dossiers.permissions import Role
from comptoir.dossiers.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
USER_AGENT = "pytest-agent"
NEW_PASSWORD = "un-autre-mot-de-passe-solide-43"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth's rate limits and used TOTP codes live in the cache, keyed by user id.
    cache.clear()
    yield
    cache.clear()


def browser(**meta) -> Client:
    return Client(REMOTE_ADDR=IP, HTTP_USER_AGENT=USER_AGENT, **meta)


def log_in(client: Client, user: User, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def the_event(action: str, user: User | None) -> AuditEvent:
    """The one `action` event, checked for what every account event says."""
    (event,) = events(action)
    assert event.dossier_id is None
    assert (event.ip, event.user_agent) == (IP, USER_AGENT)
    if user is not None:
        assert event.actor_id == user.pk
        assert event.actor_label == user.email
        assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))
        assert event.object_repr == str(user)
    return event


# --- Logging in and out -------------------------------------------------------------------


def test_logging_in_is_recorded_with_the_address_and_the_browser():
    user = UserFactory()
    client = browser()
    assert log_in(client, user).status_code == 302
    event = the_event("account.logged_in", user)
    assert event.details == {"email": user.email, "methods": ["password"]}


def test_logging_out_is_recorded():
    user = UserFactory()
    client = browser()
    log_in(client, user)
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session
    the_event("account.logged_out", user)


def test_a_failed_login_keeps_the_address_typed_never_the_password():
    user = UserFactory(email="gerante@exemple.test")
    client = browser()
    response = log_in(client, user, password="Mauvais-Secret-99")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    event = the_event("account.login_failed", None)
    assert event.actor_id is None
    assert event.actor_label == "visiteur non connecté"
    assert event.details == {"email": "gerante@exemple.test"}
    # The account tried is the event's object: its owner can see the attempts on it.
    assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert "Mauvais-Secret-99" not in repr(row)
    assert "*****" not in repr(row)  # nor Django's mask of it
    assert not events("account.logged_in")


def test_a_failed_login_on_no_account_names_no_object_and_truncates_what_was_typed():
    typed = "x" * 300 + "@exemple.test"
    response = browser().post(reverse("account_login"), {"login": typed, "password": "Essai-1234"})
    assert response.status_code == 200
    (event,) = events("account.login_failed")
    assert (event.object_type, event.object_id, event.object_repr) == ("", "", "")
    assert event.details == {"email": "x" * 100}
    assert "Essai-1234" not in repr(AuditEvent.objects.filter(pk=event.pk).values().get())


# --- Passwords ----------------------------------------------------------------------------


def test_changing_the_password_is_recorded():
    user = UserFactory()
    client = browser()
    log_in(client, user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    event = the_event("account.password_changed", user)
    assert NEW_PASSWORD not in repr(event.details)


def test_resetting_the_password_by_email_is_recorded():
    user = UserFactory()
    client = browser()
    client.post(reverse("account_reset_password"), {"email": user.email})
    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body)
    assert link is not None, message.body
    form_page = client.get(link.group(1))
    assert form_page.status_code == 302  # allauth moves the key into the session
    response = client.post(
        form_page["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    the_event("account.password_reset", user)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


# --- Signing up and confirming an address -------------------------------------------------


def test_signing_up_then_confirming_the_address_are_recorded():
    client = browser()
    response = client.post(
        reverse("account_signup"),
        {"email": "nouvelle@exemple.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@exemple.test")
    created = the_event("account.created", user)
    assert created.details == {"email": user.email, "via": "signup"}

    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body)
    assert link is not None, message.body
    assert client.post(link.group(1)).status_code == 302
    confirmed = the_event("account.email_confirmed", user)
    assert confirmed.details == {"email": user.email, "via": "link"}


def test_adding_and_removing_an_address_are_recorded():
    user = UserFactory()
    client = browser()
    log_in(client, user)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "autre@exemple.test"}
    )
    assert response.status_code == 302
    added = the_event("account.email_added", user)
    assert added.details == {"email": "autre@exemple.test"}
    response = client.post(
        reverse("account_email"), {"action_remove": "", "email": "autre@exemple.test"}
    )
    assert response.status_code == 302
    removed = the_event("account.email_removed", user)
    assert removed.details == {"email": "autre@exemple.test"}


# --- Second factors -----------------------------------------------------------------------


def confirm_password(client: Client) -> None:
    """allauth asks for the password again before any change to the second factors."""
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302


def test_adding_and_removing_totp_are_recorded(django_capture_on_commit_callbacks):
    # allauth sends these signals once its change has committed.
    user = UserFactory()
    client = browser()
    log_in(client, user)
    confirm_password(client)
    with django_capture_on_commit_callbacks(execute=True):
        activate_totp(client)
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    added = {event.details["type"] for event in events("account.mfa_added")}
    assert "totp" in added
    for event in events("account.mfa_added"):
        assert (event.actor_id, event.ip, event.user_agent) == (user.pk, IP, USER_AGENT)
        assert event.dossier_id is None

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    # The recovery codes go with the last factor: one event for each authenticator removed.
    removed = {event.details["type"]: event for event in events("account.mfa_removed")}
    assert removed["totp"].details == {"email": user.email, "type": "totp"}
    for event in removed.values():
        assert (event.actor_id, event.ip, event.user_agent) == (user.pk, IP, USER_AGENT)
        assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))


def test_regenerating_recovery_codes_is_recorded(django_capture_on_commit_callbacks):
    user = UserFactory()
    client = browser()
    log_in(client, user)
    confirm_password(client)
    activate_totp(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    event = the_event("account.mfa_reset", user)
    assert event.details["type"] == "recovery_codes"


def test_removing_a_security_key_is_recorded_with_its_name(django_capture_on_commit_callbacks):
    user = UserFactory()
    TOTP.activate(user, SECRET)  # removing the only factor would be refused
    key = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={
            "name": "Clé USB",
            "credential": {"clientExtensionResults": {"credProps": {"rk": True}}},
        },
    )
    client = browser()
    login_with_totp(client, user)
    confirm_password(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_remove_webauthn", kwargs={"pk": key.pk}))
    assert response.status_code == 302
    event = the_event("account.mfa_removed", user)
    assert event.details == {"email": user.email, "type": "webauthn", "name": "Clé USB"}


def test_a_wrong_second_factor_code_is_recorded():
    user = UserFactory()
    TOTP.activate(user, SECRET)
    client = browser()
    assert log_in(client, user)["Location"] == reverse("mfa_authenticate")
    assert not events("account.logged_in")  # not logged in yet: the code is missing
    client.post(reverse("mfa_authenticate"), {"code": another_code(SECRET)})
    failed = the_event("account.mfa_failed", user)
    assert failed.details["type"] == "totp"
    assert failed.details["reauthentication"] is False
    client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    logged_in = the_event("account.logged_in", user)
    assert logged_in.details["methods"] == ["password", "mfa"]


# --- Sessions and the language ------------------------------------------------------------


def test_ending_the_other_sessions_is_recorded_for_each():
    user = UserFactory()
    laptop = browser()
    phone = Client(REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="Téléphone")
    log_in(laptop, user)
    log_in(phone, user)
    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    event = the_event("account.session_revoked", user)
    assert event.details["ip"] == "198.51.100.9"
    assert event.details["user_agent"] == "Téléphone"
    assert "_auth_user_id" not in phone.session


def test_choosing_a_language_on_the_account_is_recorded():
    user = UserFactory(language="fr")
    client = browser()
    log_in(client, user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    event = the_event("account.language_changed", user)
    assert event.details == {"changed": {"language": ["fr", "en"]}}
    # The same choice again changes nothing, and records nothing.
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert len(events("account.language_changed")) == 1


def test_anonymous_language_choice_records_nothing():
    browser().post(reverse("set_language"), {"language": "en", "next": "/"})
    assert not AuditEvent.objects.exists()


# --- Accounts made and addresses proven by an invitation ----------------------------------


def invitation_with_token(email: str, token: str) -> tuple[Invitation, str]:
    owner = MembershipFactory.create(role=Role.OWNER)
    invitation = invitation_create(
        actor=Actor(user=owner.user),
        base_url="http://testserver",
        email=email,
        role=Role.USER,
        access=dossier_access_for(owner.user, owner.dossier.slug),
    )
    # The token only leaves in the email: give the invitation one the test knows.
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=token_digest(token))
    return invitation, token


def test_signing_up_from_an_invitation_records_the_account_made_by_its_owner():
    _invitation, token = invitation_with_token("nouvelle@exemple.test", token="jeton-connu")
    client = browser()
    response = client.post(
        f"/invitations/{token}/signup/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@exemple.test")
    event = the_event("account.created", user)
    assert event.details == {"email": user.email, "email_verified": True, "is_staff": False}
    assert events("invitation.accepted")[0].ip == IP


def test_accepting_an_invitation_sent_to_an_unverified_address_records_its_proof():
    invitee = UserFactory(email="nouvelle@exemple.test")
    invitee.emailaddress_set.update(verified=False)
    _invitation, token = invitation_with_token("nouvelle@exemple.test", token="jeton-connu")
    client = browser()
    client.force_login(invitee)  # an unverified address cannot log in through the form
    assert client.post(f"/invitations/{token}/").status_code == 302
    event = the_event("account.email_confirmed", invitee)
    assert event.details == {"email": invitee.email, "via": "invitation"}
    # Once verified, accepting another invitation proves nothing new: nothing recorded.
    _second, token = invitation_with_token("nouvelle@exemple.test", token="autre-jeton")
    client.post(f"/invitations/{token}/")
    assert len(events("account.email_confirmed")) == 1
