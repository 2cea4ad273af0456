"""What a dossier's export contains: one function per section, each giving ZIP entries.

SECTIONS is the extension point: a section is the dotted path of a function
`(access: DossierAccess) -> list[Entry]` (paths, not imports, so this module imports no
app that may not exist). The invoices' PDF and each fiscal year's FEC are in
`sections_ledger.py` (portability may import invoicing and accounting, never the
reverse); everything else (the ZIP, progress, audit, purge) is shared.

An entry's bytes are produced only when the ZIP writer reaches it (`chunks` is a callable
returning an iterator), so a big dossier never sits in memory.

Every section reads through the access layer (`documents_visible`, `tasks_visible`,
`events_visible`): the export holds what its requester may read, nothing more.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from comptoir.assignments.access import tasks_visible
from comptoir.assignments.models import Step, StepComment
from comptoir.audit import exports as audit_exports
from comptoir.audit.access import events_visible
from comptoir.audit.selectors import newest_first
from comptoir.documents.access import documents_visible, folders_visible
from comptoir.documents.models import DocumentVersion, Folder
from comptoir.dossiers.access import DossierAccess

CHUNK = 1024 * 1024

SECTIONS: tuple[str, ...] = (
    "comptoir.portability.sections.documents_section",
    "comptoir.portability.sections.activity_log_section",
    "comptoir.portability.sections.tasks_section",
    "comptoir.portability.sections_ledger.invoices_section",
    "comptoir.portability.sections_ledger.ledger_section",
)


@dataclass(frozen=True)
class Entry:
    arcname: str
    chunks: Callable[[], Iterator[bytes]]
    size: int | None = None


def entries_of(access: DossierAccess) -> list[Entry]:
    entries: list[Entry] = []
    for path in SECTIONS:
        entries.extend(import_string(path)(access))
    return entries


def _stored(storage_name: str) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        with default_storage.open(storage_name, "rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk

    return chunks


def _safe(name: str) -> str:
    # Names are sanitised at upload (no separators); folders' too. Never a path part.
    cleaned = name.replace("/", "_").replace("\\", "_").strip() or "_"
    return "_" if cleaned in {".", ".."} else cleaned


class _Names:
    """Unique names per ZIP folder (case-insensitive): "name (2).ext" for the second."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def take(self, folder: str, name: str) -> str:
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem:
            stem, dot, extension = name, "", ""
        candidate, n = f"{folder}/{name}", 1
        while candidate.lower() in self.seen:
            n += 1
            candidate = f"{folder}/{stem} ({n}){dot}{extension}"
        self.seen.add(candidate.lower())
        return candidate


def _folder_paths(access: DossierAccess) -> dict[int, str]:
    folders = {
        pk: (parent, name)
        for pk, parent, name in Folder.objects.filter(dossier=access.dossier).values_list(
            "pk", "parent_id", "name"
        )
    }
    visible = set(folders_visible(access).values_list("pk", flat=True))

    def path(pk: int) -> str:
        parts = []
        current: int | None = pk
        while current is not None and current in folders:
            parent, name = folders[current]
            parts.append(_safe(name))
            current = parent
        return "/".join(reversed(parts))

    return {pk: path(pk) for pk in folders if pk in visible}


def documents_section(access: DossierAccess) -> list[Entry]:
    """Documents/<classeur tree>/<name>: the current version; older versions in
    Documents/<classeur tree>/Versions précédentes/<name> (v<n>).<ext>."""
    root = _("Documents")
    older = _("Versions précédentes")
    paths = _folder_paths(access)
    names = _Names()
    entries: list[Entry] = []
    documents = list(
        documents_visible(access)
        .filter(current_version__isnull=False)
        .order_by("folder_id", "name", "pk")
        .values_list("pk", "folder_id", "name", "current_version_id")
    )
    versions: dict[int, list[tuple[int, int, str, int, str]]] = {}
    for pk, document_id, number, storage_name, size, original in (
        DocumentVersion.objects.filter(document_id__in=[d[0] for d in documents])
        .order_by("document_id", "-number")
        .values_list("pk", "document_id", "number", "storage_name", "size", "original_name")
    ):
        versions.setdefault(document_id, []).append((pk, number, storage_name, size, original))
    for document_id, folder_id, name, current_id in documents:
        folder = f"{root}/{paths[folder_id]}" if folder_id in paths else root
        for pk, number, storage_name, size, _original in versions.get(document_id, []):
            if pk == current_id:
                arcname = names.take(folder, _safe(name))
            else:
                stem, dot, extension = _safe(name).rpartition(".")
                if not dot or not stem:
                    stem, dot, extension = _safe(name), "", ""
                arcname = names.take(f"{folder}/{older}", f"{stem} (v{number}){dot}{extension}")
            entries.append(Entry(arcname, _stored(storage_name), size))
    return entries


