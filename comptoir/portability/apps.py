from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortabilityConfig(AppConfig):
    """Backups, restores and a dossier's full export: above every domain app (it reads
    documents, tasks and the activity log; none of them imports it)."""

    name = "comptoir.portability"
    label = "portability"
    verbose_name = _("Sauvegarde et export")
