"""Documents locked by a pending approval.

While an approval task is open, the documents it asks to approve must stay exactly what
the approver opens: no new version, no rename, no move, no trash. `documents/actions.py`
asks here (one query for any number of documents) before each of those writes, under the
document's row lock; the approval's decision (which locks the task row) ends the lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Task, TaskDocument, TaskKind, TaskState


def documents_locked(document_ids: Iterable[int]) -> dict[int, Task]:
    """{document id: the open approval task holding it} for those that are locked."""
    ids = [pk for pk in document_ids if pk is not None]
    if not ids:
        return {}
    links = (
        TaskDocument.objects.filter(
            document_id__in=ids, task__kind=TaskKind.APPROVAL, task__state=TaskState.OPEN
        )
        .select_related("task")
        .order_by("task__created_at", "task_id")
    )
    locked: dict[int, Task] = {}
    for link in links:
        locked.setdefault(link.document_id, link.task)
    return locked


def document_lock(document_id: int) -> Task | None:
    """The open approval task holding this document, if any."""
    return documents_locked([document_id]).get(document_id)
