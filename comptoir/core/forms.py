"""Form fields shared by every app.

`BoundedDateField` is the only date field a Comptoir form uses (a test walks every form):
a date outside its bounds is a form error, never a value that overflows later (9999-12-31
plus a day, 0001-01-01 minus one, or converted to UTC).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2999, 12, 31)
# Due dates, expiry dates and first runs: days people plan for.
PLANNED_MIN = datetime.date(2000, 1, 1)
PLANNED_MAX = datetime.date(2999, 12, 31)

# Up to this many choices a filter is a <select>; above, a text input with a <datalist> of
# the first DATALIST_MAX (a firm serving a thousand dossiers must not render a thousand
# options on every page: ~50 ms). The input takes an option's text or an id (links).
CHOICES_MAX = 50
DATALIST_MAX = 100


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class BoundedDateField(forms.DateField):
    """A date from `min_value` to `max_value` (1900 to 2999 unless told otherwise)."""

    widget = DateInput
    default_error_messages = {
        "out_of_range": _("Choisissez une date entre %(first)s et %(last)s."),
    }

    def __init__(
        self,
        *,
        min_value: datetime.date = DATE_MIN,
        max_value: datetime.date = DATE_MAX,
        **kwargs: Any,
    ) -> None:
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs: dict[str, Any] = super().widget_attrs(widget)
        attrs.setdefault("min", self.min_value.isoformat())
        attrs.setdefault("max", self.max_value.isoformat())
        return attrs

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not self.min_value <= value <= self.max_value:
            raise forms.ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"first": self._shown(self.min_value), "last": self._shown(self.max_value)},
            )

    @staticmethod
    def _shown(day: datetime.date) -> str:
        return str(day.year) if (day.month, day.day) in {(1, 1), (12, 31)} else day.isoformat()