def _temporary_xlsx(write: Callable[[Any], None]) -> Callable[[], Iterator[bytes]]:
    """An XLSX written to a temporary file when the ZIP writer reaches it."""

    def chunks() -> Iterator[bytes]:
        with tempfile.TemporaryFile(suffix=".xlsx") as file:
            write(file)
            file.seek(0)
            while chunk := file.read(CHUNK):
                yield chunk

    return chunks


def activity_log_section(access: DossierAccess) -> list[Entry]:
    """The dossier's log as the log's own XLSX export writes it (typed cells: no formula)."""

    def write(file: Any) -> None:
        events = newest_first(events_visible(access), by_time=False)
        audit_exports.write_xlsx(audit_exports.export_rows(events), file, across=False)

    return [Entry(_("Journal d'activité.xlsx"), _temporary_xlsx(write))]


def _local(moment: Any) -> str:
    if moment is None:
        return ""
    if hasattr(moment, "hour"):
        return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")
    return str(moment.strftime("%d/%m/%Y"))


def tasks_section(access: DossierAccess) -> list[Entry]:
    """Tasks, their steps and the steps' comments: one XLSX with three sheets."""

    def write(file: Any) -> None:
        workbook = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        bold = workbook.add_format({"bold": True})

        def sheet(title: str, headers: list[str], rows: Iterator[list[Any]]) -> None:
            page = workbook.add_worksheet(title[:31])
            for column, header in enumerate(headers):
                page.write_string(0, column, header, bold)
                page.set_column(column, column, 24)
            for line, row in enumerate(rows, start=1):
                for column, value in enumerate(row):
                    if isinstance(value, int) and not isinstance(value, bool):
                        page.write_number(line, column, value)
                    elif value:
                        page.write_string(line, column, str(value))

        tasks = tasks_visible(access).select_related("created_by").order_by("pk")
        sheet(
            _("Tâches"),
            [
                *(_("N°"), _("Titre"), _("Type"), _("État"), _("Échéance")),
                *(_("Envoyée le"), _("Par"), _("Terminée le"), _("Message")),
            ],
            (
                [
                    task.pk,
                    task.title,
                    task.get_kind_display(),
                    task.get_state_display(),
                    _local(task.due_date),
                    _local(task.created_at),
                    task.created_by.email if task.created_by else "",
                    _local(task.completed_at),
                    task.message,
                ]
                for task in tasks.iterator()
            ),
        )
        steps = (
            Step.objects.filter(task__in=tasks.values("pk"), deleted_at__isnull=True)
            .select_related("task")
            .order_by("task_id", "position", "pk")
        )
        sheet(
            _("Étapes"),
            [
                *(_("Tâche n°"), _("Tâche"), _("Étape"), _("État")),
                *(_("Échéance"), _("Commentaire"), _("Précisions")),
            ],
            (
                [
                    step.task_id,
                    step.task.title,
                    step.title,
                    step.get_state_display(),
                    _local(step.due_date),
                    step.state_comment,
                    step.details,
                ]
                for step in steps.iterator()
            ),
        )
        comments = (
            StepComment.objects.filter(step__in=steps.values("pk"))
            .select_related("step", "author")
            .order_by("step__task_id", "step_id", "pk")
        )
        sheet(
            _("Commentaires"),
            [_("Tâche n°"), _("Étape"), _("Auteur"), _("Date"), _("Commentaire")],
            (
                [
                    comment.step.task_id,
                    comment.step.title,
                    comment.author.email if comment.author else "",
                    _local(comment.created_at),
                    comment.body,
                ]
                for comment in comments.iterator()
            ),
        )
        workbook.close()

    return [Entry(_("Tâches.xlsx"), _temporary_xlsx(write))]
