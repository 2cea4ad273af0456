"""Create, overview, settings and deletion of a dossier, through the pages."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory
from comptoir.audit.models import AuditEvent
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.dossiers.models import Dossier, Membership
from comptoir.dossiers.permissions import Role
from comptoir.dossiers.tests.factories import (
    DossierFactory,
    FirmAccessFactory,
    FirmMemberFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """A dossier with one member per role, a firm's accountant and a stranger."""
    dossier = DossierFactory(name="Boulangerie Martin", siren="732829320")
    people = {
        role: MembershipFactory(dossier=dossier, role=role).user
        for role in (Role.OWNER, Role.ADMIN, Role.USER, Role.READ_ONLY)
    }
    firm_access = FirmAccessFactory(dossier=dossier)
    people["firm"] = FirmMemberFactory(firm=firm_access.firm).user
    people["stranger"] = MembershipFactory(role=Role.OWNER).user
    return dossier, people


def url(name: str, dossier: Dossier) -> str:
    return reverse(f"dossiers:{name}", args=[dossier.slug])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def as_user(client, user):
    client.force_login(user)
    return client


def settings_data(dossier: Dossier, **changes) -> dict:
    data = {
        "name": dossier.name,
        "siren": dossier.siren,
        "address": dossier.address,
        "fiscal_year_end_day": dossier.fiscal_year_end_day,
        "fiscal_year_end_month": dossier.fiscal_year_end_month,
    }
    if dossier.require_2fa:
        data["require_2fa"] = "on"
    data.update(changes)
    return data


# --- Create -------------------------------------------------------------------------------


