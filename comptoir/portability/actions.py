"""Writes of the portability capability: asking for a dossier's full export."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.permissions import Permission

from .models import DossierExport

ACTION_EXPORTED = "dossier.exported"


def dossier_export_allowed(access: DossierAccess) -> bool:
    """The whole dossier: export rights, the log, and no folder hidden from the person
    (the owner, an administrator, the Comptable)."""
    return (
        access.has(Permission.EXPORT)
        and access.has(Permission.AUDIT_VIEW)
        and access.restricted_folder_ids is None
    )


def dossier_export_request(*, actor: Actor, access: DossierAccess) -> DossierExport:
    """The export's row and its audit event; the worker writes the ZIP once committed."""
    if not dossier_export_allowed(access):
        raise ActionRefused(_("Vous ne pouvez pas exporter tout ce dossier."))
    with transaction.atomic():
        export = DossierExport.objects.create(dossier=access.dossier, requested_by=access.user)
        record(
            actor=actor,
            action=ACTION_EXPORTED,
            dossier=access.dossier,
            details={"export": export.pk},
        )
        transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from .tasks import dossier_export_run

    dossier_export_run.enqueue(export_id)
