"""The Tâches screen of a dossier, the accountant's board and the accountant home counts."""

from __future__ import annotations

import datetime

from django.urls import reverse

from comptoir.audit.actions import Actor
from comptoir.dossiers.actions import dossier_create
from comptoir.dossiers.models import FirmAccess, Membership
from comptoir.dossiers.permissions import Role

from ..actions import step_complete, task_complete
from ..models import Task, TaskKind
from .conftest import access_of, client_for, make_task, person

TODAY = datetime.date.today()


def list_url(office, **query):
    base = reverse("assignments:task_list", args=[office["dossier"].slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_lists_counts_overdue_badge_and_progress(office):
    late = make_task(office, title="En retard", due_date=TODAY - datetime.timedelta(days=2))
    step_complete(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        step=late.steps.first(),
    )
    done = make_task(office, title="Finie")
    task_complete(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office, "owner"), task=done
    )
    html = client_for(office["users"]["owner"]).get(list_url(office)).content.decode()
    assert "En retard" in html
    assert "badge badge-warning task-overdue" in html
    assert "1/3 étapes" in html
    assert "Finie" not in html
    assert 'aria-current="page">À faire <span class="badge">1</span>' in html
    assert 'Terminées <span class="badge badge-muted">1</span>' in html
    html = client_for(office["users"]["owner"]).get(list_url(office, state="done")).content.decode()
    assert "Finie" in html
    assert "En retard</a>" not in html
    assert late.get_absolute_url() not in html
    assert done.get_absolute_url() in html


def test_filters(office):
    make_task(office, title="Retard", due_date=TODAY - datetime.timedelta(days=1))
    make_task(office, title="Bientôt", due_date=TODAY + datetime.timedelta(days=3))
    make_task(office, title="Sans date", to=("user",))
    Task.objects.create(
        dossier=office["dossier"], kind=TaskKind.APPROVAL, title="Approbation bilan"
    )
    owner = client_for(office["users"]["owner"])

    def titles(**query):
        html = owner.get(list_url(office, **query)).content.decode()
        return {
            t
            for t in ("Retard", "Bientôt", "Sans date", "Approbation bilan")
            if f">{t}<" in html or f"{t}\n" in html or f"> {t}" in html or t + "</" in html
        }

    assert titles(due="overdue") == {"Retard"}
    assert titles(due="soon") == {"Bientôt"}
    assert titles(due="none") == {"Sans date", "Approbation bilan"}
    assert titles(kind="approval") == {"Approbation bilan"}
    assert titles(kind="upload") == {"Retard", "Bientôt", "Sans date"}
    assert titles(assignee=office["users"]["user"].pk) == {"Sans date"}


def test_list_query_count_does_not_grow(office, django_assert_max_num_queries):
    owner = client_for(office["users"]["owner"])
    make_task(office)
    owner.get(list_url(office))
    with django_assert_max_num_queries(20) as few:
        owner.get(list_url(office))
    baseline = len(few.captured_queries)
    for i in range(8):
        make_task(office, title=f"T{i}", to=("owner", "user"))
    with django_assert_max_num_queries(baseline):
        response = owner.get(list_url(office))
    assert response.status_code == 200


def test_nav_has_tasks_link(office):
    html = (
        client_for(office["users"]["readonly"])
        .get(reverse("dossiers:dossier_home", args=[office["dossier"].slug]))
        .content.decode()
    )
    assert list_url(office) in html


def test_new_task_buttons_only_for_senders(office):
    assert (
        "Nouvelle tâche de téléversement"
        in client_for(office["users"]["accountant"]).get(list_url(office)).content.decode()
    )
    assert (
        "Nouvelle tâche de téléversement"
        not in client_for(office["users"]["user"]).get(list_url(office)).content.decode()
    )


# --- The board ----------------------------------------------------------------------------


def test_board_shows_served_dossiers_only(office):
    make_task(office, title="Alpha tâche", by="staff")
    outsider = office["outsider"]
    other = office["other_dossier"]
    other_owner_access = __import__("comptoir.dossiers.access", fromlist=["x"]).dossier_access_for(
        outsider, other.slug
    )
    Membership.objects.create(dossier=other, user=person("client@beta.test"), role=Role.OWNER)
    from ..actions import upload_task_create

    upload_task_create(
        actor=Actor(user=outsider),
        access=other_owner_access,
        title="Beta tâche",
        assignees=[Membership.objects.get(dossier=other, user__email="client@beta.test").user],
        steps=[],
    )
    staff = client_for(office["users"]["staff"])
    html = staff.get(reverse("assignments:board")).content.decode()
    assert "Alpha tâche" in html
    assert "Beta tâche" not in html
    # A client-side Utilisateur sends nothing: empty board.
    html = client_for(office["users"]["user"]).get(reverse("assignments:board")).content.decode()
    assert "Alpha tâche" not in html
    # Foreign dossier id in the filter is ignored, not leaked.
    html = staff.get(reverse("assignments:board") + f"?dossier={other.pk}").content.decode()
    assert "Beta tâche" not in html


def test_board_filters_by_dossier_and_state(office):
    staff_user = office["users"]["staff"]
    second = dossier_create(
        actor=Actor(user=person("boss@gamma.test")), name="Gamma", siren="443061841"
    )
    FirmAccess.objects.create(firm=office["firm"], dossier=second)
    gamma_client = person("client@gamma.test")
    Membership.objects.create(dossier=second, user=gamma_client, role=Role.USER)
    from comptoir.dossiers.access import dossier_access_for

    from ..actions import upload_task_create

    upload_task_create(
        actor=Actor(user=staff_user),
        access=dossier_access_for(staff_user, second.slug),
        title="Gamma tâche",
        assignees=[gamma_client],
        steps=[],
        due_date=TODAY - datetime.timedelta(days=1),
    )
    done = make_task(office, title="Alpha finie", by="staff")
    task_complete(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office, "owner"), task=done
    )
    staff = client_for(staff_user)
    html = staff.get(reverse("assignments:board")).content.decode()
    assert "Gamma tâche" in html
    assert "Alpha finie" not in html
    assert "En retard" in html
    html = staff.get(reverse("assignments:board") + "?state=done").content.decode()
    assert "Alpha finie" in html
    assert "Gamma tâche" not in html
    html = staff.get(
        reverse("assignments:board") + f"?dossier={office['dossier'].pk}"
    ).content.decode()
    assert "Gamma tâche" not in html


