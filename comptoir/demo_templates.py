"""The demo's task templates and recurrences, made through the actions (audit included).

`comptable@cabinet-martin.test` (Cabinet Martin & Associés, so its staff share them) has:
- "Pièces du mois", scheduled monthly on Always Clean SARL and Boulangerie Dupont, first
  sending on the 1st of next month;
- "Clôture annuelle", scheduled yearly on Always Clean SARL, on 15 January next.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from comptoir.assignments.actions_templates import (
    TemplateStep,
    task_schedule_create,
    task_template_create,
)
from comptoir.assignments.models import Frequency, TaskTemplate
from comptoir.audit.actions import Actor
from comptoir.dossiers.models import Dossier

if TYPE_CHECKING:
    from comptoir.accounts.models import User

COMPTABLE = "comptable@cabinet-martin.test"
MONTHLY = "Pièces du mois"
YEARLY = "Clôture annuelle"


def demo_templates_load(users: dict[str, User]) -> list[TaskTemplate]:
    comptable = users[COMPTABLE]
    actor = Actor(user=comptable)
    today = timezone.localdate()
    monthly = task_template_create(
        actor=actor,
        user=comptable,
        name=MONTHLY,
        title=MONTHLY,
        message="Déposez les pièces du mois écoulé, une étape par type de pièce.",
        due_in_days=10,
        steps=[
            TemplateStep("Relevés bancaires", "Tous les comptes.", "Comptabilité", 5),
            TemplateStep("Factures d'achat", "", "Factures", 10),
            TemplateStep("Factures de vente", "", "Factures", 10),
            TemplateStep("Notes de frais", "Avec les justificatifs.", "Comptabilité", 10),
        ],
    )
    yearly = task_template_create(
        actor=actor,
        user=comptable,
        name=YEARLY,
        title=YEARLY,
        message="Les pièces nécessaires à la clôture de l'exercice.",
        due_in_days=30,
        steps=[
            TemplateStep("Inventaire des stocks", "Valorisé au dernier jour de l'exercice."),
            TemplateStep("Tableaux d'emprunts", "", "Comptabilité", 15),
            TemplateStep("Factures d'immobilisations", "", "Factures", 15),
            TemplateStep("Contrats signés dans l'année", "", "Juridique", 30),
        ],
    )
    first_of_next_month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    dossiers = list(Dossier.objects.filter(slug__in=["always-clean", "boulangerie-dupont"]))
    task_schedule_create(
        actor=actor,
        user=comptable,
        template=monthly,
        dossiers=dossiers,
        frequency=Frequency.MONTHLY,
        first_run_on=first_of_next_month,
    )
    task_schedule_create(
        actor=actor,
        user=comptable,
        template=yearly,
        dossiers=[d for d in dossiers if d.slug == "always-clean"],
        frequency=Frequency.YEARLY,
        first_run_on=datetime.date(today.year + 1, 1, 15),
    )
    return [monthly, yearly]
