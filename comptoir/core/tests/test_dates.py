"""Every date field of every form is bounded: the calendar's ends are a form error.

9999-12-31 plus a day, 0001-01-01 minus one, or either converted to UTC raise
OverflowError: a form must refuse them before any code computes with them.
"""

from __future__ import annotations

import ast
import datetime
import importlib
from pathlib import Path

import pytest
from django import forms

import comptoir
from comptoir.core.forms import BoundedDateField

ROOT = Path(comptoir.__file__).parent
EXTREMES = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"]
DATE_FIELDS = {"DateField", "DateTimeField", "SplitDateTimeField"}


def source_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def form_modules() -> list[str]:
    names = []
    for path in ROOT.glob("*/forms*.py"):
        names.append(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
    return sorted(names)


def comptoir_forms() -> list[type[forms.BaseForm]]:
    for name in form_modules():
        importlib.import_module(name)
    found: list[type[forms.BaseForm]] = []
    pending: list[type] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("comptoir."):
            found.append(cls)
    return found


def test_the_walk_finds_the_forms_with_dates():
    names = {cls.__name__ for cls in comptoir_forms()}
    assert {"ShareLinkForm", "UploadTaskForm", "StepForm", "ApprovalTaskForm"} <= names
    assert {"ScheduleForm", "DocumentSearchForm"} <= names


def test_no_form_builds_an_unbounded_date_field():
    """Declared or added in __init__: no DateField(...) call outside core/forms.py."""
    offenders = []
    for path in source_files():
        if path == ROOT / "core" / "forms.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            receiver = func.value if isinstance(func, ast.Attribute) else None
            is_model = isinstance(receiver, ast.Name) and receiver.id == "models"
            if name in DATE_FIELDS and not is_model and not path.name.startswith("models"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def every_date_field() -> list[tuple[str, forms.Field]]:
    fields: list[tuple[str, forms.Field]] = []
    for cls in comptoir_forms():
        declared: dict[str, forms.Field] = getattr(cls, "base_fields", {})
        for name, field in declared.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                fields.append((f"{cls.__name__}.{name}", field))
    return fields


def test_every_declared_date_field_is_bounded():
    fields = every_date_field()
    assert len(fields) >= 6
    for label, field in fields:
        assert isinstance(field, BoundedDateField), label


@pytest.mark.django_db
def test_the_calendars_ends_are_a_form_error_in_every_date_field():
    from comptoir.audit.forms import EventFilterForm

    fields = every_date_field()
    log_form = EventFilterForm(data={}, people=[], in_dossiers=False)
    fields += [(f"EventFilterForm.{n}", log_form.fields[n]) for n in ("from", "to")]
    for label, field in fields:
        for value in EXTREMES:
            with pytest.raises(forms.ValidationError) as refused:
                field.clean(value)
            assert refused.value.code == "out_of_range", (label, value)
        assert isinstance(field, BoundedDateField)
        assert field.clean(field.min_value.isoformat()) == field.min_value
        assert field.clean(field.max_value.isoformat()) == field.max_value
        inside = datetime.date(2026, 6, 15)
        assert field.clean(inside.isoformat()) == inside
        # Browsers are told the bounds too.
        assert field.widget.attrs["max"] == field.max_value.isoformat(), label


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_filters_answer_the_calendars_ends_with_a_form_error(client, day):
    from django.urls import reverse

    from comptoir.accounts.actions import user_create
    from comptoir.audit.actions import Actor
    from comptoir.dossiers.actions import dossier_create

    owner = user_create(email="owner@alpha.test", password="x-Secret-123456", email_verified=True)
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    client.force_login(owner)
    for url, query in (
        (reverse("audit:dossier_log", args=[dossier.slug]), {"from": day, "to": day}),
        (reverse("audit:log_across"), {"from": day}),
        (reverse("documents:search", args=[dossier.slug]), {"date_from": day, "date_to": day}),
    ):
        response = client.get(url, query)
        assert response.status_code == 200, url
        assert "entre 1900 et 2999" in response.content.decode(), url
