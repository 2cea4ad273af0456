from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "comptoir.accounts"
    label = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        # allauth's flows (login, passwords, emails, second factors) are audited from its
        # signals: see signals.py.
        from . import signals

        signals.connect()
