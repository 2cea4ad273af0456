"""Identity and dossiers, in a real browser: the accountant's invitation, two tabs on two
dossiers, and a dossier that makes two-factor authentication mandatory.

The server is shared by every browser test: each test here makes its own people (fresh
addresses) or only reads what the demo data gives, so the others are not disturbed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from comptoir.testing.smtp import ReceivedEmail, SMTPTestServer
from e2e import at, log_in
from e2e.conftest import DemoServer, NewPage, PageWatch

pytestmark = pytest.mark.e2e

LOGIN_PATH = "/accounts/login/"
MFA_INDEX_PATH = "/accounts/2fa/"
TOTP_ACTIVATE_PATH = "/accounts/2fa/totp/activate/"
REAUTHENTICATE_PATH = "/accounts/reauthenticate/"
# Passwords of the people the tests create (long enough, not common, not numeric).
NEW_PASSWORD = "Registre-des-comptes-2026!"
# Chromium logs the status of a page it loads with an error status; these are on purpose.
EXPECTED_ERROR_STATUS = r"status of 40[34]"


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@identite.test"


def the_link(received: ReceivedEmail, pattern: str) -> str:
    """The one link matching `pattern` in the text part, also a link of the HTML part."""
    text, html = received.text, received.html
    assert text, "the email has no text/plain part"
    assert html, "the email has no text/html part"
    links = sorted(set(re.findall(pattern, text)))
    assert len(links) == 1, f"expected one link matching {pattern} in the text part:\n{text}"
    link = links[0]
    assert f'href="{link}"' in html, f"the HTML part lacks a link to {link}:\n{html}"
    return link


def invitation_link(demo_server: DemoServer, received: ReceivedEmail) -> str:
    return the_link(received, re.escape(demo_server.url) + r"/invitations/[A-Za-z0-9_-]+/")


def totp_code(secret: str, at_time: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 of the 30-second counter, dynamically truncated, 6 digits."""
    counter = int((time.time() if at_time is None else at_time) // 30)
    key = base64.b32decode(secret.strip().replace(" ", "").upper())
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_totp_code(secret: str) -> str:
    """A code with a few seconds of validity left (the server allows no clock drift)."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.5)
    return totp_code(secret)


def assert_logged_in_as(page: Page, email: str) -> None:
    expect(page.locator("details.user-menu .menu-email")).to_have_text(email)


def sign_up_from_invitation(page: Page, link: str, email: str, dossier_name: str) -> None:
    """Open the emailed link in a browser without an account and create one from it."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation à rejoindre un dossier")
    expect(page.locator("dl.facts")).to_contain_text(dossier_name)
    expect(page.locator("dl.facts")).to_contain_text(email)
    page.get_by_role("link", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/invitations/[A-Za-z0-9_-]+/signup/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer mon compte")
    expect(page.locator("main")).to_contain_text(dossier_name)
    # The address is the invited one, and cannot be changed.
    expect(page.locator("#id_email")).to_have_value(email)
    expect(page.locator("#id_email")).to_have_attribute("readonly", "")
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon compte et accepter").click()


def reauthenticate(page: Page, demo_server: DemoServer, password: str) -> None:
    """allauth asks for the password again before a 2FA change (a login is not enough)."""
    expect(page).to_have_url(at(demo_server, REAUTHENTICATE_PATH))
    page.locator("#id_password").fill(password)
    page.locator("form:has(#id_password) button[type=submit]").click()


def activate_totp(page: Page, demo_server: DemoServer, password: str) -> None:
    """From the 2FA page: "Activer", confirm the password, type a right code."""
    expect(page).to_have_url(at(demo_server, MFA_INDEX_PATH))
    page.get_by_role("link", name="Activer", exact=True).click()
    reauthenticate(page, demo_server, password)
    expect(page).to_have_url(at(demo_server, TOTP_ACTIVATE_PATH))
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), f"not a base32 secret: {secret!r}"

    # A wrong code is refused: the form comes back with the error.
    right = fresh_totp_code(secret)
    wrong = "000000" if right != "000000" else "111111"
    page.locator("#id_code").fill(wrong)
    page.get_by_role("button", name="Activer", exact=True).click()
    expect(page).to_have_url(at(demo_server, TOTP_ACTIVATE_PATH))
    expect(page.locator(".field-invalid #id_code, #id_code[aria-invalid=true]")).to_have_count(1)

    page.locator("#id_code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Activer", exact=True).click()
    # Activation also creates recovery codes, shown on the next page.
    expect(page).to_have_url(at(demo_server, "/accounts/2fa/recovery-codes/"))
    page.goto(MFA_INDEX_PATH)
    expect(page.locator("main .badge-success", has_text="Activée")).to_have_count(1)


