import pytest
from django.urls import reverse

from comptoir.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_lands_on_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")


def test_logged_in_user_sees_their_account(client):
    user = UserFactory(email="claire@exemple.test")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "claire@exemple.test" in response.text
    assert response["Cache-Control"] == "private, no-store"


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_home_refuses_post(client):
    assert client.post("/").status_code == 405


# --- "Mes dossiers" -----------------------------------------------------------------------

SWITCHER_PROCESSOR = "comptoir.dossiers.context_processors.switcher"


@pytest.fixture
def with_switcher(settings):
    # Until the lead adds it to settings.TEMPLATES: the top bar's switcher on every page.
    engine = settings.TEMPLATES[0]
    processors = engine["OPTIONS"]["context_processors"]
    if SWITCHER_PROCESSOR not in processors:
        settings.TEMPLATES = [
            {
                **engine,
                "OPTIONS": {
                    **engine["OPTIONS"],
                    "context_processors": [*processors, SWITCHER_PROCESSOR],
                },
            }
        ]


def _dossier(owner, name, siren="732829320"):
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.actions import dossier_create

    return dossier_create(actor=Actor(user=owner), name=name, siren=siren)


def _firm_serving(staff, *dossiers):
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.actions import firm_create
    from comptoir.dossiers.models import FirmAccess

    firm = firm_create(actor=Actor(user=staff), name="Cabinet Martin & Associés")
    for dossier in dossiers:
        FirmAccess.objects.create(dossier=dossier, firm=firm)
    return firm


def test_home_lists_my_dossiers_with_my_role(client, with_switcher):
    user = UserFactory(email="claire@exemple.test")
    owner = UserFactory()
    _dossier(user, "Atelier Multi")
    served = _dossier(owner, "Boulangerie Dupont", siren="812345676")
    _dossier(owner, "Pas Le Mien")
    _firm_serving(user, served)
    client.force_login(user)
    response = client.get("/")
    html = response.text
    assert [d.name for d in response.context["dossiers"]] == ["Atelier Multi", "Boulangerie Dupont"]
    assert "Pas Le Mien" not in html
    assert "732 829 320" in html
    assert "Propriétaire" in html
    assert "Comptable (via Cabinet Martin &amp; Associés)" in html
    assert 'href="/d/atelier-multi/"' in html
    assert 'action="/dossiers/"' in html  # the search box, a plain GET form
    assert 'name="q"' in html


def test_home_offers_the_accountant_home_to_firm_staff_only(client):
    staff, owner = UserFactory(), UserFactory()
    _firm_serving(staff)
    _dossier(owner, "Always Clean SARL")
    client.force_login(staff)
    assert 'href="/comptable/"' in client.get("/").text
    client.force_login(owner)
    assert 'href="/comptable/"' not in client.get("/").text


def test_home_without_dossiers_says_so(client):
    client.force_login(UserFactory())
    assert "Vous n'avez encore aucun dossier." in client.get("/").text


def test_home_links_to_the_full_list_beyond_fifty(client):
    from comptoir.dossiers.models import Dossier, Membership

    user = UserFactory()
    dossiers = Dossier.objects.bulk_create(
        Dossier(name=f"Dossier {n:02}", slug=f"dossier-{n}", siren="732829320") for n in range(51)
    )
    Membership.objects.bulk_create(Membership(dossier=d, user=user, role="owner") for d in dossiers)
    client.force_login(user)
    response = client.get("/")
    assert len(response.context["dossiers"]) == 50
    assert "Voir tous mes dossiers" in response.text


def test_home_query_count_does_not_grow_with_dossiers(
    client, with_switcher, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user, owner = UserFactory(), UserFactory()
    firm_dossiers = [_dossier(owner, f"Client {n}") for n in range(2)]
    _firm_serving(user, *firm_dossiers)
    _dossier(user, "Le Mien")
    client.force_login(user)
    client.get("/")  # the first request records the session
    with CaptureQueriesContext(connection) as three:
        assert len(client.get("/").context["dossiers"]) == 3
    firm_dossiers += [_dossier(owner, f"Client bis {n}") for n in range(15)]
    _firm_serving(user, *firm_dossiers[2:])
    for n in range(12):
        _dossier(user, f"Encore {n}")
    with django_assert_max_num_queries(len(three)):
        response = client.get("/")
    assert len(response.context["dossiers"]) == 30
