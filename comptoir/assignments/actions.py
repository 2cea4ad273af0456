"""Every write on upload tasks and their steps.

The view has checked the permission (`dossier_view`) and fetched the task or step through
`access.py`; the action checks the business rules again (the demo data, the recurrence
worker and other callers do not go through a form).

Concurrency: every action on a task or one of its steps first locks the task's row
(`select_for_update`), then re-reads what it changes. Two people acting at once are thus
served one after the other, and the second one sees the first one's result: a step
already marked is refused with a clear message instead of being silently overwritten, a
task completed meanwhile refuses further work, and comments or uploads are simply both
kept. Locking the task (never a step alone) gives one lock order for everything.

Notifications are sent after commit, each in its recipient's language: an action rolled
back tells nobody.

Who may do what (the issue leaves it open):
- the client's work (upload, mark steps, complete the task) needs TASK_WORK;
- adding steps and reopening a completed task need TASK_SEND (the sender's side);
- deleting, reopening and commenting a step are allowed to both sides (TASK_WORK or
  TASK_SEND): the client removes what does not concern them, the accountant tidies up.
- Uploads into the task itself (not a step) go to the first live step's folder, else the
  dossier's root: where the accountant expects the task's documents.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.audit.actions import Actor, record
from comptoir.documents.models import Document, Folder
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.permissions import Permission

from . import reminders
from .models import (
    Step,
    StepComment,
    StepState,
    Task,
    TaskAssignee,
    TaskDocument,
    TaskKind,
    TaskSchedule,
    TaskState,
)

if TYPE_CHECKING:
    from comptoir.accounts.models import User

__all__ = ["ActionRefused", "StepSpec", "upload_task_create"]

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 5_000
MAX_STEPS = 50
MAX_FILES_PER_REQUEST = 50


@dataclass(frozen=True)
class StepSpec:
    title: str
    details: str = ""
    due_date: datetime.date | None = None
    folder: Folder | None = None  # a Folder of the same dossier, or None (root)


# --- Notifications (after commit, in the recipient's language) ----------------------------


def _notify_later(
    *,
    users: Iterable[User],
    kind: str,
    title: Callable[[], str],
    body: Callable[[], str],
    task: Task,
    email: bool = True,
    exclude: User | None = None,
) -> None:
    """Queue one notification per user, sent once the action has committed.

    `title` and `body` are called inside `translation.override(user.language)`, so each
    person reads them in their own language.
    """
    recipients = [u for u in users if u is not None and (exclude is None or u.pk != exclude.pk)]
    if not recipients:
        return
    task_id = task.pk

    def send() -> None:
        from comptoir.notifications.actions import notification_send

        fresh = Task.objects.select_related("dossier").filter(pk=task_id).first()
        if fresh is None:
            return
        url = fresh.get_absolute_url()
        for user in recipients:
            try:
                with (
                    translation.override(user.language or settings.LANGUAGE_CODE),
                    transaction.atomic(),
                ):
                    notification_send(
                        user=user,
                        kind=kind,
                        title=title(),
                        body=body(),
                        url=url,
                        dossier=fresh.dossier,
                        email=email,
                    )
            except Exception:
                # The action is done and saved; a failed notice must not undo it. Logged.
                logger.exception("Task #%s: a %s notification failed", task_id, kind)

    transaction.on_commit(send)


def _assignee_users(task: Task) -> list[User]:
    return [a.user for a in TaskAssignee.objects.filter(task=task).select_related("user")]


def _sender(task: Task) -> list[User]:
    return [task.created_by] if task.created_by is not None else []


# --- Checks -------------------------------------------------------------------------------


def _require(access: DossierAccess, *permissions: Permission) -> None:
    if not any(access.has(p) for p in permissions):
        raise ActionRefused(_("Vous ne pouvez pas faire cela sur les tâches de ce dossier."))


def _lock_task(access: DossierAccess, task: Task, *, open_only: bool = True) -> Task:
    """The task's row, locked for the rest of the transaction, re-read."""
    locked = (
        Task.objects.select_for_update()
        .filter(pk=task.pk, dossier=access.dossier, kind=TaskKind.UPLOAD)
        .first()
    )
    if locked is None:
        raise ActionRefused(_("Cette tâche n'existe plus."))
    if open_only and locked.state != TaskState.OPEN:
        raise ActionRefused(
            _("Cette tâche est terminée : rouvrez-la avant de la modifier.")
            if access.has(Permission.TASK_SEND)
            else _("Cette tâche est terminée : elle ne peut plus être modifiée.")
        )
    return locked


