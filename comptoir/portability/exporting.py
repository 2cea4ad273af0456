"""The worker's side of a dossier's export: the ZIP, written as a stream to a temporary
file (zipstream-ng: one entry's bytes at a time, flat memory), then stored at
`exports/<uuid>.zip` (purged with the audit log's exports' files after EXPORT_RETENTION).

Its audit event was recorded when it was asked for (`actions.dossier_export_request`);
this writes derived data only. Claimed by a conditional UPDATE (pending → running), so a
job run twice writes once; a worker killed mid-way leaves a RUNNING row the page shows
until the purge, and an `exports/` file nobody names, which `exports_purge` removes.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from zipstream import ZipStream

from comptoir.audit.actions_export import EXPORT_RETENTION, EXPORTS_ROOT
from comptoir.audit.models import ExportState
from comptoir.dossiers.access import DossierAccess, dossier_access_for

from .actions import dossier_export_allowed
from .models import DossierExport
from .sections import Entry, entries_of

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 1.0


def export_access_now(export: DossierExport) -> DossierAccess:
    """The requester's access as it stands NOW (Http404 when it no longer allows it)."""
    access = dossier_access_for(export.requested_by, export.dossier.slug)
    if not dossier_export_allowed(access):
        raise Http404
    return access


def _counted(entry: Entry, done: Callable[[], None]) -> Iterator[bytes]:
    yield from entry.chunks()
    done()


def zip_write(entries: list[Entry], file: IO[bytes], *, progress: Callable[[int], object]) -> int:
    """Write the entries as one ZIP into `file`; returns its size."""
    stream = ZipStream(sized=False)
    count = 0
    last = time.monotonic()

    def done() -> None:
        nonlocal count, last
        count += 1
        if time.monotonic() - last >= PROGRESS_SECONDS:
            progress(count)
            last = time.monotonic()

    for entry in entries:
        stream.add(_counted(entry, done), entry.arcname)
    size = 0
    for chunk in stream:
        file.write(chunk)
        size += len(chunk)
    progress(count)
    return size


def dossier_export_run(*, export_id: int, storage: Storage | None = None) -> str:
    storage = storage or default_storage
    claimed = DossierExport.objects.filter(pk=export_id, state=ExportState.PENDING).update(
        state=ExportState.RUNNING
    )
    if not claimed:
        return ""
    export = DossierExport.objects.select_related("requested_by", "dossier").get(pk=export_id)
    updates = DossierExport.objects.filter(pk=export_id)
    stored = ""
    try:
        with translation.override(export.requested_by.language):
            try:
                access = export_access_now(export)
            except Http404:
                raise _Refused(
                    _("Vos accès ont changé depuis la demande : relancez l'export.")
                ) from None
            entries = entries_of(access)
            updates.update(items_total=len(entries))
            with tempfile.TemporaryFile(suffix=".zip") as file:
                size = zip_write(
                    entries, file, progress=lambda done: updates.update(items_done=done)
                )
                file.seek(0)
                stored = storage.save(f"{EXPORTS_ROOT}/{uuid.uuid4().hex}.zip", File(file))
        finished = updates.filter(state=ExportState.RUNNING).update(
            state=ExportState.DONE,
            items_done=len(entries),
            file=stored,
            size=size,
            finished_at=timezone.now(),
        )
        if not finished:
            storage.delete(stored)
            return ""
        return ExportState.DONE
    except Exception as error:
        if isinstance(error, _Refused):
            message = str(error)
        else:
            logger.exception("dossier export %s failed", export_id)
            with translation.override(export.requested_by.language):
                message = _("L'export a échoué. Réessayez ; si cela se reproduit, prévenez-nous.")
        if stored:
            storage.delete(stored)
        updates.update(state=ExportState.FAILED, error=message[:300], finished_at=timezone.now())
        return ExportState.FAILED


class _Refused(Exception):
    pass


def dossier_exports_purge(*, now: datetime.datetime, storage: Storage | None = None) -> int:
    """Rows and files asked for more than EXPORT_RETENTION ago (stray files under
    exports/ are the audit purge's: same folder, same age rule)."""
    storage = storage or default_storage
    purged = 0
    expired = DossierExport.objects.filter(created_at__lt=now - EXPORT_RETENTION)
    for pk, name in expired.values_list("pk", "file"):
        if name:
            storage.delete(name)
        DossierExport.objects.filter(pk=pk).delete()
        purged += 1
    return purged
