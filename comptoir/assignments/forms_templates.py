"""Forms of the template and recurrence pages. They parse input; the actions check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import PLANNED_MAX, PLANNED_MIN, BoundedDateField
from comptoir.dossiers.models import Dossier

from .actions import MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH
from .actions_templates import (
    FOLDER_NAME_MAX_LENGTH,
    MAX_DAYS,
    NAME_MAX_LENGTH,
    TemplateStep,
    template_steps,
)
from .forms import DateInput
from .models import Frequency, TaskTemplate

# Empty step rows shown under the filled ones (no JavaScript needed to add steps: save,
# and the page comes back with more empty rows).
EXTRA_STEP_ROWS = 3


class TemplateForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du modèle"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("Pour le retrouver, par exemple « Pièces du mois »."),
    )
    title = forms.CharField(label=_("Titre de la tâche"), max_length=TITLE_MAX_LENGTH)
    message = forms.CharField(
        label=_("Instructions"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_in_days = forms.IntegerField(
        label=_("Échéance (jours après l'envoi)"),
        required=False,
        min_value=0,
        max_value=MAX_DAYS,
        help_text=_("Laissez vide pour une tâche sans échéance."),
    )


class TemplateStepForm(forms.Form):
    title = forms.CharField(
        label=_("Titre de l'étape"), max_length=TITLE_MAX_LENGTH, required=False
    )
    details = forms.CharField(
        label=_("Précisions"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    folder = forms.CharField(
        label=_("Classeur de destination"),
        max_length=FOLDER_NAME_MAX_LENGTH,
        required=False,
        help_text=_("Son nom ; dans un dossier qui n'a pas ce classeur : la racine."),
    )
    due_in_days = forms.IntegerField(
        label=_("Échéance (jours après l'envoi)"),
        required=False,
        min_value=0,
        max_value=MAX_DAYS,
    )

    def step(self) -> TemplateStep | None:
        data = self.cleaned_data
        if not (data.get("title") or "").strip():
            return None
        return TemplateStep(
            title=data["title"],
            details=data.get("details") or "",
            folder=data.get("folder") or "",
            due_in_days=data.get("due_in_days"),
        )


TemplateStepFormSet = forms.formset_factory(TemplateStepForm, extra=EXTRA_STEP_ROWS, max_num=50)


def template_forms(
    data: Any = None, *, template: TaskTemplate | None = None
) -> tuple[TemplateForm, Any]:
    """The template's form and its steps' formset (filled from `template` on GET)."""
    initial: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    if template is not None:
        initial = {
            "name": template.name,
            "title": template.title,
            "message": template.message,
            "due_in_days": template.due_in_days,
        }
        steps = [step.as_data() for step in template_steps(template)]
    form = TemplateForm(data, initial=initial)
    formset = TemplateStepFormSet(data, initial=steps, prefix="steps")
    return form, formset


def formset_steps(formset: Any) -> list[TemplateStep]:
    return [step for f in formset.forms if (step := f.step()) is not None]


class SaveAsTemplateForm(forms.Form):
    name = forms.CharField(label=_("Nom du modèle"), max_length=NAME_MAX_LENGTH)


class DossierChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ScheduleForm(forms.Form):
    dossiers = DossierChoiceField(
        label=_("Dossiers"),
        queryset=Dossier.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un dossier.")},
        help_text=_("Les tâches iront aux propriétaires de chaque dossier."),
    )
    frequency = forms.ChoiceField(
        label=_("Fréquence"), choices=Frequency.choices, initial=Frequency.MONTHLY
    )
    first_run_on = BoundedDateField(
        min_value=PLANNED_MIN,
        max_value=PLANNED_MAX,
        label=_("Premier envoi"),
        widget=DateInput(),
        help_text=_(
            "Les envois suivants tombent le même jour du mois, ou le dernier jour "
            "d'un mois plus court."
        ),
    )
    send_now = forms.BooleanField(
        label=_("Envoyer aussi maintenant"),
        required=False,
        help_text=_(
            "Une tâche part aujourd'hui dans chaque dossier ; si le premier envoi est "
            "aujourd'hui, c'est elle (pas de second envoi)."
        ),
    )

    def __init__(self, *args: Any, dossiers: list[Dossier], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("first_run_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        field = self.fields["dossiers"]
        field.queryset = Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).order_by(  # type: ignore[attr-defined]
            "name", "pk"
        )

    def clean_first_run_on(self) -> Any:
        day = self.cleaned_data["first_run_on"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Le premier envoi ne peut pas être dans le passé."))
        return day
