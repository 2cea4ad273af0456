"""What waits for a person, for the dossier home ("À faire") and the dossiers list.

Template tags, so that the dossiers app (a lower layer) shows tasks without importing the
assignments app; its templates load them only for people with TASK_VIEW. Reads start from
`access.tasks_visible` (one dossier) or from the dossiers already listed (several).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.permissions import Role

from ..access import tasks_visible
from ..models import Task, TaskKind, TaskState

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.dossiers.models import Dossier

register = template.Library()

HOME_TASKS = 10


def waiting_for(access: DossierAccess) -> QuerySet[Task]:
    """Open tasks that wait for this person: those sent to them; every open one for the
    accountant (Comptable, directly or through a firm), who follows the dossier's tasks."""
    tasks = tasks_visible(access).filter(state=TaskState.OPEN)
    if access.role != Role.ACCOUNTANT:
        tasks = tasks.filter(assignees__user=access.user)
    return tasks


@register.inclusion_tag("assignments/_home_todo.html")
def assignments_todo(access: DossierAccess) -> dict[str, Any]:
    """Approvals waiting first, then the other tasks by due date (none last)."""
    tasks = list(
        waiting_for(access)
        .select_related("dossier", "created_by")
        .order_by("due_date", "created_at", "id")[: HOME_TASKS + 1]
    )
    approvals = [task for task in tasks[:HOME_TASKS] if task.kind == TaskKind.APPROVAL]
    others = [task for task in tasks[:HOME_TASKS] if task.kind != TaskKind.APPROVAL]
    # Due dates first, then those without one (NULLs sort differently per database).
    others.sort(key=lambda task: (task.due_date is None, task.due_date or 0, task.pk))
    approvals.sort(key=lambda task: (task.due_date is None, task.due_date or 0, task.pk))
    return {
        "dossier": access.dossier,
        "approvals": approvals,
        "others": others,
        "more": len(tasks) > HOME_TASKS,
        "today": timezone.localdate(),
    }


@register.simple_tag
def dossiers_waiting(dossiers: list[Dossier], user: User) -> list[tuple[Dossier, int, int]]:
    """Each dossier with the number of open tasks sent to `user` there, and how many are
    late: one query whatever the number of dossiers."""
    today = timezone.localdate()
    counts = {
        row["dossier_id"]: row
        for row in Task.objects.filter(
            dossier__in=[dossier.pk for dossier in dossiers],
            state=TaskState.OPEN,
            assignees__user=user,
        )
        .values("dossier_id")
        .annotate(
            open=Count("pk", distinct=True),
            late=Count("pk", filter=Q(due_date__lt=today), distinct=True),
        )
        .order_by()
    }
    empty = {"open": 0, "late": 0}
    return [
        (dossier, counts.get(dossier.pk, empty)["open"], counts.get(dossier.pk, empty)["late"])
        for dossier in dossiers
    ]
