"""The installable app in Chromium, phone-sized: manifest, icons, a service worker that
controls the page, the offline page when the network is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e import log_in
from e2e.conftest import DemoServer, NewPage

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def phone(new_page: NewPage) -> Page:
    return new_page(**PHONE)


def until_controlled(page: Page) -> None:
    """Wait for the service worker to control the page (an evaluated promise: polling
    with wait_for_function would need eval, which the page's CSP forbids)."""
    page.evaluate(
        """() => new Promise(resolve => {
            if (navigator.serviceWorker.controller) return resolve(true);
            navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true));
        })"""
    )


def test_the_app_meets_chromiums_installability_criteria(new_page: NewPage, demo_server):
    page = phone(new_page)
    page.goto("/accounts/login/")
    log_in(page, "gerant@alwaysclean.test")
    expect(page).not_to_have_url(demo_server.url + "/accounts/login/")

    # The worker registers with scope "/" and takes control of the page (clients.claim).
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == demo_server.url + "/"
    until_controlled(page)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == (
        demo_server.url + "/sw.js"
    )

    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == demo_server.url + "/manifest.webmanifest"
    assert manifest.get("errors", []) == []
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are off-the-record profiles, where Chromium never installs
    # anything: that one reason is the harness's, every other criterion must pass.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == [], errors

    data = page.request.get("/manifest.webmanifest").json()
    assert (data["display"], data["scope"], data["short_name"]) == ("standalone", "/", "Comptoir")
    purposes = set()
    for icon in data["icons"]:
        response = page.request.get(icon["src"])
        assert response.status == 200, icon["src"]
        assert response.headers["content-type"] == "image/png"
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes

    # The start URL opens the person's home.
    page.goto(data["start_url"])
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page).to_have_url(demo_server.url + data["start_url"])


def test_without_network_a_page_shows_the_offline_page(new_page: NewPage, demo_server: DemoServer):
    page = phone(new_page)
    page.goto("/accounts/login/")
    until_controlled(page)
    page.context.set_offline(True)
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Vous êtes hors ligne")).to_be_visible()
    expect(page).to_have_url(demo_server.url + "/accounts/signup/")
    page.context.set_offline(False)
    # "Réessayer" loads the page that could not be reached.
    page.get_by_role("link", name="Réessayer").click()
    expect(page.locator("#id_email")).to_be_visible()
