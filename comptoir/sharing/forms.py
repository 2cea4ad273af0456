"""Forms of the link pages. They parse and check input; the actions check the rules again."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import PLANNED_MAX, PLANNED_MIN, BoundedDateField

from .actions import (
    MAX_DOWNLOADS_LIMIT,
    MAX_EXPIRY_DAYS,
    MAX_RECIPIENTS,
    MESSAGE_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    ActionRefused,
    recipients_clean,
)
from .models import SharePolicy

RECIPIENT_SEPARATORS = re.compile(r"[\s,;]+")
# Twenty addresses of 254 characters and their separators, with room to spare.
RECIPIENTS_MAX_LENGTH = 6000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ShareLinkForm(forms.Form):
    recipients = forms.CharField(
        label=_("Destinataires"),
        max_length=RECIPIENTS_MAX_LENGTH,
        help_text=_(
            "Une ou plusieurs adresses e-mail, séparées par des virgules ou des retours à la "
            "ligne. Chaque destinataire reçoit le lien par e-mail."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "email"}),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Joint à l'e-mail et affiché sur la page du lien."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    expires_on = BoundedDateField(
        min_value=PLANNED_MIN,
        max_value=PLANNED_MAX,
        label=_("Valable jusqu'au"),
        required=False,
        help_text=_("Inclus. Laissez vide pour un lien sans date d'expiration."),
        widget=DateInput(),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        required=False,
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        help_text=_(
            "Facultatif, %(n)s caractères au moins. Il n'est jamais envoyé par e-mail : "
            "communiquez-le par un autre moyen (téléphone, SMS)."
        )
        % {"n": PASSWORD_MIN_LENGTH},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    max_downloads = forms.IntegerField(
        label=_("Nombre maximal de téléchargements"),
        required=False,
        min_value=1,
        max_value=MAX_DOWNLOADS_LIMIT,
        help_text=_(
            "Facultatif. Chaque fichier téléchargé compte, y compris ceux d'un ZIP "
            "« tout télécharger »."
        ),
    )
    notify_first_open = forms.BooleanField(
        label=_("Me prévenir à la première ouverture du lien"), required=False, initial=True
    )

    def __init__(self, *args: Any, policy: SharePolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        if policy.require_password:
            self.fields["password"].required = True
            self.fields["password"].help_text = _(
                "Obligatoire dans ce dossier, %(n)s caractères au moins. Il n'est jamais "
                "envoyé par e-mail : communiquez-le par un autre moyen (téléphone, SMS)."
            ) % {"n": PASSWORD_MIN_LENGTH}
        if policy.max_expiry_days is not None:
            today = timezone.localdate()
            last = today + datetime.timedelta(days=policy.max_expiry_days)
            field = self.fields["expires_on"]
            field.required = True
            field.initial = last
            field.help_text = _(
                "Inclus. Les règles du dossier limitent la validité à %(n)s jours, soit le "
                "%(date)s au plus tard."
            ) % {"n": policy.max_expiry_days, "date": date_format(last, "SHORT_DATE_FORMAT")}
            field.widget.attrs.update({"min": today.isoformat(), "max": last.isoformat()})
        else:
            self.fields["expires_on"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean_recipients(self) -> list[str]:
        values = [v for v in RECIPIENT_SEPARATORS.split(self.cleaned_data["recipients"]) if v]
        if len(values) > MAX_RECIPIENTS * 2:
            raise forms.ValidationError(
                _("Un lien peut être envoyé à %(n)s destinataires au plus.") % {"n": MAX_RECIPIENTS}
            )
        try:
            return recipients_clean(values)
        except ActionRefused as refused:
            raise forms.ValidationError(refused.message) from None

    def clean_expires_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError(_("La date d'expiration doit être dans le futur."))
        if self.policy.max_expiry_days is not None and day > today + datetime.timedelta(
            days=self.policy.max_expiry_days
        ):
            raise forms.ValidationError(
                _("Les règles du dossier limitent la validité d'un lien à %(n)s jours.")
                % {"n": self.policy.max_expiry_days}
            )
        return day


class SharePolicyForm(forms.Form):
    require_password = forms.BooleanField(
        label=_("Exiger un mot de passe pour chaque lien"), required=False
    )
    max_expiry_days = forms.IntegerField(
        label=_("Durée de validité maximale d'un lien (jours)"),
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text=_(
            "Laissez vide pour ne pas limiter. Si vous indiquez une durée, chaque lien doit "
            "avoir une date d'expiration, au plus tard ce nombre de jours après sa création."
        ),
    )


class LinkPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
