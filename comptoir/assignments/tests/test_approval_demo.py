"""The demo has an approval waiting for the manager of Always Clean and one approved."""

from __future__ import annotations

from comptoir.demo import demo_load
from comptoir.demo_approvals import ANNUAL_ACCOUNTS, ANNUAL_DOCUMENTS, PAYSLIP
from comptoir.documents.models import Document

from ..locks import documents_locked
from ..models import Approval, ApprovalDocument, Task, TaskKind, TaskState


def test_demo_has_the_approval_tasks(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_load() is True
    approvals = Task.objects.filter(kind=TaskKind.APPROVAL).select_related("dossier", "created_by")
    by_title = {t.title: t for t in approvals}
    waiting, approved = by_title[ANNUAL_ACCOUNTS], by_title[PAYSLIP]
    for task in (waiting, approved):
        assert task.dossier.slug == "always-clean"
        assert task.created_by.email == "comptable@cabinet-martin.test"
        assert list(task.assignees.values_list("user__email", flat=True)) == [
            "gerant@alwaysclean.test"
        ]
    assert waiting.state == TaskState.OPEN
    names = set(waiting.task_documents.values_list("document__name", flat=True))
    assert names == set(ANNUAL_DOCUMENTS)
    locked = documents_locked(Document.objects.filter(name__in=names).values_list("pk", flat=True))
    assert len(locked) == 2
    assert approved.state == TaskState.DONE
    assert approved.outcome == "approved"
    decision = Approval.objects.get(task=approved)
    assert decision.user.email == "gerant@alwaysclean.test"
    assert ApprovalDocument.objects.filter(approval=decision).exclude(sha256="").count() == 1
