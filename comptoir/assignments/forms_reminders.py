"""The reminder rules of one task: a thin form, the action checks the limits again."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .actions_reminders import MAX_DAYS, MAX_REMINDERS


class ReminderRulesForm(forms.Form):
    remind_days_before = forms.IntegerField(
        label=_("Rappel avant l'échéance (jours)"),
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        help_text=_("Vide : pas de rappel avant l'échéance."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    remind_on_due_date = forms.BooleanField(label=_("Rappel le jour de l'échéance"), required=False)
    remind_every_days = forms.IntegerField(
        label=_("Puis, tant que la tâche est à faire, un rappel tous les (jours)"),
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        help_text=_("Vide : pas de rappel après l'échéance."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    remind_max = forms.IntegerField(
        label=_("Nombre de rappels au plus"),
        min_value=0,
        max_value=MAX_REMINDERS,
        help_text=format_lazy(_("De 0 (aucun rappel) à {n}."), n=MAX_REMINDERS),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
