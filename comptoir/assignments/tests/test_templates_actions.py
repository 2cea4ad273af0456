"""Templates and recurrences through their actions: who owns and sees a template, saving
a task as a template, scheduling (send now, refusals), pause/resume/delete, the demo."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.dossiers.actions import ActionRefused
from comptoir.dossiers.models import FirmMember

from ..access import dossiers_for_sending, templates_visible
from ..actions import step_delete
from ..actions_templates import (
    TemplateStep,
    task_save_as_template,
    task_schedule_create,
    task_schedule_delete,
    task_schedule_pause,
    task_schedule_resume,
    task_template_create,
    task_template_delete,
    task_template_update,
)
from ..models import Frequency, Task, TaskSchedule, TaskTemplate
from .conftest import access_of, make_task, person


def new_template(office, by="staff", **fields):
    user = office["users"][by]
    values = {
        "name": "Pièces du mois",
        "title": "Pièces du mois",
        "steps": [TemplateStep("Relevés bancaires", folder="Comptabilité", due_in_days=5)],
    }
    values.update(fields)
    return task_template_create(actor=Actor(user=user), user=user, **values)


def snapshot():
    return (
        list(TaskTemplate.objects.order_by("pk").values()),
        list(TaskSchedule.objects.order_by("pk").values()),
        Task.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Templates ----------------------------------------------------------------------------


def test_a_firm_staff_template_is_shared_with_the_firm(office):
    template = new_template(office)
    assert template.firm == office["firm"]
    assert template.steps == [
        {"title": "Relevés bancaires", "details": "", "folder": "Comptabilité", "due_in_days": 5}
    ]
    colleague = person("colleague@martin.test")
    FirmMember.objects.create(firm=office["firm"], user=colleague)
    assert list(templates_visible(colleague)) == [template]
    assert list(templates_visible(office["users"]["accountant"])) == []
    event = AuditEvent.objects.get(action="task.template_created")
    assert event.dossier is None
    assert event.object_id == str(template.pk)


def test_a_template_of_someone_without_a_firm_is_theirs_alone(office):
    template = new_template(office, by="accountant")
    assert template.firm is None
    assert list(templates_visible(office["users"]["staff"])) == []


def test_only_people_who_send_tasks_make_templates(office):
    before = snapshot()
    with pytest.raises(ActionRefused):
        new_template(office, by="user")
    assert snapshot() == before


def test_a_template_needs_a_name_and_a_title_and_sane_delays(office):
    before = snapshot()
    for bad in ({"name": " "}, {"title": ""}, {"due_in_days": -1}):
        with pytest.raises(ActionRefused):
            new_template(office, **bad)
    assert snapshot() == before


def test_a_colleague_edits_the_firm_template(office):
    template = new_template(office)
    colleague = person("colleague@martin.test")
    FirmMember.objects.create(firm=office["firm"], user=colleague)
    task_template_update(
        actor=Actor(user=colleague),
        user=colleague,
        template=template,
        name="Pièces du mois (TVA)",
        title="Pièces du mois",
        steps=[TemplateStep("A"), TemplateStep(""), TemplateStep("B", due_in_days=3)],
    )
    template.refresh_from_db()
    assert template.name == "Pièces du mois (TVA)"
    assert [s["title"] for s in template.steps] == ["A", "B"]
    assert AuditEvent.objects.filter(action="task.template_updated").count() == 1


def test_someone_else_cannot_edit_or_delete_a_template(office):
    template = new_template(office)
    stranger = office["users"]["accountant"]
    before = snapshot()
    with pytest.raises(ActionRefused):
        task_template_update(
            actor=Actor(user=stranger), user=stranger, template=template, name="X", title="X"
        )
    with pytest.raises(ActionRefused):
        task_template_delete(actor=Actor(user=stranger), user=stranger, template=template)
    assert snapshot() == before


def test_deleting_a_template_ends_its_recurrences_in_each_log(office):
    template = new_template(office)
    staff = office["users"]["staff"]
    (schedule,) = task_schedule_create(
        actor=Actor(user=staff),
        user=staff,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.MONTHLY,
        first_run_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    task_template_delete(actor=Actor(user=staff), user=staff, template=template)
    assert not TaskTemplate.objects.exists()
    assert not TaskSchedule.objects.exists()
    event = AuditEvent.objects.get(action="task.schedule_deleted")
    assert event.dossier == office["dossier"]
    assert event.object_id == str(schedule.pk)


def test_dossiers_for_sending(office):
    assert dossiers_for_sending(office["users"]["staff"]) == [office["dossier"]]
    assert dossiers_for_sending(office["users"]["owner"]) == [office["dossier"]]
    assert dossiers_for_sending(office["users"]["user"]) == []
    assert dossiers_for_sending(office["users"]["readonly"]) == []


# --- Saving a task as a template ----------------------------------------------------------


def test_an_upload_task_saved_as_template(office):
    today = timezone.localdate()
    task = make_task(
        office,
        by="staff",
        due_date=today + datetime.timedelta(days=15),
        steps=("Relevés", "Factures", "Notes de frais"),
        message="Merci",
    )
    steps = list(task.steps.order_by("position"))
    steps[0].due_date = today + datetime.timedelta(days=4)
    steps[0].details = "Tous les comptes"
    steps[0].save()
    step_delete(
        actor=Actor(user=office["users"]["staff"]), access=access_of(office, "staff"), step=steps[2]
    )

    template = task_save_as_template(
        actor=Actor(user=office["users"]["staff"]),
        access=access_of(office, "staff"),
        task=task,
        name="Mensuel",
    )
    assert (template.name, template.title, template.message) == ("Mensuel", task.title, "Merci")
    assert template.due_in_days == 15
    assert template.firm == office["firm"]
    assert template.steps == [
        {
            "title": "Relevés",
            "details": "Tous les comptes",
            "folder": "Comptabilité",
            "due_in_days": 4,
        },
        {"title": "Factures", "details": "", "folder": "Comptabilité", "due_in_days": None},
    ]
    event = AuditEvent.objects.get(action="task.saved_as_template")
    assert event.dossier == office["dossier"]
    assert event.details["template"] == template.pk


def test_saving_as_template_needs_task_send(office):
    task = make_task(office)
    before = snapshot()
    with pytest.raises(ActionRefused):
        task_save_as_template(
            actor=Actor(user=office["users"]["user"]),
            access=access_of(office, "user"),
            task=task,
            name="X",
        )
    assert snapshot() == before


# --- Scheduling ---------------------------------------------------------------------------


def test_scheduling_creates_one_recurrence_per_dossier(office):
    template = new_template(office)
    staff = office["users"]["staff"]
    first = timezone.localdate() + datetime.timedelta(days=2)
    (schedule,) = task_schedule_create(
        actor=Actor(user=staff),
        user=staff,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.QUARTERLY,
        first_run_on=first,
    )
    assert (schedule.frequency, schedule.next_run_on, schedule.anchor_day) == (
        Frequency.QUARTERLY,
        first,
        first.day,
    )
    assert schedule.created_by == staff
    assert schedule.active
    assert not Task.objects.exists()
    event = AuditEvent.objects.get(action="task.schedule_created")
    assert event.dossier == office["dossier"]
    assert event.details["frequency"] == "quarterly"


def test_send_now_on_the_first_date_counts_as_its_run(office):
    template = new_template(office)
    staff = office["users"]["staff"]
    today = timezone.localdate()
    (schedule,) = task_schedule_create(
        actor=Actor(user=staff),
        user=staff,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.MONTHLY,
        first_run_on=today,
        send_now=True,
    )
    task = Task.objects.get()
    assert task.schedule == schedule
    assert [a.user for a in task.assignees.all()] == [office["users"]["owner"]]
    assert schedule.next_run_on > today
    assert schedule.last_run_on == today


def test_send_now_with_a_later_first_date_sends_both(office):
    template = new_template(office)
    staff = office["users"]["staff"]
    later = timezone.localdate() + datetime.timedelta(days=10)
    (schedule,) = task_schedule_create(
        actor=Actor(user=staff),
        user=staff,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.MONTHLY,
        first_run_on=later,
        send_now=True,
    )
    assert Task.objects.count() == 1
    assert schedule.next_run_on == later


@pytest.mark.parametrize("case", ["other_dossier", "past", "twice", "no_dossier", "frequency"])
def test_scheduling_refusals_change_nothing(office, case):
    template = new_template(office)
    staff = office["users"]["staff"]
    today = timezone.localdate()
    kwargs = {
        "dossiers": [office["dossier"]],
        "frequency": Frequency.MONTHLY,
        "first_run_on": today,
    }
    if case == "other_dossier":
        kwargs["dossiers"] = [office["dossier"], office["other_dossier"]]
    elif case == "past":
        kwargs["first_run_on"] = today - datetime.timedelta(days=1)
    elif case == "twice":
        task_schedule_create(actor=Actor(user=staff), user=staff, template=template, **kwargs)
    elif case == "no_dossier":
        kwargs["dossiers"] = []
    else:
        kwargs["frequency"] = "weekly"
    before = snapshot()
    with pytest.raises(ActionRefused):
        task_schedule_create(
            actor=Actor(user=staff), user=staff, template=template, send_now=True, **kwargs
        )
    assert snapshot() == before


def test_pause_resume_delete(office):
    template = new_template(office)
    staff, owner = office["users"]["staff"], office["users"]["owner"]
    today = timezone.localdate()
    (schedule,) = task_schedule_create(
        actor=Actor(user=staff),
        user=staff,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.MONTHLY,
        first_run_on=today,
    )
    access = access_of(office, "owner")
    task_schedule_pause(actor=Actor(user=owner), access=access, schedule=schedule)
    with pytest.raises(ActionRefused):
        task_schedule_pause(actor=Actor(user=owner), access=access, schedule=schedule)
    # Paused for two months: resuming does not send the missed dates.
    TaskSchedule.objects.filter(pk=schedule.pk).update(
        next_run_on=today - datetime.timedelta(days=60)
    )
    resumed = task_schedule_resume(actor=Actor(user=owner), access=access, schedule=schedule)
    assert resumed.active
    assert resumed.next_run_on >= today
    assert resumed.created_by == owner  # the one who resumed it now sends
    with pytest.raises(ActionRefused):
        task_schedule_resume(actor=Actor(user=owner), access=access, schedule=schedule)
    task_schedule_delete(actor=Actor(user=owner), access=access, schedule=schedule)
    assert not TaskSchedule.objects.exists()
    actions = list(
        AuditEvent.objects.filter(dossier=office["dossier"], action__startswith="task.schedule_")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "task.schedule_created",
        "task.schedule_paused",
        "task.schedule_resumed",
        "task.schedule_deleted",
    ]


def test_schedule_actions_need_task_send(office):
    template = new_template(office)
    staff = office["users"]["staff"]
    (schedule,) = task_schedule_create(
        actor=Actor(user=staff),
        user=staff,
        template=template,
        dossiers=[office["dossier"]],
        frequency=Frequency.MONTHLY,
        first_run_on=timezone.localdate(),
    )
    before = snapshot()
    for action in (task_schedule_pause, task_schedule_delete):
        with pytest.raises(ActionRefused):
            action(
                actor=Actor(user=office["users"]["user"]),
                access=access_of(office, "user"),
                schedule=schedule,
            )
    assert snapshot() == before


# --- Demo ---------------------------------------------------------------------------------


def test_the_demo_has_the_templates_and_their_recurrences(db, django_capture_on_commit_callbacks):
    from comptoir.demo import demo_load

    with django_capture_on_commit_callbacks(execute=True):
        assert demo_load() is True
    templates = {t.name: t for t in TaskTemplate.objects.select_related("created_by", "firm")}
    assert set(templates) >= {"Pièces du mois", "Clôture annuelle"}
    for template in templates.values():
        assert template.created_by.email == "comptable@cabinet-martin.test"
        assert template.firm is not None
    monthly = TaskSchedule.objects.filter(template=templates["Pièces du mois"])
    assert {s.dossier.slug for s in monthly} == {"always-clean", "boulangerie-dupont"}
    assert {s.frequency for s in monthly} == {Frequency.MONTHLY}
    yearly = TaskSchedule.objects.get(template=templates["Clôture annuelle"])
    assert yearly.frequency == Frequency.YEARLY
