"""Folder and document actions: rules, audit events, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.audit.models import AuditEvent
from comptoir.documents import actions
from comptoir.documents.models import DEFAULT_FOLDERS, Document, Folder
from comptoir.documents.processing import document_process
from comptoir.documents.uploads import file_receive
from comptoir.testing.files import pdf_bytes, png_bytes

from .conftest import access_of, upload


def actor(office, who="owner"):
    return Actor(user=office["users"][who])


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_a_new_dossier_has_the_default_folders(office):
    assert sorted(office["folders"]) == sorted(DEFAULT_FOLDERS)


def test_folder_create_rename_move_delete_are_logged(office):
    access = access_of(office)
    folder = actions.folder_create(actor=actor(office), access=access, name="Banque")
    actions.folder_rename(actor=actor(office), access=access, folder=folder, name="Banques")
    actions.folder_move(
        actor=actor(office), access=access, folder=folder, parent=office["folders"]["Comptabilité"]
    )
    folder.refresh_from_db()
    assert (folder.name, folder.parent.name) == ("Banques", "Comptabilité")
    actions.folder_delete(actor=actor(office), access=access, folder=folder)
    assert not Folder.objects.filter(pk=folder.pk).exists()
    for action in ("folder.created", "folder.renamed", "folder.moved", "folder.deleted"):
        assert events(action) == 1, action


def test_folder_rules(office):
    access = access_of(office)
    compta = office["folders"]["Comptabilité"]
    with pytest.raises(actions.ActionRefused, match="déjà ce nom"):
        actions.folder_create(actor=actor(office), access=access, name="Fiscal")
    with pytest.raises(actions.ActionRefused, match="nom"):
        actions.folder_create(actor=actor(office), access=access, name="   ")
    child = actions.folder_create(actor=actor(office), access=access, name="2026", parent=compta)
    with pytest.raises(actions.ActionRefused, match="lui-même"):
        actions.folder_move(actor=actor(office), access=access, folder=compta, parent=child)
    upload(office, "a.pdf", b"a", folder="Social")
    with pytest.raises(actions.ActionRefused, match="pas vide"):
        actions.folder_delete(
            actor=actor(office), access=access, folder=office["folders"]["Social"]
        )
    with pytest.raises(actions.ActionRefused, match="pas vide"):
        actions.folder_delete(actor=actor(office), access=access, folder=compta)
    assert Folder.objects.filter(pk__in=[compta.pk, child.pk]).count() == 2


def test_versions_stack_and_keep_every_file(office):
    document = upload(office, "bilan.pdf", b"v1")
    access = access_of(office)
    version = actions.document_version_add(
        actor=actor(office),
        access=access,
        document=document,
        received=file_receive(SimpleUploadedFile("bilan-corrigé.pdf", b"v2")),
        base_version=1,
    )
    assert version.number == 2
    document.refresh_from_db()
    assert document.current_version == version
    versions = list(document.versions.order_by("number"))
    assert [Path(settings.MEDIA_ROOT, v.storage_name).read_bytes() for v in versions] == [
        b"v1",
        b"v2",
    ]
    assert events("document.version_added") == 1


def test_a_version_on_top_of_an_outdated_one_is_refused_and_leaves_no_file(office):
    document = upload(office, "bilan.pdf", b"v1")
    access = access_of(office)
    actions.document_version_add(
        actor=actor(office),
        access=access,
        document=document,
        received=file_receive(SimpleUploadedFile("b.pdf", b"v2")),
        base_version=1,
    )
    files_before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    with pytest.raises(actions.ActionRefused, match="entre-temps"):
        actions.document_version_add(
            actor=actor(office, "admin"),
            access=access_of(office, "admin"),
            document=document,
            received=file_receive(SimpleUploadedFile("c.pdf", b"v2-bis")),
            base_version=1,  # what this person saw
        )
    assert document.versions.count() == 2
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files_before


def test_a_rename_made_meanwhile_is_not_overwritten(office):
    document = upload(office, "scan.pdf", b"x")
    access = access_of(office)
    actions.document_rename(
        actor=actor(office),
        access=access,
        document=document,
        name="Facture EDF.pdf",
        expected_name="scan.pdf",
    )
    with pytest.raises(actions.ActionRefused, match="renommé entre-temps"):
        actions.document_rename(
            actor=actor(office, "admin"),
            access=access_of(office, "admin"),
            document=document,
            name="Électricité.pdf",
            expected_name="scan.pdf",
        )
    document.refresh_from_db()
    assert document.name == "Facture EDF.pdf"
    assert events("document.renamed") == 1


def test_trash_restore_and_purge(office, django_capture_on_commit_callbacks):
    document = upload(office, "vieux.pdf", b"x")
    access = access_of(office)
    path = Path(settings.MEDIA_ROOT, document.current_version.storage_name)
    assert actions.documents_trash(actor=actor(office), access=access, documents=[document]) == 1
    document.refresh_from_db()
    assert document.is_trashed
    assert path.exists()
    actions.document_restore(actor=actor(office), access=access, document=document)
    document.refresh_from_db()
    assert not document.is_trashed
    actions.documents_trash(actor=actor(office), access=access, documents=[document])
    document.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        actions.document_purge(document=document)
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not path.exists()
    for action in ("document.trashed", "document.restored", "document.purged"):
        assert events(action) >= 1, action


def test_move_records_from_and_to(office):
    document = upload(office, "a.pdf", b"a", folder="Social")
    actions.documents_move(
        actor=actor(office),
        access=access_of(office),
        documents=[document],
        folder=office["folders"]["Fiscal"],
    )
    event = AuditEvent.objects.get(action="document.moved")
    assert event.details == {"from": "Social", "to": "Fiscal"}


def test_a_database_failure_removes_the_stored_file(office, monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(actions, "record", refuse)
    with pytest.raises(RuntimeError):
        upload(office, "a.pdf", b"a")
    assert Document.objects.count() == 0
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def test_processing_extracts_pdf_text_and_makes_thumbnails(office):
    pdf = upload(office, "relevé.pdf", pdf_bytes("Relevé de la Banque Populaire"))
    image = upload(office, "photo.png", png_bytes(800, 600))
    text = upload(office, "notes.txt", b"rien a voir")
    for document in (pdf, image, text):
        document_process(document_id=document.pk)
        document.refresh_from_db()
        assert document.processed_at is not None
    assert "Banque Populaire" in pdf.text_content
    assert pdf.thumbnail
    assert image.thumbnail
    assert not text.thumbnail
    assert Path(settings.MEDIA_ROOT, image.thumbnail).stat().st_size > 0


def test_processing_a_damaged_pdf_gives_no_text_and_no_error(office):
    document = upload(office, "cassé.pdf", b"%PDF-1.4\n garbage")
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert (document.text_content, document.thumbnail) == ("", "")
    assert document.processed_at is not None


def test_trashing_twice_counts_once(office):
    document = upload(office, "a.pdf", b"a")
    access = access_of(office)
    actions.documents_trash(actor=actor(office), access=access, documents=[document])
    assert actions.documents_trash(actor=actor(office), access=access, documents=[document]) == 0
    assert events("document.trashed") == 1
    assert Document.objects.get().deleted_at <= timezone.now()


def test_a_purge_rolled_back_keeps_the_bytes(office):
    """The bytes go only after the rows are gone for good."""
    document = upload(office, "gardé.pdf", b"k")
    pk = document.pk
    path = Path(settings.MEDIA_ROOT, document.current_version.storage_name)
    actions.documents_trash(actor=actor(office), access=access_of(office), documents=[document])
    document.refresh_from_db()

    def purge_then_fail() -> None:
        with transaction.atomic():
            actions.document_purge(document=document)
            raise RuntimeError("the surrounding work failed")

    with pytest.raises(RuntimeError):
        purge_then_fail()
    assert Document.objects.filter(pk=pk).exists()
    assert path.exists()


def tall_pdf(width: int, height: int) -> bytes:
    """A one-page PDF of a few hundred bytes declaring a huge page (a render bomb)."""
    body = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] >>"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate([*objects, body], start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


@pytest.mark.parametrize("size", [(300, 50000), (50000, 300), (14400, 14400)])
def test_a_pdf_page_of_any_size_renders_within_the_pixel_bound(office, monkeypatch, size):
    import pypdfium2 as pdfium
    from PIL import Image

    from comptoir.documents.uploads import MAX_IMAGE_PIXELS

    rendered: list[tuple[float, float]] = []
    original = pdfium.PdfPage.render

    def bounded_render(page, scale=1, **kwargs):
        width, height = page.get_size()
        rendered.append((width * scale, height * scale))
        # Refused before any memory is taken: today's scale would need gigabytes.
        assert width * scale * height * scale <= MAX_IMAGE_PIXELS
        return original(page, scale=scale, **kwargs)

    monkeypatch.setattr(pdfium.PdfPage, "render", bounded_render)
    data = tall_pdf(*size)
    assert len(data) < 400
    document = upload(office, "bombe.pdf", data)
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert document.processed_at is not None
    assert rendered
    assert document.preview
    assert document.thumbnail
    with Image.open(Path(settings.MEDIA_ROOT, document.preview)) as preview:
        assert preview.width <= 1000
        assert preview.height <= 1400
