"""Background jobs of resumable uploads."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from .actions_tus import tus_uploads_purge


@task()
def tus_purge() -> int:
    """Uploads abandoned for 24 hours go, with their bytes."""
    return tus_uploads_purge(now=timezone.now())
