"""The dossier home says what to do ("À faire"), and the dossiers list what waits where."""

from __future__ import annotations

import datetime

from django.urls import reverse

from comptoir.notifications.models import Notification

from ..models import Task
from .conftest import client_for, make_task
from .test_approval_actions import add_document, send

TODAY = datetime.date.today()


def home(office, who="owner") -> str:
    url = reverse("dossiers:dossier_home", args=[office["dossier"].slug])
    response = client_for(office["users"][who]).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_lists_approvals_first_then_tasks_by_due_date_late_flagged(office):
    make_task(office, title="Pièces de juin", due_date=TODAY + datetime.timedelta(days=9))
    make_task(office, title="Pièces de mai", due_date=TODAY - datetime.timedelta(days=3))
    make_task(office, title="Pièces sans date")
    make_task(office, title="Pour l'employé", to=("user",))
    send(office, [add_document(office, "bilan.pdf")], title="Comptes 2025")
    html = home(office)
    assert 'id="todo-title"' in html
    assert "Approbation à donner" in html
    assert (
        html.index("Comptes 2025")
        < html.index("Pièces de mai")
        < html.index("Pièces de juin")
        < html.index("Pièces sans date")
    )
    # Recent documents, with a link to each.
    assert 'id="recent-documents-title"' in html
    assert "bilan.pdf" in html
    assert "En retard" in html
    # Only what was sent to this person.
    assert "employé" not in html.split('id="todo-title"')[1].split("</section>")[0]
    # The main button: "Déposer", to the Documents uploader.
    documents = reverse("documents:document_list", args=[office["dossier"].slug])
    assert f'href="{documents}#upload-title">Déposer</a>' in html
    # The company's details are on the settings page.
    assert "Raison sociale" not in html


def test_the_accountant_sees_every_open_task_of_the_dossier(office):
    make_task(office, title="Pour l'employé", to=("user",))
    assert "Pour l" in home(office, "accountant")


def test_nothing_waiting_says_so(office):
    assert "Rien ne vous attend dans ce dossier" in home(office)


def test_finished_tasks_leave_the_home(office):
    task = make_task(office, title="Pièces de mai")
    Task.objects.filter(pk=task.pk).update(state="done")
    assert "Pièces de mai" not in home(office)


def test_unread_notifications_of_this_dossier_show_on_its_home(
    office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_task(office, title="Pièces de mai")
    notifications = Notification.objects.filter(user=office["users"]["owner"])
    assert notifications.exists()
    html = home(office)
    assert 'id="home-notifications-title"' in html
    notifications.update(read_at=datetime.datetime.now(tz=datetime.UTC))
    assert 'id="home-notifications-title"' not in home(office)


def test_the_dossiers_list_says_what_waits_in_each(office):
    make_task(office, title="Pièces de mai", due_date=TODAY - datetime.timedelta(days=3))
    make_task(office, title="Pièces de juin")
    html = (
        client_for(office["users"]["owner"]).get(reverse("dossiers:dossier_list")).content.decode()
    )
    assert "2 tâches" in html
    assert "1 en retard" in html
    outsider_html = (
        client_for(office["outsider"]).get(reverse("dossiers:dossier_list")).content.decode()
    )
    assert "Rien en attente" in outsider_html
    assert "tâches" not in outsider_html.split("Rien en attente")[0].split("<tbody>")[-1]


def test_opening_a_task_reads_its_notifications(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        task = make_task(office, title="Pièces de mai")
        other = make_task(office, title="Pièces de juin")
    owner = office["users"]["owner"]
    unread = Notification.objects.filter(user=owner, read_at__isnull=True)
    assert unread.count() == 2
    client_for(owner).get(task.get_absolute_url())
    assert list(unread.values_list("url", flat=True)) == [other.get_absolute_url()]


def test_notifications_show_an_icon_and_a_relative_time(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_task(office, title="Pièces de mai")
    html = client_for(office["users"]["owner"]).get(reverse("notifications:list")).content.decode()
    assert "notification-icon-task_received" in html
    assert "il y a" in html or "maintenant" in html
