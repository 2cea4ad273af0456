"""Document pages: profiles honoured, restricted folders, ZIP, trash, query counts."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.dossiers.models import Membership
from comptoir.dossiers.permissions import Permission

from .conftest import upload


def url(name, office, *args, **query):
    path = reverse(f"documents:{name}", args=[office["dossier"].slug, *args])
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query, doseq=True)
    return path


def as_(client, office, who):
    client.force_login(office["users"][who])
    return client


def restrict(office, who, *folder_names, extra=()):
    Membership.objects.filter(dossier=office["dossier"], user=office["users"][who]).update(
        restrict_folders=True,
        visible_folder_ids=[office["folders"][n].pk for n in folder_names],
        extra_permissions=list(extra),
    )


@pytest.fixture
def filed(office):
    return {
        "social": upload(office, "bulletin.pdf", b"s", folder="Social"),
        "fiscal": upload(office, "liasse.pdf", b"f", folder="Fiscal"),
        "root": upload(office, "divers.txt", b"r", folder=None),
    }


def test_a_restricted_user_sees_only_its_folders(client, office, filed):
    restrict(office, "user", "Social")
    client = as_(client, office, "user")
    home = client.get(url("document_list", office))
    assert "Social" in home.text
    assert "Fiscal" not in home.text
    assert "divers.txt" not in home.text
    social = office["folders"]["Social"].pk
    assert "bulletin.pdf" in client.get(url("folder_detail", office, social)).text
    assert (
        client.get(url("folder_detail", office, office["folders"]["Fiscal"].pk)).status_code == 404
    )
    for hidden in (filed["fiscal"], filed["root"]):
        assert client.get(url("document_detail", office, hidden.pk)).status_code == 404
        assert client.get(url("document_download", office, hidden.pk)).status_code == 404
    # A ZIP that slips in one hidden document is refused whole.
    response = client.get(
        url("documents_zip", office, documents=[filed["social"].pk, filed["fiscal"].pk])
    )
    assert response.status_code == 404


def test_a_restricted_user_files_only_into_its_folders(client, office, filed):
    restrict(office, "user", "Social")
    client = as_(client, office, "user")
    before = Document.objects.count()
    response = client.post(
        url("documents_move", office),
        {"documents": [filed["social"].pk], "folder": ""},
    )
    assert response.status_code == 302
    filed["social"].refresh_from_db()
    assert filed["social"].folder == office["folders"]["Social"]
    assert Document.objects.count() == before


def test_sub_folders_of_a_permitted_folder_are_visible(client, office):
    from comptoir.documents.models import Folder

    child = Folder.objects.create(
        dossier=office["dossier"], parent=office["folders"]["Social"], name="2026"
    )
    document = upload(office, "janvier.pdf", b"j", folder="Social")
    Document.objects.filter(pk=document.pk).update(folder=child)
    restrict(office, "user", "Social")
    response = as_(client, office, "user").get(url("document_detail", office, document.pk))
    assert response.status_code == 200


def test_the_accountant_is_never_restricted(client, office, filed):
    restrict(office, "accountant", "Social")
    client = as_(client, office, "accountant")
    for document in filed.values():
        assert client.get(url("document_detail", office, document.pk)).status_code == 200


def test_read_only_reads_and_changes_nothing(client, office, filed):
    client = as_(client, office, "readonly")
    assert client.get(url("document_detail", office, filed["social"].pk)).status_code == 200
    before = list(Document.objects.values_list("pk", "name", "folder_id", "deleted_at"))
    for name, data in [
        ("documents_trash", {"documents": [filed["social"].pk]}),
        ("documents_move", {"documents": [filed["social"].pk], "folder": ""}),
    ]:
        assert client.post(url(name, office), data).status_code == 403
    assert (
        client.post(url("document_rename", office, filed["social"].pk), {"name": "x"}).status_code
        == 403
    )
    assert list(Document.objects.values_list("pk", "name", "folder_id", "deleted_at")) == before


def test_a_user_may_delete_only_if_allowed(client, office, filed):
    client = as_(client, office, "user")
    data = {"documents": [filed["social"].pk]}
    assert client.post(url("documents_trash", office), data).status_code == 403
    Membership.objects.filter(user=office["users"]["user"]).update(
        extra_permissions=[Permission.DOCUMENT_DELETE.value]
    )
    assert client.post(url("documents_trash", office), data).status_code == 302
    filed["social"].refresh_from_db()
    assert filed["social"].is_trashed


def test_trash_page_and_restore(client, office, filed):
    client = as_(client, office, "owner")
    client.post(url("documents_trash", office), {"documents": [filed["fiscal"].pk]})
    trash = client.get(url("trash", office))
    assert "liasse.pdf" in trash.text
    assert client.get(url("document_detail", office, filed["fiscal"].pk)).status_code == 404
    client.post(url("trash_restore", office, filed["fiscal"].pk))
    assert client.get(url("document_detail", office, filed["fiscal"].pk)).status_code == 200


def test_zip_streams_the_selected_documents_with_unique_names(client, office):
    a = upload(office, "facture.pdf", b"first")
    b = upload(office, "facture.pdf", b"second")
    response = as_(client, office, "owner").get(
        url("documents_zip", office, documents=[a.pk, b.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    contents = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(contents.values()) == [b"first", b"second"]
    assert sorted(contents) == ["facture (2).pdf", "facture.pdf"]
    assert AuditEvent.objects.filter(action="document.downloaded").count() == 2


def test_reads_are_in_the_activity_log(client, office, filed):
    client = as_(client, office, "accountant")
    client.get(url("document_download", office, filed["social"].pk))
    client.get(url("document_inline", office, filed["social"].pk))
    actions = list(
        AuditEvent.objects.filter(object_id=str(filed["social"].pk))
        .order_by("id")
        .values_list("action", "actor__email")
    )
    assert actions[-2:] == [
        ("document.downloaded", "accountant@alpha.test"),
        ("document.viewed", "accountant@alpha.test"),
    ]


def test_browsing_costs_the_same_queries_with_many_documents(client, office):
    client = as_(client, office, "owner")
    folder = office["folders"]["Comptabilité"].pk
    upload(office, "un.pdf", b"1")
    client.get(url("folder_detail", office, folder))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("folder_detail", office, folder)).status_code == 200
    for n in range(30):
        upload(office, f"doc-{n}.pdf", b"x", by="admin")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("folder_detail", office, folder))
    assert response.text.count('name="documents" value=') == 31
    assert len(many) <= len(few)


def test_the_upload_page_offers_camera_and_multiple_files(client, office):
    page = as_(client, office, "owner").get(
        url("folder_detail", office, office["folders"]["Social"].pk)
    )
    assert 'capture="environment"' in page.text
    assert 'type="file" name="files" multiple' in page.text


def test_rename_and_new_version_through_the_pages(client, office, filed):
    client = as_(client, office, "owner")
    document = filed["social"]
    client.post(
        url("document_rename", office, document.pk),
        {"name": "Bulletin mars.pdf", "expected_name": "bulletin.pdf"},
    )
    document.refresh_from_db()
    assert document.name == "Bulletin mars.pdf"
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        url("document_version_add", office, document.pk),
        {"file": SimpleUploadedFile("v2.pdf", b"v2"), "base_version": "1"},
    )
    assert document.versions.count() == 2
    page = client.get(url("document_detail", office, document.pk))
    assert "v2" in page.text
    first = document.versions.get(number=1)
    old = client.get(url("version_download", office, document.pk, first.pk))
    assert b"".join(old.streaming_content) == b"s"


def test_folder_pages(client, office):
    client = as_(client, office, "owner")
    client.post(url("folder_create", office), {"name": "Banque", "parent": ""})
    from comptoir.documents.models import Folder

    banque = Folder.objects.get(dossier=office["dossier"], name="Banque")
    client.post(url("folder_rename", office, banque.pk), {"name": "Banques"})
    client.post(url("folder_move", office, banque.pk), {"parent": office["folders"]["Fiscal"].pk})
    banque.refresh_from_db()
    assert (banque.name, banque.parent_id) == ("Banques", office["folders"]["Fiscal"].pk)
    client.post(url("folder_delete", office, banque.pk))
    assert not Folder.objects.filter(pk=banque.pk).exists()


@pytest.mark.parametrize("bad", ["abc", "-1", "99999999999999999999", ""])
def test_malformed_selections_are_not_500(client, office, filed, bad):
    client = as_(client, office, "owner")
    response = client.post(url("documents_move", office), {"documents": [bad], "folder": "x"})
    assert response.status_code in {302, 404}


def test_a_huge_id_in_the_url_is_404_not_500(client, office):
    response = as_(client, office, "owner").get(
        f"/d/{office['dossier'].slug}/documents/99999999999999999999999/"
    )
    assert response.status_code == 404