def _lock_step(access: DossierAccess, step: Step, *, open_task: bool = True) -> tuple[Task, Step]:
    """Lock the step's task (one lock order for everything), then re-read the step."""
    task = _lock_task(access, step.task, open_only=open_task)
    locked = (
        Step.objects.select_for_update()
        .filter(pk=step.pk, task=task, deleted_at__isnull=True)
        .first()
    )
    if locked is None:
        raise ActionRefused(_("Cette étape a été supprimée entre-temps."))
    return task, locked


def _clean_title(title: str, *, what: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ActionRefused(what)
    if len(title) > TITLE_MAX_LENGTH:
        raise ActionRefused(
            _("Le titre compte %(n)s caractères au plus.") % {"n": TITLE_MAX_LENGTH}
        )
    return title


def _check_folder(access: DossierAccess, folder: Folder | None) -> None:
    if folder is not None and folder.dossier_id != access.dossier.pk:
        raise ActionRefused(_("Ce classeur n'appartient pas à ce dossier."))


def _step_row(task: Task, spec: StepSpec, position: int) -> Step:
    return Step(
        task=task,
        position=position,
        title=spec.title.strip(),
        details=(spec.details or "").strip(),
        due_date=spec.due_date,
        folder=spec.folder,
    )


def _step_details(step: Step) -> dict[str, object]:
    return {"task": step.task_id, "step": step.pk, "title": step.title}


# --- Creating -----------------------------------------------------------------------------


@transaction.atomic
def upload_task_create(
    *,
    actor: Actor,
    access: DossierAccess,
    title: str,
    message: str = "",
    due_date: datetime.date | None = None,
    assignees: Iterable[User],
    steps: Iterable[StepSpec],
    schedule: TaskSchedule | None = None,
) -> Task:
    """Create and send an upload task: rows, audit event `task.created`, reminder schedule
    (reminders.reminder_schedule), and after commit a TASK_RECEIVED notification (in-app +
    email) to each assignee in the assignee's language."""
    from .selectors import client_workers

    _require(access, Permission.TASK_SEND)
    title = _clean_title(title, what=_("Donnez un titre à la tâche."))
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ActionRefused(
            _("Les instructions comptent %(n)s caractères au plus.") % {"n": MESSAGE_MAX_LENGTH}
        )
    people = list({u.pk: u for u in assignees}.values())
    if not people:
        raise ActionRefused(_("Choisissez au moins une personne à qui envoyer la tâche."))
    allowed = set(
        client_workers(access.dossier)
        .filter(pk__in=[u.pk for u in people])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(people):
        raise ActionRefused(
            _(
                "Une tâche s'envoie aux personnes du client membres de ce dossier qui peuvent "
                "y répondre (pas en lecture seule)."
            )
        )
    specs = [s for s in steps if (s.title or "").strip()]
    if len(specs) > MAX_STEPS:
        raise ActionRefused(_("Une tâche compte %(n)s étapes au plus.") % {"n": MAX_STEPS})
    for spec in specs:
        _clean_title(spec.title, what=_("Donnez un titre à chaque étape."))
        _check_folder(access, spec.folder)
    if schedule is not None and schedule.dossier_id != access.dossier.pk:
        raise ActionRefused(_("Cette récurrence ne concerne pas ce dossier."))

    task = Task.objects.create(
        dossier=access.dossier,
        kind=TaskKind.UPLOAD,
        title=title,
        message=message,
        due_date=due_date,
        created_by=actor.user or access.user,
        schedule=schedule,
    )
    TaskAssignee.objects.bulk_create([TaskAssignee(task=task, user=u) for u in people])
    Step.objects.bulk_create([_step_row(task, spec, i) for i, spec in enumerate(specs)])
    reminders.reminder_schedule(task)
    record(
        actor=actor,
        action="task.created",
        dossier=access.dossier,
        target=task,
        details={
            "kind": TaskKind.UPLOAD.value,
            "title": title,
            "due_date": due_date.isoformat() if due_date else None,
            "assignees": [u.email for u in people],
            "steps": [s.title.strip() for s in specs],
            "schedule": schedule.pk if schedule else None,
        },
    )
    sender_name = (actor.user or access.user).display_name
    dossier_name = access.dossier.name
    _notify_later(
        users=people,
        kind="task_received",
        title=lambda: _("Nouvelle tâche : %(title)s") % {"title": title},
        body=lambda: (
            _("%(sender)s vous a envoyé une tâche dans le dossier %(dossier)s.")
            % {"sender": sender_name, "dossier": dossier_name}
        ),
        task=task,
    )
    return task


# --- The task -----------------------------------------------------------------------------


@transaction.atomic
def task_complete(*, actor: Actor, access: DossierAccess, task: Task) -> Task:
    """Move the task to Terminé (whatever its steps' state); reminders stop; the sender
    is told in the app and by email."""
    _require(access, Permission.TASK_WORK)
    locked = _lock_task(access, task, open_only=False)
    if locked.state == TaskState.DONE:
        raise ActionRefused(_("Cette tâche est déjà terminée."))
    open_steps = Step.objects.filter(
        task=locked, deleted_at__isnull=True, state=StepState.OPEN
    ).count()
    locked.state = TaskState.DONE
    locked.completed_at = timezone.now()
    locked.completed_by = actor.user
    locked.save(update_fields=["state", "completed_at", "completed_by", "updated_at"])
    reminders.reminder_schedule(locked)
    record(
        actor=actor,
        action="task.completed",
        dossier=access.dossier,
        target=locked,
        details={"open_steps": open_steps},
    )
    who = actor.user.display_name if actor.user else ""
    title, dossier_name = locked.title, access.dossier.name
    _notify_later(
        users=_sender(locked),
        kind="task_completed",
        title=lambda: _("Tâche terminée : %(title)s") % {"title": title},
        body=lambda: (
            _("%(who)s a terminé la tâche « %(title)s » (dossier %(dossier)s).")
            % {"who": who, "title": title, "dossier": dossier_name}
        ),
        task=locked,
        exclude=actor.user,
    )
    return locked


@transaction.atomic
def task_reopen(*, actor: Actor, access: DossierAccess, task: Task) -> Task:
    """Back to À faire; reminders resume; the assignees are told (TASK_RECEIVED), since it
    lands in their À faire list again."""
    _require(access, Permission.TASK_SEND)
    locked = _lock_task(access, task, open_only=False)
    if locked.state == TaskState.OPEN:
        raise ActionRefused(_("Cette tâche est déjà à faire."))
    locked.state = TaskState.OPEN
    locked.completed_at = None
    locked.completed_by = None
    locked.save(update_fields=["state", "completed_at", "completed_by", "updated_at"])
    reminders.reminder_schedule(locked)
    record(actor=actor, action="task.reopened", dossier=access.dossier, target=locked)
    who = actor.user.display_name if actor.user else ""
    title = locked.title
    _notify_later(
        users=_assignee_users(locked),
        kind="task_received",
        title=lambda: _("Tâche rouverte : %(title)s") % {"title": title},
        body=lambda: _("%(who)s a rouvert la tâche « %(title)s ».") % {"who": who, "title": title},
        task=locked,
        exclude=actor.user,
    )
    return locked


# --- Steps --------------------------------------------------------------------------------


@transaction.atomic
def step_add(*, actor: Actor, access: DossierAccess, task: Task, spec: StepSpec) -> Step:
    _require(access, Permission.TASK_SEND)
    locked = _lock_task(access, task)
    title = _clean_title(spec.title, what=_("Donnez un titre à l'étape."))
    _check_folder(access, spec.folder)
    if Step.objects.filter(task=locked, deleted_at__isnull=True).count() >= MAX_STEPS:
        raise ActionRefused(_("Une tâche compte %(n)s étapes au plus.") % {"n": MAX_STEPS})
    last = Step.objects.filter(task=locked).aggregate(m=Max("position"))["m"]
    step = _step_row(locked, StepSpec(title, spec.details, spec.due_date, spec.folder), 0)
    step.position = 0 if last is None else last + 1
    step.save()
    record(
        actor=actor,
        action="task.step_added",
        dossier=access.dossier,
        target=step,
        details={**_step_details(step), "folder": step.folder.name if step.folder else None},
    )
    return step


@transaction.atomic
def step_complete(*, actor: Actor, access: DossierAccess, step: Step) -> Step:
    """Mark a step done, with or without documents."""
    _require(access, Permission.TASK_WORK)
    _task, locked = _lock_step(access, step)
    if locked.state != StepState.OPEN:
        raise ActionRefused(_already_marked(locked))
    _step_state_set(locked, StepState.COMPLETE, actor, comment="")
    documents = TaskDocument.objects.filter(step=locked).count()
    record(
        actor=actor,
        action="task.step_completed",
        dossier=access.dossier,
        target=locked,
        details={**_step_details(locked), "documents": documents},
    )
    return locked


@transaction.atomic
def step_mark_not_applicable(
    *, actor: Actor, access: DossierAccess, step: Step, comment: str
) -> Step:
    """« Ne s'applique pas », with the reason (required); the sender is told."""
    _require(access, Permission.TASK_WORK)
    comment = (comment or "").strip()
    if not comment:
        raise ActionRefused(_("Expliquez pourquoi cette étape ne s'applique pas."))
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ActionRefused(
            _("Le commentaire compte %(n)s caractères au plus.") % {"n": COMMENT_MAX_LENGTH}
        )
    task, locked = _lock_step(access, step)
    if locked.state != StepState.OPEN:
        raise ActionRefused(_already_marked(locked))
    _step_state_set(locked, StepState.NOT_APPLICABLE, actor, comment=comment)
    record(
        actor=actor,
        action="task.step_not_applicable",
        dossier=access.dossier,
        target=locked,
        details={**_step_details(locked), "comment": comment},
    )
    who = actor.user.display_name if actor.user else ""
    step_title, task_title = locked.title, task.title
    _notify_later(
        users=_sender(task),
        kind="step_not_applicable",
        title=lambda: _("Étape « %(step)s » : ne s'applique pas") % {"step": step_title},
        body=lambda: (
            _("%(who)s (tâche « %(task)s ») : %(comment)s")
            % {"who": who, "task": task_title, "comment": comment}
        ),
        task=task,
        exclude=actor.user,
    )
    return locked


@transaction.atomic
def step_reopen(*, actor: Actor, access: DossierAccess, step: Step) -> Step:
    _require(access, Permission.TASK_WORK, Permission.TASK_SEND)
    _task, locked = _lock_step(access, step)
    if locked.state == StepState.OPEN:
        raise ActionRefused(_("Cette étape est déjà à faire."))
    before = locked.state
    _step_state_set(locked, StepState.OPEN, actor, comment="")
    record(
        actor=actor,
        action="task.step_reopened",
        dossier=access.dossier,
        target=locked,
        details={**_step_details(locked), "from": before},
    )
    return locked


@transaction.atomic
def step_delete(*, actor: Actor, access: DossierAccess, step: Step) -> Step:
    """Hide the step (kept in the database, so the history still names it)."""
    _require(access, Permission.TASK_WORK, Permission.TASK_SEND)
    _task, locked = _lock_step(access, step)
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor.user
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    record(
        actor=actor,
        action="task.step_deleted",
        dossier=access.dossier,
        target=locked,
        details={**_step_details(locked), "state": locked.state},
    )
    return locked


@transaction.atomic
def step_comment_add(*, actor: Actor, access: DossierAccess, step: Step, body: str) -> StepComment:
    _require(access, Permission.TASK_WORK, Permission.TASK_SEND)
    body = (body or "").strip()
    if not body:
        raise ActionRefused(_("Écrivez un commentaire."))
    if len(body) > COMMENT_MAX_LENGTH:
        raise ActionRefused(
            _("Le commentaire compte %(n)s caractères au plus.") % {"n": COMMENT_MAX_LENGTH}
        )
    _task, locked = _lock_step(access, step)
    comment = StepComment.objects.create(step=locked, author=actor.user, body=body)
    record(
        actor=actor,
        action="task.step_commented",
        dossier=access.dossier,
        target=locked,
        details={**_step_details(locked), "comment": comment.pk},
    )
    return comment


def _already_marked(step: Step) -> str:
    who = step.state_changed_by.display_name if step.state_changed_by else ""
    if step.state == StepState.COMPLETE:
        return (
            _("Cette étape vient d'être marquée terminée par %(who)s.") % {"who": who}
            if who
            else _("Cette étape est déjà terminée.")
        )
    return (
        _("Cette étape vient d'être marquée « Ne s'applique pas » par %(who)s.") % {"who": who}
        if who
        else _("Cette étape est déjà marquée « Ne s'applique pas ».")
    )


def _step_state_set(step: Step, state: str, actor: Actor, *, comment: str) -> None:
    step.state = state
    step.state_comment = comment
    step.state_changed_at = timezone.now()
    step.state_changed_by = actor.user
    step.save(
        update_fields=[
            "state",
            "state_comment",
            "state_changed_at",
            "state_changed_by",
            "updated_at",
        ]
    )


# --- Uploads ------------------------------------------------------------------------------


@dataclass
class UploadResult:
    documents: list[Document] = field(default_factory=list)
    # (file name, why it was refused), one per refused file.
    refused: list[tuple[str, str]] = field(default_factory=list)


@transaction.atomic
def task_documents_upload(
    *,
    actor: Actor,
    access: DossierAccess,
    task: Task,
    step: Step | None = None,
    files: Iterable[UploadedFile],
) -> UploadResult:
    """File each upload as an ordinary document of the dossier (the step's folder, for the
    task itself the first step's folder, else the root) and link it to the task/step.

    A refused file gets its reason; the others go in. One DOCUMENTS_UPLOADED notification
    to the sender for the whole request.
    """
    from comptoir.documents.actions import document_upload
    from comptoir.documents.uploads import UploadRefused, file_receive

    _require(access, Permission.TASK_WORK)
    if not access.has(Permission.DOCUMENT_UPLOAD):
        raise ActionRefused(_("Vous ne pouvez pas déposer de documents dans ce dossier."))
    files = list(files)
    if not files:
        raise ActionRefused(_("Choisissez au moins un fichier."))
    if len(files) > MAX_FILES_PER_REQUEST:
        raise ActionRefused(
            _("Envoyez %(n)s fichiers au plus à la fois.") % {"n": MAX_FILES_PER_REQUEST}
        )
    if step is not None:
        locked_task, locked_step = _lock_step(access, step)
        if locked_step.state == StepState.NOT_APPLICABLE:
            raise ActionRefused(
                _("Cette étape est marquée « Ne s'applique pas » : rouvrez-la pour y déposer.")
            )
        folder = locked_step.folder
    else:
        locked_task = _lock_task(access, task)
        locked_step = None
        first = (
            Step.objects.filter(task=locked_task, deleted_at__isnull=True)
            .select_related("folder")
            .first()
        )
        folder = first.folder if first is not None else None

    result = UploadResult()
    for uploaded in files:
        name = uploaded.name or ""
        try:
            received = file_receive(uploaded)
            document = document_upload(actor=actor, access=access, received=received, folder=folder)
        except (UploadRefused, ActionRefused) as refusal:
            result.refused.append((name, refusal.message))
            continue
        TaskDocument.objects.create(
            task=locked_task, step=locked_step, document=document, added_by=actor.user
        )
        result.documents.append(document)
    if not result.documents:
        return result
    record(
        actor=actor,
        action="task.documents_uploaded",
        dossier=access.dossier,
        target=locked_step if locked_step is not None else locked_task,
        details={
            "task": locked_task.pk,
            "step": locked_step.pk if locked_step else None,
            "documents": [{"id": d.pk, "name": d.name} for d in result.documents],
            "folder": folder.name if folder else None,
        },
    )
    who = actor.user.display_name if actor.user else ""
    count, task_title = len(result.documents), locked_task.title
    _notify_later(
        users=_sender(locked_task),
        kind="documents_uploaded",
        title=lambda: (
            ngettext(
                "%(n)s document déposé : %(task)s", "%(n)s documents déposés : %(task)s", count
            )
            % {"n": count, "task": task_title}
        ),
        body=lambda: (
            ngettext(
                "%(who)s a déposé %(n)s document dans la tâche « %(task)s ».",
                "%(who)s a déposé %(n)s documents dans la tâche « %(task)s ».",
                count,
            )
            % {"who": who, "n": count, "task": task_title}
        ),
        task=locked_task,
        exclude=actor.user,
    )
    return result


@transaction.atomic
def task_documents_attach(
    *,
    actor: Actor,
    access: DossierAccess,
    task: Task,
    step: Step | None = None,
    documents: Iterable[Document],
) -> list[TaskDocument]:
    """Link documents already in the dossier to the task or one of its steps (the client
    answers a step with a paper it had filed before). Documents already linked to the
    task are skipped."""
    from comptoir.documents.access import documents_visible

    _require(access, Permission.TASK_WORK)
    wanted = {d.pk for d in documents}
    if not wanted:
        raise ActionRefused(_("Choisissez au moins un document."))
    found = list(documents_visible(access).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ActionRefused(
            _("Un des documents choisis n'est plus disponible : rechargez la page.")
        )
    if step is not None:
        locked_task, locked_step = _lock_step(access, step)
        if locked_step.state == StepState.NOT_APPLICABLE:
            raise ActionRefused(
                _("Cette étape est marquée « Ne s'applique pas » : rouvrez-la pour y déposer.")
            )
    else:
        locked_task, locked_step = _lock_task(access, task), None
    already = set(
        TaskDocument.objects.filter(task=locked_task).values_list("document_id", flat=True)
    )
    links = [
        TaskDocument.objects.create(
            task=locked_task, step=locked_step, document=document, added_by=actor.user
        )
        for document in found
        if document.pk not in already
    ]
    if links:
        record(
            actor=actor,
            action="task.documents_attached",
            dossier=access.dossier,
            target=locked_step if locked_step is not None else locked_task,
            details={
                "task": locked_task.pk,
                "step": locked_step.pk if locked_step else None,
                "documents": [
                    {"id": link.document_id, "name": link.document.name} for link in links
                ],
            },
        )
    return links
