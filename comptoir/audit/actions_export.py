"""Exports of the activity log: what is exported (`ExportScope`), and every write they make.

A small export (at most SMALL_EXPORT_ROWS events, found with a `LIMIT` query, never a full
COUNT) is written by the web request and recorded with `export_record`; a larger one is an
`AuditExport` row made by `export_request` and written by the worker (`export_run`).

Either way the export is an audit event "audit.exported" (format, rows, filters), written
when it is asked for, in the request's transaction. Across dossiers, one event goes into
each exported dossier's own log (its people see who exported it) while there are at most
ACROSS_EVENTS_MAX of them; past that, one event without a dossier that counts them, so
that one click never writes hundreds of rows.

Files live in the default storage as `exports/<uuid>.<ext>` (never a name a person chose)
and are purged with their rows EXPORT_RETENTION after the request (`exports_purge`).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import tempfile
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.dossiers.access import DossierAccess, dossier_access_for
from comptoir.dossiers.models import Dossier
from comptoir.dossiers.permissions import Permission

from . import exports
from .access import dossiers_audited, events_visible, events_visible_across
from .actions import Actor, record
from .models import AuditEvent, AuditExport, ExportFormat, ExportState
from .selectors import EventFilters, events_filter, newest_first

if TYPE_CHECKING:
    from comptoir.accounts.models import User

logger = logging.getLogger(__name__)

SMALL_EXPORT_ROWS = 5000
EXPORT_RETENTION = datetime.timedelta(days=7)
ACROSS_EVENTS_MAX = 50
EXPORTS_ROOT = "exports"
ACTION_EXPORTED = "audit.exported"
# AuditExport.filters: the page's query string, plus (across) the ids of the dossiers
# covered when it was asked for, under this key (EventFilters ignores it).
SCOPE_KEY = "scope"


class ExportRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ExportScope:
    """Whose events, which ones: one dossier's (`dossier`) or several (`dossier` None)."""

    user: User
    dossier: Dossier | None
    dossiers: tuple[Dossier, ...]
    filters: EventFilters
    base: QuerySet[AuditEvent]  # from audit/access.py: what the person may read

    @property
    def across(self) -> bool:
        return self.dossier is None

    def events(self) -> QuerySet[AuditEvent]:
        """The page's rows, in the page's order (newest first)."""
        return newest_first(events_filter(self.base, self.filters), by_time=self.filters.by_time)

    def dossier_names(self) -> dict[int, str]:
        return {dossier.pk: dossier.name for dossier in self.dossiers}

    def is_small(self) -> bool:
        """At most SMALL_EXPORT_ROWS events: one `LIMIT` query, never a full COUNT."""
        return self.events().order_by()[: SMALL_EXPORT_ROWS + 1].count() <= SMALL_EXPORT_ROWS

    def stored_filters(self) -> dict[str, Any]:
        stored: dict[str, Any] = dict(self.filters.as_query())
        if self.across:
            stored[SCOPE_KEY] = [dossier.pk for dossier in self.dossiers]
        return stored


def scope_of_dossier(access: DossierAccess, filters: EventFilters) -> ExportScope:
    """A dossier's log (the view has checked AUDIT_VIEW with `dossier_view`)."""
    return ExportScope(
        user=access.user,
        dossier=access.dossier,
        dossiers=(access.dossier,),
        # `dossier` narrows the view across dossiers only.
        filters=dataclasses.replace(filters, dossier=None),
        base=events_visible(access),
    )


def scope_across(
    user: User, filters: EventFilters, *, audited: list[Dossier] | None = None
) -> ExportScope:
    """Every dossier the person audits (narrowed to one by the `dossier` filter)."""
    if audited is None:
        audited = dossiers_audited(user)
    dossiers = [d for d in audited if filters.dossier is None or d.pk == filters.dossier]
    return ExportScope(
        user=user,
        dossier=None,
        dossiers=tuple(dossiers),
        filters=filters,
        base=events_visible_across(user, dossiers),
    )


def export_access_now(export: AuditExport) -> tuple[DossierAccess | None, list[Dossier]]:
    """The requester's access to what the export covers, as it stands NOW: the dossier's
    access (None across) and the dossiers covered. Http404 when it no longer covers it
    (AUDIT_VIEW withdrawn, dossier deleted, a dossier of an export across gone)."""
    user = export.requested_by
    if export.dossier is not None:
        access = dossier_access_for(user, export.dossier.slug)  # 404: no access, deleted
        if not (access.has(Permission.AUDIT_VIEW) and access.has(Permission.EXPORT)):
            raise Http404
        return access, [access.dossier]
    wanted = {int(pk) for pk in export.filters.get(SCOPE_KEY, [])}
    audited = dossiers_audited(user, also=Permission.EXPORT)
    if not wanted <= {dossier.pk for dossier in audited}:
        raise Http404
    return None, [dossier for dossier in audited if dossier.pk in wanted]


def scope_of_export(export: AuditExport) -> ExportScope:
    """What the worker writes for this export (Http404: see `export_access_now`)."""
    access, dossiers = export_access_now(export)
    filters = EventFilters.from_query(export.filters)
    if access is not None:
        return scope_of_dossier(access, filters)
    return scope_across(export.requested_by, filters, audited=dossiers)


# --- Writes ----------------------------------------------------------------------------------


