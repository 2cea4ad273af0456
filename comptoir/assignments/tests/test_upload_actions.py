from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.dossiers.actions import ActionRefused
from comptoir.notifications.models import Notification

from ..actions import (
    StepSpec,
    step_add,
    step_comment_add,
    step_complete,
    step_delete,
    step_mark_not_applicable,
    step_reopen,
    task_complete,
    task_documents_upload,
    task_reopen,
    upload_task_create,
)
from ..models import Step, StepState, Task, TaskDocument, TaskKind, TaskState
from .conftest import access_of, make_task, pdf


def actor(office, who):
    return Actor(user=office["users"][who])


def test_create_makes_rows_audit_reminders_and_notifies(office, django_capture_on_commit_callbacks):
    due = datetime.date.today() + datetime.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        task = make_task(office, due_date=due, message="Merci")
    assert task.kind == TaskKind.UPLOAD
    assert task.state == TaskState.OPEN
    assert task.created_by == office["users"]["accountant"]
    assert [s.title for s in task.steps.all()] == [
        "Relevés bancaires",
        "Factures d'achat",
        "Notes de frais",
    ]
    assert [s.position for s in task.steps.all()] == [0, 1, 2]
    assert list(task.assignees.values_list("user__email", flat=True)) == ["owner@alpha.test"]
    assert task.next_reminder_at is not None
    event = AuditEvent.objects.get(action="task.created")
    assert event.dossier == office["dossier"]
    assert event.object_id == str(task.pk)
    notification = Notification.objects.get(user=office["users"]["owner"])
    assert notification.kind == "task_received"
    assert notification.url == task.get_absolute_url()
    assert [m.to for m in mail.outbox] == [["owner@alpha.test"]]


def test_create_notifies_in_the_assignee_language(office, django_capture_on_commit_callbacks):
    owner = office["users"]["owner"]
    owner.language = "en"
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_task(office)
    assert Notification.objects.filter(user=owner).count() == 1


def test_create_from_firm_staff_and_schedule(office):
    task = make_task(office, by="staff")
    assert task.created_by == office["users"]["staff"]


@pytest.mark.parametrize("who", ["accountant", "staff", "readonly", "outsider"])
def test_create_refuses_non_client_assignees(office, who):
    target = office["outsider"] if who == "outsider" else office["users"][who]
    with pytest.raises(ActionRefused):
        upload_task_create(
            actor=actor(office, "accountant"),
            access=access_of(office),
            title="X",
            assignees=[target] if who != "readonly" else [],
            steps=[],
        )
    assert not office["dossier"].tasks.exists()


def test_create_refuses_without_task_send(office):
    with pytest.raises(ActionRefused):
        make_task(office, by="user")
    assert not AuditEvent.objects.filter(action="task.created").exists()


def test_create_refuses_foreign_folder(office):
    from comptoir.documents.models import Folder

    foreign = Folder.objects.filter(dossier=office["other_dossier"]).first()
    with pytest.raises(ActionRefused):
        upload_task_create(
            actor=actor(office, "accountant"),
            access=access_of(office),
            title="X",
            assignees=[office["users"]["owner"]],
            steps=[StepSpec(title="a", folder=foreign)],
        )
    assert not office["dossier"].tasks.exists()


def test_create_skips_blank_step_rows(office):
    task = make_task(office, steps=("Un", "", "  "))
    assert task.steps.count() == 1


