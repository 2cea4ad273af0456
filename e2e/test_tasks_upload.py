"""An upload task in a real browser: the accountant sends it with three steps; the client
uploads into step 1, marks step 2 "Ne s'applique pas", deletes step 3 and completes the
task; the accountant finds it in Terminé, with a notification in the bell and an email
read from the test SMTP server."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from comptoir.testing.files import pdf_bytes
from comptoir.testing.smtp import SMTPTestServer
from e2e import at, log_in
from e2e.conftest import DemoServer, NewPage

pytestmark = pytest.mark.e2e

ACCOUNTANT = "comptable@cabinet-martin.test"
CLIENT = "gerant@alwaysclean.test"
SLUG = "always-clean"


def step(page: Page, title: str):
    return page.locator("li.step", has=page.get_by_role("heading", name=title, exact=True))


def test_upload_task_from_creation_to_termine(
    new_page: NewPage, demo_server: DemoServer, mailbox: SMTPTestServer
):
    tag = uuid.uuid4().hex[:8]
    title = f"Pièces du mois {tag}"
    steps = [f"Relevés {tag}", f"Notes de frais {tag}", f"Caisse {tag}"]

    accountant = new_page(viewport={"width": 1280, "height": 800})
    accountant.goto("/accounts/login/")
    log_in(accountant, ACCOUNTANT)
    accountant.goto(f"/d/{SLUG}/tasks/")
    accountant.get_by_role("link", name="Nouvelle tâche de téléversement").click()
    expect(accountant).to_have_url(at(demo_server, f"/d/{SLUG}/tasks/new/"))
    accountant.locator("#id_title").fill(title)
    accountant.locator("#id_message").fill("Merci de déposer les pièces du mois.")
    # The owner is checked by default.
    expect(accountant.get_by_label(CLIENT, exact=False)).to_be_checked()
    for index, name in enumerate(steps):
        accountant.locator(f"#id_steps-{index}-title").fill(name)
    accountant.locator("#id_steps-0-folder").select_option(label="Comptabilité")
    accountant.get_by_role("button", name="Envoyer la tâche").click()
    expect(accountant.get_by_role("heading", level=1)).to_have_text(title)
    task_url = accountant.url

    # The client, in a fresh phone-sized browser context.
    client = new_page(viewport={"width": 375, "height": 800})
    client.goto("/accounts/login/")
    log_in(client, CLIENT)
    client.goto(f"/d/{SLUG}/tasks/")
    client.get_by_role("link", name=title).click()
    expect(client.get_by_role("heading", level=1)).to_have_text(title)

    first = step(client, steps[0])
    first.get_by_label("Déposer des documents dans cette étape").set_input_files(
        files=[
            {
                "name": f"releve-{tag}.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf_bytes(f"Relevé {tag}"),
            }
        ]
    )
    first.get_by_role("button", name="Déposer", exact=True).click()
    # The file goes through the upload queue (tus); the page reloads when it is in.
    expect(step(client, steps[0])).to_contain_text(f"releve-{tag}.pdf")
    step(client, steps[0]).get_by_role("button", name="Marquer terminée").click()
    expect(step(client, steps[0]).locator(".badge")).to_have_text("Terminée")

    second = step(client, steps[1])
    second.locator("summary", has_text="Ne s'applique pas").click()
    second.get_by_label("Pourquoi ne s'applique-t-elle pas ?").fill(
        "Aucune note de frais ce mois-ci"
    )
    second.get_by_role("button", name="Marquer « Ne s'applique pas »").click()
    expect(step(client, steps[1])).to_contain_text("Aucune note de frais ce mois-ci")
    expect(step(client, steps[1]).locator(".badge").first).to_have_text("Ne s'applique pas")

    step(client, steps[2]).get_by_role("button", name="Supprimer l'étape").click()
    expect(client.get_by_role("heading", name=steps[2])).to_have_count(0)

    client.get_by_role("button", name="Terminer la tâche").click()
    expect(client.locator(".messages")).to_contain_text("La tâche est terminée.")

    # The accountant: the task is in Terminé, the bell has the notice, the email arrived.
    accountant.goto(f"/d/{SLUG}/tasks/?state=done")
    expect(accountant.get_by_role("link", name=title)).to_be_visible()
    accountant.goto(f"/d/{SLUG}/tasks/")
    expect(accountant.get_by_role("link", name=title)).to_have_count(0)
    expect(accountant.locator("#notification-bell .bell-count")).to_be_visible()
    accountant.locator("#notification-bell").click()
    expect(accountant.locator(".notification-list")).to_contain_text(f"Tâche terminée : {title}")

    received = mailbox.wait_for_message(
        to=ACCOUNTANT, subject_contains=f"Tâche terminée : {title}", timeout=30
    )
    assert title in (received.text or "")
    assert received.html, "the email has an HTML part"

    accountant.goto(task_url)
    expect(accountant.get_by_role("button", name="Rouvrir la tâche")).to_be_visible()
