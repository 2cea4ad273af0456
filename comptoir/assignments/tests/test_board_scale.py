"""The board for a firm serving many dossiers: the row query selects only what a row
shows (no GROUP BY, no password hash, no message), no separate COUNT, no repeated join
over the dossiers, and the same number of queries for 25 or 125 dossiers."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.core.forms import DATALIST_MAX
from comptoir.dossiers.models import Dossier, FirmAccess

from ..models import Task, TaskKind
from .conftest import client_for, make_task


def _serve(office, count: int, start: int = 0) -> list[Dossier]:
    dossiers = Dossier.objects.bulk_create(
        Dossier(name=f"Client {n:04d} SAS", slug=f"client-{n:04d}", siren="732829320")
        for n in range(start, start + count)
    )
    FirmAccess.objects.bulk_create(FirmAccess(firm=office["firm"], dossier=d) for d in dossiers)
    Task.objects.bulk_create(
        Task(dossier=d, kind=TaskKind.UPLOAD, title=f"Pièces {d.name}", message="x" * 500)
        for d in dossiers
    )
    return dossiers


def _get(client, query: str = "") -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("assignments:board") + query)
    assert response.status_code == 200
    return [q["sql"] for q in queries], response.content.decode()


def test_board_queries_are_few_and_narrow(office):
    make_task(office, by="staff", to=("owner", "user"))
    _serve(office, 25)
    staff = client_for(office["users"]["staff"])
    staff.get(reverse("assignments:board"))
    few, _html = _get(staff)
    _serve(office, 100, start=25)
    many, html = _get(staff)
    assert len(few) == len(many)
    task_queries = [sql for sql in many if 'FROM "assignments_task"' in sql]
    # The tab counts (one query, which the paginator reuses) and the rows.
    assert len(task_queries) == 2, task_queries
    rows = next(sql for sql in task_queries if "LIMIT" in sql)
    # Step counts are two correlated subqueries grouped by their task: no outer GROUP BY.
    assert rows.count("GROUP BY") == 2
    assert 'GROUP BY "U0"."task_id"' in rows
    assert 'GROUP BY "assignments_task"' not in rows
    assert "password" not in rows
    assert '"message"' not in rows
    assert not any('"dossiers_firmaccess"' in sql for sql in task_queries)
    assert '<select id="board-dossier"' not in html
    datalist = html.split('<datalist id="board-dossier-options">')[1].split("</datalist>")[0]
    assert datalist.count("<option ") == DATALIST_MAX


def test_board_dossier_filter_by_name_or_id(office):
    dossiers = _serve(office, 60)
    staff = client_for(office["users"]["staff"])
    chosen = dossiers[33]
    for value in (chosen.name, chosen.name.lower(), str(chosen.pk)):
        response = staff.get(reverse("assignments:board"), {"dossier": value})
        assert [t.dossier_id for t in response.context["tasks"]] == [chosen.pk]
        assert f'value="{chosen.name}"' in response.content.decode()
    response = staff.get(reverse("assignments:board"), {"dossier": "Beta SAS"})
    assert len(response.context["tasks"]) == 25  # unknown: no filter
    assert response.context["page"].paginator.count == Task.objects.filter(state="open").count()
