"""The foundation, in a real browser: entrance, language, login/logout, reset, phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from comptoir.testing.smtp import SMTPTestServer
from e2e import at, log_in
from e2e.conftest import DemoServer, NewPage, PageWatch

pytestmark = pytest.mark.e2e

LOGIN_PATH = "/accounts/login/"


# Elements that stick out to the right although their parent does not: the culprits.
OVERFLOWING_JS = """
(width) => Array.from(document.querySelectorAll("body *"))
  .filter((el) => el.getBoundingClientRect().right > width + 0.5
    && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 0.5))
  .slice(0, 10)
  .map((el) => {
    const classes = Array.from(el.classList).map((c) => "." + c).join("");
    const id = el.id ? "#" + el.id : "";
    const right = Math.round(el.getBoundingClientRect().right);
    return `${el.tagName.toLowerCase()}${id}${classes} (right edge ${right}px)`;
  })
"""


def assert_no_horizontal_scroll(page: Page, width: int, when: str) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(OVERFLOWING_JS, width)
        pytest.fail(
            f"{when}: the page scrolls sideways at {width}px (scrollWidth={scroll_width}). "
            f"Sticking out: {', '.join(culprits) or '?'}",
            pytrace=False,
        )


def login_error(page: Page) -> str:
    alert = page.locator("form:has(#id_login) .message-error[role=alert]")
    expect(alert).to_be_visible()
    return " ".join(alert.inner_text().split())


def test_login_page_loads_in_french(
    page: Page, demo_server: DemoServer, page_watch: PageWatch, artifacts_dir: Path
) -> None:
    # The browser asks for English (Accept-Language: en-US): Comptoir answers in French.
    page.goto("/")

    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.locator("form:has(#id_login) button[type=submit]")).to_have_text("Connexion")
    expect(page.get_by_role("link", name="Mot de passe oublié ?")).to_be_visible()
    expect(page.locator("#language-select")).to_have_value("fr")
    # comptoir.js ran (it marks <html>), so the language form's button is hidden.
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    expect(page.locator("form.language-form button[type=submit]")).to_be_hidden()

    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts_dir / "login-fr.png", full_page=True)
    assert page_watch.csp_violations() == []
    assert page_watch.problems == []


def test_switching_to_english_is_remembered(
    new_page: NewPage, page: Page, demo_server: DemoServer
) -> None:
    page.goto(LOGIN_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # Choosing submits the form by itself (no button to press when JS runs).
    with page.expect_navigation():
        page.locator("#language-select").select_option("en")

    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(page.locator("#language-select")).to_have_value("en")

    # The next page load, from the redirecting home page, is still in English.
    page.goto("/")
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("form:has(#id_login) button[type=submit]")).to_have_text("Sign In")

    # A browser that never chose stays in French (the choice is this browser's only).
    other = new_page()
    other.goto(LOGIN_PATH)
    expect(other.locator("html")).to_have_attribute("lang", "fr")


def test_demo_user_logs_in_and_out(page: Page, demo_server: DemoServer) -> None:
    page.goto("/")
    log_in(page, "gerant@alwaysclean.test")

    # The home page, or the dossier this user worked in last if another test opened one
    # on the same demo server (the last dossier used opens after login).
    home = demo_server.url + "/"
    expect(page).to_have_url(re.compile(rf"^{re.escape(home)}(d/always-clean/)?$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    if page.url == home:
        expect(page.locator("main")).to_contain_text("gerant@alwaysclean.test")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sophie")
    else:
        expect(page.get_by_role("heading", level=1)).to_contain_text("Always Clean SARL")

    menu = page.locator("details.user-menu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    expect(menu.locator(".menu-email")).to_have_text("gerant@alwaysclean.test")
    menu.get_by_role("menuitem", name="Se déconnecter").click()

    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.locator("details.user-menu")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()


def test_wrong_password_and_unknown_email_get_the_same_error(
    page: Page, demo_server: DemoServer
) -> None:
    page.goto(LOGIN_PATH)
    log_in(page, "gerant@alwaysclean.test", "pas-le-bon-mot-de-passe")
    wrong_password = login_error(page)
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.locator("details.user-menu")).to_have_count(0)
    # The email typed is kept; the password is not.
    expect(page.locator("#id_login")).to_have_value("gerant@alwaysclean.test")
    expect(page.locator("#id_password")).to_have_value("")

    page.goto(LOGIN_PATH)
    log_in(page, "personne@inconnu.test", "pas-le-bon-mot-de-passe")
    unknown_email = login_error(page)
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))

    assert wrong_password
    assert wrong_password == unknown_email


def test_password_reset_through_a_real_email(
    page: Page, demo_server: DemoServer, mailbox: SMTPTestServer
) -> None:
    email = "dupont@boulangerie-dupont.test"
    new_password = "Pain-de-campagne-2026!"

    page.goto(LOGIN_PATH)
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page).to_have_url(at(demo_server, "/accounts/password/reset/"))
    page.locator("#id_email").fill(email)
    page.locator("form:has(#id_email) button[type=submit]").click()
    expect(page).to_have_url(at(demo_server, "/accounts/password/reset/done/"))

    received = mailbox.wait_for_message(to=email, timeout=30)
    assert received.to == [email]
    assert received.subject.startswith("[Comptoir] ")
    text, html = received.text, received.html
    assert text, "the email has no text/plain part"
    assert html, "the email has no text/html part"
    link_pattern = re.escape(demo_server.url) + r"/accounts/password/reset/key/[^\s\"'<>]+/"
    links = re.findall(link_pattern, text)
    assert len(links) == 1, f"expected one reset link in the text part:\n{text}"
    link = links[0]
    assert f'href="{link}"' in html, f"the HTML part lacks a link to {link}:\n{html}"

    page.goto(link)
    page.locator("#id_password1").fill(new_password)
    page.locator("#id_password2").fill(new_password)
    page.locator("form:has(#id_password1) button[type=submit][name=action]").click()
    expect(page).to_have_url(at(demo_server, "/accounts/password/reset/key/done/"))

    # The old password no longer works; the new one does.
    page.goto(LOGIN_PATH)
    log_in(page, email, "comptoir-demo-2026")
    login_error(page)
    page.goto(LOGIN_PATH)
    log_in(page, email, new_password)
    expect(page).to_have_url(at(demo_server, "/"))
    expect(page.locator("main")).to_contain_text(email)

    # A reset link works once.
    page.goto(link)
    expect(page.locator("#id_password1")).to_have_count(0)


def test_home_fits_a_phone_width(
    new_page: NewPage, demo_server: DemoServer, artifacts_dir: Path
) -> None:
    width = 375
    page = new_page(viewport={"width": width, "height": 800}, device_scale_factor=2)
    page.goto(LOGIN_PATH)
    assert_no_horizontal_scroll(page, width, "login page")
    # The longest demo address and name: the most likely to overflow.
    log_in(page, "comptable@cabinet-martin.test")
    # Login lands on the last dossier used when another test opened one: go home.
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(at(demo_server, "/"))
    page.wait_for_load_state("networkidle")

    page.screenshot(path=artifacts_dir / "home-375.png", full_page=True)
    assert_no_horizontal_scroll(page, width, "home page")

    summary = page.locator("details.user-menu summary")
    expect(summary).to_be_in_viewport()
    summary.click()
    logout = page.locator("details.user-menu").get_by_role("menuitem", name="Se déconnecter")
    expect(logout).to_be_visible()
    expect(logout).to_be_in_viewport()
    box = logout.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    page.screenshot(path=artifacts_dir / "home-375-menu.png")
    assert_no_horizontal_scroll(page, width, "home page, user menu open")

    logout.click()
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
