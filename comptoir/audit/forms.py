"""The log's filters, as a GET form.

The form only checks and explains; `EventFilters.from_query()` (selectors.py) reads the
values the form accepted, so the page, its links and the export read the same filters.
A value the form refuses is shown with its error and left out of the filtering.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import User
from comptoir.core.forms import BoundedDateField
from comptoir.dossiers.models import Dossier

from .labels import action_choices, object_choices
from .selectors import DATE_MAX, DATE_MIN

# An action code or a domain prefix ("document.uploaded", "document."); an object type
# ("documents.document"). Unknown but well-formed values are kept (events of old codes).
ACTION_SHAPE = re.compile(r"^[a-z][a-z0-9_]*\.(?:[a-z0-9_]+)?$")
OBJECT_SHAPE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class EventFilterForm(forms.Form):
    """Fields are named as the query string (`from` and `to` cannot be Python names)."""

    def __init__(
        self,
        data: Any,
        *,
        people: Iterable[User],
        other_actor: tuple[int, str] | None = None,
        dossiers: Iterable[Dossier] | None = None,
        in_dossiers: bool = True,
    ) -> None:
        super().__init__(data, auto_id="log-%s")
        if dossiers is not None:
            self.fields["dossier"] = forms.ChoiceField(
                label=_("Dossier"),
                required=False,
                choices=[("", _("Tous les dossiers")), *((str(d.pk), d.name) for d in dossiers)],
            )
        actors: list[tuple[str, str]] = [(str(p.pk), _person_label(p)) for p in people]
        if other_actor is not None:
            actor_id, actor_label = other_actor
            actors.append((str(actor_id), actor_label))
        self.fields["actor"] = forms.ChoiceField(
            label=_("Utilisateur"),
            required=False,
            choices=[("", _("Tout le monde")), *actors],
        )
        actions: list[Any] = [
            ("", _("Toutes les actions")),
            *action_choices(in_dossiers=in_dossiers),
        ]
        action = str(self.data.get("action") or "") if self.is_bound else ""
        known = {value for _group, options in actions[1:] for value, _label in options}
        if action and action not in known and ACTION_SHAPE.match(action):
            actions.append((_("Autres"), [(action, action)]))
        self.fields["action"] = forms.ChoiceField(
            label=_("Action"), required=False, choices=actions
        )
        objects: list[tuple[str, Any]] = [
            ("", _("Tous les objets")),
            *object_choices(in_dossiers=in_dossiers),
        ]
        object_type = str(self.data.get("object") or "") if self.is_bound else ""
        if object_type and object_type not in dict(objects) and OBJECT_SHAPE.match(object_type):
            objects.append((object_type, object_type))
        self.fields["object"] = forms.ChoiceField(label=_("Objet"), required=False, choices=objects)
        for name, label in (("from", _("Du")), ("to", _("Au"))):
            self.fields[name] = BoundedDateField(
                label=label,
                required=False,
                input_formats=["%Y-%m-%d"],
                widget=DateInput(),
                error_messages={"invalid": _("Saisissez une date valide (AAAA-MM-JJ).")},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("from", "to"):
            day = data.get(name)
            if day is not None and not DATE_MIN <= day <= DATE_MAX:
                self.add_error(
                    name,
                    _("Choisissez une date entre %(first)s et %(last)s.")
                    % {"first": DATE_MIN.year, "last": DATE_MAX.year},
                )
        start, end = data.get("from"), data.get("to")
        if start is not None and end is not None and end < start:
            self.add_error("to", _("La date de fin précède la date de début."))
        return data

    def valid_query(self) -> dict[str, str]:
        """The accepted values, in the query-string form `EventFilters.from_query` reads."""
        self.is_valid()
        query: dict[str, str] = {}
        for name in self.fields:
            if name in self.errors or name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if value in (None, ""):
                continue
            query[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return query


def _person_label(person: User) -> str:
    name = person.get_full_name()
    return f"{name} ({person.email})" if name else person.email