def test_create_needs_a_login(client):
    response = client.get(reverse("dossiers:dossier_create"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_create_page_is_strict_and_french(client):
    response = as_user(client, UserFactory()).get(reverse("dossiers:dossier_create"))
    assert_strict_page(response)
    assert "Créer un dossier" in response.text
    assert 'name="siren"' in response.text


def test_create_makes_the_dossier_and_opens_it(client):
    user = UserFactory()
    response = as_user(client, user).post(
        reverse("dossiers:dossier_create"),
        {
            "name": "Garage du Port",
            "siren": "732 829 320",
            "address": "2 quai Ouest\n29200 Brest",
            "fiscal_year_end_day": "30",
            "fiscal_year_end_month": "6",
        },
    )
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("dossier_home", dossier)
    assert (dossier.siren, dossier.fiscal_year_end_day, dossier.fiscal_year_end_month) == (
        "732829320",
        30,
        6,
    )
    assert Membership.objects.get(dossier=dossier).user == user
    assert Membership.objects.get(dossier=dossier).role == Role.OWNER
    home = client.get(response["Location"])
    assert "Garage du Port" in home.text
    assert "Propriétaire" in home.text
    # The company's details are on the settings page, the home says what to do.
    assert "732 829 320" not in home.text
    settings_page = client.get(url("dossier_settings", dossier))
    assert "732829320" in settings_page.text
    assert "2 quai Ouest" in settings_page.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"siren": "732829321"}, "siren"),  # wrong check digit
        ({"siren": "abc"}, "siren"),
        ({"name": ""}, "name"),
        ({"fiscal_year_end_day": "x"}, "fiscal_year_end_day"),
        ({"fiscal_year_end_day": "30", "fiscal_year_end_month": "2"}, "fiscal_year_end_day"),
        ({"fiscal_year_end_month": "13"}, "fiscal_year_end_month"),
    ],
)
def test_create_refuses_bad_input_with_a_message_and_creates_nothing(client, changes, field):
    data = {
        "name": "Garage du Port",
        "siren": "732829320",
        "fiscal_year_end_day": "31",
        "fiscal_year_end_month": "12",
        **changes,
    }
    response = as_user(client, UserFactory()).post(reverse("dossiers:dossier_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="field-errors"' in response.text
    assert not Dossier.objects.exists()
    assert not AuditEvent.objects.exists()


def test_invalid_siren_message_is_the_models(client):
    response = as_user(client, UserFactory()).post(
        reverse("dossiers:dossier_create"),
        {
            "name": "X",
            "siren": "732829321",
            "fiscal_year_end_day": "31",
            "fiscal_year_end_month": "12",
        },
    )
    assert "Ce numéro SIREN n&#x27;est pas valide" in response.text


# --- Home ---------------------------------------------------------------------------------


def test_home_shows_the_dossier_and_the_owners_links(client, team):
    dossier, people = team
    response = as_user(client, people[Role.OWNER]).get(url("dossier_home", dossier))
    assert_strict_page(response)
    html = response.text
    assert "Boulangerie Martin" in html
    assert url("members", dossier) in html
    assert url("dossier_settings", dossier) in html
    assert url("profiles", dossier) in html
    assert f'href="{url("dossier_home", dossier)}" aria-current="page"' in html
    # The only owner cannot leave: no button that would always say no.
    assert url("dossier_leave", dossier) not in html


def test_home_for_read_only_has_no_management_links(client, team):
    dossier, people = team
    response = as_user(client, people[Role.READ_ONLY]).get(url("dossier_home", dossier))
    assert response.status_code == 200
    assert "Lecture seule" in response.text
    assert url("members", dossier) not in response.text
    assert url("dossier_settings", dossier) not in response.text
    assert url("dossier_leave", dossier) in response.text


def test_a_firms_accountant_sees_the_home_but_no_settings(client, team):
    dossier, people = team
    client = as_user(client, people["firm"])
    home = client.get(url("dossier_home", dossier))
    assert home.status_code == 200
    assert "Comptable" in home.text
    assert url("dossier_settings", dossier) not in home.text
    for name in ("dossier_settings", "dossier_delete", "members", "profiles"):
        assert client.get(url(name, dossier)).status_code == 403, name


@pytest.mark.parametrize("name", ["dossier_home", "dossier_settings", "dossier_delete"])
def test_another_dossiers_owner_gets_404(client, team, name):
    dossier, people = team
    assert as_user(client, people["stranger"]).get(url(name, dossier)).status_code == 404


def test_an_unknown_dossier_is_404(client):
    response = as_user(client, UserFactory()).get("/d/nulle-part/")
    assert response.status_code == 404


# --- Settings -----------------------------------------------------------------------------


def test_settings_update_is_saved_and_audited(client, team):
    dossier, people = team
    client = as_user(client, people[Role.ADMIN])
    page = client.get(url("dossier_settings", dossier))
    assert_strict_page(page)
    assert "Double authentification obligatoire" in page.text
    assert f'href="{url("dossier_settings", dossier)}" aria-current="page"' in page.text
    # An admin may change settings but not delete: no link to the deletion page.
    assert url("dossier_delete", dossier) not in page.text
    response = client.post(
        url("dossier_settings", dossier),
        settings_data(dossier, address="3 rue Neuve", require_2fa="on"),
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.address == "3 rue Neuve"
    assert dossier.require_2fa is True
    event = AuditEvent.objects.get(action="dossier.updated")
    assert event.dossier == dossier
    assert event.actor == people[Role.ADMIN]
    assert set(event.details["changed"]) == {"address", "require_2fa"}
    assert messages_of(response) == ["Les paramètres du dossier sont enregistrés."]


def test_settings_refuse_an_invalid_siren_and_change_nothing(client, team):
    dossier, people = team
    response = as_user(client, people[Role.OWNER]).post(
        url("dossier_settings", dossier), settings_data(dossier, name="Autre", siren="123")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["siren"]
    dossier.refresh_from_db()
    assert dossier.name == "Boulangerie Martin"
    assert not AuditEvent.objects.exists()


def test_settings_can_turn_2fa_off(client, team):
    dossier, people = team
    # While 2FA is required, the owner needs a second factor to reach the page at all.
    Authenticator.objects.create(
        user=people[Role.OWNER], type=Authenticator.Type.TOTP, data={"secret": "X" * 32}
    )
    Dossier.objects.filter(pk=dossier.pk).update(require_2fa=True)
    data = settings_data(dossier)
    data.pop("require_2fa", None)
    as_user(client, people[Role.OWNER]).post(url("dossier_settings", dossier), data)
    dossier.refresh_from_db()
    assert dossier.require_2fa is False


@pytest.mark.parametrize("role", [Role.USER, Role.READ_ONLY])
def test_settings_are_forbidden_below_admin_and_nothing_changes(client, team, role):
    dossier, people = team
    response = as_user(client, people[role]).post(
        url("dossier_settings", dossier), settings_data(dossier, name="Piraté")
    )
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.name == "Boulangerie Martin"


# --- Delete -------------------------------------------------------------------------------


def test_delete_page_asks_for_the_name(client, team):
    dossier, people = team
    response = as_user(client, people[Role.OWNER]).get(url("dossier_delete", dossier))
    assert_strict_page(response)
    assert 'name="confirm_name"' in response.text


def test_delete_with_a_wrong_name_changes_nothing(client, team):
    dossier, people = team
    response = as_user(client, people[Role.OWNER]).post(
        url("dossier_delete", dossier), {"confirm_name": "Boulangerie"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("dossier_delete", dossier)
    assert messages_of(response) == [
        "Le nom saisi ne correspond pas : le dossier n'est pas supprimé."
    ]
    dossier.refresh_from_db()
    assert dossier.deleted_at is None
    assert not AuditEvent.objects.exists()


def test_delete_with_an_empty_name_is_a_form_error(client, team):
    dossier, people = team
    response = as_user(client, people[Role.OWNER]).post(url("dossier_delete", dossier), {})
    assert response.status_code == 200
    assert response.context["form"].errors["confirm_name"]
    dossier.refresh_from_db()
    assert dossier.deleted_at is None


def test_delete_with_the_name_makes_the_dossier_404_for_everyone(client, team):
    dossier, people = team
    response = as_user(client, people[Role.OWNER]).post(
        url("dossier_delete", dossier), {"confirm_name": " Boulangerie Martin "}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:dossier_list")
    assert AuditEvent.objects.filter(action="dossier.deleted", dossier=dossier).exists()
    for person in people.values():
        client.force_login(person)
        assert client.get(url("dossier_home", dossier)).status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.USER, "firm"])
def test_only_the_owner_may_delete(client, team, role):
    dossier, people = team
    response = as_user(client, people[role]).post(
        url("dossier_delete", dossier), {"confirm_name": dossier.name}
    )
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.deleted_at is None