# --- 1. The owner invites their accountant ------------------------------------------------


def test_owner_invites_an_accountant_who_signs_up_from_the_email(
    new_page: NewPage,
    demo_server: DemoServer,
    mailbox: SMTPTestServer,
    page_watch: PageWatch,
    artifacts_dir: Path,
) -> None:
    accountant = unique_email("comptable")
    dossier_name = "Always Clean SARL"

    owner = new_page(viewport={"width": 1280, "height": 900})
    owner.goto("/d/always-clean/accountant-access/")
    expect(owner).to_have_url(at(demo_server, LOGIN_PATH))
    log_in(owner, "gerant@alwaysclean.test")
    expect(owner).to_have_url(at(demo_server, "/d/always-clean/accountant-access/"))
    expect(owner.get_by_role("heading", level=1)).to_have_text("Accès comptable")

    form = owner.locator("form:has(#id_email)")
    form.locator("#id_email").fill(accountant)
    form.get_by_label("Cette personne seulement").check()
    form.get_by_role("button", name="Donner l'accès").click()
    expect(owner).to_have_url(at(demo_server, "/d/always-clean/accountant-access/"))
    expect(owner.locator(".message-success")).to_contain_text(f"Invitation envoyée à {accountant}")
    pending = owner.locator("tr", has_text=accountant)
    expect(pending).to_have_count(1)
    owner.screenshot(path=artifacts_dir / "identity-accountant-access.png", full_page=True)

    # The email: both parts, the link, the dossier and the role; no password in it.
    received = mailbox.wait_for_message(to=accountant, timeout=30)
    assert received.to == [accountant]
    assert dossier_name in received.subject
    link = invitation_link(demo_server, received)
    text, html = received.text or "", received.html or ""
    for part in (text, html):
        assert dossier_name in part
        assert "Comptable" in part
        assert "mot de passe" not in part.lower()
        assert "password" not in part.lower()
        assert "comptoir-demo-2026" not in part
    assert "Sophie" in text, "the email should name who invites"

    # In another browser (no cookies), the accountant follows the link and signs up.
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_up_from_invitation(page, link, accountant, dossier_name)
    expect(page).to_have_url(at(demo_server, "/d/always-clean/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(dossier_name)
    expect(page.locator(".message-success")).to_contain_text("Bienvenue dans le dossier")
    expect(page.locator("section:has(#dossier-you) .badge")).to_have_text("Comptable")
    assert_logged_in_as(page, accountant)
    # The dossier's navigation offers no settings page to a Comptable.
    nav = page.locator("nav.sidenav")
    expect(nav.get_by_role("link", name="Vue d'ensemble")).to_be_visible()
    expect(nav.get_by_role("link", name="Paramètres")).to_have_count(0)
    expect(nav.get_by_role("link", name="Membres")).to_have_count(0)
    expect(nav.get_by_role("link", name="Accès comptable")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "identity-accountant-lands.png", full_page=True)

    # The owner now sees them among the invited accountants, no longer pending.
    owner.reload()
    accountants = owner.locator("section:has(#accountants-title)")
    expect(accountants.locator("tbody tr", has_text=accountant)).to_have_count(1)
    expect(owner.locator("tr[id^=invitation-]", has_text=accountant)).to_have_count(0)

    # The Comptable sees the data, not the settings: 403. Another dossier: 404.
    for path in ("/d/always-clean/settings/", "/d/always-clean/members/"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403, f"{path}: {response.status}"
    response = page.goto("/d/boulangerie-dupont/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text("Boulangerie Dupont")
    # A dossier that does not exist answers the same.
    response = page.goto("/d/pas-de-dossier-ici/")
    assert response is not None
    assert response.status == 404

    # Still logged in, the dossier still opens; the link cannot be used a second time.
    response = page.goto("/d/always-clean/")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(dossier_name)
    reused = new_page().goto(link)
    assert reused is not None
    assert reused.status == 410
    page_watch.ignore(EXPECTED_ERROR_STATUS + "|status of 410")


# --- 2. Two tabs, two dossiers ------------------------------------------------------------


def test_two_tabs_work_on_two_dossiers_at_once(
    new_page: NewPage, demo_server: DemoServer, page_watch: PageWatch, artifacts_dir: Path
) -> None:
    email = "multi@demo.test"
    tab1 = new_page(viewport={"width": 1280, "height": 900})
    tab1.goto(LOGIN_PATH)
    log_in(tab1, email)
    expect(tab1.locator("details.user-menu")).to_have_count(1)

    tab1.goto("/d/atelier-multi/")
    # A second tab of the same browser: same cookies, same session.
    tab2 = tab1.context.new_page()
    page_watch.attach(tab2)
    tab2.goto("/d/studio-multi/")

    def shows(tab: Page, name: str, slug: str, path: str = "") -> None:
        expect(tab).to_have_url(at(demo_server, f"/d/{slug}/{path}"))
        expect(tab.locator("nav.sidenav .nav-heading")).to_have_text(name)
        expect(tab.locator("details.switcher .switcher-current")).to_have_text(name)
        assert_logged_in_as(tab, email)

    shows(tab1, "Atelier Multi", "atelier-multi")
    expect(tab1.get_by_role("heading", level=1)).to_have_text("Atelier Multi")
    shows(tab2, "Studio Multi", "studio-multi")
    expect(tab2.get_by_role("heading", level=1)).to_have_text("Studio Multi")

    # Working in tab 1 does not move tab 2: nothing is switched on the server.
    tab1.locator("nav.sidenav").get_by_role("link", name="Paramètres").click()
    shows(tab1, "Atelier Multi", "atelier-multi", "settings/")
    expect(tab1.locator("#id_name")).to_have_value("Atelier Multi")
    tab2.reload()
    shows(tab2, "Studio Multi", "studio-multi")
    expect(tab2.get_by_role("heading", level=1)).to_have_text("Studio Multi")
    tab1.reload()
    shows(tab1, "Atelier Multi", "atelier-multi", "settings/")

    # The switcher of tab 1 lists both dossiers, the current one marked.
    switcher = tab1.locator("details.switcher")
    switcher.locator("summary").click()
    expect(switcher).to_have_attribute("open", "")
    items = switcher.locator("#switcher-list a")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Atelier Multi")
    expect(items.nth(1)).to_contain_text("Studio Multi")
    expect(switcher.locator("#switcher-list a[aria-current=true]")).to_contain_text("Atelier Multi")
    tab1.screenshot(path=artifacts_dir / "identity-switcher-open.png")

    # Typing narrows the list (htmx replaces it); no match says so.
    search = switcher.locator("#switcher-q")
    search.press_sequentially("zzz-aucun")
    expect(switcher.locator("#switcher-list")).to_contain_text("Aucun dossier ne correspond.")
    expect(switcher.locator("#switcher-list a")).to_have_count(0)
    search.fill("")
    search.press_sequentially("stud")
    expect(switcher.locator("#switcher-list a")).to_have_count(1)
    expect(switcher.locator("#switcher-list a")).to_contain_text("Studio Multi")
    tab1.screenshot(path=artifacts_dir / "identity-switcher-search.png")
    switcher.locator("#switcher-list a", has_text="Studio Multi").click()

    # Only tab 1 moved: to the other dossier, by its URL.
    shows(tab1, "Studio Multi", "studio-multi")
    expect(tab1.get_by_role("heading", level=1)).to_have_text("Studio Multi")
    shows(tab2, "Studio Multi", "studio-multi")

    # And tab 2 goes to Atelier through its own switcher; tab 1 stays on Studio.
    switcher2 = tab2.locator("details.switcher")
    switcher2.locator("summary").click()
    switcher2.locator("#switcher-list a", has_text="Atelier Multi").click()
    shows(tab2, "Atelier Multi", "atelier-multi")
    tab1.reload()
    shows(tab1, "Studio Multi", "studio-multi")
    tab2.reload()
    shows(tab2, "Atelier Multi", "atelier-multi")

    # The last dossier used is the one opened after the next login. Studio is not the
    # first of the list: landing there is not a coincidence.
    tab1.reload()
    shows(tab1, "Studio Multi", "studio-multi")
    tab1.locator("details.user-menu summary").click()
    tab1.locator("details.user-menu").get_by_role("menuitem", name="Se déconnecter").click()
    expect(tab1).to_have_url(at(demo_server, LOGIN_PATH))
    tab2.reload()
    expect(tab2).to_have_url(at(demo_server, LOGIN_PATH))
    log_in(tab1, email)
    shows(tab1, "Studio Multi", "studio-multi")
    expect(tab1.get_by_role("heading", level=1)).to_have_text("Studio Multi")


# --- 3. A dossier that requires 2FA ---------------------------------------------------------


def sign_up(page: Page, demo_server: DemoServer, mailbox: SMTPTestServer, email: str) -> None:
    """The public signup form, then the link of the verification email."""
    page.goto("/accounts/signup/")
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("form:has(#id_password2) button[type=submit]").click()
    expect(page).to_have_url(at(demo_server, "/accounts/confirm-email/"))
    # Not in before the address is confirmed.
    page.goto("/")
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))

    received = mailbox.wait_for_message(to=email, timeout=30)
    assert received.subject.startswith("[Comptoir] ")
    link = the_link(received, re.escape(demo_server.url) + r"/accounts/confirm-email/[^\s\"'<>]+/")
    page.goto(link)
    expect(page.locator("main")).to_contain_text(email)
    page.locator("main form button[type=submit]").click()
    # Confirmed; then the login form (allauth does not log in on confirmation).
    expect(page).to_have_url(at(demo_server, LOGIN_PATH))
    expect(page.locator(".message")).to_contain_text(f"Vous avez confirmé {email}")
    log_in(page, email, NEW_PASSWORD)
    expect(page).to_have_url(at(demo_server, "/"))
    assert_logged_in_as(page, email)


def test_a_dossier_requiring_2fa_makes_its_member_set_it_up(
    new_page: NewPage,
    demo_server: DemoServer,
    mailbox: SMTPTestServer,
    artifacts_dir: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    owner_email = unique_email("proprietaire")
    member_email = unique_email("utilisateur")
    dossier_name = f"Sécurité {tag} SAS"

    # A new owner signs up and creates a dossier.
    owner = new_page(viewport={"width": 1280, "height": 900})
    sign_up(owner, demo_server, mailbox, owner_email)
    owner.goto("/dossiers/new/")
    owner.locator("#id_name").fill(dossier_name)
    owner.locator("#id_siren").fill("443 061 841")
    owner.get_by_role("button", name="Créer le dossier").click()
    expect(owner).to_have_url(re.compile(re.escape(demo_server.url) + r"/d/[a-z0-9-]+/$"))
    expect(owner.get_by_role("heading", level=1)).to_have_text(dossier_name)
    slug = owner.url.removeprefix(demo_server.url).strip("/").split("/")[1]
    dossier_path = f"/d/{slug}/"

    # They invite a second person as Utilisateur.
    owner.goto(f"{dossier_path}invitations/")
    owner.locator("#id_email").fill(member_email)
    owner.locator("#id_role").select_option("user")
    owner.get_by_role("button", name="Envoyer l'invitation").click()
    expect(owner.locator(".message-success")).to_contain_text(member_email)
    received = mailbox.wait_for_message(to=member_email, timeout=30)
    assert dossier_name in (received.text or "")
    assert "Utilisateur" in (received.text or "")
    link = invitation_link(demo_server, received)

    # The invited person signs up from the link, on a phone.
    member = new_page(viewport={"width": 375, "height": 800}, device_scale_factor=2)
    sign_up_from_invitation(member, link, member_email, dossier_name)
    expect(member).to_have_url(at(demo_server, dossier_path))
    expect(member.get_by_role("heading", level=1)).to_have_text(dossier_name)

    # The owner first secures their own account, then makes 2FA mandatory.
    owner.goto(MFA_INDEX_PATH)
    activate_totp(owner, demo_server, NEW_PASSWORD)
    owner.goto(f"{dossier_path}settings/")
    checkbox = owner.get_by_label("Double authentification obligatoire")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    owner.get_by_role("button", name="Enregistrer").click()
    expect(owner).to_have_url(at(demo_server, f"{dossier_path}settings/"))
    expect(owner.locator(".message-success")).to_contain_text("enregistrés")
    expect(owner.get_by_label("Double authentification obligatoire")).to_be_checked()
    # The owner, who has 2FA, is not stopped.
    owner.goto(dossier_path)
    expect(owner).to_have_url(at(demo_server, dossier_path))
    expect(owner.get_by_role("heading", name="À faire")).to_be_visible()

    # The member's next page load goes to the 2FA setup, with the reason.
    member.reload()
    expect(member).to_have_url(at(demo_server, MFA_INDEX_PATH))
    reason = member.locator(".message-warning", has_text="exige la double authentification")
    expect(reason).to_have_count(1)
    expect(reason).to_contain_text(f"Le dossier « {dossier_name} »")
    member.screenshot(path=artifacts_dir / "identity-2fa-required-375.png", full_page=True)
    # Every other page sends them back, the dossier's included.
    for path in (dossier_path, "/", "/dossiers/", f"{dossier_path}invitations/"):
        member.goto(path)
        expect(member).to_have_url(at(demo_server, MFA_INDEX_PATH))
    expect(member.locator(".message-warning", has_text=dossier_name)).to_have_count(1)
    assert_logged_in_as(member, member_email)

    activate_totp(member, demo_server, NEW_PASSWORD)
    response = member.goto(dossier_path)
    assert response is not None
    assert response.status == 200
    expect(member).to_have_url(at(demo_server, dossier_path))
    expect(member.get_by_role("heading", level=1)).to_have_text(dossier_name)
    expect(member.locator("main")).to_contain_text("Utilisateur")
    member.screenshot(path=artifacts_dir / "identity-2fa-done-375.png", full_page=True)
