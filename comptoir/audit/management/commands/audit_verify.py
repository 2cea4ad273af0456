"""`comptoir audit-verify [--dossier SLUG]`: does the audit log's hash chain hold?

Exit 0 when every chain (or the dossier's) holds and agrees with the last anchor written
outside the database (audit/anchors.py), 1 naming the first broken event, 2 for an
unknown dossier. Reads the events in `seq` order by chunks: flat memory, any size.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.audit.anchors import anchor_check, anchor_last, anchors_path
from comptoir.audit.chain import GLOBAL_CHAIN, ChainBreak, append_only_guarded, chains_verify
from comptoir.dossiers.models import Dossier


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


class Command(BaseCommand):
    help = "Verify the audit log's hash chains (all, or one dossier's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossier", metavar="SLUG", help="Only this dossier's chain.")
        parser.add_argument(
            "--chunk-size", type=int, default=2000, help="Events read per database round trip."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dossier_id = None
        if options["dossier"]:
            # Deleted dossiers too: their log is kept, and worth checking.
            found = Dossier.objects.filter(slug=options["dossier"]).values_list("pk", flat=True)
            if not found:
                raise CommandError(
                    _("Aucun dossier n'a l'identifiant « %(slug)s ».")
                    % {"slug": options["dossier"]},
                    returncode=2,
                )
            dossier_id = found[0]

        if not append_only_guarded():
            self.stderr.write(
                _(
                    "Attention : la base ne refuse plus la modification ni la suppression "
                    "des événements (déclencheurs absents ou désactivés)."
                ),
                self.style.WARNING,
            )

        report = chains_verify(dossier_id=dossier_id, chunk_size=options["chunk_size"])
        if report.broken is not None:
            self.stderr.write(self._broken(report.broken), self.style.ERROR)
            sys.exit(1)
        # A chain recomputed after an edit holds on its own: only the anchor sees it.
        anchor = anchor_last()
        if anchor is not None:
            broken = anchor_check(anchor, dossier_id=dossier_id)
            if broken is not None:
                self.stderr.write(self._broken(broken), self.style.ERROR)
                sys.exit(1)
        chains = ngettext("%(chains)s chaîne", "%(chains)s chaînes", report.chains) % {
            "chains": _number(report.chains)
        }
        self.stdout.write(
            ngettext(
                "Chaîne intacte : %(events)s événement vérifié dans %(chains)s.",
                "Chaîne intacte : %(events)s événements vérifiés dans %(chains)s.",
                report.events,
            )
            % {"events": _number(report.events), "chains": chains},
            self.style.SUCCESS,
        )
        if anchor is not None:
            self.stdout.write(
                _("Conforme à l'ancre du %(when)s (%(path)s).")
                % {
                    "when": date_format(timezone.localtime(anchor.at), "DATETIME_FORMAT"),
                    "path": anchors_path(),
                }
            )

    def _broken(self, broken: ChainBreak) -> str:
        if broken.key == GLOBAL_CHAIN:
            chain = _("événements sans dossier")
        else:
            dossier = Dossier.objects.filter(pk=int(broken.key.removeprefix("d:"))).first()
            chain = (
                _("dossier « %(name)s » (%(slug)s)") % {"name": dossier.name, "slug": dossier.slug}
                if dossier is not None
                else _("dossier n° %(id)s (introuvable)") % {"id": broken.key.removeprefix("d:")}
            )
        if broken.event_id is None:
            where = chain
        elif broken.seq is None:
            where = _("%(chain)s, événement #%(id)s") % {"chain": chain, "id": broken.event_id}
        else:
            where = _("%(chain)s, événement #%(id)s (rang %(seq)s)") % {
                "chain": chain,
                "id": broken.event_id,
                "seq": _number(broken.seq),
            }
        return _("Chaîne rompue : %(where)s : %(reason)s") % {
            "where": where,
            "reason": broken.reason,
        }
