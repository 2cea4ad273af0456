"""In a real browser (Debian's Chromium), on a phone-sized screen: the preferences page is
reached from the account menu and saves; an email's unsubscribe link asks, then turns the
kind off, without logging in and without JavaScript of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comptoir.accounts.actions import user_create
from comptoir.notifications.selectors import delivery_for
from comptoir.notifications.tokens import unsubscribe_token

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("COMPTOIR_E2E_CHROMIUM", "/usr/bin/chromium")
LOGIN_PASSWORD = "x-Secret-123456"
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the assertions below read
    # the database between steps, which Django refuses under a running loop unless told.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
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
            page = browser.new_context(viewport=PHONE).new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            return page

        yield new_page, errors
        browser.close()


@pytest.fixture
def person(transactional_db):
    return user_create(email="claire@alpha.test", password=LOGIN_PASSWORD, email_verified=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_preferences_from_the_account_menu_on_a_phone(live_server, person, browser_page):
    new_page, errors = browser_page
    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(person.email)
    page.locator("#id_password").fill(LOGIN_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()
    page.get_by_label("Menu du compte").click()
    page.get_by_role("menuitem", name="Préférences de notification").click()
    page.get_by_role("heading", name="Préférences de notification").wait_for()
    assert fits_the_screen(page)
    page.get_by_label("Lien de partage ouvert").select_option("never")
    page.get_by_label("Documents téléversés").select_option("digest")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Vos préférences de notification sont enregistrées.").wait_for()
    assert page.get_by_label("Lien de partage ouvert").input_value() == "never"
    assert delivery_for(user=person, kind="link_opened") == "never"
    assert delivery_for(user=person, kind="documents_uploaded") == "digest"
    assert errors == []


def test_unsubscribing_from_an_email_link_without_logging_in(live_server, person, browser_page):
    new_page, errors = browser_page
    page = new_page()
    token = unsubscribe_token(user_id=person.pk, kind="task_reminder")
    page.goto(f"{live_server.url}/notifications/unsubscribe/{token}/")
    page.get_by_text("Ne plus recevoir d'e-mail pour « Rappel de tâche » ?").wait_for()
    assert fits_the_screen(page)
    assert delivery_for(user=person, kind="task_reminder") == "immediately"  # GET: nothing
    page.get_by_role("button", name="Me désabonner").click()
    page.get_by_role("heading", name="C'est fait").wait_for()
    assert delivery_for(user=person, kind="task_reminder") == "never"
    assert errors == []
