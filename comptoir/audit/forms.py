"""The log's filters, as a GET form.

The form only checks and explains; `EventFilters.from_query()` (selectors.py) reads the
values the form accepted, so the page, its links and the export read the same filters.
A value the form refuses is shown with its error and left out of the filtering.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import User
from comptoir.core.forms import CHOICES_MAX, DATALIST_MAX, BoundedDateField
from comptoir.dossiers.models import Dossier

from .labels import action_choices, object_choices
from .selectors import DATE_MAX, DATE_MIN

# An action code or a domain prefix ("document.uploaded", "document."); an object type
# ("documents.document"). Unknown but well-formed values are kept (events of old codes).
ACTION_SHAPE = re.compile(r"^[a-z][a-z0-9_]*\.(?:[a-z0-9_]+)?$")
OBJECT_SHAPE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")


class DatalistInput(forms.TextInput):
    template_name = "audit/widgets/datalist.html"

    def __init__(self, options: Sequence[str]) -> None:
        super().__init__()
        self.options = list(options)[:DATALIST_MAX]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}-options"
        widget["attrs"]["autocomplete"] = "off"
        widget["options"] = self.options
        return context


class PickField(forms.CharField):
    """One of many, typed: an id (`ids`), an option's text (`by_text`, compared
    case-insensitively, unique), else whatever `lookup` finds (one query), else an error."""

    def __init__(
        self,
        *,
        ids: set[str],
        by_text: dict[str, list[str]],
        lookup: Callable[[str], str | None] | None = None,
        unknown: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(required=False, max_length=320, **kwargs)
        self.ids, self.by_text, self.lookup, self.unknown = ids, by_text, lookup, unknown

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "").strip()
        if not text or text in self.ids:
            return text
        found = self.by_text.get(text.casefold(), [])
        if len(found) == 1:
            return found[0]
        if self.lookup is not None:
            pk = self.lookup(text)
            if pk is not None:
                return pk
        raise forms.ValidationError(self.unknown)


def _texts(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    by_text: dict[str, list[str]] = {}
    for pk, text in pairs:
        by_text.setdefault(text.casefold(), []).append(pk)
    return by_text


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
        actor_lookup: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(data, auto_id="log-%s")
        if dossiers is not None:
            self._dossier_field(list(dossiers))
        actors: list[tuple[str, str]] = [(str(p.pk), _person_label(p)) for p in people]
        if other_actor is not None:
            actor_id, actor_label = other_actor
            actors.append((str(actor_id), actor_label))
        if len(actors) <= CHOICES_MAX:
            self.fields["actor"] = forms.ChoiceField(
                label=_("Utilisateur"),
                required=False,
                choices=[("", _("Tout le monde")), *actors],
            )
        else:
            emails = [(str(p.pk), p.email) for p in people]
            if other_actor is not None:
                emails.append((str(other_actor[0]), other_actor[1]))
            self.fields["actor"] = PickField(
                label=_("Utilisateur"),
                ids={pk for pk, _email in emails},
                by_text=_texts(emails),
                lookup=actor_lookup,
                unknown=_("Personne inconnue dans ces dossiers : saisissez son adresse e-mail."),
                widget=DatalistInput([email for _pk, email in emails]),
            )
            self._show_text("actor", dict(emails))
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

    def _dossier_field(self, dossiers: list[Dossier]) -> None:
        if len(dossiers) <= CHOICES_MAX:
            self.fields["dossier"] = forms.ChoiceField(
                label=_("Dossier"),
                required=False,
                choices=[("", _("Tous les dossiers")), *((str(d.pk), d.name) for d in dossiers)],
            )
            return
        names = [(str(d.pk), d.name) for d in dossiers]
        self.fields["dossier"] = PickField(
            label=_("Dossier"),
            ids={pk for pk, _name in names},
            by_text=_texts(names),
            unknown=_("Choisissez un des dossiers proposés (son nom exact)."),
            widget=DatalistInput([name for _pk, name in names]),
        )
        self._show_text("dossier", dict(names))

    def _show_text(self, name: str, texts: dict[str, str]) -> None:
        """A value given by id (a link) is shown as its text when that text is unique."""
        value = str(self.data.get(name) or "") if self.is_bound else ""
        text = texts.get(value)
        if text is None:
            return
        field = self.fields[name]
        assert isinstance(field, PickField)
        if len(field.by_text.get(text.casefold(), [])) == 1:
            self.data = {**dict(self.data.items()), name: text}

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
