"""Permission-checked fetches of tasks and steps.

Every query on tasks starts from `tasks_visible(access)`: the dossier's tasks (the view
has checked TASK_VIEW). Documents shown inside a task still go through
`documents.access.documents_visible`, so a restricted Utilisateur sees the task but not
the documents of folders it may not see. Anything outside answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from comptoir.dossiers.access import DossierAccess

from .models import Step, Task, TaskDocument, TaskSchedule, TaskTemplate

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.dossiers.models import Dossier


def tasks_visible(access: DossierAccess) -> QuerySet[Task]:
    return Task.objects.filter(dossier=access.dossier)


def access_task(access: DossierAccess, pk: int) -> Task:
    task = tasks_visible(access).filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def access_step(task: Task, pk: int) -> Step:
    """A live (not deleted) step of `task`, or 404."""
    step = Step.objects.filter(task=task, pk=pk, deleted_at__isnull=True).first()
    if step is None:
        raise Http404
    return step


def access_task_document(access: DossierAccess, task: Task, pk: int) -> TaskDocument:
    """An attached document of `task` the person may see (folder restrictions hold)."""
    from comptoir.documents.access import documents_visible

    found = (
        TaskDocument.objects.filter(task=task, pk=pk)
        .filter(document__in=documents_visible(access))
        .select_related("document", "document__current_version")
        .first()
    )
    if found is None:
        raise Http404
    return found


# --- Templates and recurrences (outside / inside a dossier) -------------------------------


def templates_visible(user: User) -> QuerySet[TaskTemplate]:
    """The person's own templates and those of the firms whose staff they are on."""
    from django.db.models import Q

    from comptoir.dossiers.models import FirmMember

    firms = FirmMember.objects.filter(user=user).values("firm")
    return TaskTemplate.objects.filter(Q(created_by=user) | Q(firm__in=firms))


def access_template(user: User, pk: int) -> TaskTemplate:
    """A template the person may use (and edit: theirs or their firm's), or 404."""
    template = templates_visible(user).filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


def access_schedule(access: DossierAccess, pk: int) -> TaskSchedule:
    """A recurrence of this dossier, or 404."""
    schedule = (
        TaskSchedule.objects.select_related("template", "created_by")
        .filter(dossier=access.dossier, pk=pk)
        .first()
    )
    if schedule is None:
        raise Http404
    return schedule


def dossiers_for_sending(user: User) -> list[Dossier]:
    """The live dossiers where the person may send tasks (TASK_SEND), by name."""
    from comptoir.dossiers.access import dossiers_with
    from comptoir.dossiers.permissions import Permission

    return dossiers_with(user, Permission.TASK_SEND)
