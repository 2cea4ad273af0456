"""The scanner's pages: detection answer, save with originals, OCR then search."""

from __future__ import annotations

import hashlib
import io
import json

import pypdfium2 as pdfium
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comptoir.audit.models import AuditEvent
from comptoir.capture.tasks_scan import text_layer_make
from comptoir.documents.models import Document, DocumentOriginal
from comptoir.documents.processing import document_process
from comptoir.documents.search import documents_matching

from .conftest import PAGE_CORNERS, scan_photo


def _url(office, name: str) -> str:
    return reverse(f"capture:{name}", args=[office["dossier"].slug])


def _save(client, office, photos: list[bytes], pages: list[dict], **extra):
    data = {
        "photos": [SimpleUploadedFile(f"IMG_{i}.jpg", p) for i, p in enumerate(photos, 1)],
        "pages": json.dumps(pages),
        "folder": str(office["folders"]["Factures"].pk),
        "name": "Reçus de mars",
        **extra,
    }
    return client.post(_url(office, "scan_save"), data, HTTP_ACCEPT="application/json")


def test_scan_page_offers_camera_files_and_the_classeurs(owner_client, office):
    response = owner_client.get(_url(office, "scan"), {"folder": office["folders"]["Factures"].pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'capture="environment"' in html
    assert "data-camera-start" in html
    assert f'value="{office["folders"]["Factures"].pk}" selected' in html


def test_documents_page_links_to_the_scanner(owner_client, office):
    response = owner_client.get(reverse("documents:document_list", args=[office["dossier"].slug]))

    assert _url(office, "scan") in response.content.decode()


def test_detect_answers_the_corners_of_the_copy(owner_client, office):
    photo = SimpleUploadedFile("copy.jpg", scan_photo())

    answer = owner_client.post(_url(office, "scan_detect"), {"photo": photo}).json()

    assert answer["found"] is True
    assert (answer["width"], answer["height"]) == (1200, 1600)
    for (x, y), (tx, ty) in zip(answer["corners"], PAGE_CORNERS, strict=True):
        assert abs(x - tx) < 10
        assert abs(y - ty) < 10


def test_detect_refuses_what_is_not_a_photo(owner_client, office):
    response = owner_client.post(
        _url(office, "scan_detect"), {"photo": SimpleUploadedFile("a.txt", b"hello")}
    )

    assert response.status_code == 400


def test_save_makes_one_pdf_and_keeps_the_originals_byte_for_byte(owner_client, office):
    photos = [scan_photo("FACTURE"), scan_photo("QUITTANCE")]
    pages = [
        {"corners": PAGE_CORNERS, "rotation": 0, "enhancement": "contrast"},
        {"corners": PAGE_CORNERS, "rotation": 90, "enhancement": "bw"},
    ]

    response = _save(owner_client, office, photos, pages)

    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["id"])
    assert document.name == "Reçus de mars.pdf"
    assert document.folder == office["folders"]["Factures"]
    with default_storage.open(document.current_version.storage_name) as stored:
        pdf = pdfium.PdfDocument(stored.read())
    assert len(pdf) == 2
    originals = list(document.originals.all())
    assert [o.original_name for o in originals] == ["IMG_1.jpg", "IMG_2.jpg"]
    for original, photo in zip(originals, photos, strict=True):
        assert original.sha256 == hashlib.sha256(photo).hexdigest()
        download = owner_client.get(
            reverse(
                "documents:original_download",
                args=[office["dossier"].slug, document.pk, original.pk],
            )
        )
        assert b"".join(download.streaming_content) == photo
    detail = owner_client.get(
        reverse("documents:document_detail", args=[office["dossier"].slug, document.pk])
    )
    assert detail.content.decode().count("data-original") == 2
    assert AuditEvent.objects.filter(action="document.original_downloaded").count() == 2


def test_save_with_pages_that_do_not_match_changes_nothing(owner_client, office):
    response = _save(owner_client, office, [scan_photo()], [])

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert not DocumentOriginal.objects.exists()
    assert not Document.objects.filter(dossier=office["dossier"]).exists()


def test_save_refuses_a_file_that_is_not_a_photo(owner_client, office):
    pages = [{"corners": PAGE_CORNERS, "rotation": 0, "enhancement": "colour"}]
    data = {
        "photos": [SimpleUploadedFile("notes.pdf", b"%PDF-1.4 hello")],
        "pages": json.dumps(pages),
    }

    response = owner_client.post(_url(office, "scan_save"), data, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert not Document.objects.filter(dossier=office["dossier"]).exists()


def test_ocr_adds_a_text_layer_that_search_finds(owner_client, office):
    pages = [{"corners": PAGE_CORNERS, "rotation": 0, "enhancement": "contrast"}]
    document = Document.objects.get(
        pk=_save(owner_client, office, [scan_photo("QUITTANCE")], pages).json()["id"]
    )
    scan_version = document.current_version_id

    version = text_layer_make(document_id=document.pk, version_id=scan_version)
    document_process(document_id=document.pk)

    assert version is not None
    assert version.number == 2
    assert version.uploaded_by is None
    document.refresh_from_db()
    assert "QUITTANCE" in document.text_content.upper()
    found = documents_matching(
        Document.objects.all(), dossier_id=office["dossier"].pk, query="quittance"
    )
    assert list(found) == [document]
    assert document.originals.count() == 1
    # A second run on the old version does nothing: the scan has moved on.
    assert text_layer_make(document_id=document.pk, version_id=scan_version) is None


def test_a_scan_answers_an_upload_task_step(owner_client, office):
    from comptoir.assignments.models import Step, TaskDocument
    from comptoir.assignments.tests.conftest import make_task

    task = make_task(office)
    step = Step.objects.filter(task=task).order_by("position").first()
    assert step is not None
    page = owner_client.get(_url(office, "scan"), {"task": task.pk, "step": step.pk})
    assert step.title in page.content.decode()
    pages = [{"corners": PAGE_CORNERS, "rotation": 0, "enhancement": "contrast"}]

    response = _save(
        owner_client, office, [scan_photo()], pages, task=str(task.pk), step=str(step.pk)
    )

    assert response.status_code == 201
    assert response.json()["url"] == reverse(
        "assignments:task_detail", args=[office["dossier"].slug, task.pk]
    )
    linked = TaskDocument.objects.get(task=task)
    assert linked.step == step
    assert linked.document.originals.count() == 1
    detail = owner_client.get(response.json()["url"]).content.decode()
    assert f"?task={task.pk}&amp;step={step.pk}" in detail


def test_a_read_only_member_cannot_scan_for_a_task(client, office):
    from comptoir.assignments.tests.conftest import make_task

    task = make_task(office)
    client.force_login(office["users"]["readonly"])

    response = client.get(_url(office, "scan"), {"task": task.pk})

    assert response.status_code == 403


def test_detect_refuses_a_decompression_bomb(owner_client, office):
    from PIL import Image

    data = io.BytesIO()
    Image.new("1", (9000, 9000)).save(data, "PNG")  # 81 Mpx in a few KB

    response = owner_client.post(
        _url(office, "scan_detect"), {"photo": SimpleUploadedFile("bomb.png", data.getvalue())}
    )

    assert response.status_code == 400
