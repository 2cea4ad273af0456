"""The demo has upload tasks in both lists, one overdue, one in Boulangerie Dupont."""

from __future__ import annotations

import datetime

from django.utils import timezone

from comptoir.demo import demo_load
from comptoir.demo_tasks import BOULANGERIE, NOVEMBER, OCTOBER, OVERDUE

from ..models import StepState, TaskDocument, TaskKind, TaskState


def test_demo_has_the_upload_tasks(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_load() is True
    from ..models import Task

    uploads = Task.objects.filter(kind=TaskKind.UPLOAD).select_related("dossier", "created_by")
    by_title = {t.title: t for t in uploads}
    for title in (NOVEMBER, OVERDUE, OCTOBER, BOULANGERIE):
        task = by_title[title]
        assert task.created_by.email == "comptable@cabinet-martin.test"
    november = by_title[NOVEMBER]
    assert november.dossier.slug == "always-clean"
    assert november.state == TaskState.OPEN
    assert list(november.assignees.values_list("user__email", flat=True)) == [
        "gerant@alwaysclean.test"
    ]
    states = [s.state for s in november.steps.all()]
    assert states == [StepState.COMPLETE, StepState.NOT_APPLICABLE, StepState.OPEN]
    assert november.steps.all()[1].state_comment
    assert TaskDocument.objects.filter(step=november.steps.first()).count() == 1
    overdue = by_title[OVERDUE]
    assert overdue.state == TaskState.OPEN
    assert overdue.due_date < timezone.localdate()
    assert by_title[OCTOBER].state == TaskState.DONE
    assert by_title[BOULANGERIE].dossier.slug == "boulangerie-dupont"
    assert by_title[BOULANGERIE].state == TaskState.OPEN
    assert datetime.date.today() <= by_title[NOVEMBER].due_date
