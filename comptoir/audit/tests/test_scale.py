"""The journal across dossiers for a firm serving many dossiers: no <select> of every
dossier, the same number of queries for 25 or 70 dossiers, and an unfiltered page read
along the primary key (no sort of every event before the LIMIT)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.accounts.actions import user_create
from comptoir.audit.access import WALK_MIN, events_visible_across
from comptoir.audit.forms import DATALIST_MAX
from comptoir.audit.models import AuditEvent
from comptoir.audit.selectors import newest_first
from comptoir.audit.tests.test_views import event
from comptoir.dossiers.models import Dossier, Firm, FirmAccess, FirmMember


def _serve(firm: Firm, count: int, start: int = 0) -> list[Dossier]:
    dossiers = Dossier.objects.bulk_create(
        Dossier(name=f"Client {n:04d} SAS", slug=f"client-{n:04d}", siren="732829320")
        for n in range(start, start + count)
    )
    FirmAccess.objects.bulk_create(FirmAccess(firm=firm, dossier=d) for d in dossiers)
    return dossiers


@pytest.fixture
def firm(db):
    staff = user_create(email="staff@martin.test", password="x-Secret-123456", email_verified=True)
    firm = Firm.objects.create(name="Cabinet Martin", slug="cabinet-martin")
    FirmMember.objects.create(firm=firm, user=staff)
    client = Client()
    client.force_login(staff)
    return {"staff": staff, "firm": firm, "client": client}


def _count(client: Client, query: dict | None = None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("audit:log_across"), query or {})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_many_dossiers_no_select_and_constant_queries(firm):
    dossiers = _serve(firm["firm"], 25)
    for dossier in dossiers[:3]:
        event(dossier, firm["staff"])
    client = firm["client"]
    client.get(reverse("audit:log_across"))  # the session settles
    few, _page = _count(client)
    dossiers += _serve(firm["firm"], 150, start=25)
    for dossier in dossiers[-3:]:
        event(dossier, firm["staff"])
    many, page = _count(client)
    assert few == many
    assert '<select name="dossier"' not in page
    assert page.count('<option value="Client ') == DATALIST_MAX
    assert 'list="log-dossier-options"' in page


def test_a_dossier_is_chosen_by_its_name_or_its_id(firm):
    dossiers = _serve(firm["firm"], 60)
    chosen = dossiers[42]
    mine = event(chosen, firm["staff"])
    event(dossiers[7], firm["staff"])
    client = firm["client"]
    for value in (chosen.name, chosen.name.upper(), str(chosen.pk)):
        response = client.get(reverse("audit:log_across"), {"dossier": value})
        assert [row.event.pk for row in response.context["rows"]] == [mine.pk]
        assert response.context["filters"].dossier == chosen.pk
        # Shown by name, links carry the id.
        assert f'value="{chosen.name}"' in response.content.decode()
        assert f"dossier={chosen.pk}" in response.context["filters_query"]


def test_an_unknown_or_foreign_dossier_is_an_error_not_a_filter(firm):
    _serve(firm["firm"], 60)
    foreign = Dossier.objects.create(name="Beta SAS", slug="beta", siren="732829320")
    client = firm["client"]
    for value in ("Beta SAS", str(foreign.pk), "nothing like it"):
        response = client.get(reverse("audit:log_across"), {"dossier": value})
        assert response.status_code == 200
        assert "dossier" in response.context["form"].errors
        assert response.context["filters"].dossier is None


def test_a_person_is_chosen_by_address_beyond_the_offered_list(firm):
    dossiers = _serve(firm["firm"], 60)
    people = [
        user_create(email=f"p{n:03d}@client.test", password="x-Secret-123456", email_verified=True)
        for n in range(DATALIST_MAX + 5)
    ]
    FirmMember.objects.bulk_create(FirmMember(firm=firm["firm"], user=p) for p in people)
    last = people[-1]
    mine = event(dossiers[0], last)
    event(dossiers[1], firm["staff"])
    response = firm["client"].get(reverse("audit:log_across"), {"actor": "P104@client.test"})
    assert response.context["filters"].actor == last.pk
    assert [row.event.pk for row in response.context["rows"]] == [mine.pk]
    response = firm["client"].get(reverse("audit:log_across"), {"actor": "nobody@else.test"})
    assert "actor" in response.context["form"].errors


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan")
def test_an_unfiltered_page_walks_the_primary_key_without_sorting(firm):
    dossiers = _serve(firm["firm"], WALK_MIN + 5)
    ids = [d.pk for d in dossiers]
    walked = newest_first(events_visible_across(firm["staff"], dossiers, walk_by_id=True))
    sql, params = walked[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    assert "TEMP B-TREE" not in plan, plan
    assert "audit_dossier" not in plan, plan
    # The same events as the indexed form, in the same order.
    for n in range(30):
        event(dossiers[n % len(dossiers)], firm["staff"])
    indexed = newest_first(AuditEvent.objects.filter(dossier_id__in=ids))
    assert [e.pk for e in walked[:51]] == [e.pk for e in indexed[:51]]
