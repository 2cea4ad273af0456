"""A resumable (tus 1.0) upload in progress: who started it, where it goes, how far it is.

The bytes received so far live in a file under the data folder (`tus_path`), never in the
database or in memory. Once the last byte is in, the upload becomes an ordinary document
through the documents app's own upload action; the row stays a day with its `document`
so that a client whose last answer was lost learns, from HEAD, that it is finished.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def tus_directory() -> Path:
    return Path(settings.DATA_DIR) / "tus"


class TusUpload(models.Model):
    # Random (122 bits): the upload's URL. Knowing it is not enough, the URL is still
    # checked against the dossier and the person who created it.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    length = models.BigIntegerField()  # Upload-Length, declared at creation
    offset = models.BigIntegerField(default=0)  # bytes safely written
    filename = models.CharField(max_length=255, blank=True)
    folder = models.ForeignKey(
        "documents.Folder", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(
        "assignments.Task", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    step = models.ForeignKey(
        "assignments.Step", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Last time bytes arrived (or the upload was created): abandoned uploads are purged
    # 24 hours after it.
    touched_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envoi reprenable")

    def __str__(self) -> str:
        return self.filename or str(self.id)

    @property
    def tus_path(self) -> Path:
        return tus_directory() / self.id.hex
