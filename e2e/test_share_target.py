"""The Share menu on a phone: a share-target POST taken by the service worker while the
phone is offline, kept on the device, then — back online — filed into the chosen classeur."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from playwright.sync_api import expect

from comptoir.testing.files import pdf_bytes, png_bytes
from e2e import at, log_in
from e2e.conftest import DemoServer, NewPage, PageWatch
from e2e.test_pwa import phone, until_controlled

pytestmark = pytest.mark.e2e

SHARE = """(files) => {
    // What the phone's share sheet sends: a multipart POST to the manifest's action.
    const form = document.createElement("form");
    form.method = "post";
    form.action = "/share/";
    form.enctype = "multipart/form-data";
    const input = document.createElement("input");
    input.type = "file";
    input.name = "files";
    input.multiple = true;
    const transfer = new DataTransfer();
    for (const f of files) {
        const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
        transfer.items.add(new File([bytes], f.name, {type: f.type}));
    }
    input.files = transfer.files;
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
}"""


def test_files_shared_offline_land_in_the_chosen_classeur(new_page: NewPage, page_watch: PageWatch):
    page = phone(new_page)
    page.goto("/accounts/login/")
    log_in(page, "gerant@alwaysclean.test")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    until_controlled(page)

    tag = uuid.uuid4().hex[:8]
    files = [
        (f"facture-{tag}.pdf", "application/pdf", pdf_bytes(f"Facture {tag}")),
        (f"ticket-{tag}.png", "image/png", png_bytes(200, 120, "teal")),
    ]
    payload = [{"name": n, "type": t, "data": base64.b64encode(c).decode()} for n, t, c in files]
    page.context.set_offline(True)
    page.evaluate(SHARE, payload)
    # The worker kept the files, then the page it opens cannot load: the offline page.
    expect(page.get_by_role("heading", name="Vous êtes hors ligne")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/share/\?batch=[0-9a-f]+$"))

    page.context.set_offline(False)
    page.get_by_role("link", name="Réessayer").click()
    expect(page.get_by_role("heading", name="Ranger les documents")).to_be_visible()
    shared = page.locator("[data-share-files] .upload-item")
    expect(shared).to_have_count(2)
    for name, _type, _content in files:
        expect(shared.filter(has_text=name)).to_have_count(1)

    page.get_by_label("Filtrer les dossiers").fill("always")
    expect(page.get_by_label("Dossier", exact=True)).to_have_value("always-clean")
    destination = page.get_by_label("Classeur ou étape de tâche")
    expect(destination.locator("option", has_text="Social")).to_have_count(1)
    destination.select_option(label="Social")
    page.get_by_role("button", name="Ranger ici").click()

    queue = page.locator("[data-queue-list] .upload-item")
    expect(queue).to_have_count(2)
    for item in queue.all():
        expect(item).to_have_class(re.compile(r"\bupload-done\b"), timeout=30_000)

    page.goto("/d/always-clean/documents/")
    page.locator(".folder-card", has_text="Social").click()
    section = page.locator("#documents-section")
    for name, _type, _content in files:
        expect(section.locator("tr", has_text=name)).to_have_count(1)
    page_watch.ignore("ERR_INTERNET_DISCONNECTED")


def test_without_shared_files_the_page_opens_the_scanner_of_the_chosen_dossier(
    new_page: NewPage, demo_server: DemoServer
):
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    log_in(page, "comptable@cabinet-martin.test")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/share/")
    expect(page.get_by_text("Aucun fichier en attente de rangement")).to_be_visible()
    expect(page.get_by_role("button", name="Ranger ici")).to_be_hidden()
    scan = page.get_by_role("link", name="Scanner")
    dossier = page.get_by_label("Dossier", exact=True)
    slugs = dossier.locator("option").evaluate_all("(options) => options.map(o => o.value)")
    assert len(slugs) > 1, "the accountant follows several dossiers in the demo"
    expect(scan).to_have_attribute("href", f"/d/{dossier.input_value()}/scan/")

    other = next(slug for slug in slugs if slug != dossier.input_value())
    dossier.select_option(other)
    expect(scan).to_have_attribute("href", f"/d/{other}/scan/")
    destination = page.get_by_label("Classeur ou étape de tâche")
    folder = destination.locator("option[value^='folder:']:not([value='folder:'])").first
    folder_pk = folder.get_attribute("value").split(":")[1]  # type: ignore[union-attr]
    destination.select_option(f"folder:{folder_pk}")
    expect(scan).to_have_attribute("href", f"/d/{other}/scan/?folder={folder_pk}")
    scan.click()
    expect(page).to_have_url(at(demo_server, f"/d/{other}/scan/"))
    expect(page).to_have_url(re.compile(rf"\?folder={folder_pk}$"))
