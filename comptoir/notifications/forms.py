"""The preferences page's form: one choice of email delivery per kind of event."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import EmailDelivery, NotificationKind


class NotificationPreferencesForm(forms.Form):
    """Fields are named after the kinds (`task_received`, …), labelled with their names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=EmailDelivery.choices
            )

    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in NotificationKind.values}
