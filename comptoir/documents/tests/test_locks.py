"""Documents waiting for an approval are locked: no new version, rename, move or trash."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comptoir.assignments.actions_approval import (
    approval_approve,
    approval_decline,
    approval_document_open,
    approval_task_create,
)
from comptoir.assignments.locks import documents_locked
from comptoir.assignments.models import TaskDocument
from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.actions import (
    ActionRefused,
    document_rename,
    document_version_add,
    documents_move,
    documents_trash,
)
from comptoir.documents.models import Document
from comptoir.documents.uploads import file_receive

from .conftest import access_of, upload


def ask_approval(office, documents):
    return approval_task_create(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office),
        title="Comptes annuels 2025",
        assignees=[office["users"]["user"]],
        documents=documents,
    )


def snapshot(document: Document) -> tuple:
    document.refresh_from_db()
    return (
        document.name,
        document.folder_id,
        document.deleted_at,
        document.current_version_id,
        document.versions.count(),
    )


@pytest.fixture
def locked(office):
    document = upload(office, "bilan.pdf", b"bilan 2025")
    task = ask_approval(office, [document])
    return document, task


def refused_actions(office, document):
    actor, access = Actor(user=office["users"]["owner"]), access_of(office)
    return {
        "version": lambda: document_version_add(
            actor=actor,
            access=access,
            document=document,
            received=file_receive(SimpleUploadedFile("bilan.pdf", b"bilan v2")),
        ),
        "rename": lambda: document_rename(
            actor=actor, access=access, document=document, name="autre.pdf"
        ),
        "move": lambda: documents_move(
            actor=actor, access=access, documents=[document], folder=office["folders"]["Fiscal"]
        ),
        "trash": lambda: documents_trash(actor=actor, access=access, documents=[document]),
    }


@pytest.mark.parametrize("action", ["version", "rename", "move", "trash"])
def test_a_pending_approval_locks_its_documents(office, locked, action):
    document, _task = locked
    before = snapshot(document)
    events = AuditEvent.objects.count()
    with pytest.raises(ActionRefused, match="attend une approbation"):
        refused_actions(office, document)[action]()
    assert snapshot(document) == before
    assert AuditEvent.objects.count() == events


def test_moving_several_documents_refuses_all_when_one_is_locked(office, locked):
    document, _task = locked
    free = upload(office, "libre.pdf", b"libre")
    with pytest.raises(ActionRefused, match=r"bilan\.pdf"):
        documents_move(
            actor=Actor(user=office["users"]["owner"]),
            access=access_of(office),
            documents=[free, document],
            folder=office["folders"]["Fiscal"],
        )
    free.refresh_from_db()
    assert free.folder == office["folders"]["Comptabilité"]


def test_other_documents_are_free(office, locked):
    free = upload(office, "libre.pdf", b"libre")
    document_rename(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office),
        document=free,
        name="renommé.pdf",
    )
    assert Document.objects.get(pk=free.pk).name == "renommé.pdf"


def _open_all(office, task):
    for link in TaskDocument.objects.filter(task=task).select_related("document"):
        approval_document_open(
            actor=Actor(user=office["users"]["user"]),
            access=access_of(office, "user"),
            task_document=link,
        )


@pytest.mark.parametrize("outcome", ["approved", "declined"])
def test_the_decision_unlocks(office, locked, outcome):
    document, task = locked
    actor, access = Actor(user=office["users"]["user"]), access_of(office, "user")
    if outcome == "approved":
        _open_all(office, task)
        approval_approve(actor=actor, access=access, task=task)
    else:
        approval_decline(actor=actor, access=access, task=task, comment="Non")
    assert documents_locked([document.pk]) == {}
    for action in ("rename", "version", "move", "trash"):
        refused_actions(office, document)[action]()
    document.refresh_from_db()
    assert document.is_trashed
    assert document.name == "autre.pdf"
    assert document.versions.count() == 2


def test_documents_locked_is_one_query(office, django_assert_num_queries):
    documents = [upload(office, f"d{i}.pdf", f"d{i}".encode()) for i in range(4)]
    task = ask_approval(office, documents[:3])
    with django_assert_num_queries(1):
        locked = documents_locked([d.pk for d in documents])
    assert set(locked) == {d.pk for d in documents[:3]}
    assert all(t.pk == task.pk for t in locked.values())


def test_the_document_page_says_why_it_is_locked(office, client, locked):
    document, task = locked
    client.force_login(office["users"]["owner"])
    url = reverse("documents:document_detail", args=[office["dossier"].slug, document.pk])
    html = client.get(url).content.decode()
    assert "Verrouillé : en attente d" in html
    assert task.get_absolute_url() in html
    free = upload(office, "libre.pdf", b"libre")
    url = reverse("documents:document_detail", args=[office["dossier"].slug, free.pk])
    assert "Verrouillé" not in client.get(url).content.decode()


def test_the_views_show_the_refusal_and_change_nothing(office, client, locked):
    document, _task = locked
    client.force_login(office["users"]["owner"])
    before = snapshot(document)
    url = reverse("documents:document_rename", args=[office["dossier"].slug, document.pk])
    answer = client.post(url, {"name": "x.pdf", "expected_name": document.name}, follow=True)
    assert "attend une approbation" in answer.content.decode()
    assert snapshot(document) == before
