"""Forms of the upload-task pages. They parse input; the actions check the rules again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import PLANNED_MAX, PLANNED_MIN, BoundedDateField
from comptoir.documents.models import Folder

from .actions import COMMENT_MAX_LENGTH, MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH, StepSpec

# Empty step rows the creation form shows (more can be added on the task page).
EXTRA_STEP_ROWS = 5


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class UploadTaskForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX_LENGTH)
    message = forms.CharField(
        label=_("Instructions"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = BoundedDateField(
        label=_("Échéance"), required=False, min_value=PLANNED_MIN, max_value=PLANNED_MAX
    )
    assignees = PeopleField(
        label=_("Destinataires"),
        queryset=None,  # type: ignore[arg-type]
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les personnes du client qui doivent traiter la tâche."),
        error_messages={"required": _("Choisissez au moins une personne.")},
    )

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignees"].queryset = people  # type: ignore[attr-defined]


class StepForm(forms.Form):
    title = forms.CharField(
        label=_("Titre de l'étape"), max_length=TITLE_MAX_LENGTH, required=False
    )
    details = forms.CharField(
        label=_("Précisions"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_date = BoundedDateField(
        label=_("Échéance"), required=False, min_value=PLANNED_MIN, max_value=PLANNED_MAX
    )
    folder = forms.ModelChoiceField(
        label=_("Classeur de destination"),
        queryset=Folder.objects.none(),
        required=False,
        empty_label=_("Racine du dossier"),
    )

    def __init__(self, *args: Any, folders: QuerySet[Folder], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["folder"].queryset = folders  # type: ignore[attr-defined]

    def spec(self) -> StepSpec | None:
        data = self.cleaned_data
        if not (data.get("title") or "").strip():
            return None
        return StepSpec(
            title=data["title"],
            details=data.get("details") or "",
            due_date=data.get("due_date"),
            folder=data.get("folder"),
        )


class RequiredStepForm(StepForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = True


StepFormSet = forms.formset_factory(StepForm, extra=EXTRA_STEP_ROWS, max_num=50, validate_max=True)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Commentaire"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NotApplicableForm(forms.Form):
    comment = forms.CharField(
        label=_("Pourquoi ne s'applique-t-elle pas ?"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Expliquez pourquoi cette étape ne s'applique pas.")},
    )
