"""Batches (lots d'écritures): collect, download again, cancel the latest; exports.

Collecting locks the dossier's row, then takes every entry not yet collected up to the
chosen date in ONE statement that also numbers them: two collections at once are served
one after the other (the second sees what the first took), and an entry posted while a
collection runs is either committed before its statement (taken) or after (left for the
next batch). Each entry is in one batch, never two, never none. The lock is FOR NO KEY
UPDATE: it does not hold back transactions inserting rows that point at the dossier
(entries being posted take a KEY SHARE lock on it), so an action that posts an entry
after writing its audit event never waits for a collection that waits for that event's
chain.

The batch's FEC and CSV are written at collection into the default storage
(`accounting/<dossier>/<uuid>.<ext>`) with their SHA-256, checked again at each download.
Only the latest batch may be cancelled: its entries go back to the pool and lose their
numbers, which the next collection gives again, so numbering never has a gap.
"""

from __future__ import annotations

import datetime
import hashlib
import tempfile
import uuid
from collections.abc import Iterable
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.models import Dossier
from comptoir.dossiers.permissions import Permission

from . import exports
from .chart import fiscal_year_end
from .models import Batch, Entry
from .selectors import latest_batch

FORMATS = ("fec", "csv")


def _require(access: DossierAccess, permission: Permission) -> None:
    if not access.has(permission):
        raise ActionRefused(_("Vous n'avez pas le droit d'exporter dans ce dossier."))


def _write(storage: Storage, name: str, chunks: Iterable[bytes]) -> tuple[str, str]:
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as file:
        for chunk in chunks:
            digest.update(chunk)
            file.write(chunk)
        file.seek(0)
        stored = storage.save(name, File(file))
    return stored, digest.hexdigest()


NUMBER_AND_TAKE = """
UPDATE {entry} SET batch_id = %s, number = numbered.n
FROM (
    SELECT e.id AS id,
           COALESCE(latest.n, 0)
           + ROW_NUMBER() OVER (PARTITION BY e.journal, e.fiscal_year_end ORDER BY e.date, e.id)
           AS n
    FROM {entry} e
    LEFT JOIN (
        SELECT journal, fiscal_year_end, MAX(number) AS n FROM {entry}
        WHERE dossier_id = %s AND number IS NOT NULL
        GROUP BY journal, fiscal_year_end
    ) latest ON latest.journal = e.journal AND latest.fiscal_year_end = e.fiscal_year_end
    WHERE e.dossier_id = %s AND e.batch_id IS NULL AND e.date <= %s
) AS numbered
WHERE {entry}.id = numbered.id
"""


def batch_collect(
    *,
    actor: Actor,
    access: DossierAccess,
    up_to: datetime.date,
    storage: Storage | None = None,
) -> Batch:
    """Collect every entry not yet collected dated up to `up_to` into a new batch."""
    _require(access, Permission.EXPORT)
    if up_to > timezone.localdate():
        raise ActionRefused(_("On collecte jusqu'à aujourd'hui au plus tard."))
    storage = storage or default_storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            dossier = Dossier.objects.select_for_update(no_key=True).get(pk=access.dossier.pk)
            batch = Batch.objects.create(
                dossier=dossier,
                sequence=(
                    Batch.objects.filter(dossier=dossier).aggregate(m=Max("sequence"))["m"] or 0
                )
                + 1,
                up_to=up_to,
                created_at=timezone.now(),
                created_by=actor.user,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    NUMBER_AND_TAKE.format(entry=Entry._meta.db_table),
                    [batch.pk, dossier.pk, dossier.pk, up_to],
                )
                count = cursor.rowcount
            if count == 0:
                raise ActionRefused(
                    _("Aucune écriture à collecter jusqu'au %(date)s.")
                    % {"date": date_format(up_to, "SHORT_DATE_FORMAT")}
                )
            batch.entries_count = count
            batch.total = Entry.objects.filter(batch=batch).aggregate(t=Sum("total"))["t"]
            batch.fec_name = exports.fec_name(dossier.siren, fiscal_year_end(dossier, up_to))
            base = f"accounting/{dossier.pk}/{uuid.uuid4().hex}"
            batch.fec_path, batch.fec_sha256 = _write(
                storage, f"{base}.txt", exports.encoded(exports.fec_lines(_rows(batch)))
            )
            stored.append(batch.fec_path)
            batch.csv_path, batch.csv_sha256 = _write(
                storage, f"{base}.csv", exports.encoded(exports.csv_lines(_rows(batch)), bom=True)
            )
            stored.append(batch.csv_path)
            batch.save()
            record(
                actor=actor,
                action="accounting.batch_collected",
                dossier=dossier,
                target=batch,
                details={"up_to": up_to.isoformat(), "entries": count, "total": str(batch.total)},
            )
    except BaseException:
        for name in stored:  # the database refused: no file without its batch
            storage.delete(name)
        raise
    return batch


