"""In a real browser (Debian's Chromium): the link pages' forms work under
`Referrer-Policy: no-referrer` (the browser then sends `Origin: null` and no Referer, which
Django's stock CSRF check refuses), the right password downloads the same bytes, a dead
link shows its page, and the "Copier" button of a new link works without inline script.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.documents.actions import document_upload
from comptoir.documents.models import Folder
from comptoir.documents.uploads import file_receive
from comptoir.dossiers.access import dossier_access_for
from comptoir.dossiers.actions import dossier_create
from comptoir.sharing.actions import share_link_create
from comptoir.sharing.models import ShareLink
from comptoir.testing.files import pdf_bytes

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("COMPTOIR_E2E_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Tournesol-2026"
LOGIN_PASSWORD = "x-Secret-123456"


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM}."
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason} CI=true: refusing to skip the browser tests.", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        errors: list[str] = []

        def new_page():
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            return page

        yield new_page, errors
        browser.close()


@pytest.fixture
def shared(transactional_db):
    owner = user_create(email="owner@alpha.test", password=LOGIN_PASSWORD, email_verified=True)
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    access = dossier_access_for(owner, dossier.slug)
    document = document_upload(
        actor=Actor(user=owner),
        access=access,
        received=file_receive(SimpleUploadedFile("relevé.pdf", pdf_bytes("Relevé"))),
        folder=Folder.objects.filter(dossier=dossier).first(),
    )
    _link, password_token = share_link_create(
        actor=Actor(user=owner),
        access=access,
        documents=[document],
        recipients=["notaire@exemple.test"],
        password=PASSWORD,
    )
    expired, expired_token = share_link_create(
        actor=Actor(user=owner),
        access=access,
        documents=[document],
        recipients=["notaire@exemple.test"],
    )
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    # Made before the browser starts: Playwright's loop forbids the ORM in this thread.
    return {
        "dossier": dossier,
        "document": document,
        "password_token": password_token,
        "expired_token": expired_token,
    }


def test_password_link_in_a_fresh_browser(live_server, shared, browser_page):
    new_page, errors = browser_page
    token = shared["password_token"]
    page = new_page()
    page.goto(f"{live_server.url}/s/{token}/")
    page.get_by_label("Mot de passe").fill("pas-le-bon-1")
    page.get_by_role("button", name="Accéder aux documents").click()
    assert "Mot de passe incorrect" in page.content()
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Accéder aux documents").click()
    page.get_by_text("relevé.pdf").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger relevé.pdf").click()
    download = download_info.value
    assert Path(download.path()).read_bytes() == pdf_bytes("Relevé")
    assert download.suggested_filename == "relevé.pdf"
    assert errors == []


def test_an_expired_link_shows_its_page(live_server, shared, browser_page):
    new_page, errors = browser_page
    token = shared["expired_token"]
    page = new_page()
    response = page.goto(f"{live_server.url}/s/{token}/")
    assert response is not None
    assert response.status == 410
    assert "Ce lien n'est plus valable" in page.content()
    assert page.get_by_role("button", name="Télécharger").count() == 0
    # Chromium reports the page's own 410 on the console; nothing else may appear.
    assert [e for e in errors if "410 (Gone)" not in e] == []


def test_creating_a_link_shows_it_once_with_a_working_copy_button(
    live_server, shared, browser_page
):
    new_page, errors = browser_page
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill("owner@alpha.test")
    page.locator("#id_password").fill(LOGIN_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    slug, document = shared["dossier"].slug, shared["document"]
    page.goto(f"{live_server.url}/d/{slug}/links/new/?documents={document.pk}")
    page.get_by_label("Destinataires").fill("banque@exemple.test")
    page.get_by_role("button", name="Créer le lien et l'envoyer").click()
    field = page.get_by_label("Lien à transmettre")
    url = field.input_value()
    assert url.startswith(f"{live_server.url}/s/")
    page.get_by_role("button", name="Copier").click()
    page.get_by_role("button", name="Copié").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert errors == []