def test_step_lifecycle_and_audit(office, django_capture_on_commit_callbacks):
    task = make_task(office)
    one, two, three = task.steps.all()
    step_complete(actor=actor(office, "owner"), access=access_of(office, "owner"), step=one)
    with django_capture_on_commit_callbacks(execute=True):
        step_mark_not_applicable(
            actor=actor(office, "owner"),
            access=access_of(office, "owner"),
            step=two,
            comment="Pas de factures ce mois-ci",
        )
    step_delete(actor=actor(office, "owner"), access=access_of(office, "owner"), step=three)
    step_reopen(actor=actor(office, "accountant"), access=access_of(office), step=one)
    step_comment_add(
        actor=actor(office, "owner"), access=access_of(office, "owner"), step=two, body="Voilà"
    )
    added = step_add(
        actor=actor(office, "accountant"),
        access=access_of(office),
        task=task,
        spec=StepSpec(title="Caisse"),
    )
    one.refresh_from_db()
    two.refresh_from_db()
    three.refresh_from_db()
    assert one.state == StepState.OPEN
    assert two.state == StepState.NOT_APPLICABLE
    assert two.state_comment == "Pas de factures ce mois-ci"
    assert three.deleted_at is not None
    assert added.position == 3
    assert two.comments.get().body == "Voilà"
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-6:] == [
        "task.step_completed",
        "task.step_not_applicable",
        "task.step_deleted",
        "task.step_reopened",
        "task.step_commented",
        "task.step_added",
    ]
    notice = Notification.objects.get(kind="step_not_applicable")
    assert notice.user == office["users"]["accountant"]


def test_not_applicable_requires_comment(office):
    task = make_task(office)
    step = task.steps.first()
    with pytest.raises(ActionRefused):
        step_mark_not_applicable(
            actor=actor(office, "owner"), access=access_of(office, "owner"), step=step, comment=" "
        )
    step.refresh_from_db()
    assert step.state == StepState.OPEN


def test_marking_a_marked_step_is_refused(office):
    task = make_task(office)
    step = task.steps.first()
    step_complete(actor=actor(office, "owner"), access=access_of(office, "owner"), step=step)
    with pytest.raises(ActionRefused, match="terminée"):
        step_mark_not_applicable(
            actor=actor(office, "admin"), access=access_of(office, "admin"), step=step, comment="x"
        )
    step.refresh_from_db()
    assert step.state == StepState.COMPLETE


def test_deleted_step_is_refused(office):
    task = make_task(office)
    step = task.steps.first()
    step_delete(actor=actor(office, "owner"), access=access_of(office, "owner"), step=step)
    with pytest.raises(ActionRefused):
        step_complete(actor=actor(office, "owner"), access=access_of(office, "owner"), step=step)


