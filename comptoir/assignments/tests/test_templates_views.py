"""The template pages (outside any dossier), saving a task as a template and the dossier's
recurrences page: who gets in, forms without JavaScript, refusals change nothing, query
counts that do not grow."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.dossiers.models import FirmMember

from ..actions_templates import TemplateStep, task_schedule_create, task_template_create
from ..models import Frequency, Task, TaskKind, TaskSchedule, TaskTemplate
from .conftest import client_for, make_task, person


def new_template(office, by="staff", name="Pièces du mois"):
    user = office["users"][by]
    return task_template_create(
        actor=Actor(user=user),
        user=user,
        name=name,
        title=name,
        steps=[TemplateStep("Relevés bancaires", folder="Comptabilité", due_in_days=5)],
    )


def new_schedule(office, template, by="staff"):
    user = office["users"][by]
    (schedule,) = task_schedule_create(
        actor=Actor(user=user),
        user=user,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.MONTHLY,
        first_run_on=timezone.localdate() + datetime.timedelta(days=1),
    )
    return schedule


def rows():
    return (
        list(TaskTemplate.objects.order_by("pk").values()),
        list(TaskSchedule.objects.order_by("pk").values()),
        Task.objects.count(),
        AuditEvent.objects.count(),
    )


def formset_data(steps, *, total=3, **fields):
    data = {
        "steps-TOTAL_FORMS": str(total),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "50",
        **fields,
    }
    for i, (title, folder, days) in enumerate(steps):
        data[f"steps-{i}-title"] = title
        data[f"steps-{i}-folder"] = folder
        data[f"steps-{i}-due_in_days"] = "" if days is None else str(days)
    return data


# --- Who gets in --------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(office):
    template = new_template(office)
    for url in (
        reverse("assignments:template_list"),
        reverse("assignments:template_create"),
        reverse("assignments:template_edit", args=[template.pk]),
        reverse("assignments:template_schedule", args=[template.pk]),
    ):
        response = client_for().get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"] or "login" in response["Location"]


def test_people_who_send_no_task_get_403(office):
    template = new_template(office)
    client = client_for(office["users"]["user"])
    before = rows()
    assert client.get(reverse("assignments:template_list")).status_code == 403
    assert client.post(reverse("assignments:template_create"), formset_data([])).status_code == 403
    assert (
        client.post(reverse("assignments:template_delete", args=[template.pk])).status_code == 403
    )
    assert rows() == before


def test_another_persons_template_is_404(office):
    template = new_template(office)
    client = client_for(office["users"]["accountant"])  # sends tasks, not on the firm
    before = rows()
    for name in ("template_edit", "template_schedule"):
        assert client.get(reverse(f"assignments:{name}", args=[template.pk])).status_code == 404
    assert (
        client.post(reverse("assignments:template_delete", args=[template.pk])).status_code == 404
    )
    assert rows() == before


def test_delete_is_post_only(office):
    template = new_template(office)
    client = client_for(office["users"]["staff"])
    assert client.get(reverse("assignments:template_delete", args=[template.pk])).status_code == 405


# --- Templates ----------------------------------------------------------------------------


def test_list_shows_the_firms_templates(office):
    new_template(office, name="Pièces du mois")
    new_template(office, by="accountant", name="Modèle personnel")
    colleague = person("colleague@martin.test")
    FirmMember.objects.create(firm=office["firm"], user=colleague)
    html = client_for(colleague).get(reverse("assignments:template_list")).content.decode()
    assert "Pièces du mois" in html
    assert "Modèle personnel" not in html


def test_list_query_count_does_not_grow(office, django_assert_max_num_queries):
    client = client_for(office["users"]["staff"])
    template = new_template(office, name="T0")
    new_schedule(office, template)
    client.get(reverse("assignments:template_list"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("assignments:template_list"))
    baseline = len(few.captured_queries)
    for i in range(1, 8):
        new_schedule(office, new_template(office, name=f"T{i}"))
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("assignments:template_list"))
    assert response.status_code == 200
    assert "T7" in response.content.decode()


def test_create_a_template_with_steps_without_javascript(office):
    client = client_for(office["users"]["staff"])
    page = client.get(reverse("assignments:template_create"))
    assert page.status_code == 200
    assert 'name="steps-2-title"' in page.content.decode()  # empty rows to fill
    response = client.post(
        reverse("assignments:template_create"),
        formset_data(
            [("Relevés bancaires", "Comptabilité", 5), ("", "", None), ("Factures", "", None)],
            name="Pièces du mois",
            title="Pièces du mois",
            message="Merci",
            due_in_days="10",
        ),
    )
    assert response.status_code == 302
    template = TaskTemplate.objects.get()
    assert template.due_in_days == 10
    assert [s["title"] for s in template.steps] == ["Relevés bancaires", "Factures"]
    assert template.firm == office["firm"]


def test_save_and_add_more_steps_comes_back_with_empty_rows(office):
    client = client_for(office["users"]["staff"])
    response = client.post(
        reverse("assignments:template_create"),
        formset_data(
            [("A", "", None), ("B", "", None), ("C", "", None)],
            name="Long",
            title="Long",
            more="1",
        ),
    )
    template = TaskTemplate.objects.get()
    assert response["Location"] == reverse("assignments:template_edit", args=[template.pk])
    html = client.get(response["Location"]).content.decode()
    assert 'value="C"' in html
    assert 'name="steps-5-title"' in html  # three filled + three empty


def test_invalid_form_changes_nothing(office):
    client = client_for(office["users"]["staff"])
    before = rows()
    response = client.post(
        reverse("assignments:template_create"),
        formset_data([("A", "", -3)], name="", title="X"),
    )
    assert response.status_code == 200
    assert rows() == before


def test_edit_a_template(office):
    template = new_template(office)
    client = client_for(office["users"]["staff"])
    page = client.get(reverse("assignments:template_edit", args=[template.pk])).content.decode()
    assert 'value="Relevés bancaires"' in page
    response = client.post(
        reverse("assignments:template_edit", args=[template.pk]),
        formset_data([("Relevés", "Fiscal", 3)], name="Renommé", title="Pièces"),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "Renommé"
    assert template.steps[0]["folder"] == "Fiscal"


def test_delete_a_template(office):
    template = new_template(office)
    response = client_for(office["users"]["staff"]).post(
        reverse("assignments:template_delete", args=[template.pk])
    )
    assert response.status_code == 302
    assert not TaskTemplate.objects.exists()


# --- Scheduling ---------------------------------------------------------------------------


def test_schedule_page_lists_only_sendable_dossiers_and_schedules(office):
    template = new_template(office)
    client = client_for(office["users"]["staff"])
    html = client.get(reverse("assignments:template_schedule", args=[template.pk])).content.decode()
    assert office["dossier"].name in html
    assert office["other_dossier"].name not in html
    today = timezone.localdate()
    response = client.post(
        reverse("assignments:template_schedule", args=[template.pk]),
        {
            "dossiers": [office["dossier"].pk],
            "frequency": "yearly",
            "first_run_on": today.isoformat(),
            "send_now": "on",
        },
    )
    assert response.status_code == 302
    schedule = TaskSchedule.objects.get()
    assert schedule.frequency == Frequency.YEARLY
    assert Task.objects.get().schedule == schedule


def test_scheduling_a_foreign_dossier_changes_nothing(office):
    template = new_template(office)
    before = rows()
    response = client_for(office["users"]["staff"]).post(
        reverse("assignments:template_schedule", args=[template.pk]),
        {
            "dossiers": [office["other_dossier"].pk],
            "frequency": "monthly",
            "first_run_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert rows() == before


# --- Save a task as a template ------------------------------------------------------------


def save_url(office, task):
    return reverse("assignments:task_save_template", args=[office["dossier"].slug, task.pk])


def test_save_a_task_as_template(office):
    task = make_task(office, by="staff")
    client = client_for(office["users"]["staff"])
    page = client.get(save_url(office, task))
    assert page.status_code == 200
    assert f'value="{task.title}"' in page.content.decode()
    response = client.post(save_url(office, task), {"name": "Mensuel"})
    template = TaskTemplate.objects.get()
    assert response["Location"] == reverse("assignments:template_edit", args=[template.pk])
    assert len(template.steps) == 3
    assert AuditEvent.objects.filter(action="task.saved_as_template").count() == 1


def test_an_approval_task_cannot_be_saved_as_template(office):
    approval = Task.objects.create(dossier=office["dossier"], kind=TaskKind.APPROVAL, title="Bilan")
    before = rows()
    client = client_for(office["users"]["staff"])
    assert client.post(save_url(office, approval), {"name": "X"}).status_code == 404
    assert rows() == before


@pytest.mark.parametrize("who", ["user", "readonly"])
def test_save_as_template_needs_task_send(office, who):
    task = make_task(office)
    before = rows()
    response = client_for(office["users"][who]).post(save_url(office, task), {"name": "X"})
    assert response.status_code == 403
    assert rows() == before


# --- The dossier's recurrences ------------------------------------------------------------


def list_url(office):
    return reverse("assignments:schedule_list", args=[office["dossier"].slug])


def test_schedule_list_and_its_actions(office):
    schedule = new_schedule(office, new_template(office))
    client = client_for(office["users"]["owner"])
    html = client.get(list_url(office)).content.decode()
    assert "Pièces du mois" in html
    assert "Tous les mois" in html
    slug = office["dossier"].slug
    response = client.post(reverse("assignments:schedule_pause", args=[slug, schedule.pk]))
    assert response["Location"] == list_url(office)
    schedule.refresh_from_db()
    assert not schedule.active
    assert "En pause" in client.get(list_url(office)).content.decode()
    # Twice: refused with a message, nothing changes.
    before = rows()
    response = client.post(
        reverse("assignments:schedule_pause", args=[slug, schedule.pk]), follow=True
    )
    assert "déjà en pause" in response.content.decode()
    assert rows() == before
    client.post(reverse("assignments:schedule_resume", args=[slug, schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.active
    client.post(reverse("assignments:schedule_delete", args=[slug, schedule.pk]))
    assert not TaskSchedule.objects.exists()


def test_schedule_list_needs_task_send(office):
    schedule = new_schedule(office, new_template(office))
    client = client_for(office["users"]["user"])
    before = rows()
    assert client.get(list_url(office)).status_code == 403
    slug = office["dossier"].slug
    assert (
        client.post(reverse("assignments:schedule_delete", args=[slug, schedule.pk])).status_code
        == 403
    )
    assert rows() == before


def test_another_dossiers_schedule_is_404(office):
    schedule = new_schedule(office, new_template(office))
    outsider = client_for(office["outsider"])
    slug = office["other_dossier"].slug
    before = rows()
    response = outsider.post(reverse("assignments:schedule_delete", args=[slug, schedule.pk]))
    assert response.status_code == 404
    assert rows() == before


def test_schedule_list_query_count_does_not_grow(office, django_assert_max_num_queries):
    client = client_for(office["users"]["staff"])
    new_schedule(office, new_template(office, name="T0"))
    client.get(list_url(office))
    with django_assert_max_num_queries(25) as few:
        client.get(list_url(office))
    baseline = len(few.captured_queries)
    for i in range(1, 8):
        new_schedule(office, new_template(office, name=f"T{i}"))
    with django_assert_max_num_queries(baseline):
        response = client.get(list_url(office))
    assert "T7" in response.content.decode()
