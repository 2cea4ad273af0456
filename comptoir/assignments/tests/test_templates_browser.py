"""In a real browser (Debian's Chromium), on a phone-sized window: an accountant creates a
template with two steps, schedules it monthly on a dossier with « Envoyer aussi
maintenant », finds the task sent and the recurrence on the dossier's page, pauses it.
Plain forms only: no console error, no CSP violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comptoir.accounts.actions import user_create
from comptoir.audit.actions import Actor
from comptoir.dossiers.actions import dossier_create, firm_create
from comptoir.dossiers.models import FirmAccess

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("COMPTOIR_E2E_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "x-Secret-123456"


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
        context = browser.new_context(viewport={"width": 375, "height": 800})
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, errors
        browser.close()


@pytest.fixture
def served(transactional_db):
    owner = user_create(email="owner@alpha.test", password=PASSWORD, email_verified=True)
    dossier = dossier_create(actor=Actor(user=owner), name="Alpha SARL", siren="732829320")
    staff = user_create(email="staff@martin.test", password=PASSWORD, email_verified=True)
    firm = firm_create(actor=Actor(user=staff), name="Cabinet Martin")
    FirmAccess.objects.create(firm=firm, dossier=dossier)
    # Made before the browser starts: Playwright's loop forbids the ORM in this thread.
    return {"slug": dossier.slug}


def test_create_schedule_and_pause_a_template(live_server, served, browser_page):
    page, errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill("staff@martin.test")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/tasks/templates/")
    page.get_by_role("link", name="Nouveau modèle").click()
    page.get_by_label("Nom du modèle").fill("Pièces du mois")
    page.get_by_label("Titre de la tâche").fill("Pièces du mois")
    page.locator("#id_steps-0-title").fill("Relevés bancaires")
    page.locator("#id_steps-0-folder").fill("Comptabilité")
    page.locator("#id_steps-0-due_in_days").fill("5")
    page.locator("#id_steps-1-title").fill("Factures d'achat")
    page.get_by_role("button", name="Enregistrer le modèle").click()
    page.get_by_text("Le modèle « Pièces du mois » est enregistré.").wait_for()

    page.get_by_role("link", name="Envoyer ou programmer Pièces du mois").click()
    page.get_by_label("Alpha SARL").check()
    page.locator("#id_frequency").select_option("monthly")
    page.get_by_label("Envoyer aussi maintenant").check()
    page.get_by_role("button", name="Programmer").click()
    page.get_by_text("programmé sur 1 dossier").wait_for()

    page.goto(f"{live_server.url}/d/{served['slug']}/schedules/")
    row = page.locator("tr", has_text="Pièces du mois")
    assert "Tous les mois" in row.inner_text()
    row.get_by_role("button", name="Mettre en pause").click()
    page.get_by_text("La récurrence est en pause.").wait_for()
    assert page.locator("tr", has_text="Pièces du mois").get_by_text("En pause").count() == 1
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == []
