"""Uploading through the real view: hostile names and files, limits, atomicity."""

from __future__ import annotations

import contextlib
import hashlib
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document, DocumentVersion
from comptoir.documents.uploads import filename_sanitise
from comptoir.testing.files import pdf_bytes, png_bytes

BOUNDARY = "----comptoirtestboundary"


def multipart(files: list[tuple[str, bytes]], folder: str = "") -> bytes:
    """A multipart body with file names exactly as given (the test client would clean them)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="folder"\r\n\r\n'.encode()
        + f"{folder}\r\n".encode()
    ]
    for name, content in files:
        escaped = name.replace('"', "%22")
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{escaped}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def post_files(client, office, files, *, folder="Comptabilité", json=True):
    dossier = office["dossier"]
    folder_id = str(office["folders"][folder].pk) if folder else ""
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.generic(
        "POST",
        reverse("documents:document_upload", args=[dossier.slug]),
        multipart(files, folder_id),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **headers,
    )


@pytest.fixture
def owner_client(client, office):
    client.force_login(office["users"]["owner"])
    return client


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "documents"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def temp_files() -> list[Path]:
    return [p for p in Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir() if p.is_file()]


HOSTILE_NAMES = [
    # Django's parser keeps what follows the last path separator; nothing climbs folders.
    ("../../etc/passwd", lambda n: n == "passwd"),
    ("<script>alert(1)</script>.pdf", lambda n: "/" not in n and n.endswith(".pdf")),
    ("<img src=x onerror=alert(1)>.pdf", lambda n: n == "<img src=x onerror=alert(1)>.pdf"),
    ("facture\u202efdp.exe", lambda n: "\u202e" not in n and n.startswith("facture")),
    ("a" * 300 + ".pdf", lambda n: len(n) <= 200 and n.endswith(".pdf")),
    ("rel\x00ev\x07e.pdf", lambda n: "\x00" not in n and "\x07" not in n and n.endswith(".pdf")),
    ("..\\..\\windows\\win.ini", lambda n: "\\" not in n and "/" not in n),
]


@pytest.mark.parametrize(("name", "is_safe"), HOSTILE_NAMES)
def test_hostile_file_names_are_sanitised_and_stored_under_a_random_name(
    owner_client, office, name, is_safe
):
    response = post_files(owner_client, office, [(name, b"hello")])
    assert response.status_code == 201, response.content
    document = Document.objects.get()
    assert is_safe(document.name), document.name
    assert document.current_version.storage_name.startswith(f"documents/{office['dossier'].pk}/")
    assert name not in document.current_version.storage_name
    # The name is shown escaped, never as markup.
    page = owner_client.get(
        reverse("documents:document_detail", args=[office["dossier"].slug, document.pk])
    )
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text


def test_sanitising_keeps_ordinary_names_as_given():
    assert filename_sanitise("Relevé été 2026 (copie).pdf") == "Relevé été 2026 (copie).pdf"
    assert filename_sanitise("") == "document"
    assert filename_sanitise("\u202e\u200b") == "document"
    assert filename_sanitise("a/b\\c.txt") == "a_b_c.txt"


def test_two_files_may_share_a_name(owner_client, office):
    post_files(owner_client, office, [("facture.pdf", b"one"), ("facture.pdf", b"two")])
    assert sorted(Document.objects.values_list("name", flat=True)) == ["facture.pdf"] * 2


def test_hash_size_and_type_come_from_the_content_not_the_name(owner_client, office):
    content = pdf_bytes()
    response = post_files(owner_client, office, [("photo.jpg", content)])
    assert response.status_code == 201
    version = DocumentVersion.objects.get()
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.size == len(content)
    assert version.mime_type == "application/pdf"
    assert Path(settings.MEDIA_ROOT, version.storage_name).read_bytes() == content
    event = AuditEvent.objects.get(action="document.uploaded")
    assert event.details["sha256"] == version.sha256


def test_a_zero_byte_file_is_accepted(owner_client, office):
    response = post_files(owner_client, office, [("vide.txt", b"")])
    assert response.status_code == 201
    version = DocumentVersion.objects.get()
    assert (version.size, version.sha256) == (0, hashlib.sha256(b"").hexdigest())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.pdf", b"<html><body><script>alert(1)</script></body></html>"),
    ],
)
def test_html_and_svg_are_always_attachments_never_rendered(owner_client, office, name, content):
    post_files(owner_client, office, [(name, content)])
    document = Document.objects.get()
    slug = office["dossier"].slug
    for url_name in ("document_inline", "document_download"):
        response = owner_client.get(reverse(f"documents:{url_name}", args=[slug, document.pk]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert b"".join(response.streaming_content) == content


def test_a_pdf_is_shown_inline_and_only_framed_by_our_pages(owner_client, office):
    post_files(owner_client, office, [("relevé.pdf", pdf_bytes())])
    document = Document.objects.get()
    response = owner_client.get(
        reverse("documents:document_inline", args=[office["dossier"].slug, document.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'none' rules
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_names_are_utf8(owner_client, office):
    post_files(owner_client, office, [("Relevé été.pdf", b"x")])
    document = Document.objects.get()
    response = owner_client.get(
        reverse("documents:document_download", args=[office["dossier"].slug, document.pk])
    )
    assert "filename*=utf-8''Relev%C3%A9%20%C3%A9t%C3%A9.pdf" in response["Content-Disposition"]


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb's signature)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_image_is_refused_and_nothing_is_kept(owner_client, office):
    response = post_files(owner_client, office, [("bombe.png", png_claiming(60000, 60000))])
    assert response.status_code == 400
    assert "trop grande" in response.json()["error"]
    assert Document.objects.count() == 0
    assert stored_files() == []


def test_an_ordinary_image_is_accepted(owner_client, office):
    response = post_files(owner_client, office, [("photo.png", png_bytes())])
    assert response.status_code == 201
    assert DocumentVersion.objects.get().mime_type == "image/png"


def test_an_oversize_upload_is_refused_before_its_body_is_read(owner_client, office, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    body = multipart([("gros.pdf", b"x" * 5000)])
    dossier = office["dossier"]
    response = owner_client.generic(
        "POST",
        reverse("documents:document_upload", args=[dossier.slug]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 413
    assert "taille maximale" in response.json()["error"]
    assert Document.objects.count() == 0
    assert stored_files() == []


def test_an_oversize_file_among_others_is_refused_with_its_name(owner_client, office, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = post_files(
        owner_client,
        office,
        [("petit.txt", b"ok"), ("gros.bin", b"x" * 1500)],
        json=False,
    )
    assert response.status_code == 302
    assert list(Document.objects.values_list("name", flat=True)) == ["petit.txt"]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("gros.bin" in m and "taille maximale" in m for m in messages)
    assert temp_files() == []


def test_upload_without_a_file_says_so(owner_client, office):
    response = post_files(owner_client, office, [])
    assert response.status_code == 400
    assert "Aucun fichier" in response.json()["error"]


def test_a_malformed_body_changes_nothing_and_is_not_a_500(owner_client, office):
    response = owner_client.generic(
        "POST",
        reverse("documents:document_upload", args=[office["dossier"].slug]),
        b"--garbage\r\nnot a multipart body",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert Document.objects.count() == 0


def test_a_foreign_folder_id_is_404_and_stores_nothing(owner_client, office):
    from comptoir.documents.models import Folder

    other = Folder.objects.create(
        dossier=office["dossier"].__class__.objects.create(
            name="Autre", slug="autre", siren="552100554"
        ),
        name="Ailleurs",
    )
    body = multipart([("a.txt", b"a")], str(other.pk))
    response = owner_client.generic(
        "POST",
        reverse("documents:document_upload", args=[office["dossier"].slug]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert response.status_code == 404
    assert Document.objects.count() == 0
    assert stored_files() == []


def test_the_size_refusal_reads_no_byte_of_the_body(rf, office, settings):
    from comptoir.documents.views import document_upload

    settings.UPLOAD_MAX_BYTES = 1000

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    request = rf.post(
        "/upload",
        data=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_ACCEPT="application/json",
        CONTENT_LENGTH="5000000",
    )
    request._stream = Unreadable()
    request.user = office["users"]["owner"]
    response = document_upload(request, slug=office["dossier"].slug)
    assert response.status_code == 413
    assert Document.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_upload_leaves_no_document_and_no_file(live_server, office):
    """The connection drops halfway through the body: nothing of it may remain."""
    import http.client
    import socket
    from urllib.parse import urlparse

    from django.test import Client

    client = Client()
    client.force_login(office["users"]["owner"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get("/")  # the CSRF cookie
    csrf = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else "x" * 32
    host = urlparse(live_server.url)
    body = multipart([("coupé.bin", b"z" * 2_000_000)])
    head = (
        f"POST /d/{office['dossier'].slug}/documents/upload/ HTTP/1.1\r\n"
        f"Host: {host.hostname}:{host.port}\r\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={csrf}\r\n"
        f"X-CSRFToken: {csrf}\r\nAccept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
        sock.sendall(head + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(ConnectionError, TimeoutError):
            sock.recv(1000)
    # The same request sent whole works, so the refusal above is the interruption's doing.
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    conn.request(
        "POST",
        f"/d/{office['dossier'].slug}/documents/upload/",
        body,
        {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    assert conn.getresponse().status == 201
    conn.close()
    assert Document.objects.count() == 1
    assert len(stored_files()) == 1
    assert temp_files() == []


def test_a_file_name_of_1000_characters_gets_the_uploaders_json_error(owner_client, office):
    # Django's multipart parser refuses a part header that long (MultiPartParserError):
    # the uploader's JSON error, not a bare "Bad Request (400)" page.
    response = post_files(owner_client, office, [("a" * 996 + ".pdf", pdf_bytes())])
    assert response.status_code == 400
    assert "trop long" in response.json()["error"]
    assert Document.objects.count() == 0
    assert temp_files() == []
    # Without JavaScript: back to the page with the message.
    response = post_files(owner_client, office, [("a" * 996 + ".pdf", pdf_bytes())], json=False)
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("trop long" in m for m in shown)


def test_a_new_version_named_with_1000_characters_gets_a_message(owner_client, office):
    from comptoir.documents.models import DocumentVersion

    assert post_files(owner_client, office, [("a.pdf", pdf_bytes())]).status_code == 201
    document = Document.objects.get()
    body = multipart([("b" * 996 + ".pdf", pdf_bytes())]).replace(b'name="files"', b'name="file"')
    response = owner_client.generic(
        "POST",
        reverse("documents:document_version_add", args=[office["dossier"].slug, document.pk]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("trop long" in m for m in shown)
    assert DocumentVersion.objects.filter(document=document).count() == 1
