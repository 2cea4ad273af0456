"""Document search: the same semantics on SQLite (FTS5) and PostgreSQL (tsvector).

Name and content (a real PDF through the real processing), prefixes, accents and case,
all words required, filters, restricted members, trash, hostile queries, query count.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.documents import actions
from comptoir.documents.access import documents_visible
from comptoir.documents.actions import document_rename, folder_create
from comptoir.documents.models import Document
from comptoir.documents.processing import document_process
from comptoir.documents.search import (
    SearchFilters,
    document_index,
    documents_search,
    query_words,
    search_body,
    words,
)
from comptoir.dossiers.actions import dossier_create
from comptoir.dossiers.models import Membership
from comptoir.testing.files import pdf_bytes, png_bytes

from .conftest import access_of, person, upload


def indexed(office, name, content=b"quelques mots", **kwargs):
    """Uploaded, then processed as the worker would (text extracted, index written)."""
    document = upload(office, name, content, **kwargs)
    document_process(document_id=document.pk)
    document.refresh_from_db()
    return document


def found(office, who="owner", **filters) -> set[str]:
    access = access_of(office, who)
    query = documents_search(
        documents_visible(access), dossier_id=office["dossier"].pk, filters=SearchFilters(**filters)
    )
    return set(query.values_list("name", flat=True))


def search_url(office, **query):
    url = reverse("documents:search", args=[office["dossier"].slug])
    return f"{url}?{urlencode(query)}" if query else url


def as_(client, office, who="owner"):
    client.force_login(office["users"][who])
    return client


def restrict(office, who, *folder_names):
    Membership.objects.filter(dossier=office["dossier"], user=office["users"][who]).update(
        restrict_folders=True,
        visible_folder_ids=[office["folders"][n].pk for n in folder_names],
    )


# --- Normalisation -------------------------------------------------------------------------


def test_words_are_lowercase_without_accents_or_punctuation():
    assert words("Relevé BANCAIRE (n°2) — cœur_été l'Œuvre Straße") == [
        "releve",
        "bancaire",
        "n",
        "2",
        "coeur",
        "ete",
        "l",
        "oeuvre",
        "strasse",
    ]
    assert search_body(name="Facture facture.pdf", text="FACTURE payée") == "facture pdf payee"


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""unbalanced "quote',
        "*",
        "fact*",
        "NEAR(a b)",
        "a NEAR b",
        "AND OR NOT",
        "(((",
        ")",
        "body:secret",
        "dossier : 1",
        "{body}: x",
        "^start",
        "-minus +plus",
        "'single' & | ! :*",
        "\x00\x01",
        "!!!???...,,,;;;",
        "é" * 5000,
        "mot " * 1300,
        "a" * 5000,
    ],
)
def test_hostile_queries_never_raise(client, office, query):
    indexed(office, "facture-mars.pdf")
    tokens = query_words(query)
    assert all(re.fullmatch(r"[a-z0-9]+", token) for token in tokens)
    assert len(tokens) <= 12
    found(office, query=query)  # no exception
    response = as_(client, office).get(search_url(office, q=query))
    assert response.status_code == 200


def test_only_punctuation_filters_nothing(office):
    indexed(office, "facture-mars.pdf")
    assert found(office, query="*** ?!") == {"facture-mars.pdf"}


# --- Text ----------------------------------------------------------------------------------


def test_the_name_is_found_by_prefix_whatever_the_accents_and_case(office):
    indexed(office, "Facture Électricité Mars.pdf")
    indexed(office, "Contrat de bail.pdf")
    assert found(office, query="electricite") == {"Facture Électricité Mars.pdf"}
    assert found(office, query="ÉLEC") == {"Facture Électricité Mars.pdf"}
    assert found(office, query="fact mar") == {"Facture Électricité Mars.pdf"}
    assert found(office, query="bail") == {"Contrat de bail.pdf"}
    # A prefix of a word, never the middle or a longer word.
    assert found(office, query="tricite") == set()
    assert found(office, query="factures") == set()


def test_every_word_is_required(office):
    indexed(office, "facture janvier.pdf")
    indexed(office, "facture février.pdf")
    assert found(office, query="facture") == {"facture janvier.pdf", "facture février.pdf"}
    assert found(office, query="facture fev") == {"facture février.pdf"}
    assert found(office, query="facture mars") == set()


def test_the_text_of_a_pdf_is_found_after_processing(office):
    document = indexed(
        office, "scan-0001.pdf", pdf_bytes("Attestation de vigilance URSSAF délivrée")
    )
    assert "vigilance" in document.text_content
    assert found(office, query="vigilance") == {"scan-0001.pdf"}
    assert found(office, query="urssaf delivree") == {"scan-0001.pdf"}
    assert found(office, query="DÉLIV attest") == {"scan-0001.pdf"}
    assert found(office, query="vigilance absent") == set()


def test_a_rename_is_searchable_at_once(office):
    document = indexed(office, "scan.pdf")
    document_rename(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office),
        document=document,
        name="Kbis société.pdf",
    )
    assert found(office, query="kbis") == {"Kbis société.pdf"}
    assert found(office, query="scan") == set()


def test_a_new_version_replaces_the_indexed_text(office):
    document = indexed(office, "releve.pdf", pdf_bytes("Ancien contenu zèbre"))
    assert found(office, query="zebre") == {"releve.pdf"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    from comptoir.documents.uploads import file_receive

    actions.document_version_add(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office),
        document=document,
        received=file_receive(SimpleUploadedFile("v2.pdf", pdf_bytes("Nouveau contenu girafe"))),
    )
    document_process(document_id=document.pk)
    assert found(office, query="zebre") == set()
    assert found(office, query="girafe") == {"releve.pdf"}


def test_another_dossiers_documents_are_never_found(office):
    indexed(office, "facture-alpha.pdf")
    other_owner = person("owner@beta.test")
    beta = dossier_create(actor=Actor(user=other_owner), name="Beta SAS", siren="552100554")
    beta_doc = Document.objects.create(dossier=beta, name="facture-beta.pdf")
    document_index(document=beta_doc)
    assert found(office, query="facture") == {"facture-alpha.pdf"}


def test_trashed_documents_are_never_found(client, office):
    kept = indexed(office, "facture-gardee.pdf")
    thrown = indexed(office, "facture-jetee.pdf")
    actions.documents_trash(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office), documents=[thrown]
    )
    assert found(office, query="facture") == {kept.name}
    assert found(office) == {kept.name}
    page = as_(client, office).get(search_url(office, q="facture")).text
    assert "facture-gardee.pdf" in page
    assert "facture-jetee.pdf" not in page


def test_a_restricted_user_finds_only_its_folders(client, office):
    indexed(office, "facture-sociale.pdf", folder="Social")
    indexed(office, "facture-fiscale.pdf", folder="Fiscal")
    indexed(office, "facture-racine.pdf", folder=None)
    restrict(office, "user", "Social")
    assert found(office, "user", query="facture") == {"facture-sociale.pdf"}
    assert found(office, "user") == {"facture-sociale.pdf"}
    page = as_(client, office, "user").get(search_url(office, q="facture")).text
    assert "facture-sociale.pdf" in page
    assert "facture-fiscale.pdf" not in page
    assert "facture-racine.pdf" not in page
    # A folder it may not see is not even a valid choice.
    fiscal = office["folders"]["Fiscal"].pk
    response = client.get(search_url(office, q="facture", folder=fiscal))
    assert response.status_code == 200
    assert "facture-fiscale.pdf" not in response.text
    assert response.context["form"].errors["folder"]
    # The accountant is never restricted.
    assert found(office, "accountant", query="facture") == {
        "facture-sociale.pdf",
        "facture-fiscale.pdf",
        "facture-racine.pdf",
    }


# --- Filters -------------------------------------------------------------------------------


def test_folder_filter_includes_sub_folders(client, office):
    social = office["folders"]["Social"]
    child = folder_create(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office),
        name="Paie 2025",
        parent=social,
    )
    indexed(office, "bulletin-janvier.pdf", folder="Social")
    below = indexed(office, "bulletin-fevrier.pdf", folder="Social")
    Document.objects.filter(pk=below.pk).update(folder=child)
    indexed(office, "bulletin-fiscal.pdf", folder="Fiscal")
    response = as_(client, office).get(search_url(office, q="bulletin", folder=social.pk))
    names = {d.name for d in response.context["page"].object_list}
    assert names == {"bulletin-janvier.pdf", "bulletin-fevrier.pdf"}
    response = client.get(search_url(office, folder=child.pk))
    assert {d.name for d in response.context["page"].object_list} == {"bulletin-fevrier.pdf"}


def test_period_uploader_and_type_filters(client, office):
    old = indexed(office, "ancien.pdf", pdf_bytes("vieux"))
    Document.objects.filter(pk=old.pk).update(
        created_at=timezone.make_aware(datetime.datetime(2024, 3, 15, 23, 30))
    )
    indexed(office, "photo.png", png_bytes(), by="admin")
    indexed(office, "notes.txt", b"des notes en texte brut\n", by="accountant")
    sheet = indexed(office, "compta.xlsx", b"PK\x03\x04 not really a workbook")
    # libmagic names a real workbook so; a fake one is enough to test the family.
    sheet.current_version.__class__.objects.filter(pk=sheet.current_version_id).update(
        mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    indexed(office, "archive.zip", b"PK\x05\x06" + b"\x00" * 18)
    client = as_(client, office)

    def names(**query):
        response = client.get(search_url(office, **query))
        assert response.status_code == 200, response.context["form"].errors
        assert not response.context["form"].errors
        return {d.name for d in response.context["page"].object_list}

    assert names(date_from="2024-03-15", date_to="2024-03-15") == {"ancien.pdf"}
    assert names(date_to="2024-03-14") == set()
    assert "ancien.pdf" not in names(date_from="2024-03-16")
    assert names(uploader=office["users"]["admin"].pk) == {"photo.png"}
    assert names(uploader=office["users"]["accountant"].pk) == {"notes.txt"}
    assert names(kind="pdf") == {"ancien.pdf"}
    assert names(kind="image") == {"photo.png"}
    assert names(kind="spreadsheet") == {"compta.xlsx"}
    assert names(kind="text") == {"notes.txt"}
    assert names(kind="other") == {"archive.zip"}
    assert names(kind="pdf", q="vieux") == {"ancien.pdf"}
    assert names(kind="image", q="vieux") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2024-02-30"}, "date_from"),
        ({"date_to": "demain"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "2025-02-01", "date_to": "2025-01-01"}, "date_to"),
        ({"folder": "999999999"}, "folder"),
        ({"folder": "abc"}, "folder"),
        ({"uploader": "moi"}, "uploader"),
        ({"uploader": "999999999"}, "uploader"),
        ({"kind": "exe"}, "kind"),
    ],
)
def test_invalid_filters_are_form_errors(client, office, query, field):
    indexed(office, "facture.pdf")
    response = as_(client, office).get(search_url(office, **query))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["page"] is None
    assert "Corrigez les filtres" in response.text


def test_a_folder_of_another_dossier_is_refused(client, office):
    other_owner = person("owner@beta.test")
    beta = dossier_create(actor=Actor(user=other_owner), name="Beta SAS", siren="552100554")
    foreign = beta.folders.first()
    response = as_(client, office).get(search_url(office, folder=foreign.pk))
    assert response.context["form"].errors["folder"]


def test_the_uploader_list_holds_the_dossiers_members_only(client, office):
    stranger = person("stranger@beta.test")
    response = as_(client, office).get(search_url(office))
    choices = dict(response.context["form"].fields["uploader"].choices)
    assert office["users"]["readonly"].pk in choices
    assert stranger.pk not in choices
    response = client.get(search_url(office, uploader=stranger.pk))
    assert response.context["form"].errors["uploader"]


# --- Page ----------------------------------------------------------------------------------


def test_pagination_keeps_the_filters(client, office):
    for n in range(52):
        Document.objects.create(
            dossier=office["dossier"],
            folder=office["folders"]["Fiscal"],
            name=f"liasse-{n:02}.pdf",
            created_by=office["users"]["owner"],
        )
    for document in Document.objects.filter(dossier=office["dossier"]):
        document_index(document=document)
    client = as_(client, office)
    fiscal = office["folders"]["Fiscal"].pk
    first = client.get(search_url(office, q="liasse", folder=fiscal))
    assert first.context["page"].paginator.count == 52
    assert len(first.context["page"].object_list) == 50
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "q=liasse" in next_link
    assert f"folder={fiscal}" in next_link
    assert "page=2" in next_link
    second = client.get(reverse("documents:search", args=[office["dossier"].slug]) + next_link)
    assert len(second.context["page"].object_list) == 2


def test_the_search_costs_the_same_queries_with_many_documents(
    client, office, django_assert_max_num_queries
):
    restrict(office, "user", "Social")
    client = as_(client, office, "user")
    query = {"q": "note", "folder": office["folders"]["Social"].pk, "kind": "text"}
    indexed(office, "note-0.txt", b"texte", folder="Social")
    client.get(search_url(office, **query))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert len(client.get(search_url(office, **query)).context["page"].object_list) == 1
    for n in range(1, 40):
        indexed(office, f"note-{n}.txt", b"texte", folder="Social", by="admin")
    with django_assert_max_num_queries(len(few)):
        response = client.get(search_url(office, **query))
    assert len(response.context["page"].object_list) == 40


def test_the_browse_page_offers_the_search(client, office):
    page = as_(client, office).get(
        reverse("documents:document_list", args=[office["dossier"].slug])
    )
    assert search_url(office) in page.text


def test_anonymous_and_strangers_get_nothing(client, office):
    indexed(office, "facture.pdf")
    response = client.get(search_url(office, q="facture"))
    assert response.status_code in {302, 404}
    client.force_login(person("stranger@beta.test"))
    assert client.get(search_url(office, q="facture")).status_code == 404
