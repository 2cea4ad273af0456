"""`comptoir restore SRC`: a backup back into an empty database and data folder; every
file is checked against the manifest first, and nothing is written if one fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.portability.backup import BackupRefused, restore


class Command(BaseCommand):
    help = "Restore a backup made by `comptoir backup` into an empty database and data folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", help="The backup's folder (with its manifest.json).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore(Path(options["src"]))
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(
            ngettext(
                "Restauration terminée : la base et %(files)s fichier, vérifiés.",
                "Restauration terminée : la base et %(files)s fichiers, vérifiés.",
                report.files,
            )
            % {"files": report.files},
            self.style.SUCCESS,
        )
        if not report.media_included:
            self.stderr.write(
                _(
                    "Cette sauvegarde ne contient pas les fichiers (stockage S3) : ils "
                    "doivent déjà être dans le bucket configuré."
                ),
                self.style.WARNING,
            )
        self.stdout.write(_("Vérifiez le journal : comptoir audit-verify"))
