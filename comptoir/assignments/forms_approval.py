"""Forms of the approval pages. They parse input; the actions check the rules again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import PLANNED_MAX, PLANNED_MIN, BoundedDateField
from comptoir.documents.models import Document, Folder

from .actions_approval import COMMENT_MAX_LENGTH, MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH

# The picker shows this many documents at most; a folder or a name narrows it down.
PICKER_MAX = 100
MAX_FILES = 20


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); the view reads them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return super().clean(data, initial)


class ApprovalTaskForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX_LENGTH)
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = BoundedDateField(
        label=_("Échéance"), required=False, min_value=PLANNED_MIN, max_value=PLANNED_MAX
    )
    assignees = PeopleField(
        label=_("Qui doit approuver"),
        queryset=None,  # type: ignore[arg-type]
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les personnes du client ; une seule décision suffit."),
        error_messages={"required": _("Choisissez au moins une personne qui doit approuver.")},
    )
    # Rendered by the template (the picker, filtered and capped); validated against every
    # document the person may see.
    documents: forms.ModelMultipleChoiceField[Document] = forms.ModelMultipleChoiceField(
        label=_("Documents du dossier"),
        queryset=None,
        required=False,  # type: ignore[arg-type]
    )
    uploads = MultipleFileField(label=_("Ou déposez de nouveaux fichiers"), required=False)
    upload_folder: forms.ModelChoiceField[Folder] = forms.ModelChoiceField(
        label=_("Classer les fichiers déposés dans"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        empty_label=_("La racine du dossier"),
    )
    # The picker's filters (the "Filtrer" button re-shows the form, keeping what is typed).
    folder: forms.ModelChoiceField[Folder] = forms.ModelChoiceField(
        label=_("Classeur"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        empty_label=_("Tous les classeurs"),
    )
    q = forms.CharField(label=_("Nom contient"), required=False, max_length=100)

    def __init__(
        self,
        *args: Any,
        people: QuerySet[Any],
        documents: QuerySet[Document],
        folders: QuerySet[Folder],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignees"].queryset = people  # type: ignore[attr-defined]
        self.fields["documents"].queryset = documents  # type: ignore[attr-defined]
        self.fields["upload_folder"].queryset = folders  # type: ignore[attr-defined]
        self.fields["folder"].queryset = folders  # type: ignore[attr-defined]


class DeclineForm(forms.Form):
    comment = forms.CharField(
        label=_("Pourquoi refusez-vous ?"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Dites pourquoi vous refusez.")},
    )
