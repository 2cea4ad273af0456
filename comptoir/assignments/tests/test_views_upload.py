"""The upload task's pages through plain form posts: everything works without JavaScript."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.notifications.models import Notification

from ..actions import step_delete, task_complete
from ..models import Step, StepState, Task, TaskDocument, TaskKind, TaskState
from .conftest import access_of, client_for, make_task, pdf


def url(name, office, pk=None):
    slug = office["dossier"].slug
    return reverse(f"assignments:{name}", args=[slug] if pk is None else [slug, pk])


def test_client_works_a_task_without_javascript(office, django_capture_on_commit_callbacks):
    task = make_task(office)
    one, two, three = task.steps.all()
    owner = client_for(office["users"]["owner"])

    page = owner.get(url("task_detail", office, task.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Relevés bancaires" in html
    assert 'capture="environment"' in html
    assert "multiple" in html
    main = html.split('<main id="main"')[1].split("</main>")[0]
    assert "<script" not in main  # nothing here needs JavaScript
    assert " onclick=" not in main

    with django_capture_on_commit_callbacks(execute=True):
        answer = owner.post(
            url("task_upload", office, task.pk),
            {"step": one.pk, "files": [pdf("a.pdf"), pdf("b.pdf")]},
        )
    assert answer.status_code == 302
    assert TaskDocument.objects.filter(step=one).count() == 2
    assert Notification.objects.filter(kind="documents_uploaded").count() == 1

    assert owner.post(url("step_complete", office, one.pk)).status_code == 302
    assert (
        owner.post(
            url("step_not_applicable", office, two.pk), {"comment": "Pas concerné"}
        ).status_code
        == 302
    )
    assert owner.post(url("step_comment", office, two.pk), {"body": "Merci"}).status_code == 302
    assert owner.post(url("step_delete", office, three.pk)).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(url("task_complete", office, task.pk)).status_code == 302

    task.refresh_from_db()
    one.refresh_from_db()
    two.refresh_from_db()
    three.refresh_from_db()
    assert task.state == TaskState.DONE
    assert one.state == StepState.COMPLETE
    assert two.state == StepState.NOT_APPLICABLE
    assert two.state_comment == "Pas concerné"
    assert three.deleted_at is not None
    assert Notification.objects.filter(
        kind="task_completed", user=office["users"]["accountant"]
    ).exists()
    # The documents are ordinary documents of the dossier, in the step's folder.
    assert Document.objects.filter(folder=office["folders"]["Comptabilité"]).count() == 2

    html = owner.get(url("task_detail", office, task.pk)).content.decode()
    assert "Pas concerné" in html
    assert "Merci" in html
    assert "Notes de frais" not in html  # deleted step hidden
    assert "Historique de l&#x27;étape" in html or "Historique de l'étape" in html


def test_not_applicable_without_comment_changes_nothing(office):
    task = make_task(office)
    step = task.steps.first()
    answer = client_for(office["users"]["owner"]).post(
        url("step_not_applicable", office, step.pk), {"comment": ""}, follow=True
    )
    assert "Expliquez pourquoi" in answer.content.decode()
    step.refresh_from_db()
    assert step.state == StepState.OPEN
    assert not AuditEvent.objects.filter(action="task.step_not_applicable").exists()


def test_done_task_refuses_work_with_a_message(office):
    task = make_task(office)
    step = task.steps.first()
    task_complete(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office, "owner"), task=task
    )
    owner = client_for(office["users"]["owner"])
    answer = owner.post(url("step_complete", office, step.pk), follow=True)
    assert "terminée" in answer.content.decode()
    step.refresh_from_db()
    assert step.state == StepState.OPEN
    answer = owner.post(url("task_upload", office, task.pk), {"files": [pdf()]}, follow=True)
    assert not Document.objects.filter(dossier=office["dossier"]).exists()
    # An Utilisateur may not reopen; the accountant may.
    assert (
        client_for(office["users"]["user"]).post(url("task_reopen", office, task.pk)).status_code
        == 403
    )
    assert (
        client_for(office["users"]["accountant"])
        .post(url("task_reopen", office, task.pk))
        .status_code
        == 302
    )
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_deleted_step_answers_404(office):
    task = make_task(office)
    step = task.steps.first()
    step_delete(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office, "owner"), step=step
    )
    owner = client_for(office["users"]["owner"])
    for name in ("step_complete", "step_reopen", "step_delete", "step_comment"):
        assert owner.post(url(name, office, step.pk), {"body": "x"}).status_code == 404
    assert (
        owner.post(
            url("task_upload", office, task.pk), {"step": step.pk, "files": [pdf()]}
        ).status_code
        == 404
    )
    assert not StepComment_exists(step)


def StepComment_exists(step):
    return step.comments.exists()


def test_approval_task_is_404_on_the_upload_page(office):
    task = Task.objects.create(dossier=office["dossier"], kind=TaskKind.APPROVAL, title="Bilan")
    owner = client_for(office["users"]["owner"])
    assert owner.get(url("task_detail", office, task.pk)).status_code == 404
    assert owner.post(url("task_complete", office, task.pk)).status_code == 404


def test_other_dossier_step_is_404(office):
    task = make_task(office)
    step = task.steps.first()
    outsider = client_for(office["outsider"])
    other_slug = office["other_dossier"].slug
    answer = outsider.post(reverse("assignments:step_complete", args=[other_slug, step.pk]))
    assert answer.status_code == 404
    step.refresh_from_db()
    assert step.state == StepState.OPEN


def test_htmx_step_action_answers_the_fragment(office):
    task = make_task(office)
    step = task.steps.first()
    answer = client_for(office["users"]["owner"]).post(
        url("step_complete", office, step.pk), headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.strip().startswith("<li")
    assert f'id="step-{step.pk}"' in html
    assert "<html" not in html
    assert "L&#x27;étape est terminée." in html or "L'étape est terminée." in html


def test_board_link_in_the_dossier_nav_for_accountants_only(office):
    board = f'href="{reverse("assignments:board")}"'
    home = reverse("dossiers:dossier_home", args=[office["dossier"].slug])
    assert board in client_for(office["users"]["staff"]).get(home).content.decode()
    assert board in client_for(office["users"]["accountant"]).get(home).content.decode()
    assert board not in client_for(office["users"]["owner"]).get(home).content.decode()


def test_create_form_sends_the_task(office, django_capture_on_commit_callbacks):
    accountant = client_for(office["users"]["accountant"])
    page = accountant.get(url("task_create", office))
    assert page.status_code == 200
    html = page.content.decode()
    # Client-side people who may work the task (not Lecture seule); the owner checked.
    assert "owner@alpha.test" in html
    assert "user@alpha.test" in html
    form = page.context["form"]
    offered = {u.email for u in form.fields["assignees"].queryset}
    assert offered == {
        "owner@alpha.test",
        "admin@alpha.test",
        "user@alpha.test",
    }
    assert form.initial["assignees"] == [office["users"]["owner"].pk]
    assert "checked" in html
    data = {
        "title": "Pièces de décembre",
        "message": "Merci",
        "due_date": (datetime.date.today() + datetime.timedelta(days=10)).isoformat(),
        "assignees": [office["users"]["owner"].pk],
        "steps-TOTAL_FORMS": "5",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "50",
        "steps-0-title": "Relevés",
        "steps-0-folder": office["folders"]["Comptabilité"].pk,
        "steps-1-title": "Factures",
        "steps-1-details": "Achats et ventes",
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = accountant.post(url("task_create", office), data)
    task = Task.objects.get(title="Pièces de décembre")
    assert answer.status_code == 302
    assert answer["Location"] == task.get_absolute_url()
    assert [s.title for s in task.steps.all()] == ["Relevés", "Factures"]
    assert task.steps.first().folder == office["folders"]["Comptabilité"]
    assert Notification.objects.filter(kind="task_received", user=office["users"]["owner"]).exists()


def test_create_refuses_accountant_as_assignee(office):
    accountant = client_for(office["users"]["accountant"])
    data = {
        "title": "X",
        "assignees": [office["users"]["accountant"].pk],
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
    }
    answer = accountant.post(url("task_create", office), data)
    assert answer.status_code == 200
    assert not Task.objects.exists()


def test_step_add_on_the_task_page(office):
    task = make_task(office, steps=())
    accountant = client_for(office["users"]["accountant"])
    assert accountant.post(url("step_add", office, task.pk), {"title": "Caisse"}).status_code == 302
    assert list(task.steps.values_list("title", flat=True)) == ["Caisse"]
    assert (
        client_for(office["users"]["user"])
        .post(url("step_add", office, task.pk), {"title": "Y"})
        .status_code
        == 403
    )
    assert Step.objects.filter(task=task).count() == 1


@pytest.mark.parametrize("who", ["readonly"])
def test_readonly_reads_but_cannot_work(office, who):
    task = make_task(office)
    step = task.steps.first()
    reader = client_for(office["users"][who])
    html = reader.get(url("task_detail", office, task.pk)).content.decode()
    assert "Marquer terminée" not in html
    assert "Terminer la tâche</button>" not in html
    for name in ("step_complete", "step_reopen", "step_delete", "step_comment"):
        assert reader.post(url(name, office, step.pk), {"body": "x"}).status_code == 403
    step.refresh_from_db()
    assert step.state == StepState.OPEN
    assert step.deleted_at is None


def test_task_pages_lead_to_reminders_templates_and_schedules(office):
    """The sender reaches the reminder rules, "save as template", the dossier's schedules
    and the templates from the task pages; an Utilisateur who works the task sees its
    reminders but none of the sender's links."""
    task = make_task(
        office, to=("owner", "user"), due_date=datetime.date.today() + datetime.timedelta(days=10)
    )
    accountant = client_for(office["users"]["accountant"])
    worker = client_for(office["users"]["user"])
    save_url = url("task_save_template", office, task.pk)
    rules_url = url("task_reminders", office, task.pk)
    schedules_url = url("schedule_list", office)
    templates_url = reverse("assignments:template_list")

    detail = accountant.get(url("task_detail", office, task.pk)).content.decode()
    assert save_url in detail
    assert rules_url in detail
    listing = accountant.get(url("task_list", office)).content.decode()
    assert schedules_url in listing
    assert templates_url in listing
    for target in (save_url, rules_url, schedules_url, templates_url):
        assert accountant.get(target).status_code == 200

    detail = worker.get(url("task_detail", office, task.pk)).content.decode()
    assert "task-reminders" in detail
    assert save_url not in detail
    assert rules_url not in detail
    listing = worker.get(url("task_list", office)).content.decode()
    assert schedules_url not in listing
    assert templates_url not in listing


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_due_date_at_the_calendars_ends_is_a_form_error(office, day):
    accountant = client_for(office["users"]["accountant"])
    data = {
        "title": "Bornes",
        "due_date": day,
        "assignees": [office["users"]["owner"].pk],
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-0-title": "Relevés",
        "steps-0-due_date": day,
    }
    answer = accountant.post(url("task_create", office), data)
    assert answer.status_code == 200
    assert "entre 2000 et 2999" in answer.content.decode()
    assert not Task.objects.exists()
    task = make_task(office, steps=())
    answer = accountant.post(url("step_add", office, task.pk), {"title": "Caisse", "due_date": day})
    assert answer.status_code in {200, 302}
    assert not Step.objects.filter(task=task).exists()


def test_a_file_name_of_1000_characters_is_a_message_on_every_upload_form(office):
    from comptoir.documents.tests.test_uploads import BOUNDARY, multipart
    from comptoir.testing.files import pdf_bytes

    task = make_task(office, steps=())
    body = multipart([("a" * 996 + ".pdf", pdf_bytes())])
    for who, target in (
        ("owner", url("task_upload", office, task.pk)),
        ("accountant", url("approval_create", office)),
    ):
        client = client_for(office["users"][who])
        answer = client.generic(
            "POST", target, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
        )
        assert answer.status_code == 302, target
        page = client.get(answer["Location"]).content.decode()
        assert "trop long" in page, target
    assert not Document.objects.exists()
    assert Task.objects.count() == 1
