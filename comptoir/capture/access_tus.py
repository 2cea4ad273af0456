"""Resumable uploads are fetched only here: the person's own, in this dossier, still alive.

Another person's upload, another dossier's, a finished one past its day and an abandoned
one past 24 hours all answer 404 alike.
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from comptoir.dossiers.access import DossierAccess

from .models_tus import TusUpload
from .tus import TUS_EXPIRY


def access_tus_upload(access: DossierAccess, pk: uuid.UUID) -> TusUpload:
    cutoff = timezone.now() - TUS_EXPIRY
    upload = (
        TusUpload.objects.filter(dossier=access.dossier, created_by=access.user, pk=pk)
        .filter(Q(completed_at__isnull=True, touched_at__gte=cutoff) | Q(completed_at__gte=cutoff))
        .first()
    )
    if upload is None:
        raise Http404
    return upload
