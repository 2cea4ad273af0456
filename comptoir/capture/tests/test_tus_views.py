"""The tus endpoint through Django's test client: the protocol, and every refusal."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.utils import timezone

from comptoir.assignments.models import TaskDocument
from comptoir.audit.models import AuditEvent
from comptoir.capture.models import TusUpload
from comptoir.capture.tus import TUS_EXPIRY
from comptoir.documents.models import Document
from comptoir.testing.files import pdf_bytes

from .conftest import TUS, client_for, make_task, metadata

OFFSET = "application/offset+octet-stream"


def collection(office) -> str:
    return f"/d/{office['dossier'].slug}/tus/"


def create(client: Client, office, length: int, **meta: str):
    return client.post(
        collection(office),
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=metadata(**meta),
        **TUS,
    )


def patch(client: Client, url: str, data: bytes, offset: int, **extra):
    return client.generic(
        "PATCH", url, data, content_type=OFFSET, HTTP_UPLOAD_OFFSET=str(offset), **TUS, **extra
    )


def location(response) -> str:
    return response["Location"].removeprefix("http://testserver")


def test_options_says_what_the_server_speaks(office, settings):
    response = client_for(office["users"]["owner"]).options(collection(office))
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert response["Tus-Max-Size"] == str(settings.UPLOAD_MAX_BYTES)


def test_an_upload_in_two_chunks_becomes_a_document(office):
    client = client_for(office["users"]["owner"])
    content = pdf_bytes("Relevé de mars")
    folder = office["folders"]["Comptabilité"]
    created = create(client, office, len(content), filename="mars.pdf", folder=str(folder.pk))
    assert created.status_code == 201
    assert created["Tus-Resumable"] == "1.0.0"
    assert created["Upload-Expires"]
    url = location(created)
    head = client.head(url, **TUS)
    assert (head.status_code, head["Upload-Offset"]) == (200, "0")
    first = patch(client, url, content[:100], 0)
    assert (first.status_code, first["Upload-Offset"]) == (204, "100")
    assert Document.objects.filter(dossier=office["dossier"]).count() == 0
    assert client.head(url, **TUS)["Upload-Offset"] == "100"
    last = patch(client, url, content[100:], 100)
    assert (last.status_code, last["Upload-Offset"]) == (204, str(len(content)))
    document = Document.objects.get(dossier=office["dossier"], name="mars.pdf")
    version = document.current_version
    assert document.folder == folder
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.mime_type == "application/pdf"
    assert version.size == len(content)
    with default_storage.open(version.storage_name) as stored:
        assert stored.read() == content
    assert last["Comptoir-Document"].endswith(f"/documents/{document.pk}/")
    event = AuditEvent.objects.get(action="document.uploaded", object_id=str(document.pk))
    assert event.actor_id == office["users"]["owner"].pk
    # The partial bytes are gone; HEAD still says it is finished (a lost answer).
    upload = TusUpload.objects.get()
    assert not upload.tus_path.exists()
    assert client.head(url, **TUS)["Upload-Offset"] == str(len(content))


def test_an_upload_into_a_task_step_goes_through_the_task(office):
    task = make_task(office)
    step = task.steps.order_by("position").first()
    client = client_for(office["users"]["owner"])
    content = pdf_bytes("Relevé")
    created = create(
        client, office, len(content), filename="releve.pdf", task=str(task.pk), step=str(step.pk)
    )
    assert created.status_code == 201
    assert patch(client, location(created), content, 0).status_code == 204
    linked = TaskDocument.objects.get(task=task, step=step)
    assert linked.document.folder == step.folder
    assert AuditEvent.objects.filter(action="task.documents_uploaded").count() == 1


def test_an_empty_file_is_a_document_at_creation(office):
    client = client_for(office["users"]["owner"])
    created = create(client, office, 0, filename="vide.txt")
    assert created.status_code == 201
    assert created["Upload-Offset"] == "0"
    assert Document.objects.filter(name="vide.txt").count() == 1


def test_termination_removes_the_row_and_the_bytes(office):
    client = client_for(office["users"]["owner"])
    url = location(create(client, office, 1000, filename="a.bin"))
    patch(client, url, b"x" * 10, 0)
    upload = TusUpload.objects.get()
    assert upload.tus_path.exists()
    assert client.delete(url, **TUS).status_code == 204
    assert not TusUpload.objects.exists()
    assert not upload.tus_path.exists()
    assert client.head(url, **TUS).status_code == 404


# --- Refusals ---------------------------------------------------------------------------


def test_a_declared_length_beyond_the_limit_is_refused(office, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = create(client_for(office["users"]["owner"]), office, 1001, filename="big.bin")
    assert response.status_code == 413
    assert not TusUpload.objects.exists()


def test_a_chunk_past_the_declared_length_is_refused_before_it_is_written(office):
    client = client_for(office["users"]["owner"])
    url = location(create(client, office, 10, filename="a.bin"))
    response = patch(client, url, b"y" * 11, 0)
    assert response.status_code == 413
    upload = TusUpload.objects.get()
    assert upload.offset == 0
    assert upload.tus_path.stat().st_size == 0


def test_a_wrong_offset_is_a_conflict(office):
    client = client_for(office["users"]["owner"])
    url = location(create(client, office, 10, filename="a.bin"))
    assert patch(client, url, b"abc", 3).status_code == 409
    assert TusUpload.objects.get().offset == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"HTTP_UPLOAD_LENGTH": "-1"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "abc"}, 400),
        ({}, 400),  # no Upload-Length
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_DEFER_LENGTH": "1"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "filename !!!"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "folder OTk5OTk5"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "task OTk5OTk5"}, 400),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "step MQ=="}, 400),
    ],
)
def test_bad_creations_are_refused(office, headers, status):
    client = client_for(office["users"]["owner"])
    assert client.post(collection(office), **TUS, **headers).status_code == status
    assert not TusUpload.objects.exists()


def test_a_foreign_folder_is_refused(office):
    from comptoir.documents.models import Folder

    foreign = Folder.objects.filter(dossier=office["other_dossier"]).first()
    response = create(client_for(office["users"]["owner"]), office, 5, folder=str(foreign.pk))
    assert response.status_code == 400
    assert not TusUpload.objects.exists()


def test_the_protocol_version_is_required(office):
    client = client_for(office["users"]["owner"])
    response = client.post(collection(office), HTTP_UPLOAD_LENGTH="5")
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"


def test_patch_needs_the_offset_content_type_and_a_length(office):
    client = client_for(office["users"]["owner"])
    url = location(create(client, office, 10, filename="a.bin"))
    wrong_type = client.generic(
        "PATCH", url, b"abc", content_type="text/plain", HTTP_UPLOAD_OFFSET="0", **TUS
    )
    assert wrong_type.status_code == 415
    no_offset = client.generic("PATCH", url, b"abc", content_type=OFFSET, **TUS)
    assert no_offset.status_code == 400
    assert TusUpload.objects.get().offset == 0


def test_other_methods_are_not_allowed(office):
    client = client_for(office["users"]["owner"])
    url = location(create(client, office, 10, filename="a.bin"))
    assert client.get(url, **TUS).status_code == 405
    assert client.get(collection(office), **TUS).status_code == 405


def test_another_persons_upload_is_404_even_in_the_same_dossier(office):
    url = location(create(client_for(office["users"]["owner"]), office, 10, filename="a.bin"))
    admin = client_for(office["users"]["admin"])
    assert admin.head(url, **TUS).status_code == 404
    assert patch(admin, url, b"abc", 0).status_code == 404
    assert admin.delete(url, **TUS).status_code == 404
    assert TusUpload.objects.get().offset == 0


def test_another_dossier_is_404_and_the_upload_url_of_another_dossier_too(office):
    owner = office["users"]["owner"]
    url = location(create(client_for(owner), office, 10, filename="a.bin"))
    outsider = client_for(office["outsider"])
    assert outsider.head(url, **TUS).status_code == 404
    # The outsider's own dossier with the owner's upload id: still not found.
    other_url = url.replace(office["dossier"].slug, office["other_dossier"].slug)
    assert patch(outsider, other_url, b"abc", 0).status_code == 404
    assert client_for(owner).head(f"{collection(office)}{uuid.uuid4()}/", **TUS).status_code == 404


def test_a_role_without_upload_is_403(office):
    response = create(client_for(office["users"]["readonly"]), office, 5, filename="a.bin")
    assert response.status_code == 403
    assert not TusUpload.objects.exists()


def test_access_lost_between_two_chunks_stops_the_upload(office):
    from comptoir.dossiers.models import Membership

    user = office["users"]["user"]
    client = client_for(user)
    url = location(create(client, office, 10, filename="a.bin"))
    assert patch(client, url, b"abc", 0).status_code == 204
    Membership.objects.filter(user=user, dossier=office["dossier"]).delete()
    assert patch(client, url, b"def", 3).status_code == 404
    assert TusUpload.objects.get().offset == 3


def test_anonymous_is_sent_to_log_in(office):
    response = Client().post(collection(office), HTTP_UPLOAD_LENGTH="5", **TUS)
    assert response.status_code == 302


@override_settings()
def test_patch_without_the_csrf_token_is_refused(office):
    owner = office["users"]["owner"]
    url = location(create(client_for(owner), office, 10, filename="a.bin"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert patch(strict, url, b"abc", 0).status_code == 403
    strict.get(f"/d/{office['dossier'].slug}/documents/")  # sets the CSRF cookie
    token = strict.cookies["csrftoken"].value
    assert patch(strict, url, b"abc", 0, HTTP_X_CSRFTOKEN=token).status_code == 204


def test_a_finished_file_that_is_refused_removes_the_upload_and_says_why(office):
    from comptoir.documents.tests.test_uploads import png_claiming

    client = client_for(office["users"]["owner"])
    content = png_claiming(60000, 60000)  # a decompression bomb
    url = location(create(client, office, len(content), filename="bomb.png"))
    response = patch(client, url, content, 0)
    assert response.status_code == 400
    assert "trop grande" in response.content.decode()
    assert not TusUpload.objects.exists()
    assert not Document.objects.filter(name="bomb.png").exists()


def test_abandoned_uploads_are_purged_with_their_bytes(office):
    from comptoir.capture.actions_tus import tus_uploads_purge

    client = client_for(office["users"]["owner"])
    old_url = location(create(client, office, 10, filename="old.bin"))
    patch(client, old_url, b"abc", 0)
    recent_url = location(create(client, office, 10, filename="recent.bin"))
    old = TusUpload.objects.get(filename="old.bin")
    TusUpload.objects.filter(pk=old.pk).update(touched_at=timezone.now() - TUS_EXPIRY)
    # Expired: already refused before the purge runs.
    assert client.head(old_url, **TUS).status_code == 404
    assert tus_uploads_purge(now=timezone.now()) == 1
    assert not old.tus_path.exists()
    assert list(TusUpload.objects.values_list("filename", flat=True)) == ["recent.bin"]
    assert client.head(recent_url, **TUS).status_code == 200


def test_a_failure_while_finishing_removes_the_upload_so_the_client_starts_again(
    office, monkeypatch
):
    from comptoir.documents import actions as document_actions

    def broken(**_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(document_actions, "document_upload", broken)
    client = client_for(office["users"]["owner"])
    client.raise_request_exception = False
    url = location(create(client, office, 3, filename="a.bin"))
    assert patch(client, url, b"abc", 0).status_code == 500
    assert not TusUpload.objects.exists()
    assert client.head(url, **TUS).status_code == 404
