"""Changing the dossier's chart: which account for which role, and account labels.

Entries already posted keep the accounts and labels they were written with; a change
applies to the entries posted after it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.permissions import Permission

from .chart import DEFAULT_ACCOUNTS, chart_of
from .models import Account, AccountMapping


def _valid_number(number: str) -> bool:
    return 3 <= len(number) <= 20 and number.isalnum() and number[:3].isdigit()


def chart_update(
    *,
    actor: Actor,
    access: DossierAccess,
    mapping: dict[str, str],
    labels: dict[str, str],
) -> dict[str, list[str]]:
    """Save the accounts chosen per role and the labels given; answers what changed."""
    if not access.has(Permission.EXPORT):
        raise ActionRefused(_("Vous n'avez pas le droit de modifier le plan comptable."))
    unknown = set(mapping) - set(DEFAULT_ACCOUNTS)
    if unknown:
        raise ActionRefused(_("Rôle de compte inconnu."))
    for number in [*mapping.values(), *labels]:
        if not _valid_number(number):
            raise ActionRefused(
                _("« %(number)s » n'est pas un numéro de compte (trois chiffres d'abord).")
                % {"number": number}
            )
    dossier = access.dossier
    with transaction.atomic():
        before = chart_of(dossier)
        changed_mapping = sorted(k for k, v in mapping.items() if before.mapping.get(k) != v)
        changed_labels = sorted(
            n for n, label in labels.items() if label.strip() and before.label(n) != label.strip()
        )
        for key in changed_mapping:
            AccountMapping.objects.update_or_create(
                dossier=dossier, key=key, defaults={"account": mapping[key]}
            )
        for number in changed_labels:
            Account.objects.update_or_create(
                dossier=dossier, number=number, defaults={"label": labels[number].strip()[:200]}
            )
        if changed_mapping or changed_labels:
            record(
                actor=actor,
                action="accounting.chart_updated",
                dossier=dossier,
                target=dossier,
                details={
                    "mapping": {
                        k: [before.mapping.get(k, ""), mapping[k]] for k in changed_mapping
                    },
                    "labels": {n: [before.label(n), labels[n].strip()] for n in changed_labels},
                },
            )
    return {"mapping": changed_mapping, "labels": changed_labels}