def test_readonly_cannot_work(office):
    task = make_task(office)
    with pytest.raises(ActionRefused):
        step_complete(
            actor=actor(office, "readonly"),
            access=access_of(office, "readonly"),
            step=task.steps.first(),
        )
    with pytest.raises(ActionRefused):
        task_complete(
            actor=actor(office, "readonly"), access=access_of(office, "readonly"), task=task
        )
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_complete_then_reopen(office, django_capture_on_commit_callbacks):
    task = make_task(office, due_date=datetime.date.today() + datetime.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(actor=actor(office, "owner"), access=access_of(office, "owner"), task=task)
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert task.completed_by == office["users"]["owner"]
    assert task.completed_at
    assert task.next_reminder_at is None
    notice = Notification.objects.get(kind="task_completed")
    assert notice.user == office["users"]["accountant"]
    assert mail.outbox[-1].to == ["accountant@alpha.test"]
    event = AuditEvent.objects.get(action="task.completed")
    assert event.details == {"open_steps": 3}

    # Terminé: nothing but reopen.
    with pytest.raises(ActionRefused, match="terminée"):
        step_complete(
            actor=actor(office, "owner"), access=access_of(office, "owner"), step=task.steps.first()
        )
    with pytest.raises(ActionRefused):
        task_complete(actor=actor(office, "owner"), access=access_of(office, "owner"), task=task)
    with pytest.raises(ActionRefused):
        task_reopen(actor=actor(office, "owner"), access=access_of(office, "user"), task=task)

    with django_capture_on_commit_callbacks(execute=True):
        task_reopen(actor=actor(office, "accountant"), access=access_of(office), task=task)
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert task.completed_at is None
    assert task.next_reminder_at is not None
    assert AuditEvent.objects.filter(action="task.reopened").count() == 1
    assert (
        Notification.objects.filter(kind="task_received", user=office["users"]["owner"]).count()
        == 1
    )


def test_upload_into_step_files_documents_and_notifies_once(
    office, django_capture_on_commit_callbacks, settings
):
    settings.UPLOAD_MAX_BYTES = 50_000
    task = make_task(office)
    step = task.steps.first()
    with django_capture_on_commit_callbacks(execute=True):
        result = task_documents_upload(
            actor=actor(office, "owner"),
            access=access_of(office, "owner"),
            task=task,
            step=step,
            files=[pdf("a.pdf"), pdf("b.pdf"), SimpleUploadedFile("gros.pdf", b"x" * 60_000)],
        )
    assert [d.name for d in result.documents] == ["a.pdf", "b.pdf"]
    assert (
        Document.objects.filter(
            dossier=office["dossier"], folder=office["folders"]["Comptabilité"]
        ).count()
        == 2
    )
    assert TaskDocument.objects.filter(task=task, step=step).count() == 2
    assert Notification.objects.filter(kind="documents_uploaded").count() == 1
    event = AuditEvent.objects.get(action="task.documents_uploaded")
    assert len(event.details["documents"]) == 2


def test_upload_into_task_goes_to_first_step_folder_or_root(office):
    task = make_task(office, folder="Fiscal")
    result = task_documents_upload(
        actor=actor(office, "owner"), access=access_of(office, "owner"), task=task, files=[pdf()]
    )
    assert result.documents[0].folder == office["folders"]["Fiscal"]
    bare = make_task(office, steps=())
    result = task_documents_upload(
        actor=actor(office, "owner"), access=access_of(office, "owner"), task=bare, files=[pdf()]
    )
    assert result.documents[0].folder is None
    assert TaskDocument.objects.get(task=bare).step is None


def test_upload_refused_on_done_task(office):
    task = make_task(office)
    task_complete(actor=actor(office, "owner"), access=access_of(office, "owner"), task=task)
    with pytest.raises(ActionRefused):
        task_documents_upload(
            actor=actor(office, "owner"),
            access=access_of(office, "owner"),
            task=task,
            files=[pdf()],
        )
    assert not Document.objects.filter(dossier=office["dossier"]).exists()


def test_upload_refused_on_not_applicable_step(office):
    task = make_task(office)
    step = task.steps.first()
    step_mark_not_applicable(
        actor=actor(office, "owner"), access=access_of(office, "owner"), step=step, comment="x"
    )
    with pytest.raises(ActionRefused):
        task_documents_upload(
            actor=actor(office, "owner"),
            access=access_of(office, "owner"),
            task=task,
            step=step,
            files=[pdf()],
        )


def test_step_with_foreign_task_is_refused(office):
    task = make_task(office)
    Step.objects.filter(task=task).update(deleted_at=None)
    assert task.steps.count() == 3


def test_attach_existing_documents_to_a_step(office):
    from comptoir.documents.actions import document_upload
    from comptoir.documents.uploads import file_receive

    from ..actions import task_documents_attach

    document = document_upload(
        actor=actor(office, "owner"),
        access=access_of(office, "owner"),
        received=file_receive(pdf("deja.pdf")),
        folder=office["folders"]["Fiscal"],
    )
    task = make_task(office)
    step = task.steps.first()
    links = task_documents_attach(
        actor=actor(office, "owner"),
        access=access_of(office, "owner"),
        task=task,
        step=step,
        documents=[document],
    )
    assert [link.document for link in links] == [document]
    # Twice: nothing more.
    assert (
        task_documents_attach(
            actor=actor(office, "owner"),
            access=access_of(office, "owner"),
            task=task,
            step=step,
            documents=[document],
        )
        == []
    )
    assert AuditEvent.objects.filter(action="task.documents_attached").count() == 1


def test_a_task_is_never_sent_to_someone_who_cannot_work_it(office):
    """Lecture seule may read tasks but not work them: it is not offered as an assignee,
    and the action refuses it (no task, no notification)."""
    from comptoir.assignments.selectors import client_workers

    workers = set(client_workers(office["dossier"]))
    assert office["users"]["owner"] in workers
    assert office["users"]["user"] in workers
    assert office["users"]["readonly"] not in workers
    before = Task.objects.count()
    with pytest.raises(ActionRefused):
        make_task(office, to=("owner", "readonly"))
    assert Task.objects.count() == before
