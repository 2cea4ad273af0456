"""Background jobs of the activity log: thin, they call `actions_export`."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from . import actions_export, anchors


@task()
def audit_export_run(export_id: int) -> str:
    return actions_export.export_run(export_id=export_id)


# --- Periodic jobs (registered in comptoir/core/scheduler.py) -----------------------------


@task()
def audit_exports_purge() -> int:
    return actions_export.exports_purge(now=timezone.now())


@task()
def audit_anchor() -> int:
    """The daily anchor of the chains' heads, outside the database; returns how many."""
    return len(anchors.anchor_write(source="daily").heads)
