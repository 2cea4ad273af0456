from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "comptoir.sharing"
    label = "sharing"
    verbose_name = _("Liens de partage")

    def ready(self) -> None:
        from .logs import install_token_redaction

        install_token_redaction()
