"""Two-factor authentication (allauth.mfa), sessions (allauth.usersessions) and the
"2FA required" policy of dossiers and firms (RequireTwoFactorMiddleware)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.usersessions.models import UserSession
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.selectors import (
    TwoFactorRequirement,
    two_factor_requirement,
    user_requires_2fa,
)
from comptoir.accounts.tests.factories import PASSWORD, UserFactory
from comptoir.audit.actions import Actor
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import Dossier, Firm, FirmAccess, FirmMember, Membership
from comptoir.dossiers.permissions import Role

pytestmark = pytest.mark.django_db

SIREN = "732829320"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SETUP_URL = "/accounts/2fa/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and "TOTP code already used" marks live in the cache, keyed by user id;
    # ids repeat between tests once their transactions are rolled back.
    cache.clear()
    yield
    cache.clear()


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now (RFC 6238: 30 s periods, 6 digits)."""
    if time.time() % 30 > 28:
        time.sleep(2.5)  # never compute a code at the very end of its period
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def another_code(secret: str) -> str:
    return "000000" if totp_code(secret) != "000000" else "111111"


def login(client: Client, user) -> None:
    """Log in through the form (allauth records how), then confirm the password, which
    allauth asks for before any change to the second factors."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response
    assert "_auth_user_id" in client.session
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def activate_totp(client: Client) -> str:
    """Activate TOTP through the page, as a person does; returns the secret."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.context and response.context["form"].errors
    return secret


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def dossier_for(owner, *, name: str = "Always Clean SARL", require_2fa: bool = False) -> Dossier:
    dossier = dossier_create(actor=Actor(user=owner), name=name, siren=SIREN)
    if require_2fa:
        Dossier.objects.filter(pk=dossier.pk).update(require_2fa=True)
        dossier.refresh_from_db()
    return dossier


def member_of(dossier, *, role=Role.USER):
    user = UserFactory()
    Membership.objects.create(dossier=dossier, user=user, role=role)
    return user


# --- The pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["mfa_index", "mfa_activate_totp", "mfa_list_webauthn", "usersessions_list"]
)
def test_two_factor_pages_render_in_our_layout_under_the_strict_csp(client, name):
    login(client, UserFactory())
    response = client.get(reverse(name))
    assert_strict_page(response)
    html = response.text
    assert 'class="sidenav"' in html  # our layout, not allauth's bare one
    assert f'href="{reverse("mfa_index")}"' in html
    assert f'href="{reverse("usersessions_list")}"' in html


def test_the_add_key_page_loads_allauths_scripts_from_our_origin(client):
    login(client, UserFactory())
    response = client.get(reverse("mfa_add_webauthn"))
    assert_strict_page(response)
    assert 'src="/static/mfa/js/webauthn.js"' in response.text
    assert 'data-allauth-onload="allauth.webauthn.forms.addForm" type="application/json"' in (
        response.text
    )


def test_the_activation_page_shows_the_qr_code_as_an_image_and_the_secret_as_text(client):
    login(client, UserFactory())
    response = client.get(reverse("mfa_activate_totp"))
    secret = response.context["form"].secret
    assert 'src="data:image/svg+xml;base64,' in response.text
    assert f'value="{secret}"' in response.text
    assert "otpauth://totp/" in response.text
    assert "img-src 'self' data:" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name", ["mfa_index", "mfa_view_recovery_codes", "mfa_generate_recovery_codes"]
)
def test_pages_of_a_user_with_two_factor_render_strict(client, name):
    user = UserFactory()
    TOTP.activate(user, SECRET)
    RecoveryCodes.activate(user)
    login_with_totp(client, user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert_strict_page(client.get(reverse(name)))


def test_security_keys_are_listed_renamed_and_removed(client):
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
    login_with_totp(client, user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    listing = client.get(reverse("mfa_list_webauthn"))
    assert_strict_page(listing)
    assert "Clé USB" in listing.text
    assert "Clé d'accès" in listing.text
    assert "Jamais utilisée." in listing.text

    edit_url = reverse("mfa_edit_webauthn", kwargs={"pk": key.pk})
    assert_strict_page(client.get(edit_url))
    assert client.post(edit_url, {"name": "Téléphone"}).status_code == 302
    key.refresh_from_db()
    assert key.data["name"] == "Téléphone"

    remove_url = reverse("mfa_remove_webauthn", kwargs={"pk": key.pk})
    confirm = client.get(remove_url)
    assert_strict_page(confirm)
    assert "« Téléphone »" in confirm.text
    assert client.post(remove_url).status_code == 302
    assert not Authenticator.objects.filter(pk=key.pk).exists()


# --- TOTP ------------------------------------------------------------------------------


def test_activating_totp_with_the_right_code_works_and_gives_recovery_codes(client):
    user = UserFactory()
    login(client, user)
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    codes_page = client.get(response["Location"])
    assert_strict_page(codes_page)
    unused = codes_page.context["unused_codes"]
    assert len(unused) == 10
    assert all(code in codes_page.text for code in unused)
    assert 'id="recovery_codes"' in codes_page.text


def test_activating_totp_with_a_wrong_code_is_refused(client):
    user = UserFactory()
    login(client, user)
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": another_code(secret)})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert 'aria-invalid="true"' in response.text
    assert not Authenticator.objects.filter(user=user).exists()
    # The same secret is kept for the next try.
    assert response.context["form"].secret == secret


def login_with_totp(client: Client, user, *, secret: str = SECRET):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})


