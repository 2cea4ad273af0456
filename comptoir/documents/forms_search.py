"""The filters of the document search page (GET): every value is checked against what the
person may see, and anything else is a form error, never a 500."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import BoundedDateField

from .search import KIND_CHOICES

# Outside these years a date is a typo, and near year 1 or 9999 it would not even convert
# to UTC: refused with a message instead.
MIN_YEAR = 1900
MAX_YEAR = 2999


def _date_field(label: Any) -> BoundedDateField:
    return BoundedDateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DocumentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Texte"),
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Cherche dans le nom et le contenu des documents, début de mot compris."),
    )
    folder = forms.TypedChoiceField(
        label=_("Classeur"), required=False, coerce=int, empty_value=None
    )
    date_from = _date_field(_("Déposé à partir du"))
    date_to = _date_field(_("Déposé jusqu'au"))
    uploader = forms.TypedChoiceField(
        label=_("Déposé par"), required=False, coerce=int, empty_value=None
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Tous les types")), *KIND_CHOICES]
    )

    def __init__(
        self,
        data: Any,
        *,
        folder_choices: list[tuple[int, str]],
        uploader_choices: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        self.fields["folder"].choices = [("", _("Tous les classeurs")), *folder_choices]  # type: ignore[attr-defined]
        self.fields["uploader"].choices = [("", _("Tout le monde")), *uploader_choices]  # type: ignore[attr-defined]

    def _clean_year(self, name: str) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get(name)
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(
                _("Saisissez une date entre %(start)s et %(end)s."),
                params={"start": MIN_YEAR, "end": MAX_YEAR},
                code="out_of_range",
            )
        return value

    def clean_date_from(self) -> datetime.date | None:
        return self._clean_year("date_from")

    def clean_date_to(self) -> datetime.date | None:
        return self._clean_year("date_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Cette date précède celle de début."))
        return cleaned
