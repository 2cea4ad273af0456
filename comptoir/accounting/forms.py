"""Forms of the ledger's pages: they validate input, the actions decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import BoundedDateField

from .chart import DEFAULT_ACCOUNTS, ROLES, VAT_RATES, Chart, vat_key
from .models import Journal
from .selectors import EntryFilters

STATES = [("", _("Toutes")), ("pending", _("À collecter")), ("collected", _("Collectées"))]
# An <input type="date"> takes ISO dates only, whatever the language of the page.
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
ACCOUNT_PATTERN = r"^[0-9]{3}[0-9A-Za-z]{0,17}$"


class EntryFilterForm(forms.Form):
    journal = forms.ChoiceField(
        label=_("Journal"), choices=[("", _("Tous")), *Journal.choices], required=False
    )
    date_from = BoundedDateField(label=_("Du"), required=False, widget=DATE_INPUT)
    date_to = BoundedDateField(label=_("Au"), required=False, widget=DATE_INPUT)
    account = forms.RegexField(
        label=_("Compte"),
        regex=r"^[0-9A-Za-z]{1,20}$",
        required=False,
        help_text=_("Un numéro ou son début (411 pour tous les clients)."),
        error_messages={"invalid": _("Chiffres et lettres seulement.")},
    )
    state = forms.ChoiceField(label=_("État"), choices=STATES, required=False)

    def filters(self) -> EntryFilters:
        """The accepted filters: a refused value is dropped (and shown with its error)."""
        data = self.cleaned_data if self.is_bound else {}
        errors = self.errors if self.is_bound else {}
        kept = {k: v for k, v in data.items() if k not in errors and v}
        return EntryFilters(**kept)


class CollectForm(forms.Form):
    up_to = BoundedDateField(
        label=_("Jusqu'au"),
        widget=DATE_INPUT,
        help_text=_("Toutes les écritures pas encore collectées datées de ce jour ou avant."),
    )

    def clean_up_to(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["up_to"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("On collecte jusqu'à aujourd'hui au plus tard."))
        return value


def _account_field(label: Any, *, required: bool = True) -> forms.RegexField:
    return forms.RegexField(
        label=label,
        regex=ACCOUNT_PATTERN,
        max_length=20,
        required=required,
        error_messages={
            "invalid": _("Un numéro de compte : trois chiffres puis chiffres ou lettres.")
        },
    )


class ChartForm(forms.Form):
    """One field per role (account number) and one per account used (its label)."""

    def __init__(self, *args: Any, chart: Chart, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chart = chart
        for key, label in ROLES.items():
            self.fields[f"map_{key}"] = _account_field(label)
            self.initial[f"map_{key}"] = chart.mapping[key]
        for rate in VAT_RATES:
            key = vat_key(rate)
            text = f"{rate.normalize():f}".replace(".", ",")
            self.fields[f"map_{key}"] = _account_field(
                _("TVA collectée à %(rate)s %%") % {"rate": text}
            )
            self.initial[f"map_{key}"] = chart.mapping[key]
        for number in self.numbers():
            self.fields[f"label_{number}"] = forms.CharField(
                label=number, max_length=200, required=True
            )
            self.initial[f"label_{number}"] = chart.label(number)

    def numbers(self) -> list[str]:
        """The accounts whose labels the page shows: those of the mapping, and others."""
        return sorted({*self.chart.mapping.values(), *self.chart.labels, "445710"})

    def role_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("map_")]

    def label_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("label_")]

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("map_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("map_") and name.removeprefix("map_") in DEFAULT_ACCOUNTS
        }

    def labels(self) -> dict[str, str]:
        return {
            name.removeprefix("label_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("label_")
        }
