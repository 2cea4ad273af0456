from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class FolderForm(forms.Form):
    name = forms.CharField(label=_("Nom du classeur"), max_length=120)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Nouveau nom"), max_length=255)
    # The name the person saw: a rename made meanwhile by someone else is not overwritten.
    expected_name = forms.CharField(required=False, widget=forms.HiddenInput, max_length=255)
