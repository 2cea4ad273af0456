"""Approval tasks through their actions: sending, opening, approving, declining."""

from __future__ import annotations

import pytest
from django.core import mail

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.actions import document_upload, document_version_add
from comptoir.documents.uploads import file_receive
from comptoir.notifications.models import Notification

from ..actions_approval import (
    ActionRefused,
    approval_approve,
    approval_decline,
    approval_document_open,
    approval_task_create,
)
from ..models import (
    Approval,
    ApprovalDocument,
    Task,
    TaskDocument,
    TaskDocumentOpen,
    TaskKind,
    TaskState,
)
from .conftest import access_of, pdf


def add_document(office, name: str = "bilan.pdf", text: str = "Bilan 2025", by="accountant"):
    user = office["users"][by]
    return document_upload(
        actor=Actor(user=user),
        access=access_of(office, by),
        received=file_receive(pdf(name, text)),
        folder=office["folders"]["Comptabilité"],
    )


def send(office, documents, *, to=("owner",), by="accountant", title="Comptes 2025", **extra):
    return approval_task_create(
        actor=Actor(user=office["users"][by]),
        access=access_of(office, by),
        title=title,
        message=extra.pop("message", "Merci de valider"),
        due_date=extra.pop("due_date", None),
        assignees=[office["users"][name] for name in to],
        documents=documents,
        **extra,
    )


def open_all(office, task, who="owner"):
    for link in TaskDocument.objects.filter(task=task).select_related("document"):
        approval_document_open(
            actor=Actor(user=office["users"][who]),
            access=access_of(office, who),
            task_document=link,
        )


def client_actor(office, who="owner"):
    return Actor(user=office["users"][who], ip="203.0.113.7", user_agent="Firefox test")


def test_sending_creates_the_task_notifies_and_audits(
    office, django_capture_on_commit_callbacks, mailoutbox
):
    docs = [add_document(office, "bilan.pdf"), add_document(office, "annexe.pdf", "Annexe")]
    with django_capture_on_commit_callbacks(execute=True):
        task = send(office, docs, to=("owner", "user"))
    assert task.kind == TaskKind.APPROVAL
    assert task.state == TaskState.OPEN
    assert set(TaskDocument.objects.filter(task=task).values_list("document_id", flat=True)) == {
        d.pk for d in docs
    }
    assert set(task.assignees.values_list("user__email", flat=True)) == {
        "owner@alpha.test",
        "user@alpha.test",
    }
    event = AuditEvent.objects.get(action="task.created", object_id=str(task.pk))
    assert event.details["kind"] == "approval"
    assert len(event.details["documents"]) == 2
    received = Notification.objects.filter(kind="task_received")
    assert set(received.values_list("user__email", flat=True)) == {
        "owner@alpha.test",
        "user@alpha.test",
    }
    assert received.first().url == task.get_absolute_url()
    assert len(mail.outbox) == 2


def test_sending_with_uploaded_files_files_them_in_the_chosen_folder(office):
    folder = office["folders"]["Juridique"]
    task = send(office, [], files=[file_receive(pdf("pv.pdf", "PV"))], folder=folder)
    link = TaskDocument.objects.select_related("document").get(task=task)
    assert link.document.name == "pv.pdf"
    assert link.document.folder == folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to": ()}, "au moins une personne"),
        ({"to": ("accountant",)}, "personnes du client"),
        ({"to": ("staff",)}, "personnes du client"),
        ({"title": "  "}, "titre"),
        ({"documents": []}, "au moins un document"),
    ],
)
def test_sending_is_refused_without_what_it_needs(office, change, message):
    doc = add_document(office)
    documents = change.pop("documents", [doc])
    with pytest.raises(ActionRefused, match=message):
        send(office, documents, **change)
    assert not Task.objects.exists()


def test_a_client_without_task_send_cannot_send(office):
    doc = add_document(office, by="owner")
    with pytest.raises(ActionRefused):
        send(office, [doc], by="user")
    assert not Task.objects.exists()


def test_a_document_of_another_dossier_is_refused(office):
    from comptoir.dossiers.access import dossier_access_for

    outsider = office["outsider"]
    foreign = document_upload(
        actor=Actor(user=outsider),
        access=dossier_access_for(outsider, office["other_dossier"].slug),
        received=file_receive(pdf("autre.pdf")),
        folder=None,
    )
    with pytest.raises(ActionRefused, match="n'existe plus"):
        send(office, [foreign])
    assert not Task.objects.exists()


def test_opening_is_recorded_once_per_person(office):
    task = send(office, [add_document(office)])
    link = TaskDocument.objects.select_related("document").get(task=task)
    owner = office["users"]["owner"]
    first = approval_document_open(
        actor=Actor(user=owner), access=access_of(office, "owner"), task_document=link
    )
    again = approval_document_open(
        actor=Actor(user=owner), access=access_of(office, "owner"), task_document=link
    )
    assert first is True
    assert again is False
    assert TaskDocumentOpen.objects.filter(task_document=link, user=owner).count() == 1
    assert AuditEvent.objects.filter(action="task.document_opened").count() == 1


