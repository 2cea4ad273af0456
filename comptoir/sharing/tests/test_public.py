"""The recipient's pages: no account, the password, downloads, throttling, dead links."""

from __future__ import annotations

import datetime
import io
import logging
import re
import zipfile

import pytest
from django.db.models import F
from django.utils import timezone

from comptoir.audit.models import AuditEvent
from comptoir.documents.models import Document
from comptoir.dossiers.models import Membership
from comptoir.sharing.models import AccessKind, ShareLink, ShareLinkAccess
from comptoir.testing.files import pdf_bytes

from .conftest import PASSWORD, client_for, make_link

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def visitor(ip: str = "203.0.113.5"):
    return client_for(None, REMOTE_ADDR=ip, HTTP_USER_AGENT="Navigateur du notaire")


def page(token: str) -> str:
    return f"/s/{token}/"


def download(client, token: str, document):
    return client.post(f"/s/{token}/documents/{document.pk}/")


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def assert_link_headers(response):
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def assert_strict_html(response):
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html)
    assert not INLINE_HANDLER.search(html)
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def assert_gone_without_bytes(response):
    assert response.status_code == 410
    assert not getattr(response, "streaming", False)
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    assert b"%PDF" not in response.content
    assert_link_headers(response)


# --- Without a password -------------------------------------------------------------------


def test_the_page_lists_the_documents_and_records_the_open(office):
    link, token = make_link(
        office, documents=("releve", "bilan"), message="Bonne réception <b>!</b>"
    )
    response = visitor().get(page(token))
    assert response.status_code == 200
    assert_link_headers(response)
    assert_strict_html(response)
    html = response.content.decode()
    assert "relevé janvier.pdf" in html
    assert "bilan 2025.pdf" in html
    assert "Bonne réception &lt;b&gt;!&lt;/b&gt;" in html
    assert "Tout télécharger" in html
    assert "ticket.png" not in html  # not in the link
    opened = ShareLinkAccess.objects.get(link=link, kind=AccessKind.OPEN)
    assert (opened.ip, opened.user_agent) == ("203.0.113.5", "Navigateur du notaire")
    event = AuditEvent.objects.get(action="share_link.opened")
    assert event.actor is None
    assert event.actor_label == f"lien de partage #{link.pk}"
    assert event.ip == "203.0.113.5"
    assert event.dossier == office["dossier"]
    link.refresh_from_db()
    assert link.open_count == 1
    assert link.first_opened_at is not None


def test_a_logged_in_visitor_is_still_recorded_as_the_link(office):
    link, token = make_link(office)
    client = client_for(office["users"]["readonly"], REMOTE_ADDR="203.0.113.9")
    assert client.get(page(token)).status_code == 200
    event = AuditEvent.objects.get(action="share_link.opened")
    assert event.actor is None
    assert event.actor_label == f"lien de partage #{link.pk}"


def test_a_download_sends_the_same_bytes_hardened_and_recorded(office):
    link, token = make_link(office, documents=("releve", "bilan"))
    client = visitor()
    client.get(page(token))
    releve = office["documents"]["releve"]
    response = download(client, token, releve)
    assert response.status_code == 200
    assert body(response) == pdf_bytes("Relevé de janvier")
    assert response["Content-Disposition"].startswith("attachment")
    assert "relev" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert_link_headers(response)
    record = ShareLinkAccess.objects.get(link=link, kind=AccessKind.DOWNLOAD)
    assert (record.document, record.version) == (releve, releve.current_version)
    assert record.ip == "203.0.113.5"
    event = AuditEvent.objects.get(action="share_link.downloaded")
    assert event.object_id == str(releve.pk)
    assert event.details["link"] == link.pk
    assert event.details["sha256"] == releve.current_version.sha256
    link.refresh_from_db()
    assert link.download_count == 1


