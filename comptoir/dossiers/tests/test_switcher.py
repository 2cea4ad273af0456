"""The dossier switcher, the full list and the accountant's home.

Scale: an accountant serves hundreds of dossiers, so the fragment and the lists are
pinned to a constant number of queries, measured against 500 dossiers.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.core.tests.test_security_headers import assert_strict_page
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.context_processors import switcher
from comptoir.dossiers.models import Dossier, FirmAccess, FirmMember, Membership
from comptoir.dossiers.permissions import Role
from comptoir.dossiers.selectors import (
    dossier_search,
    dossiers_served,
    firm_seats,
    with_role_labels,
)

pytestmark = pytest.mark.django_db

PROCESSOR = "comptoir.dossiers.context_processors.switcher"
SIREN = "732829320"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _switcher_processor(settings):
    # Until the lead adds it to settings.TEMPLATES.
    engine = settings.TEMPLATES[0]
    processors = engine["OPTIONS"]["context_processors"]
    if PROCESSOR not in processors:
        settings.TEMPLATES = [
            {
                **engine,
                "OPTIONS": {**engine["OPTIONS"], "context_processors": [*processors, PROCESSOR]},
            }
        ]


def person(email: str):
    return user_create(email=email, password="x-Secret-123456", email_verified=True)


def owned(owner, *names: str, siren: str = SIREN) -> list[Dossier]:
    """Many dossiers at once (setup only: the app creates them with dossier_create)."""
    start = Dossier.objects.count()
    dossiers = Dossier.objects.bulk_create(
        Dossier(name=name, slug=f"d{start + i}", siren=siren, created_by=owner)
        for i, name in enumerate(names)
    )
    Membership.objects.bulk_create(
        Membership(dossier=d, user=owner, role=Role.OWNER) for d in dossiers
    )
    return dossiers


def dossier_queries(captured: CaptureQueriesContext) -> list[str]:
    """Queries that fetch dossier rows (other middleware may ask about dossiers too)."""
    return [q["sql"] for q in captured.captured_queries if '"dossiers_dossier"."slug"' in q["sql"]]


# --- Selector -----------------------------------------------------------------------------


def test_search_matches_name_or_siren_alphabetically():
    user = person("claire@exemple.test")
    owned(user, "Zèbre SAS", "boulangerie Dupont", "Atelier Multi", "Studio Multi")
    owned(user, "Garage Bernard", siren="812345676")
    names = [d.name for d in dossier_search(user=user, query="")]
    assert names == [
        "Atelier Multi",
        "boulangerie Dupont",
        "Garage Bernard",
        "Studio Multi",
        "Zèbre SAS",
    ]
    assert [d.name for d in dossier_search(user=user, query="multi")] == [
        "Atelier Multi",
        "Studio Multi",
    ]
    assert [d.name for d in dossier_search(user=user, query="812 345")] == ["Garage Bernard"]
    assert [d.name for d in dossier_search(user=user, query="  ", limit=2)] == [
        "Atelier Multi",
        "boulangerie Dupont",
    ]


def test_search_only_reaches_the_users_dossiers():
    user, other = person("claire@exemple.test"), person("autre@exemple.test")
    owned(user, "Mon Atelier")
    owned(other, "Atelier Voisin")
    gone = owned(user, "Atelier Supprimé")[0]
    Dossier.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    assert [d.name for d in dossier_search(user=user, query="atelier")] == ["Mon Atelier"]


def test_search_includes_what_a_firm_serves_once_each():
    staff, owner = person("staff@cabinet.test"), person("gerant@client.test")
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Test")
    served = owned(owner, "Client Servi")[0]
    FirmAccess.objects.create(dossier=served, firm=firm, granted_by=owner)
    # Also a direct member: still listed once.
    Membership.objects.create(dossier=served, user=staff, role=Role.ACCOUNTANT)
    owned(owner, "Client Pas Servi")
    assert [d.name for d in dossier_search(user=staff, query="client")] == ["Client Servi"]


# --- The switcher fragment ----------------------------------------------------------------


def test_fragment_lists_matches_only_and_marks_the_current(client):
    user, other = person("claire@exemple.test"), person("autre@exemple.test")
    mine = owned(user, "Atelier Multi", "Studio Multi", "Boulangerie")
    owned(other, "Atelier Secret")
    client.force_login(user)
    response = client.get(
        reverse("dossiers:switcher"), {"q": "multi", "current": mine[1].slug}, **HX
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<ul class="switcher-list" id="switcher-list"')
    assert "<html" not in html
    assert "Atelier Multi" in html
    assert "Studio Multi" in html
    assert "Boulangerie" not in html
    assert "Atelier Secret" not in html
    assert f'href="/d/{mine[1].slug}/" aria-current="true"' in html
    assert html.count("aria-current") == 1
    assert "✓" in html
    assert "HX-Request" in response["Vary"]


def test_fragment_never_shows_another_users_dossier_even_by_siren(client):
    user, other = person("claire@exemple.test"), person("autre@exemple.test")
    owned(user, "Le Mien")
    owned(other, "Le Sien", siren="812345676")
    client.force_login(user)
    html = client.get(reverse("dossiers:switcher"), {"q": "812345676"}, **HX).text
    assert "Le Sien" not in html
    assert "Aucun dossier ne correspond." in html


@pytest.mark.parametrize("query", ["", "dossier"])
def test_fragment_is_one_dossier_query_with_500_dossiers(client, query):
    user = person("claire@exemple.test")
    owned(user, *(f"Dossier {n:03}" for n in range(5)))
    client.force_login(user)
    client.get(reverse("dossiers:switcher"), **HX)  # the first request records the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dossiers:switcher"), {"q": query}, **HX)
    owned(user, *(f"Dossier {n:03}" for n in range(5, 500)))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("dossiers:switcher"), {"q": query}, **HX)
    assert response.status_code == 200
    assert len(dossier_queries(many)) == 1
    assert len(many) == len(few)
    # Ids from two subqueries, not a JOIN de-duplicated over every dossier; and the page's
    # 2FA check (every request) reads them the same way.
    assert not any("DISTINCT" in q["sql"] for q in many.captured_queries)
    assert response.text.count("<li>") == 20
    assert "Dossier 000" in response.text
    assert "Dossier 020" not in response.text


def test_without_htmx_the_search_is_the_full_list(client):
    client.force_login(person("claire@exemple.test"))
    response = client.get(reverse("dossiers:switcher"), {"q": "Dupont & fils"})
    assert response.status_code == 302
    assert response["Location"] == "/dossiers/?q=Dupont+%26+fils"
    assert client.get(reverse("dossiers:switcher"))["Location"] == "/dossiers/"


@pytest.mark.parametrize(
    "name", ["dossiers:dossier_list", "dossiers:switcher", "dossiers:accountant_home"]
)
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name), **HX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- The switcher in the top bar ----------------------------------------------------------


def render_switcher(user, dossier_slug: str | None = None) -> str:
    request = RequestFactory().get("/")
    request.user = user
    if dossier_slug:
        request.dossier_access = dossier_access_for(user, dossier_slug)  # type: ignore[attr-defined]
    return render_to_string("dossiers/_switcher.html", request=request)


def test_top_bar_switcher_shows_the_current_dossier_and_a_no_js_search():
    user = person("claire@exemple.test")
    dossiers = owned(user, "Atelier Multi", "Studio Multi")
    html = render_switcher(user, dossiers[1].slug)
    assert '<details class="menu switcher">' in html
    assert '<span class="switcher-current">Studio Multi</span>' in html
    assert f'href="/d/{dossiers[1].slug}/" aria-current="true"' in html
    assert f'href="/d/{dossiers[0].slug}/"' in html
    assert 'method="get" action="/dossiers/"' in html
    assert 'hx-get="/dossiers/switcher/"' in html
    assert 'hx-trigger="input changed delay:200ms, search"' in html
    assert f'"current": "{dossiers[1].slug}"' in html
    assert 'href="/dossiers/">Tous mes dossiers' in html
    assert '<label for="switcher-q">' in html


def test_top_bar_switcher_outside_a_dossier_invites_to_choose():
    user = person("claire@exemple.test")
    owned(user, "Atelier Multi")
    html = render_switcher(user)
    assert "Choisir un dossier" in html
    assert "aria-current" not in html
    assert "hx-vals" not in html


def test_switcher_is_not_rendered_for_anonymous():
    from django.contrib.auth.models import AnonymousUser

    assert "switcher" not in render_switcher(AnonymousUser())


def test_context_processor_is_lazy_and_evaluates_once():
    user = person("claire@exemple.test")
    owned(user, *(f"Dossier {n:02}" for n in range(25)))
    request = RequestFactory().get("/")
    request.user = user
    with CaptureQueriesContext(connection) as captured:
        context = switcher(request)
    assert len(captured) == 0
    assert context["current_dossier"] is None
    with CaptureQueriesContext(connection) as captured:
        assert len(list(context["switcher_dossiers"])) == 20
        assert len(context["switcher_dossiers"]) == 20
    assert len(captured) == 1


def test_context_processor_takes_the_dossier_from_the_request_not_the_session(client):
    user = person("claire@exemple.test")
    dossier = owned(user, "Atelier Multi")[0]
    request = RequestFactory().get(f"/d/{dossier.slug}/")
    request.user = user
    request.dossier_access = dossier_access_for(user, dossier.slug)
    assert switcher(request)["current_dossier"] == dossier
    # Browsing the lists keeps nothing about dossiers in the session (two tabs, two dossiers).
    client.force_login(user)
    before = set(client.session.keys())
    client.get(reverse("dossiers:dossier_list"))
    client.get(reverse("dossiers:switcher"), {"q": "a", "current": dossier.slug}, **HX)
    client.get(reverse("core:home"))
    assert set(client.session.keys()) == before


# --- The full list ------------------------------------------------------------------------


def test_list_searches_paginates_and_shows_the_role(client):
    user = person("claire@exemple.test")
    owned(user, *(f"Dossier {n:03}" for n in range(60)))
    owned(user, "Boulangerie Dupont")
    client.force_login(user)
    page1 = client.get(reverse("dossiers:dossier_list"))
    assert page1.status_code == 200
    assert len(page1.context["page"].object_list) == 50
    assert "61 dossiers" in page1.text
    assert "Propriétaire" in page1.text
    page2 = client.get(reverse("dossiers:dossier_list"), {"page": 2})
    assert len(page2.context["page"].object_list) == 11
    found = client.get(reverse("dossiers:dossier_list"), {"q": "dupont"})
    assert [d.name for d in found.context["page"].object_list] == ["Boulangerie Dupont"]
    assert 'value="dupont"' in found.text
    none = client.get(reverse("dossiers:dossier_list"), {"q": "introuvable"})
    assert "Aucun dossier ne correspond" in none.text


def test_pagination_keeps_the_search(client):
    user = person("claire@exemple.test")
    owned(user, *(f"Dossier {n:03}" for n in range(60)))
    client.force_login(user)
    html = client.get(reverse("dossiers:dossier_list"), {"q": "dossier"}).text
    assert 'href="?q=dossier&amp;page=2"' in html


def test_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    user = person("claire@exemple.test")
    owned(user, *(f"Dossier {n:03}" for n in range(3)))
    client.force_login(user)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("dossiers:dossier_list"))
    owned(user, *(f"Autre {n:03}" for n in range(60)))
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("dossiers:dossier_list"))


@pytest.mark.parametrize("name", ["dossiers:dossier_list", "dossiers:accountant_home"])
def test_pages_are_strict(client, name):
    user = person("claire@exemple.test")
    owned(user, "Atelier Multi")
    client.force_login(user)
    assert_strict_page(client.get(reverse(name)))


# --- The accountant's home ----------------------------------------------------------------


@pytest.fixture
def accountant_world():
    staff, owner = person("staff@cabinet.test"), person("gerant@client.test")
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Martin")
    served = owned(owner, "Client Servi", "Client Aussi")
    for dossier in served:
        FirmAccess.objects.create(dossier=dossier, firm=firm, granted_by=owner)
    Membership.objects.create(dossier=served[0], user=person("salarie@client.test"), role="user")
    invited = owned(owner, "Client Invité")[0]
    Membership.objects.create(dossier=invited, user=staff, role=Role.ACCOUNTANT)
    owned(owner, "Client Étranger")
    owned(staff, "Mon Entreprise")  # its own business: owned, not served
    return {"staff": staff, "firm": firm, "served": served, "invited": invited}


def test_accountant_home_lists_what_the_user_serves(client, accountant_world):
    staff = accountant_world["staff"]
    rows = list(dossiers_served(user=staff))
    assert [d.name for d in rows] == ["Client Aussi", "Client Invité", "Client Servi"]
    by_name = {d.name: d for d in rows}
    assert by_name["Client Servi"].served_firm == "Cabinet Martin"
    assert by_name["Client Servi"].members_count == 2
    assert by_name["Client Invité"].served_firm is None
    assert by_name["Client Invité"].served_since is not None
    client.force_login(staff)
    response = client.get(reverse("dossiers:accountant_home"))
    html = response.text
    assert [d.name for d in response.context["page"].object_list] == [d.name for d in rows]
    assert "Client Étranger" not in html
    assert "Cabinet Martin" in html
    assert "Vous (comptable invité)" in html
    assert "3 dossiers servis" in html


def test_accountant_home_lists_the_users_firms(accountant_world):
    seats = firm_seats(user=accountant_world["staff"])
    assert [(s.firm.name, s.is_admin, s.dossiers_count) for s in seats] == [
        ("Cabinet Martin", True, 2)
    ]


def test_accountant_home_searches(client, accountant_world):
    client.force_login(accountant_world["staff"])
    response = client.get(reverse("dossiers:accountant_home"), {"q": "aussi"})
    assert [d.name for d in response.context["page"].object_list] == ["Client Aussi"]


def test_accountant_home_query_count_is_constant(
    client, accountant_world, django_assert_max_num_queries
):
    staff, firm = accountant_world["staff"], accountant_world["firm"]
    client.force_login(staff)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("dossiers:accountant_home")).status_code == 200
    owner = person("autre-gerant@client.test")
    for dossier in owned(owner, *(f"Client {n:02}" for n in range(30))):
        FirmAccess.objects.create(dossier=dossier, firm=firm, granted_by=owner)
    FirmMember.objects.create(firm=firm_create(actor=Actor(user=owner), name="Autre"), user=staff)
    with django_assert_max_num_queries(len(small)):
        response = client.get(reverse("dossiers:accountant_home"))
    assert len(response.context["page"].object_list) == 33


def test_accountant_home_without_anything_served(client):
    client.force_login(person("claire@exemple.test"))
    html = client.get(reverse("dossiers:accountant_home")).text
    assert "Vous ne servez encore aucun dossier." in html
    assert "Vous ne faites partie d'aucun cabinet." in html


def test_role_labels_follow_the_access_rules():
    staff, owner = person("staff@cabinet.test"), person("gerant@client.test")
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Martin")
    served, mine = owned(owner, "Servi", "Le Mien")
    FirmAccess.objects.create(dossier=served, firm=firm, granted_by=owner)
    Membership.objects.create(dossier=mine, user=staff, role=Role.ADMIN)
    FirmAccess.objects.create(dossier=mine, firm=firm, granted_by=owner)
    employee = dossier_create(actor=Actor(user=owner), name="Employeur", siren=SIREN)
    Membership.objects.create(dossier=employee, user=staff, role=Role.USER)
    from comptoir.dossiers.selectors import dossier_rows

    labels = {d.name: d.role_label for d in with_role_labels(list(dossier_rows(user=staff)))}
    assert labels == {
        "Servi": "Comptable (via Cabinet Martin)",
        "Le Mien": "Administrateur",
        "Employeur": "Utilisateur",
    }
    for dossier in Dossier.objects.filter(name__in=labels):
        assert labels[dossier.name].startswith(
            str(dossier_access_for(staff, dossier.slug).role_label)
        )


def test_the_current_dossier_stays_in_the_switcher_beyond_the_first_twenty():
    user = person("claire@exemple.test")
    dossiers = owned(user, *(f"Dossier {n:02}" for n in range(30)))
    html = render_switcher(user, dossiers[25].slug)
    assert html.count("<li>") == 20
    assert "Dossier 25" in html
    assert f'href="/d/{dossiers[25].slug}/" aria-current="true"' in html


def test_switching_dossier_keeps_the_section(client):
    user = person("claire@exemple.test")
    first = dossier_create(actor=Actor(user=user), name="Atelier Multi", siren=SIREN)
    second = dossier_create(actor=Actor(user=user), name="Studio Multi", siren=SIREN)
    client.force_login(user)
    documents = client.get(reverse("documents:document_list", args=[first.slug])).text
    assert f'href="/d/{second.slug}/documents/"' in documents
    home = client.get(reverse("dossiers:dossier_home", args=[first.slug])).text
    assert f'href="/d/{second.slug}/"' in home
    # The htmx search keeps it too; an unknown section falls back to the home.
    fragment = client.get(
        reverse("dossiers:switcher"), {"q": "studio", "section": "assignments"}, **HX
    ).text
    assert f'href="/d/{second.slug}/tasks/"' in fragment
    fragment = client.get(
        reverse("dossiers:switcher"), {"q": "studio", "section": "nope"}, **HX
    ).text
    assert f'href="/d/{second.slug}/"' in fragment


def test_the_owners_administration_entries_are_grouped(client):
    user = person("claire@exemple.test")
    dossier = dossier_create(actor=Actor(user=user), name="Atelier Multi", siren=SIREN)
    client.force_login(user)
    html = client.get(reverse("dossiers:dossier_home", args=[dossier.slug])).text
    heading = html.index('<li class="nav-group">Administration</li>')
    for name in ("members", "profiles", "dossier_settings"):
        assert html.index(reverse(f"dossiers:{name}", args=[dossier.slug])) > heading
