"""The approval pages: sending, the page, opening a document, approving and declining."""

from __future__ import annotations

import re

from django.urls import reverse

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents.actions import document_upload
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.models import Membership

from ..models import Approval, Task, TaskDocument, TaskDocumentOpen, TaskKind, TaskState
from .conftest import access_of, client_for, make_task, pdf
from .test_approval_actions import add_document, send


def url(name, office, *args):
    return reverse(f"assignments:{name}", args=[office["dossier"].slug, *args])


def open_url(office, task, document):
    return url("approval_document_open", office, task.pk, document.pk)


def test_the_form_lists_documents_and_checks_the_owner(office):
    add_document(office, "bilan.pdf")
    html = client_for(office["users"]["accountant"]).get(url("approval_create", office))
    assert html.status_code == 200
    page = html.content.decode()
    assert "bilan.pdf" in page
    assert 'enctype="multipart/form-data"' in page
    assert "multiple" in page
    owner_box = re.search(
        r'<input[^>]*name="assignees" value="{}"[^>]*>'.format(office["users"]["owner"].pk), page
    )
    assert owner_box is not None
    assert "checked" in owner_box.group(0)
    assert "style=" not in page


def test_the_form_sends_picked_and_uploaded_documents(office, django_capture_on_commit_callbacks):
    doc = add_document(office, "bilan.pdf")
    client = client_for(office["users"]["accountant"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            url("approval_create", office),
            {
                "title": "Comptes 2025",
                "message": "Merci",
                "documents": [doc.pk],
                "uploads": [pdf("annexe.pdf", "Annexe")],
                "upload_folder": office["folders"]["Fiscal"].pk,
                "assignees": [office["users"]["owner"].pk],
                "due_date": "2026-12-31",
                "send": "1",
            },
        )
    task = Task.objects.get(title="Comptes 2025")
    assert answer.status_code == 302
    assert answer["Location"] == task.get_absolute_url()
    names = set(TaskDocument.objects.filter(task=task).values_list("document__name", flat=True))
    assert names == {"bilan.pdf", "annexe.pdf"}
    assert task.due_date.isoformat() == "2026-12-31"


def test_the_form_needs_a_document_and_an_assignee(office):
    client = client_for(office["users"]["accountant"])
    answer = client.post(url("approval_create", office), {"title": "Rien", "send": "1"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Choisissez au moins une personne" in page
    answer = client.post(
        url("approval_create", office),
        {"title": "Rien", "assignees": [office["users"]["owner"].pk], "send": "1"},
    )
    assert "au moins un document" in answer.content.decode()
    assert not Task.objects.exists()


def test_the_filter_button_narrows_the_list_and_sends_nothing(office):
    add_document(office, "bilan.pdf")
    document_upload(
        actor=Actor(user=office["users"]["accountant"]),
        access=access_of(office),
        received=file_receive(pdf("contrat.pdf", "Contrat")),
        folder=office["folders"]["Juridique"],
    )
    client = client_for(office["users"]["accountant"])
    answer = client.post(
        url("approval_create", office),
        {"title": "", "folder": office["folders"]["Juridique"].pk, "filter": "1"},
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "contrat.pdf" in page
    assert "bilan.pdf" not in page
    assert "field-errors" not in page
    assert not Task.objects.exists()


def test_the_page_shows_the_documents_and_the_decision(office, django_assert_max_num_queries):
    docs = [add_document(office, f"doc{i}.pdf", f"Doc {i}") for i in range(5)]
    task = send(office, docs)
    owner = client_for(office["users"]["owner"])
    # 27: opening the page also marks its notifications read (one UPDATE), and this first
    # signed-in request records the session row (force_login leaves none).
    with django_assert_max_num_queries(27):
        page = owner.get(task.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "doc4.pdf" in html
    assert "Merci de valider" in html
    # "Approuver" waits, with its reason, until every document is opened.
    assert (
        '<button type="submit" disabled aria-describedby="approve-reason">Approuver</button>'
        in html
    )
    assert "ouvrez d&#x27;abord ces documents" in html or "ouvrez d'abord ces documents" in html
    assert "Refuser…</summary>" in html
    for doc in docs:
        owner.get(open_url(office, task, doc))
    html = owner.get(task.get_absolute_url()).content.decode()
    assert '<button type="submit">Approuver</button>' in html
    assert 'id="approve-reason"' not in html
    owner.post(url("approval_approve", office, task.pk))
    html = owner.get(task.get_absolute_url()).content.decode()
    docs[0].refresh_from_db()
    assert docs[0].current_version.sha256 in html  # the full SHA-256 of what was approved
    assert "Approuvée" in html


def test_an_upload_task_has_no_approval_page(office):
    task = make_task(office)
    answer = client_for(office["users"]["owner"]).get(url("approval_detail", office, task.pk))
    assert answer.status_code == 404


def test_opening_records_and_serves_the_file(office):
    doc = add_document(office)
    task = send(office, [doc])
    owner = client_for(office["users"]["owner"])
    answer = owner.get(open_url(office, task, doc))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert TaskDocumentOpen.objects.filter(user=office["users"]["owner"]).count() == 1
    owner.get(open_url(office, task, doc))
    assert TaskDocumentOpen.objects.count() == 1
    assert AuditEvent.objects.filter(action="task.document_opened").count() == 1
    assert AuditEvent.objects.filter(action="document.viewed").count() == 2


def test_a_document_outside_the_task_or_the_persons_folders_is_404(office):
    doc = add_document(office)
    other = add_document(office, "autre.pdf")
    task = send(office, [doc], to=("owner", "user"))
    owner = client_for(office["users"]["owner"])
    assert owner.get(open_url(office, task, other)).status_code == 404
    # The Utilisateur is limited to the Fiscal folder: Comptabilité's document is hidden.
    Membership.objects.filter(user=office["users"]["user"]).update(
        restrict_folders=True, visible_folder_ids=[office["folders"]["Fiscal"].pk]
    )
    user = client_for(office["users"]["user"])
    assert user.get(open_url(office, task, doc)).status_code == 404
    page = user.get(task.get_absolute_url()).content.decode()
    assert "auquel vous n" in page
    assert not TaskDocumentOpen.objects.exists()


def test_approve_without_opening_is_refused_with_the_names(office):
    doc = add_document(office, "bilan.pdf")
    task = send(office, [doc])
    owner = client_for(office["users"]["owner"])
    answer = owner.post(url("approval_approve", office, task.pk), follow=True)
    assert "bilan.pdf" in answer.content.decode()
    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN


def test_decline_without_comment_changes_nothing(office):
    task = send(office, [add_document(office)])
    owner = client_for(office["users"]["owner"])
    answer = owner.post(url("approval_decline", office, task.pk), {"comment": ""}, follow=True)
    assert "commentaire est obligatoire" in answer.content.decode()
    assert not Approval.objects.exists()
    owner.post(url("approval_decline", office, task.pk), {"comment": "Erreur au bilan"})
    task.refresh_from_db()
    assert task.outcome == "declined"


def test_a_non_assignee_gets_a_refusal(office):
    task = send(office, [add_document(office)], to=("owner",))
    admin = client_for(office["users"]["admin"])
    answer = admin.post(url("approval_decline", office, task.pk), {"comment": "x"}, follow=True)
    assert "Seules les personnes" in answer.content.decode()
    assert not Approval.objects.exists()


def test_read_only_cannot_decide(office):
    task = send(office, [add_document(office)], to=("owner",))
    reader = client_for(office["users"]["readonly"])
    assert reader.get(task.get_absolute_url()).status_code == 200
    assert reader.post(url("approval_approve", office, task.pk)).status_code == 403
    assert (
        reader.post(url("approval_decline", office, task.pk), {"comment": "x"}).status_code == 403
    )
    assert not Approval.objects.exists()
    assert Task.objects.get(pk=task.pk).kind == TaskKind.APPROVAL


def test_the_form_offers_only_people_who_may_decide(office):
    page = client_for(office["users"]["accountant"]).get(url("approval_create", office))
    html = page.content.decode()
    assert "owner@alpha.test" in html
    assert "user@alpha.test" in html
    assert "readonly@alpha.test" not in html
    assert "staff@martin.test" not in html


def test_htmx_refreshes_only_the_documents_and_the_decision(office):
    doc = add_document(office, "bilan.pdf")
    task = send(office, [doc])
    owner = client_for(office["users"]["owner"])
    owner.get(open_url(office, task, doc))
    answer = owner.get(task.get_absolute_url() + "?part=state", headers={"HX-Request": "true"})
    html = answer.content.decode()
    assert html.strip().startswith('<div id="approval-state"')
    assert "<html" not in html
    assert "badge-success" in html
    # "Approuver" comes with it, out of band: now enabled (the only document was opened).
    assert '<div id="approve-slot" class="approve-slot" hx-swap-oob="true">' in html
    assert '<button type="submit">Approuver</button>' in html
    assert "Confirmer le refus" not in html  # the refusal box (maybe being typed in) stays


def test_the_page_costs_the_same_whatever_the_number_of_documents(
    office, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = client_for(office["users"]["owner"])
    counts = []
    for n in (1, 6):
        task = send(office, [add_document(office, f"d{n}-{i}.pdf", f"{n} {i}") for i in range(n)])
        for link in TaskDocument.objects.filter(task=task):
            owner.get(open_url(office, task, link.document))
        owner.post(url("approval_approve", office, task.pk))
        with CaptureQueriesContext(connection) as queries:
            owner.get(task.get_absolute_url())
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_due_date_at_the_calendars_ends_is_a_form_error(office):
    doc = add_document(office, "bilan.pdf")
    client = client_for(office["users"]["accountant"])
    for day in ("0001-01-01", "9999-12-31"):
        answer = client.post(
            url("approval_create", office),
            {
                "title": "Comptes 2025",
                "documents": [doc.pk],
                "assignees": [office["users"]["owner"].pk],
                "due_date": day,
                "send": "1",
            },
        )
        assert answer.status_code == 200
        assert "entre 2000 et 2999" in answer.content.decode()
    assert not Task.objects.filter(title="Comptes 2025").exists()
