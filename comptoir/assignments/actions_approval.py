"""Every write on approval tasks: sending one, opening its documents, the decision.

The view has checked the permission (`dossier_view`) and fetched the task through
`access.py`; the action checks the business rules again (the demo data and other callers
do not go through a form).

- Sending (TASK_SEND): the documents' rows are locked (in id order, like the document
  actions do) while the task is created, so a document cannot be renamed, moved, trashed
  or given a new version between "it is attached" and "it is locked" (see locks.py).
- Deciding (TASK_WORK, assignees only): the task's row is locked and its state re-read;
  two assignees deciding at once give exactly one decision, the second is told who
  decided. Approving needs every document opened by this person. The decision keeps,
  for each document, the version current at that moment and its SHA-256: the proof of
  exactly what was approved. The documents are unlocked by the task leaving À faire.
- Notifications leave after commit, each in its recipient's language.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.audit.actions import Actor, record
from comptoir.documents.access import documents_visible
from comptoir.documents.models import Document, DocumentVersion, Folder
from comptoir.documents.uploads import ReceivedFile
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.permissions import Permission

from . import reminders
from .models import (
    Approval,
    ApprovalDocument,
    ApprovalOutcome,
    Task,
    TaskAssignee,
    TaskDocument,
    TaskDocumentOpen,
    TaskKind,
    TaskState,
)

if TYPE_CHECKING:
    from comptoir.accounts.models import User

__all__ = [
    "ActionRefused",
    "approval_approve",
    "approval_decline",
    "approval_document_open",
    "approval_task_create",
]

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 5_000
MAX_DOCUMENTS = 50


# --- Notifications (after commit, in the recipient's language) ----------------------------


def _notify_later(
    *,
    users: Iterable[User | None],
    kind: str,
    title: Callable[[], str],
    body: Callable[[], str],
    task: Task,
) -> None:
    recipients = [u for u in users if u is not None and u.is_active]
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
                        email=True,
                    )
            except Exception:
                # The decision is saved; a failed notice must not undo it. Logged.
                logger.exception("Approval task #%s: a %s notification failed", task_id, kind)

    transaction.on_commit(send)


def _name(user: User | None) -> str:
    if user is None:
        return _("une personne qui n'a plus de compte")
    return user.display_name


# --- Sending ------------------------------------------------------------------------------


def can_decide(access: DossierAccess) -> bool:
    return access.has(Permission.TASK_WORK)


def _check_approvers(access: DossierAccess, people: list[User], document_ids: list[int]) -> None:
    """Each assignee must be able to decide, and to open every document (an Utilisateur
    limited to some folders would otherwise be asked for what it can never approve)."""
    from django.http import Http404

    from comptoir.dossiers.access import dossier_access_for

    for person in people:
        try:
            theirs = dossier_access_for(person, access.dossier.slug)
        except Http404:
            theirs = None
        if theirs is None or not can_decide(theirs):
            raise ActionRefused(
                _("%(name)s ne peut pas décider dans ce dossier (lecture seule).")
                % {"name": _name(person)}
            )
        if theirs.restricted_folder_ids is not None:
            seen = documents_visible(theirs).filter(pk__in=document_ids).count()
            if seen != len(document_ids):
                raise ActionRefused(
                    _(
                        "%(name)s n'a pas accès à tous les documents choisis : "
                        "retirez-les ou choisissez une autre personne."
                    )
                    % {"name": _name(person)}
                )


@transaction.atomic
def approval_task_create(
    *,
    actor: Actor,
    access: DossierAccess,
    title: str,
    message: str = "",
    due_date: datetime.date | None = None,
    assignees: Iterable[User],
    documents: Iterable[Document],
    files: Iterable[ReceivedFile] = (),
    folder: Folder | None = None,
) -> Task:
    """Send documents for approval: rows, audit `task.created`, reminder schedule, and after
    commit a TASK_RECEIVED notification (in the app and by email) to each assignee.

    `files` are new documents uploaded with the request, filed into `folder` first (same
    transaction: if the task is refused they are not kept; their bytes are swept)."""
    from comptoir.documents.actions import document_upload

    from .selectors import client_assignees

    if not access.has(Permission.TASK_SEND):
        raise ActionRefused(_("Vous ne pouvez pas envoyer de tâches dans ce dossier."))
    title = (title or "").strip()
    if not title:
        raise ActionRefused(_("Donnez un titre à la demande d'approbation."))
    if len(title) > TITLE_MAX_LENGTH:
        raise ActionRefused(
            _("Le titre compte %(n)s caractères au plus.") % {"n": TITLE_MAX_LENGTH}
        )
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ActionRefused(
            _("Le message compte %(n)s caractères au plus.") % {"n": MESSAGE_MAX_LENGTH}
        )
    people = list({u.pk: u for u in assignees}.values())
    if not people:
        raise ActionRefused(_("Choisissez au moins une personne qui doit approuver."))
    allowed = set(
        client_assignees(access.dossier)
        .filter(pk__in=[u.pk for u in people])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(people):
        raise ActionRefused(
            _("Une approbation s'envoie aux personnes du client membres de ce dossier.")
        )
    documents = list(documents)
    for received in files:
        documents.append(
            document_upload(actor=actor, access=access, received=received, folder=folder)
        )
    wanted = sorted({d.pk for d in documents})
    if not wanted:
        raise ActionRefused(_("Choisissez au moins un document à faire approuver."))
    if len(wanted) > MAX_DOCUMENTS:
        raise ActionRefused(
            _("Une approbation porte sur %(n)s documents au plus.") % {"n": MAX_DOCUMENTS}
        )
    _check_approvers(access, people, wanted)
    # Locked in id order (as documents/actions.py does): no rename, move, trash or new
    # version can slip in between now and the lock this task puts on them.
    locked_docs = list(
        documents_visible(access)
        .select_for_update(of=("self",))
        .filter(pk__in=wanted)
        .select_related("current_version")
        .order_by("pk")
    )
    if len(locked_docs) != len(wanted) or any(d.current_version is None for d in locked_docs):
        raise ActionRefused(
            _("Un des documents choisis n'existe plus ou a été mis à la corbeille.")
        )

    task = Task.objects.create(
        dossier=access.dossier,
        kind=TaskKind.APPROVAL,
        title=title,
        message=message,
        due_date=due_date,
        created_by=actor.user or access.user,
    )
    TaskAssignee.objects.bulk_create([TaskAssignee(task=task, user=u) for u in people])
    TaskDocument.objects.bulk_create(
        [TaskDocument(task=task, document=d, added_by=actor.user) for d in locked_docs]
    )
    reminders.reminder_schedule(task)
    record(
        actor=actor,
        action="task.created",
        dossier=access.dossier,
        target=task,
        details={
            "kind": TaskKind.APPROVAL.value,
            "title": title,
            "due_date": due_date.isoformat() if due_date else None,
            "assignees": [u.email for u in people],
            "documents": [
                {
                    "id": d.pk,
                    "name": d.name,
                    "version": d.current_version.number,
                    "sha256": d.current_version.sha256,
                }
                for d in locked_docs
                if d.current_version is not None
            ],
        },
    )
    sender_name = _name(actor.user or access.user)
    dossier_name = access.dossier.name
    _notify_later(
        users=people,
        kind="task_received",
        title=lambda: _("Approbation demandée : %(title)s") % {"title": title},
        body=lambda: (
            _("%(sender)s vous demande d'approuver des documents dans le dossier %(dossier)s.")
            % {"sender": sender_name, "dossier": dossier_name}
        ),
        task=task,
    )
    return task


# --- Opening a document -------------------------------------------------------------------


@transaction.atomic
def approval_document_open(
    *, actor: Actor, access: DossierAccess, task_document: TaskDocument
) -> bool:
    """Record that this person opened the document (its first open only: reloading or
    opening it again changes nothing); answers whether this was the first time."""
    if actor.user is None:
        raise ActionRefused(_("Connectez-vous pour ouvrir ce document."))
    version = task_document.document.current_version
    _open, created = TaskDocumentOpen.objects.get_or_create(
        task_document=task_document, user=actor.user, defaults={"version": version}
    )
    if not created:
        return False
    record(
        actor=actor,
        action="task.document_opened",
        dossier=access.dossier,
        target=task_document.task,
        details={
            "document": task_document.document_id,
            "name": task_document.document.name,
            "version": version.number if version else None,
            "sha256": version.sha256 if version else None,
        },
    )
    return True


def unopened_documents(*, task: Task, user: User) -> list[TaskDocument]:
    """The task's documents this person has not opened yet (in the task's order)."""
    return list(
        TaskDocument.objects.filter(task=task)
        .exclude(opens__user=user)
        .select_related("document")
        .order_by("added_at", "id")
    )


# --- Deciding -----------------------------------------------------------------------------


def _lock_for_decision(*, actor: Actor, access: DossierAccess, task: Task) -> Task:
    if not access.has(Permission.TASK_WORK) or actor.user is None:
        raise ActionRefused(_("Vous ne pouvez pas traiter les tâches de ce dossier."))
    locked = (
        Task.objects.select_for_update(of=("self",))
        .filter(pk=task.pk, dossier=access.dossier, kind=TaskKind.APPROVAL)
        .first()
    )
    if locked is None:
        raise ActionRefused(_("Cette demande d'approbation n'existe plus."))
    if locked.state != TaskState.OPEN:
        decision = Approval.objects.select_related("user").filter(task=locked).first()
        raise ActionRefused(
            _("Cette demande d'approbation a déjà été traitée par %(name)s.")
            % {"name": _name(decision.user if decision else locked.completed_by)}
        )
    if not TaskAssignee.objects.filter(task=locked, user=actor.user).exists():
        raise ActionRefused(
            _("Seules les personnes à qui la demande est adressée peuvent décider.")
        )
    return locked


def _decide(
    *, actor: Actor, access: DossierAccess, task: Task, outcome: str, comment: str
) -> Approval:
    assert actor.user is not None
    now = timezone.now()
    links = list(
        TaskDocument.objects.filter(task=task)
        .select_related("document", "document__current_version")
        .order_by("added_at", "id")
    )
    approval = Approval.objects.create(
        task=task,
        user=actor.user,
        outcome=outcome,
        comment=comment,
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:300],
    )
    proofs: list[ApprovalDocument] = []
    for link in links:
        version: DocumentVersion | None = link.document.current_version
        proofs.append(
            ApprovalDocument(
                approval=approval,
                document=link.document,
                version=version,
                name=link.document.name,
                sha256=version.sha256 if version else "",
            )
        )
    ApprovalDocument.objects.bulk_create(proofs)
    task.state = TaskState.DONE
    task.outcome = outcome
    task.completed_at = now
    task.completed_by = actor.user
    task.save(update_fields=["state", "outcome", "completed_at", "completed_by", "updated_at"])
    reminders.reminder_schedule(task)
    record(
        actor=actor,
        action="task.approved" if outcome == ApprovalOutcome.APPROVED else "task.declined",
        dossier=access.dossier,
        target=task,
        details={
            "approval": approval.pk,
            "comment": comment,
            "documents": [
                {
                    "id": p.document.pk if p.document else None,
                    "name": p.name,
                    "version": p.version.number if p.version else None,
                    "sha256": p.sha256,
                }
                for p in proofs
            ],
        },
    )
    who, title, dossier_name = _name(actor.user), task.title, access.dossier.name
    if outcome == ApprovalOutcome.APPROVED:
        _notify_later(
            users=[task.created_by],
            kind="approval_given",
            title=lambda: _("Approbation donnée : %(title)s") % {"title": title},
            body=lambda: (
                _("%(who)s a approuvé les documents (dossier %(dossier)s).")
                % {"who": who, "dossier": dossier_name}
            ),
            task=task,
        )
    else:
        _notify_later(
            users=[task.created_by],
            kind="approval_declined",
            title=lambda: _("Approbation refusée : %(title)s") % {"title": title},
            body=lambda: (
                _("%(who)s a refusé d'approuver les documents (dossier %(dossier)s) : %(c)s")
                % {"who": who, "dossier": dossier_name, "c": comment}
            ),
            task=task,
        )
    return approval


@transaction.atomic
def approval_approve(*, actor: Actor, access: DossierAccess, task: Task) -> Approval:
    """Approve: only an assignee, once, after opening every document of the task."""
    locked = _lock_for_decision(actor=actor, access=access, task=task)
    assert actor.user is not None
    unopened = unopened_documents(task=locked, user=actor.user)
    if unopened:
        visible = set(
            documents_visible(access)
            .filter(pk__in=[link.document_id for link in unopened])
            .values_list("pk", flat=True)
        )
        # Names of documents this person may not see are not shown.
        names = ", ".join(
            f"« {link.document.name} »" if link.document_id in visible else _("un document caché")
            for link in unopened
        )
        raise ActionRefused(
            ngettext(
                "Ouvrez d'abord ce document avant d'approuver : %(names)s.",
                "Ouvrez d'abord ces documents avant d'approuver : %(names)s.",
                len(unopened),
            )
            % {"names": names}
        )
    return _decide(
        actor=actor, access=access, task=locked, outcome=ApprovalOutcome.APPROVED, comment=""
    )


@transaction.atomic
def approval_decline(*, actor: Actor, access: DossierAccess, task: Task, comment: str) -> Approval:
    """Decline: only an assignee, once, with a comment saying why."""
    comment = (comment or "").strip()
    locked = _lock_for_decision(actor=actor, access=access, task=task)
    if not comment:
        raise ActionRefused(_("Dites pourquoi vous refusez : le commentaire est obligatoire."))
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ActionRefused(
            _("Le commentaire compte %(n)s caractères au plus.") % {"n": COMMENT_MAX_LENGTH}
        )
    return _decide(
        actor=actor,
        access=access,
        task=locked,
        outcome=ApprovalOutcome.DECLINED,
        comment=comment,
    )