def _rows(batch: Batch) -> Iterable[exports.Row]:
    return exports.rows(exports.lines_of_batch(batch.pk))


def batch_cancel(*, actor: Actor, access: DossierAccess, batch: Batch) -> int:
    """Cancel the latest batch: its entries go back to the pool. Answers how many."""
    _require(access, Permission.EXPORT)
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(no_key=True).get(pk=access.dossier.pk)
        batch = Batch.objects.get(pk=batch.pk, dossier=dossier)
        if batch.cancelled_at is not None:
            raise ActionRefused(_("Ce lot est déjà annulé."))
        latest = latest_batch(dossier)
        if latest is None or latest.pk != batch.pk:
            raise ActionRefused(_("Seul le dernier lot peut être annulé."))
        count = Entry.objects.filter(batch=batch).update(batch=None, number=None)
        Batch.objects.filter(pk=batch.pk).update(
            cancelled_at=timezone.now(), cancelled_by=actor.user
        )
        record(
            actor=actor,
            action="accounting.batch_cancelled",
            dossier=dossier,
            target=batch,
            details={"entries": count},
        )
    return count


def _file_check(storage: Storage, name: str, sha256: str) -> None:
    digest = hashlib.sha256()
    try:
        with storage.open(name, "rb") as file:
            for chunk in iter(lambda: file.read(1024 * 1024), b""):
                digest.update(chunk)
    except (FileNotFoundError, ValueError):
        raise ActionRefused(_("Le fichier de ce lot est introuvable.")) from None
    if digest.hexdigest() != sha256:
        raise ActionRefused(_("Le fichier de ce lot a été altéré : il ne sera pas servi."))


def batch_download(
    *,
    actor: Actor,
    access: DossierAccess,
    batch: Batch,
    format: str,
    storage: Storage | None = None,
) -> tuple[IO[bytes], str]:
    """The batch's stored file, checked against its SHA-256, and its download name."""
    _require(access, Permission.EXPORT)
    if format not in FORMATS:
        raise ActionRefused(_("Format inconnu."))
    if batch.cancelled_at is not None:
        raise ActionRefused(_("Ce lot est annulé : ses écritures seront dans un autre lot."))
    storage = storage or default_storage
    name = batch.fec_path if format == "fec" else batch.csv_path
    digest = batch.fec_sha256 if format == "fec" else batch.csv_sha256
    _file_check(storage, name, digest)
    with transaction.atomic():
        record(
            actor=actor,
            action="accounting.batch_downloaded",
            dossier=access.dossier,
            target=batch,
            details={"format": format, "sha256": digest},
        )
    filename = (
        batch.fec_name
        if format == "fec"
        else f"ecritures-{access.dossier.siren}-lot{batch.sequence}.csv"
    )
    return storage.open(name, "rb"), filename


def ledger_export_record(
    *, actor: Actor, access: DossierAccess, closing: datetime.date, format: str
) -> None:
    """Record the export of a whole fiscal year (the view streams it)."""
    _require(access, Permission.EXPORT)
    if format not in FORMATS:
        raise ActionRefused(_("Format inconnu."))
    with transaction.atomic():
        record(
            actor=actor,
            action="accounting.ledger_exported",
            dossier=access.dossier,
            target=access.dossier,
            details={"closing": closing.isoformat(), "format": format},
        )