def test_download_all_is_one_zip_and_counts_each_file(office):
    link, token = make_link(office, documents=("releve", "bilan"))
    response = visitor().post(f"/s/{token}/zip/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert_link_headers(response)
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert sorted(archive.namelist()) == ["bilan 2025.pdf", "relevé janvier.pdf"]
    assert archive.read("bilan 2025.pdf") == pdf_bytes("Bilan 2025")
    link.refresh_from_db()
    assert link.download_count == 2
    assert AuditEvent.objects.filter(action="share_link.downloaded").count() == 2


def test_downloads_are_posts_a_get_serves_nothing(office):
    _link, token = make_link(office)
    response = visitor().get(f"/s/{token}/documents/{office['documents']['releve'].pk}/")
    assert response.status_code == 405
    assert b"%PDF" not in response.content


def test_a_document_outside_the_link_is_not_served(office):
    link, token = make_link(office, documents=("releve",))
    for document in [office["documents"]["bilan"], office["foreign_document"]]:
        response = download(visitor(), token, document)
        assert_gone_without_bytes(response)
    assert not ShareLinkAccess.objects.filter(kind=AccessKind.DOWNLOAD).exists()
    link.refresh_from_db()
    assert link.download_count == 0


def test_a_trashed_document_is_not_served_the_others_are(office):
    _link, token = make_link(office, documents=("releve", "bilan"))
    bilan = office["documents"]["bilan"]
    Document.objects.filter(pk=bilan.pk).update(deleted_at=timezone.now())
    client = visitor()
    html = client.get(page(token)).content.decode()
    assert "bilan 2025.pdf" not in html
    assert "Tout télécharger" not in html  # one document left
    assert_gone_without_bytes(download(client, token, bilan))
    assert download(client, token, office["documents"]["releve"]).status_code == 200
    zipped = zipfile.ZipFile(io.BytesIO(body(client.post(f"/s/{token}/zip/"))))
    assert zipped.namelist() == ["relevé janvier.pdf"]


# --- Dead links ---------------------------------------------------------------------------


def kill(link, how: str, office) -> None:
    if how == "expired":
        ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    elif how == "revoked":
        ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    elif how == "exhausted":
        ShareLink.objects.filter(pk=link.pk).update(max_downloads=2, download_count=2)
    elif how == "trashed":
        Document.objects.filter(pk__in=[d.pk for d in link.documents.all()]).update(
            deleted_at=timezone.now()
        )
    elif how == "creator_removed":
        Membership.objects.filter(user=link.created_by).delete()
    elif how == "creator_demoted":
        Membership.objects.filter(user=link.created_by).update(extra_permissions=[])


@pytest.mark.parametrize(
    ("how", "text"),
    [
        ("expired", "a expiré le"),
        ("revoked", "désactivé"),
        ("exhausted", "nombre maximal de téléchargements"),
        ("trashed", "ne sont plus disponibles"),
        ("creator_removed", "ne sont plus disponibles"),
        ("creator_demoted", "ne sont plus disponibles"),
    ],
)
def test_a_dead_link_answers_410_everywhere_and_serves_no_bytes(office, how, text):
    link, token = make_link(office, by="sharer", documents=("releve", "bilan"), password=PASSWORD)
    client = visitor()
    client.post(page(token), {"password": PASSWORD})  # unlocked before it dies
    kill(link, how, office)
    response = client.get(page(token))
    assert_gone_without_bytes(response)
    assert text in response.content.decode()
    assert "relevé janvier.pdf" not in response.content.decode()
    assert_strict_html(response)
    assert_gone_without_bytes(download(client, token, office["documents"]["releve"]))
    assert_gone_without_bytes(client.post(f"/s/{token}/zip/"))
    assert_gone_without_bytes(client.post(page(token), {"password": PASSWORD}))
    assert not ShareLinkAccess.objects.filter(kind=AccessKind.DOWNLOAD).exists()
    assert not AuditEvent.objects.filter(action="share_link.downloaded").exists()


def test_the_download_limit_exhausts_the_link(office):
    link, token = make_link(office, documents=("releve", "bilan"), max_downloads=2)
    client = visitor()
    assert download(client, token, office["documents"]["releve"]).status_code == 200
    html = client.get(page(token)).content.decode()
    assert "Il reste 1 téléchargement" in html
    refused = client.post(f"/s/{token}/zip/")  # two files, one download left
    assert refused.status_code == 409
    assert "un par un" in refused.content.decode()
    assert b"PK" not in refused.content[:2]
    assert download(client, token, office["documents"]["bilan"]).status_code == 200
    assert_gone_without_bytes(download(client, token, office["documents"]["releve"]))
    assert_gone_without_bytes(client.get(page(token)))
    link.refresh_from_db()
    assert link.download_count == 2


def test_an_unknown_or_malformed_token_is_404(office):
    make_link(office)
    for token in ["x" * 43, "a-b_c", "é" * 10, "%00", "a" * 5000, "<script>"]:
        response = visitor().get(f"/s/{token}/")
        assert response.status_code == 404, token
        assert_link_headers(response)
    response = visitor().post(f"/s/{'y' * 43}/documents/1/")
    assert response.status_code == 404
    assert visitor().post(f"/s/{'y' * 43}/documents/abc/").status_code == 404
    assert visitor().post(f"/s/{'y' * 43}/documents/{'9' * 30}/").status_code == 404


# --- With a password ----------------------------------------------------------------------


def test_the_password_is_asked_first_and_remembered_for_this_link_only(office):
    link, token = make_link(office, documents=("releve",), password=PASSWORD)
    other, other_token = make_link(office, documents=("bilan",), password="Autre-secret-99")
    client = visitor()
    response = client.get(page(token))
    assert response.status_code == 200
    assert_link_headers(response)
    assert_strict_html(response)
    html = response.content.decode()
    assert 'type="password"' in html
    assert "relevé janvier.pdf" not in html
    assert not ShareLinkAccess.objects.filter(kind=AccessKind.OPEN).exists()
    # Nothing is served before the password.
    before = download(client, token, office["documents"]["releve"])
    assert before.status_code == 302
    assert b"%PDF" not in before.content
    assert client.post(f"/s/{token}/zip/").status_code == 302
    wrong = client.post(page(token), {"password": "pas-le-bon"})
    assert wrong.status_code == 200
    assert "Mot de passe incorrect" in wrong.content.decode()
    assert "relevé janvier.pdf" not in wrong.content.decode()
    right = client.post(page(token), {"password": PASSWORD})
    assert right.status_code == 302
    assert right["Location"] == page(token)
    assert_link_headers(right)
    html = client.get(page(token)).content.decode()
    assert "relevé janvier.pdf" in html
    assert download(client, token, office["documents"]["releve"]).status_code == 200
    assert ShareLinkAccess.objects.filter(link=link, kind=AccessKind.OPEN).count() == 1
    assert ShareLinkAccess.objects.filter(link=link, kind=AccessKind.PASSWORD_FAILED).count() == 1
    assert AuditEvent.objects.filter(action="share_link.password_failed").count() == 1
    # The other link asks for its own password; a fresh browser asks again.
    assert "bilan 2025.pdf" not in client.get(page(other_token)).content.decode()
    assert "relevé janvier.pdf" not in visitor().get(page(token)).content.decode()
    assert other.pk != link.pk


def test_an_oversized_or_empty_password_is_a_form_error(office):
    _link, token = make_link(office, password=PASSWORD)
    for value in ["", "x" * 100_000]:
        response = visitor().post(page(token), {"password": value})
        assert response.status_code == 200
        assert 'type="password"' in response.content.decode()
    assert not ShareLinkAccess.objects.exists()


def older(seconds: float) -> None:
    ShareLinkAccess.objects.update(at=F("at") - datetime.timedelta(seconds=seconds))


def test_wrong_passwords_slow_down_then_429_after_ten(office):
    _link, token = make_link(office, password=PASSWORD)
    client = visitor()
    for n in range(1, 4):
        response = client.post(page(token), {"password": f"faux-{n}-xyz"})
        assert response.status_code == 200, n
    # Third failure: the next try must wait a second; it is refused without being checked,
    # even with the right password.
    too_soon = client.post(page(token), {"password": PASSWORD})
    assert too_soon.status_code == 429
    assert int(too_soon["Retry-After"]) >= 1
    assert "attendez" in too_soon.content.decode()
    assert "relevé janvier.pdf" not in too_soon.content.decode()
    assert ShareLinkAccess.objects.filter(kind=AccessKind.PASSWORD_FAILED).count() == 3
    for n in range(4, 11):
        older(120)  # past each delay, inside the 30 minutes
        response = client.post(page(token), {"password": f"faux-{n}-xyz"})
        assert response.status_code == (429 if n == 10 else 200), n
    older(120)
    blocked = client.post(page(token), {"password": PASSWORD})
    assert blocked.status_code == 429
    assert "Trop de mots de passe erronés" in blocked.content.decode()
    assert 60 <= int(blocked["Retry-After"]) <= 30 * 60
    assert client.get(page(token)).status_code == 429
    assert ShareLinkAccess.objects.filter(kind=AccessKind.PASSWORD_FAILED).count() == 10
    assert AuditEvent.objects.filter(action="share_link.password_failed").count() == 10
    older(30 * 60)
    assert client.post(page(token), {"password": PASSWORD}).status_code == 302


def test_the_throttle_holds_per_link_across_addresses(office):
    _link, token = make_link(office, password=PASSWORD)
    for n in range(10):
        older(120)
        visitor(f"192.0.2.{n + 1}").post(page(token), {"password": f"faux-{n}-xyz"})
    older(120)
    response = visitor("192.0.2.200").post(page(token), {"password": PASSWORD})
    assert response.status_code == 429
    assert "relevé janvier.pdf" not in response.content.decode()


def test_the_throttle_holds_per_address_across_links(office):
    tokens = [make_link(office, password=PASSWORD)[1] for _ in range(5)]
    attacker = visitor("198.51.100.66")
    for n in range(10):
        older(120)
        attacker.post(page(tokens[n % 5]), {"password": f"faux-{n}-xyz"})
    older(120)
    fresh, fresh_token = make_link(office, password=PASSWORD)
    assert attacker.post(page(fresh_token), {"password": PASSWORD}).status_code == 429
    # Someone else, elsewhere, opens the same link normally.
    assert (
        visitor("203.0.113.77").post(page(fresh_token), {"password": PASSWORD}).status_code == 302
    )
    assert fresh.pk


# --- CSRF, logs ---------------------------------------------------------------------------


def test_forms_are_csrf_protected_and_work_with_no_referrer(office):
    _link, token = make_link(office, password=PASSWORD)
    client = client_for(None, enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.5")
    html = client.get(page(token)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    # No token: refused, and the try is not even counted.
    assert client.post(page(token), {"password": PASSWORD}).status_code == 403
    # Another site's page posting: refused.
    foreign = client.post(
        page(token),
        {"password": PASSWORD, "csrfmiddlewaretoken": csrf},
        HTTP_ORIGIN="https://evil.test",
    )
    assert foreign.status_code == 403
    assert not ShareLinkAccess.objects.exists()
    # Our own page under `Referrer-Policy: no-referrer`: the browser says `Origin: null`
    # and sends no Referer, even over HTTPS.
    ok = client.post(
        page(token),
        {"password": PASSWORD, "csrfmiddlewaretoken": csrf},
        HTTP_ORIGIN="null",
        secure=True,
        headers={"host": "testserver"},
    )
    assert ok.status_code == 302


def test_the_token_never_reaches_the_logs(office, caplog):
    link, token = make_link(office)
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    with caplog.at_level(logging.DEBUG):
        assert visitor().get(page(token)).status_code == 410
        assert visitor().get(page("z" * 43)).status_code == 404
        client_for(None, enforce_csrf_checks=True).post(page(token))
    assert caplog.records  # Django did log the answers
    for record in caplog.records:
        assert token not in record.getMessage()
        assert "z" * 43 not in record.getMessage()


def through_proxy(client_address: str, forged: str = ""):
    """A visitor as nginx forwards it: from the proxy, the client's address appended."""
    forwarded = ", ".join(part for part in (forged, client_address) if part)
    return client_for(None, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_trusted_proxies_the_throttle_and_the_log_see_each_client(office, settings):
    settings.TRUST_PROXY_HEADERS = True
    settings.TRUSTED_PROXY_COUNT = 1
    tokens = [make_link(office, password=PASSWORD)[1] for _ in range(5)]
    for n in range(10):
        older(120)
        # A forged header from the client is to the left of what nginx appends: ignored.
        through_proxy("198.51.100.66", forged=f"192.0.2.{n}").post(
            page(tokens[n % 5]), {"password": f"faux-{n}-xyz"}
        )
    older(120)
    _fresh, fresh_token = make_link(office, password=PASSWORD)
    assert (
        through_proxy("198.51.100.66").post(page(fresh_token), {"password": PASSWORD}).status_code
        == 429
    )
    # Someone else behind the same proxy is not locked out.
    assert (
        through_proxy("203.0.113.77").post(page(fresh_token), {"password": PASSWORD}).status_code
        == 302
    )
    failed = ShareLinkAccess.objects.filter(kind=AccessKind.PASSWORD_FAILED)
    assert set(failed.values_list("ip", flat=True)) == {"198.51.100.66"}
    events = AuditEvent.objects.filter(action="share_link.password_failed")
    assert set(events.values_list("ip", flat=True)) == {"198.51.100.66"}


def test_without_trusted_proxies_the_forwarded_header_is_ignored(office, settings):
    settings.TRUST_PROXY_HEADERS = False
    _link, token = make_link(office, password=PASSWORD)
    through_proxy("198.51.100.66").post(page(token), {"password": "faux-xyz"})
    failed = ShareLinkAccess.objects.get(kind=AccessKind.PASSWORD_FAILED)
    assert failed.ip == "127.0.0.1"
