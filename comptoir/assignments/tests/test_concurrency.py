"""Two people acting on the same task or step at once: real concurrent requests, each
thread with its own database connection, started together by a barrier. PostgreSQL only:
SQLite serialises every writer on one file lock, so nothing would race there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.testing.concurrency import together

from ..models import StepComment, StepState, TaskDocument, TaskState
from .conftest import make_task, pdf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
    ),
]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def slug(office) -> str:
    return office["dossier"].slug


def test_two_comments_at_once_are_both_kept(office):
    task = make_task(office)
    step = task.steps.first()
    owner, accountant = (
        logged_in(office["users"]["owner"]),
        logged_in(office["users"]["accountant"]),
    )
    path = reverse("assignments:step_comment", args=[slug(office), step.pk])
    answers = together(
        lambda: owner.post(path, {"body": "Du client"}),
        lambda: accountant.post(path, {"body": "Du cabinet"}),
    )
    assert [a.status_code for a in answers] == [302, 302]  # type: ignore[union-attr]
    assert set(StepComment.objects.filter(step=step).values_list("body", flat=True)) == {
        "Du client",
        "Du cabinet",
    }
    assert AuditEvent.objects.filter(action="task.step_commented").count() == 2


@pytest.mark.parametrize("attempt", range(3))
def test_not_applicable_against_complete_one_wins_the_other_is_told(office, attempt):
    task = make_task(office)
    step = task.steps.first()
    owner, admin = logged_in(office["users"]["owner"]), logged_in(office["users"]["admin"])
    na = reverse("assignments:step_not_applicable", args=[slug(office), step.pk])
    done = reverse("assignments:step_complete", args=[slug(office), step.pk])
    together(
        lambda: owner.post(na, {"comment": "Pas concerné"}),
        lambda: admin.post(done),
    )
    step.refresh_from_db()
    events = list(
        AuditEvent.objects.filter(
            action__in=["task.step_not_applicable", "task.step_completed"]
        ).values_list("action", flat=True)
    )
    # Exactly one decision was applied, and the step shows that one.
    assert len(events) == 1
    expected = {
        "task.step_not_applicable": StepState.NOT_APPLICABLE,
        "task.step_completed": StepState.COMPLETE,
    }[events[0]]
    assert step.state == expected
    # The loser got a clear refusal on its next page.
    loser = admin if events[0] == "task.step_not_applicable" else owner
    html = loser.get(task.get_absolute_url()).content.decode()
    assert "Cette étape vient d" in html


@pytest.mark.parametrize("attempt", range(3))
def test_completing_while_uploading_never_loses_a_document_silently(office, attempt):
    task = make_task(office)
    step = task.steps.first()
    owner, admin = logged_in(office["users"]["owner"]), logged_in(office["users"]["admin"])
    upload = reverse("assignments:task_upload", args=[slug(office), task.pk])
    complete = reverse("assignments:task_complete", args=[slug(office), task.pk])
    together(
        lambda: owner.post(upload, {"step": step.pk, "files": [pdf("releve.pdf")]}),
        lambda: admin.post(complete),
    )
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    links = list(TaskDocument.objects.filter(task=task))
    if links:
        # The upload went in first: it is linked, filed, and before the completion.
        assert links[0].added_at <= task.completed_at
        assert Document.objects.filter(dossier=office["dossier"]).count() == 1
    else:
        # Refused after the completion: nothing half-stored, and the person was told.
        assert not Document.objects.filter(dossier=office["dossier"]).exists()
        html = owner.get(task.get_absolute_url()).content.decode()
        assert "Cette tâche est terminée" in html


def test_two_uploads_at_once_are_both_kept(office):
    task = make_task(office)
    step = task.steps.first()
    owner, admin = logged_in(office["users"]["owner"]), logged_in(office["users"]["admin"])
    upload = reverse("assignments:task_upload", args=[slug(office), task.pk])
    together(
        lambda: owner.post(upload, {"step": step.pk, "files": [pdf("a.pdf")]}),
        lambda: admin.post(upload, {"step": step.pk, "files": [pdf("b.pdf")]}),
    )
    assert TaskDocument.objects.filter(step=step).count() == 2
    assert AuditEvent.objects.filter(action="task.documents_uploaded").count() == 2


def test_completing_twice_at_once_applies_once(office):
    task = make_task(office)
    owner, admin = logged_in(office["users"]["owner"]), logged_in(office["users"]["admin"])
    complete = reverse("assignments:task_complete", args=[slug(office), task.pk])
    together(lambda: owner.post(complete), lambda: admin.post(complete))
    assert AuditEvent.objects.filter(action="task.completed").count() == 1
