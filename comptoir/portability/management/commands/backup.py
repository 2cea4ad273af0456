"""`comptoir backup DEST`: a consistent copy of the database, the stored files and the
audit chains' heads, made while the app runs (see comptoir/portability/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.portability.backup import BackupRefused, backup_make


class Command(BaseCommand):
    help = "Back up the database, the stored files and the audit chain heads into DEST."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", help="A folder that does not exist yet, or is empty.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_make(Path(options["dest"]))
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(
            ngettext(
                "Sauvegarde terminée : %(path)s (%(files)s fichier, %(size)s).",
                "Sauvegarde terminée : %(path)s (%(files)s fichiers, %(size)s).",
                report.files,
            )
            % {"path": report.path, "files": report.files, "size": filesizeformat(report.bytes)},
            self.style.SUCCESS,
        )
        if not report.media_included:
            self.stderr.write(
                _(
                    "Les fichiers sont dans un stockage S3 : ils ne sont pas dans cette "
                    "sauvegarde. Activez le versionnage et la réplication du bucket."
                ),
                self.style.WARNING,
            )
