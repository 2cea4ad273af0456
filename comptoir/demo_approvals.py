"""The demo's approval tasks, sent and decided through the actions (audit events included).

In Always Clean SARL, the accountant `comptable@cabinet-martin.test` asked the manager
`gerant@alwaysclean.test` to approve:
- "Approbation des comptes annuels 2025" (waiting, in À faire): the tax return extract and
  the minutes of the annual general meeting, locked until the decision;
- "Validation du bulletin de salaire de janvier 2026" (approved, in Terminé), with the
  proof of the version and SHA-256 approved.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from comptoir.assignments.actions_approval import (
    approval_approve,
    approval_document_open,
    approval_task_create,
)
from comptoir.assignments.models import Task, TaskDocument
from comptoir.audit.actions import Actor
from comptoir.documents.models import Document
from comptoir.dossiers.access import dossier_access_for

if TYPE_CHECKING:
    from comptoir.accounts.models import User

COMPTABLE = "comptable@cabinet-martin.test"
GERANT = "gerant@alwaysclean.test"

ANNUAL_ACCOUNTS = "Approbation des comptes annuels 2025"
PAYSLIP = "Validation du bulletin de salaire de janvier 2026"
ANNUAL_DOCUMENTS = (
    "Liasse fiscale 2025 - extrait 2033-A et 2033-B.pdf",
    "Procès-verbal AGO du 15 juin 2026.pdf",
)
PAYSLIP_DOCUMENT = "Bulletin de salaire janvier 2026 (anonymisé).pdf"


def _documents(*names: str) -> list[Document]:
    found = {
        d.name: d
        for d in Document.objects.alive().filter(dossier__slug="always-clean", name__in=names)
    }
    return [found[name] for name in names]


def demo_approvals_load(users: dict[str, User]) -> list[Task]:
    comptable, gerant = users[COMPTABLE], users[GERANT]
    sender, client = Actor(user=comptable), Actor(user=gerant, ip="192.0.2.10")
    sender_access = dossier_access_for(comptable, "always-clean")
    client_access = dossier_access_for(gerant, "always-clean")
    today = timezone.localdate()

    waiting = approval_task_create(
        actor=sender,
        access=sender_access,
        title=ANNUAL_ACCOUNTS,
        message=(
            "Bonjour Sophie, voici la liasse fiscale 2025 et le procès-verbal de l'assemblée "
            "générale. Merci de les ouvrir puis de les approuver, ou de nous dire ce qui ne "
            "va pas."
        ),
        due_date=today + datetime.timedelta(days=14),
        assignees=[gerant],
        documents=_documents(*ANNUAL_DOCUMENTS),
    )

    payslip = approval_task_create(
        actor=sender,
        access=sender_access,
        title=PAYSLIP,
        message="Merci de valider le bulletin avant le virement des salaires.",
        due_date=today - datetime.timedelta(days=20),
        assignees=[gerant],
        documents=_documents(PAYSLIP_DOCUMENT),
    )
    for link in TaskDocument.objects.filter(task=payslip).select_related(
        "document__current_version"
    ):
        approval_document_open(actor=client, access=client_access, task_document=link)
    approval_approve(actor=client, access=client_access, task=payslip)
    Task.objects.filter(pk=payslip.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=25)
    )
    return [waiting, payslip]
