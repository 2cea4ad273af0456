"""Background jobs of backups and exports: thin, they call the modules that do the work."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from . import backup, exporting

# --- Periodic jobs (registered in comptoir/core/scheduler.py) -----------------------------


@task()
def backup_scheduled() -> str:
    """The daily backup into BACKUP_DIR (nothing when it is not set); returns its path."""
    made = backup.backup_scheduled_run()
    return str(made) if made is not None else ""


@task()
def dossier_export_run(export_id: int) -> str:
    return exporting.dossier_export_run(export_id=export_id)


@task()
def dossier_exports_purge() -> int:
    return exporting.dossier_exports_purge(now=timezone.now())
