"""Permission-checked fetches of the ledger's objects: 404 for missing and foreign alike."""

from __future__ import annotations

from django.http import Http404

from comptoir.dossiers.access import DossierAccess

from .models import Batch


def access_batch(access: DossierAccess, pk: int) -> Batch:
    batch = Batch.objects.filter(dossier=access.dossier, pk=pk).first()
    if batch is None:
        raise Http404
    return batch
