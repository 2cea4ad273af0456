from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "comptoir.core"
    label = "core"
    verbose_name = _("Socle")

    def ready(self) -> None:
        from .converters import IdConverter

        # Every URL pattern with a database id uses <id:…> (see converters.py).
        register_converter(IdConverter, "id")
