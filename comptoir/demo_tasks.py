"""The demo's upload tasks, sent and worked through the actions (audit events included).

In Always Clean SARL, the accountant `comptable@cabinet-martin.test` asked the manager
`gerant@alwaysclean.test` for:
- "Pièces du mois de novembre" (open): three steps, the bank statement step done with a
  document, the expense-reports step "Ne s'applique pas" with its reason, one still to do;
- "Attestation d'assurance 2026" (open, overdue);
- "Pièces du mois d'octobre" (done, in Terminé).
In Boulangerie Dupont, one open task for `dupont@boulangerie-dupont.test`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from comptoir.assignments.actions import (
    StepSpec,
    step_complete,
    step_mark_not_applicable,
    task_complete,
    task_documents_attach,
    upload_task_create,
)
from comptoir.assignments.models import Task
from comptoir.audit.actions import Actor
from comptoir.documents.models import Document, Folder
from comptoir.dossiers.access import dossier_access_for

if TYPE_CHECKING:
    from comptoir.accounts.models import User

COMPTABLE = "comptable@cabinet-martin.test"
GERANT = "gerant@alwaysclean.test"
DUPONT = "dupont@boulangerie-dupont.test"

NOVEMBER = "Pièces du mois de novembre"
OVERDUE = "Attestation d'assurance 2026"
OCTOBER = "Pièces du mois d'octobre"
BOULANGERIE = "Relevés bancaires du trimestre"
STATEMENT = "Relevé de compte janvier 2026.pdf"


def _folder(slug: str, name: str) -> Folder:
    return Folder.objects.get(dossier__slug=slug, parent=None, name=name)


def _backdate(task: Task, days: int) -> None:
    Task.objects.filter(pk=task.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def demo_tasks_load(users: dict[str, User]) -> list[Task]:
    comptable, gerant, dupont = users[COMPTABLE], users[GERANT], users[DUPONT]
    today = timezone.localdate()
    sender = Actor(user=comptable)
    client = Actor(user=gerant)
    sender_access = dossier_access_for(comptable, "always-clean")
    client_access = dossier_access_for(gerant, "always-clean")
    compta = _folder("always-clean", "Comptabilité")

    november = upload_task_create(
        actor=sender,
        access=sender_access,
        title=NOVEMBER,
        message=(
            "Bonjour Sophie, pour la clôture de novembre merci de déposer les pièces "
            "ci-dessous. Une étape qui ne vous concerne pas peut être marquée « Ne "
            "s'applique pas » avec un mot d'explication."
        ),
        due_date=today + datetime.timedelta(days=10),
        assignees=[gerant],
        steps=[
            StepSpec(
                "Relevé bancaire de novembre", "Le relevé complet du compte courant.", None, compta
            ),
            StepSpec("Notes de frais", "Avec les justificatifs scannés.", None, compta),
            StepSpec("Factures d'achat", "Fournisseurs et sous-traitants.", None, compta),
        ],
    )
    _backdate(november, 5)
    statement, expenses, _purchases = list(november.steps.all())
    # The statement already filed in the dossier answers the step (the demo's documents
    # are exactly the ones listed in comptoir.demo).
    task_documents_attach(
        actor=client,
        access=client_access,
        task=november,
        step=statement,
        documents=[Document.objects.get(dossier__slug="always-clean", name=STATEMENT)],
    )
    step_complete(actor=client, access=client_access, step=statement)
    step_mark_not_applicable(
        actor=client,
        access=client_access,
        step=expenses,
        comment=(
            "Aucune note de frais ce mois-ci : les déplacements ont été payés par la "
            "carte de la société."
        ),
    )

    overdue = upload_task_create(
        actor=sender,
        access=sender_access,
        title=OVERDUE,
        message="L'attestation de responsabilité civile professionnelle pour 2026.",
        due_date=today - datetime.timedelta(days=4),
        assignees=[gerant],
        steps=[StepSpec("Attestation RC Pro", "", None, _folder("always-clean", "Juridique"))],
    )
    _backdate(overdue, 20)

    october = upload_task_create(
        actor=sender,
        access=sender_access,
        title=OCTOBER,
        due_date=today - datetime.timedelta(days=20),
        assignees=[gerant],
        steps=[StepSpec("Relevé bancaire d'octobre", "", None, compta)],
    )
    _backdate(october, 40)
    task_complete(actor=client, access=client_access, task=october)

    boulangerie = upload_task_create(
        actor=sender,
        access=dossier_access_for(comptable, "boulangerie-dupont"),
        title=BOULANGERIE,
        message="Les relevés de juillet à septembre, pour la TVA du trimestre.",
        due_date=today + datetime.timedelta(days=14),
        assignees=[dupont],
        steps=[
            StepSpec(f"Relevé de {month}", "", None, _folder("boulangerie-dupont", "Comptabilité"))
            for month in ("juillet", "août", "septembre")
        ],
    )
    return [november, overdue, october, boulangerie]
