"""A dossier's full export (reversibility): one ZIP, written by the worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from comptoir.audit.models import ExportState


class DossierExport(models.Model):
    """One request for the whole dossier as a ZIP; the file and the row belong to the
    requester and are purged after EXPORT_RETENTION (see exporting.py)."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="+", db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=ExportState.choices, default=ExportState.PENDING
    )
    # Progress: files and tables added to the ZIP so far, out of items_total.
    items_total = models.PositiveIntegerField(null=True, blank=True)
    items_done = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"dossier export #{self.pk} ({self.state})"
