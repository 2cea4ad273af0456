"""Two people deciding on the same approval at once, and an approval sent while its
document changes: threads with their own database connections, released together.
PostgreSQL only (SQLite serialises every writer on one file lock: nothing would race)."""

from __future__ import annotations

import pytest
from django.db import connection

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.actions import document_rename
from comptoir.documents.models import Document
from comptoir.notifications.models import Notification
from comptoir.testing.concurrency import together

from ..actions_approval import ActionRefused, approval_approve, approval_decline
from ..models import Approval, Task, TaskState
from .conftest import access_of
from .test_approval_actions import add_document, open_all, send

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
    ),
]


@pytest.mark.parametrize("attempt", range(3))
def test_two_assignees_deciding_at_once_give_exactly_one_decision(office, attempt):
    task = send(office, [add_document(office)], to=("owner", "user"))
    open_all(office, task, "owner")
    owner, user = office["users"]["owner"], office["users"]["user"]
    answers = together(
        lambda: approval_approve(
            actor=Actor(user=owner), access=access_of(office, "owner"), task=task
        ),
        lambda: approval_decline(
            actor=Actor(user=user), access=access_of(office, "user"), task=task, comment="Non"
        ),
    )
    decisions = [a for a in answers if isinstance(a, Approval)]
    refusals = [a for a in answers if isinstance(a, ActionRefused)]
    assert len(decisions) == 1, answers
    assert len(refusals) == 1, answers
    assert "déjà été traitée par" in refusals[0].message
    assert Approval.objects.filter(task=task).count() == 1
    fresh = Task.objects.get(pk=task.pk)
    assert fresh.state == TaskState.DONE
    assert fresh.outcome == decisions[0].outcome
    assert AuditEvent.objects.filter(action__in=["task.approved", "task.declined"]).count() == 1
    assert (
        Notification.objects.filter(kind__in=["approval_given", "approval_declined"]).count() == 1
    )


def test_a_rename_racing_the_sending_never_changes_a_locked_document(office):
    document = add_document(office, "bilan.pdf")
    accountant = office["users"]["accountant"]
    answers = together(
        lambda: send(office, [document]),
        lambda: document_rename(
            actor=Actor(user=accountant),
            access=access_of(office),
            document=document,
            name="renommé.pdf",
        ),
    )
    sent, renamed = answers
    assert isinstance(sent, Task), answers
    fresh = Document.objects.get(pk=document.pk)
    if isinstance(renamed, ActionRefused):
        # The sending locked it first: the name the approver sees is the one sent.
        assert fresh.name == "bilan.pdf"
    else:
        # The rename committed first; the task was then sent with the new name.
        assert fresh.name == "renommé.pdf"