def test_board_query_count_does_not_grow(office, django_assert_max_num_queries):
    staff = client_for(office["users"]["staff"])
    make_task(office, by="staff")
    staff.get(reverse("assignments:board"))
    with django_assert_max_num_queries(20) as few:
        staff.get(reverse("assignments:board"))
    baseline = len(few.captured_queries)
    for i in range(8):
        make_task(office, title=f"T{i}", by="staff", to=("owner", "user"))
    with django_assert_max_num_queries(baseline):
        assert staff.get(reverse("assignments:board")).status_code == 200


def test_board_requires_login(client):
    response = client.get(reverse("assignments:board"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_accountant_home_counts_in_one_query(office, django_assert_max_num_queries):
    make_task(office, by="staff", due_date=TODAY - datetime.timedelta(days=3))
    make_task(office, by="staff")
    staff = client_for(office["users"]["staff"])
    url = reverse("dossiers:accountant_home")
    html = staff.get(url).content.decode()
    assert 'data-label="Tâches à faire"><a href' in html
    assert '<span class="badge badge-warning">1</span>' in html
    assert reverse("assignments:board") in html
    with django_assert_max_num_queries(30) as few:
        staff.get(url)
    baseline = len(few.captured_queries)
    from comptoir.dossiers.access import dossier_access_for

    from ..actions import upload_task_create

    for i, siren in enumerate(["443061841", "552100554"]):
        boss = person(f"boss{i}@more.test")
        more = dossier_create(actor=Actor(user=boss), name=f"Client {i}", siren=siren)
        FirmAccess.objects.create(firm=office["firm"], dossier=more)
        upload_task_create(
            actor=Actor(user=office["users"]["staff"]),
            access=dossier_access_for(office["users"]["staff"], more.slug),
            title="Encore",
            assignees=[boss],
            steps=[],
            due_date=TODAY - datetime.timedelta(days=1),
        )
    with django_assert_max_num_queries(baseline):
        staff.get(url)
