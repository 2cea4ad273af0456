"""The client's experience in a browser: the home says what to do, accountants land on
their board, error pages keep the layout; every page passes axe at 1366 px and 375 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e import at, log_in
from e2e.axe import assert_accessible
from e2e.conftest import DemoServer, NewPage, PageWatch

pytestmark = pytest.mark.e2e

CLIENT = "gerant@alwaysclean.test"
ACCOUNTANT = "comptable@cabinet-martin.test"
MULTI = "multi@demo.test"
SLUG = "always-clean"
WIDTHS = {"desktop": (1366, 900), "phone": (375, 800)}


def signed_in(new_page: NewPage, email: str, width: str) -> Page:
    w, h = WIDTHS[width]
    page = new_page(viewport={"width": w, "height": h})
    page.goto("/accounts/login/")
    assert_accessible(page, f"login page ({width})")
    log_in(page, email)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_the_clients_home_says_what_to_do(new_page: NewPage, demo_server: DemoServer, width):
    page = signed_in(new_page, CLIENT, width)
    page.goto(f"/d/{SLUG}/")
    expect(page.get_by_role("heading", name="À faire")).to_be_visible()
    todo = page.locator("section.todo")
    expect(todo.locator(".todo-item").first).to_be_visible()
    deposit = page.get_by_role("link", name="Déposer", exact=True)
    expect(deposit).to_be_visible()
    expect(deposit).to_be_in_viewport()
    assert_accessible(page, f"dossier home ({width})")

    for path, what in [
        (f"/d/{SLUG}/documents/", "documents"),
        (f"/d/{SLUG}/tasks/", "tasks"),
        ("/notifications/", "notifications"),
        ("/dossiers/", "dossiers list"),
    ]:
        page.goto(path)
        assert_accessible(page, f"{what} ({width})")

    # The first task of the home opens (upload steps or an approval).
    page.goto(f"/d/{SLUG}/")
    page.locator("section.todo .todo-item a").first.click()
    expect(page).to_have_url(re.compile(rf"/d/{SLUG}/(tasks|approvals)/\d+/"))
    assert_accessible(page, f"task page ({width})")

    page.goto(f"/d/{SLUG}/")
    page.get_by_role("link", name="Déposer", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/d/{SLUG}/documents/#upload-title$"))
    expect(page.get_by_role("heading", name="Déposer des documents")).to_be_visible()


def test_a_person_with_several_dossiers_sees_what_waits_in_each(
    new_page: NewPage, demo_server: DemoServer
):
    page = signed_in(new_page, MULTI, "desktop")
    page.goto("/dossiers/")
    rows = page.locator("table.dossier-table tbody tr")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.locator("td").first).to_have_text(re.compile(r"\d+ tâches?|Rien en attente"))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_accountant_lands_on_the_board(new_page: NewPage, demo_server: DemoServer, width):
    page = signed_in(new_page, ACCOUNTANT, width)
    expect(page).to_have_url(at(demo_server, "/comptable/"))
    assert_accessible(page, f"accountant home ({width})")


def test_an_unknown_page_is_the_sites_404_without_debug(
    new_page: NewPage, demo_server: DemoServer, page_watch: PageWatch
):
    page = signed_in(new_page, CLIENT, "desktop")
    response = page.goto("/d/always-clean/nowhere/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.locator("details.user-menu")).to_be_visible()
    expect(page.get_by_text("URLconf")).to_have_count(0)
    assert_accessible(page, "404 page")
    page_watch.ignore(r"404")