def _record_exported(
    *,
    actor: Actor,
    scope: ExportScope,
    format: str,
    delimiter: str,
    rows: int | None,
    export: AuditExport | None = None,
) -> None:
    details: dict[str, Any] = {"format": format, "rows": rows, "filters": scope.filters.as_query()}
    if format == ExportFormat.CSV:
        details["delimiter"] = delimiter
    if export is not None:
        details["export"] = export.pk
    if not scope.across:
        record(actor=actor, action=ACTION_EXPORTED, dossier=scope.dossier, details=details)
        return
    details["dossiers"] = len(scope.dossiers)
    if len(scope.dossiers) <= ACROSS_EVENTS_MAX:
        # In id order: two exports across the same dossiers lock their chains alike.
        for dossier in sorted(scope.dossiers, key=lambda d: d.pk):
            record(actor=actor, action=ACTION_EXPORTED, dossier=dossier, details=details)
    else:
        record(actor=actor, action=ACTION_EXPORTED, dossier=None, details=details)


def export_record(
    *, actor: Actor, scope: ExportScope, format: str, delimiter: str, rows: int
) -> None:
    """Record a small export, written by the request itself (after it was written: the
    export does not contain its own event)."""
    with transaction.atomic():
        _record_exported(actor=actor, scope=scope, format=format, delimiter=delimiter, rows=rows)


def export_request(*, actor: Actor, scope: ExportScope, format: str, delimiter: str) -> AuditExport:
    """A large export: its row, its audit event, and the worker's job once committed."""
    if format not in ExportFormat.values or delimiter not in exports.DELIMITERS:
        raise ExportRefused(_("Format d'export inconnu."))
    with transaction.atomic():
        export = AuditExport.objects.create(
            requested_by=scope.user,
            dossier=scope.dossier,
            filters=scope.stored_filters(),
            format=format,
            delimiter=delimiter,
        )
        _record_exported(
            actor=actor, scope=scope, format=format, delimiter=delimiter, rows=None, export=export
        )
        transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from .tasks import audit_export_run

    audit_export_run.enqueue(export_id)


def _storage_name(format: str) -> str:
    return f"{EXPORTS_ROOT}/{uuid.uuid4().hex}.{format}"


def export_run(*, export_id: int, storage: Storage | None = None) -> str:
    """The worker's side: write the file, keep `rows_done` current, end done or failed.

    Claimed by a conditional UPDATE (pending → running), so a job run twice writes once.
    The rows are pinned to the newest id at the start: `rows_total` (one COUNT) is exactly
    what gets written, whatever is recorded meanwhile. Returns the final state.
    """
    storage = storage or default_storage
    claimed = AuditExport.objects.filter(pk=export_id, state=ExportState.PENDING).update(
        state=ExportState.RUNNING
    )
    if not claimed:
        return ""
    export = AuditExport.objects.select_related("requested_by", "dossier").get(pk=export_id)
    updates = AuditExport.objects.filter(pk=export_id)
    stored = ""
    try:
        try:
            scope = scope_of_export(export)
        except Http404:
            with translation.override(export.requested_by.language):
                refused = _("Vos accès ont changé depuis la demande : relancez l'export.")
            raise ExportRefused(refused) from None
        events = scope.events()
        newest = events.values_list("id", flat=True).first()
        events = events.filter(id__lte=newest or 0)
        total = events.count()
        updates.update(rows_total=total)

        def progress(done: int) -> None:
            updates.update(rows_done=done)

        with (
            translation.override(export.requested_by.language),
            tempfile.TemporaryFile(suffix=f".{export.format}") as file,
        ):
            count = exports.write_export(
                exports.export_rows(
                    events, dossier_names=scope.dossier_names(), by_time=scope.filters.by_time
                ),
                file,
                format=export.format,
                delimiter=export.delimiter,
                across=scope.across,
                progress=progress,
            )
            size = file.tell()
            file.seek(0)
            stored = storage.save(_storage_name(export.format), File(file))
        finished = updates.filter(state=ExportState.RUNNING).update(
            state=ExportState.DONE,
            rows_done=count,
            rows_total=count,
            file=stored,
            size=size,
            finished_at=timezone.now(),
        )
        if not finished:  # purged meanwhile: nothing may keep the file
            storage.delete(stored)
            return ""
        return ExportState.DONE
    except Exception as error:
        if isinstance(error, ExportRefused):
            message = error.message
        else:
            logger.exception("audit export %s failed", export_id)
            with translation.override(export.requested_by.language):
                message = _("L'export a échoué. Réessayez ; si cela se reproduit, prévenez-nous.")
        if stored:
            storage.delete(stored)
        updates.update(state=ExportState.FAILED, error=message[:300], finished_at=timezone.now())
        return ExportState.FAILED


def exports_purge(*, now: datetime.datetime, storage: Storage | None = None) -> int:
    """Delete the exports asked for more than EXPORT_RETENTION ago (file, then row), and any
    file under exports/ as old (a job that died between storing its file and saying so)."""
    storage = storage or default_storage
    cutoff = now - EXPORT_RETENTION
    purged = 0
    for pk, name in AuditExport.objects.filter(created_at__lt=cutoff).values_list("pk", "file"):
        if name:
            storage.delete(name)
        AuditExport.objects.filter(pk=pk).delete()
        purged += 1
    try:
        _directories, files = storage.listdir(EXPORTS_ROOT)
    except (FileNotFoundError, NotADirectoryError):
        files = []
    for filename in files:
        name = f"{EXPORTS_ROOT}/{filename}"
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue
        except (NotImplementedError, OSError):
            continue  # age unknown: never delete what might be in use
        storage.delete(name)
        logger.info("orphan export file removed: %s", name)
    if purged:
        logger.info("audit exports purge: %s export(s) removed", purged)
    return purged