def test_approving_needs_every_document_opened(office):
    docs = [add_document(office, "bilan.pdf"), add_document(office, "annexe.pdf", "Annexe")]
    task = send(office, docs)
    link = TaskDocument.objects.select_related("document").get(task=task, document=docs[0])
    approval_document_open(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        task_document=link,
    )
    with pytest.raises(ActionRefused, match=r"annexe\.pdf"):
        approval_approve(actor=client_actor(office), access=access_of(office, "owner"), task=task)
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert not Approval.objects.exists()


def test_approval_keeps_the_proof_and_tells_the_sender(
    office, django_capture_on_commit_callbacks, mailoutbox
):
    doc = add_document(office)
    task = send(office, [doc])
    open_all(office, task)
    with django_capture_on_commit_callbacks(execute=True):
        approval = approval_approve(
            actor=client_actor(office), access=access_of(office, "owner"), task=task
        )
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert task.outcome == "approved"
    assert task.completed_by == office["users"]["owner"]
    assert task.next_reminder_at is None
    assert approval.ip == "203.0.113.7"
    assert approval.user_agent == "Firefox test"
    proof = ApprovalDocument.objects.get(approval=approval)
    doc.refresh_from_db()
    assert proof.version == doc.current_version
    assert proof.sha256 == doc.current_version.sha256
    assert len(proof.sha256) == 64
    event = AuditEvent.objects.get(action="task.approved")
    assert event.details["documents"][0]["sha256"] == proof.sha256
    notice = Notification.objects.get(kind="approval_given")
    assert notice.user == office["users"]["accountant"]
    assert notice.url == task.get_absolute_url()
    assert [m.to for m in mail.outbox] == [["accountant@alpha.test"]]


def test_declining_needs_a_comment_and_tells_the_sender(
    office, django_capture_on_commit_callbacks, mailoutbox
):
    task = send(office, [add_document(office)])
    with pytest.raises(ActionRefused, match="commentaire"):
        approval_decline(
            actor=client_actor(office), access=access_of(office, "owner"), task=task, comment=" "
        )
    assert not Approval.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        approval_decline(
            actor=client_actor(office),
            access=access_of(office, "owner"),
            task=task,
            comment="Le résultat est faux",
        )
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert task.outcome == "declined"
    assert Approval.objects.get(task=task).comment == "Le résultat est faux"
    assert AuditEvent.objects.filter(action="task.declined").count() == 1
    notice = Notification.objects.get(kind="approval_declined")
    assert notice.user == office["users"]["accountant"]
    assert "Le résultat est faux" in notice.body
    assert len(mail.outbox) == 1


def test_only_an_assignee_may_decide(office):
    task = send(office, [add_document(office)], to=("owner",))
    open_all(office, task, "admin")
    with pytest.raises(ActionRefused, match="adressée"):
        approval_approve(
            actor=client_actor(office, "admin"), access=access_of(office, "admin"), task=task
        )
    with pytest.raises(ActionRefused, match="adressée"):
        approval_decline(
            actor=client_actor(office, "admin"),
            access=access_of(office, "admin"),
            task=task,
            comment="Non",
        )
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_a_decision_is_taken_once(office):
    task = send(office, [add_document(office)], to=("owner", "user"))
    open_all(office, task, "owner")
    approval_approve(actor=client_actor(office), access=access_of(office, "owner"), task=task)
    with pytest.raises(ActionRefused, match="déjà été traitée par"):
        approval_decline(
            actor=client_actor(office, "user"),
            access=access_of(office, "user"),
            task=task,
            comment="Non",
        )
    assert Approval.objects.count() == 1
    assert Task.objects.get(pk=task.pk).outcome == "approved"


def test_the_approved_version_is_the_one_current_at_the_decision(office):
    doc = add_document(office)
    task = send(office, [doc])
    open_all(office, task)
    approval = approval_approve(
        actor=client_actor(office), access=access_of(office, "owner"), task=task
    )
    # Unlocked once decided: a new version may come, the proof still names the old one.
    version = document_version_add(
        actor=Actor(user=office["users"]["accountant"]),
        access=access_of(office),
        document=doc,
        received=file_receive(pdf("bilan.pdf", "Bilan corrigé")),
    )
    proof = ApprovalDocument.objects.get(approval=approval)
    assert proof.version.number == 1
    assert version.number == 2
    assert proof.sha256 != version.sha256


def test_a_read_only_member_cannot_be_asked_to_approve(office):
    with pytest.raises(ActionRefused, match="lecture seule"):
        send(office, [add_document(office)], to=("readonly",))
    assert not Task.objects.exists()


def test_an_assignee_who_cannot_see_a_document_is_refused(office):
    from comptoir.dossiers.models import Membership

    Membership.objects.filter(user=office["users"]["user"]).update(
        restrict_folders=True, visible_folder_ids=[office["folders"]["Fiscal"].pk]
    )
    with pytest.raises(ActionRefused, match="pas accès à tous les documents"):
        send(office, [add_document(office)], to=("user",))
    assert not Task.objects.exists()