def test_login_asks_for_the_code_once_totp_is_active(client):
    user = UserFactory()
    TOTP.activate(user, SECRET)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("mfa_authenticate"))
    assert_strict_page(page)
    assert 'autocomplete="one-time-code"' in page.text

    wrong = client.post(reverse("mfa_authenticate"), {"code": another_code(SECRET)})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_recovery_code_replaces_the_app_once(client):
    user = UserFactory()
    TOTP.activate(user, SECRET)
    code = RecoveryCodes.activate(user).get_unused_codes()[0]
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    other = Client()
    other.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert other.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert "_auth_user_id" not in other.session


# --- Sessions --------------------------------------------------------------------------


def test_sessions_page_lists_the_current_session(client):
    user = UserFactory()
    login(client, user)
    response = client.get(reverse("usersessions_list"), HTTP_USER_AGENT="Navigateur A")
    assert_strict_page(response)
    assert len(response.context["sessions"]) == 1
    assert response.context["sessions"][0].is_current
    assert "Cette session" in response.text


def test_signing_out_the_other_sessions_logs_the_other_browser_out():
    user = UserFactory()
    laptop, phone = Client(HTTP_USER_AGENT="Ordinateur"), Client(HTTP_USER_AGENT="Téléphone")
    login(laptop, user)
    login(phone, user)
    assert UserSession.objects.filter(user=user).count() == 2
    page = laptop.get(reverse("usersessions_list"))
    assert len(page.context["sessions"]) == 2
    assert "Ordinateur" in page.text
    assert "Téléphone" in page.text
    assert page.context["session_count"] == 2

    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    assert phone.get(reverse("account_email"))["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in phone.session
    assert laptop.get(reverse("account_email")).status_code == 200
    assert UserSession.objects.filter(user=user).count() == 1


# --- Who must have 2FA -----------------------------------------------------------------


def test_no_requirement_without_a_dossier_or_firm_that_asks_for_it():
    owner = UserFactory()
    dossier_for(owner)
    assert user_requires_2fa(user=owner) is None
    assert user_requires_2fa(user=UserFactory()) is None


def test_a_member_of_a_dossier_that_requires_2fa_must_have_it():
    dossier = dossier_for(UserFactory(), name="Always Clean SARL", require_2fa=True)
    member = member_of(dossier, role=Role.READ_ONLY)
    assert user_requires_2fa(user=member) == "Always Clean SARL"
    assert two_factor_requirement(user=member) == TwoFactorRequirement(
        kind="dossier", name="Always Clean SARL"
    )


def test_a_deleted_dossier_requires_nothing():
    dossier = dossier_for(UserFactory(), require_2fa=True)
    member = member_of(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(deleted_at=timezone.now())
    assert user_requires_2fa(user=member) is None


def test_a_dossier_reached_through_a_firm_requires_2fa_of_the_firms_staff():
    dossier = dossier_for(UserFactory(), name="Boulangerie Dupont", require_2fa=True)
    accountant = UserFactory()
    firm = firm_create(actor=Actor(user=accountant), name="Cabinet Martin")
    assert user_requires_2fa(user=accountant) is None
    FirmAccess.objects.create(dossier=dossier, firm=firm)
    assert user_requires_2fa(user=accountant) == "Boulangerie Dupont"


def test_a_firm_that_requires_2fa_requires_it_of_all_its_staff():
    admin = UserFactory()
    firm = firm_create(actor=Actor(user=admin), name="Cabinet Martin")
    assistant = UserFactory()
    FirmMember.objects.create(firm=firm, user=assistant)
    Firm.objects.filter(pk=firm.pk).update(require_2fa=True)
    for user in (admin, assistant):
        assert two_factor_requirement(user=user) == TwoFactorRequirement(
            kind="firm", name="Cabinet Martin"
        )


def test_the_requirement_is_one_query(django_assert_num_queries):
    dossier = dossier_for(UserFactory(), require_2fa=True)
    member = member_of(dossier)
    firm = firm_create(actor=Actor(user=member), name="Cabinet")
    Firm.objects.filter(pk=firm.pk).update(require_2fa=True)
    with django_assert_num_queries(1):
        assert two_factor_requirement(user=member).kind == "dossier"  # type: ignore[union-attr]
    outsider = UserFactory()
    with django_assert_num_queries(1):
        assert two_factor_requirement(user=outsider) is None


# --- The middleware --------------------------------------------------------------------


@pytest.fixture
def required_member():
    dossier = dossier_for(UserFactory(), name="Always Clean SARL", require_2fa=True)
    return dossier, member_of(dossier)


def test_a_member_without_2fa_is_sent_to_the_setup_page_with_the_reason(client, required_member):
    dossier, member = required_member
    client.force_login(member)
    for url in ["/", f"/d/{dossier.slug}/", reverse("dossiers:dossier_list")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == SETUP_URL
    page = client.get(SETUP_URL)
    assert_strict_page(page)
    assert "Le dossier « Always Clean SARL » exige la double authentification" in page.text
    # Redirected three times, told once.
    assert page.text.count("exige la double authentification") == 1


def test_posts_are_redirected_too_and_change_nothing(client, required_member):
    dossier, member = required_member
    client.force_login(member)
    response = client.post(f"/d/{dossier.slug}/leave/")
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL
    assert Membership.objects.filter(dossier=dossier, user=member).exists()


def test_htmx_requests_get_a_full_page_redirect(client, required_member):
    _dossier, member = required_member
    client.force_login(member)
    response = client.get(reverse("dossiers:switcher"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == SETUP_URL


@pytest.mark.parametrize(
    "name",
    [
        "mfa_index",
        "mfa_list_webauthn",
        "account_email",
        "account_change_password",
        "account_reauthenticate",
        "core:healthz",
    ],
)
def test_the_setup_pages_and_account_basics_stay_reachable(client, required_member, name):
    _dossier, member = required_member
    client.force_login(member)
    assert client.get(reverse(name)).status_code == 200


def test_the_activation_page_is_reachable_after_confirming_the_password(client, required_member):
    _dossier, member = required_member
    login(client, member)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_language_switch_and_logout_stay_reachable(client, required_member):
    _dossier, member = required_member
    client.force_login(member)
    response = client.post(reverse("set_language"), {"language": "en", "next": SETUP_URL})
    assert response["Location"] == SETUP_URL
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] != SETUP_URL
    assert "_auth_user_id" not in client.session


def test_after_activating_totp_the_member_passes(client, required_member):
    dossier, member = required_member
    login(client, member)
    assert client.get("/").status_code == 302
    activate_totp(client)
    assert client.get("/").status_code == 200
    assert client.get(f"/d/{dossier.slug}/").status_code == 200


def test_a_security_key_counts_but_recovery_codes_alone_do_not(client, required_member):
    dossier, member = required_member
    client.force_login(member)
    Authenticator.objects.create(user=member, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert client.get(f"/d/{dossier.slug}/").status_code == 302
    Authenticator.objects.create(user=member, type=Authenticator.Type.WEBAUTHN, data={})
    assert client.get(f"/d/{dossier.slug}/").status_code == 200


def test_a_user_without_such_a_dossier_is_not_redirected(client):
    owner = UserFactory()
    dossier = dossier_for(owner)
    client.force_login(owner)
    assert client.get("/").status_code == 200
    assert client.get(f"/d/{dossier.slug}/").status_code == 200


def test_access_withdrawn_lifts_the_requirement_on_the_next_request(client, required_member):
    dossier, member = required_member
    client.force_login(member)
    assert client.get("/").status_code == 302
    Membership.objects.filter(dossier=dossier, user=member).delete()
    assert client.get("/").status_code == 200


def test_the_policy_switched_on_applies_on_the_next_request(client):
    owner = UserFactory()
    dossier = dossier_for(owner)
    client.force_login(owner)
    assert client.get("/").status_code == 200
    Dossier.objects.filter(pk=dossier.pk).update(require_2fa=True)
    assert client.get("/")["Location"] == SETUP_URL


def test_a_firms_requirement_applies_to_its_staff(client):
    admin = UserFactory()
    firm = firm_create(actor=Actor(user=admin), name="Cabinet Martin")
    assistant = UserFactory()
    FirmMember.objects.create(firm=firm, user=assistant)
    outsider = UserFactory()
    Firm.objects.filter(pk=firm.pk).update(require_2fa=True)

    client.force_login(assistant)
    response = client.get("/")
    assert response["Location"] == SETUP_URL
    assert message_texts(response) == [
        "Le cabinet « Cabinet Martin » exige la double authentification : activez une "
        "application d'authentification ou une clé d'accès pour continuer."
    ]
    client.force_login(outsider)
    assert client.get("/").status_code == 200


def test_firm_staff_reaching_a_required_dossier_is_redirected(client):
    dossier = dossier_for(UserFactory(), name="Boulangerie Dupont", require_2fa=True)
    accountant = UserFactory()
    firm = firm_create(actor=Actor(user=accountant), name="Cabinet Martin")
    FirmAccess.objects.create(dossier=dossier, firm=firm)
    client.force_login(accountant)
    response = client.get(f"/d/{dossier.slug}/")
    assert response["Location"] == SETUP_URL
    assert "« Boulangerie Dupont »" in message_texts(response)[0]


def test_anonymous_visitors_are_left_to_the_login(client):
    response = client.get("/")
    assert response["Location"] == reverse("account_login")
