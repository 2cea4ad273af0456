"""Documents in a real browser: two files dropped on the page upload with a progress bar
each, then appear in the list with the thumbnails the worker makes in the background.
"""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from playwright.sync_api import FilePayload, Page, expect

from comptoir.testing.files import pdf_bytes, png_bytes
from e2e import log_in
from e2e.conftest import DemoServer

pytestmark = pytest.mark.e2e

FOLDER_LINK = "Social"


def drop_files(page: Page, selector: str, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on an element the way a file manager does (a DataTransfer with Files)."""
    payload = [
        {"name": name, "type": mime, "data": base64.b64encode(content).decode()}
        for name, mime, content in files
    ]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, {type: f.type}));
            }
            return transfer;
        }""",
        payload,
    )
    page.locator(selector).dispatch_event("dragenter", {"dataTransfer": transfer})
    page.locator(selector).dispatch_event("drop", {"dataTransfer": transfer})


def test_drop_two_files_see_progress_then_thumbnails(page: Page, demo_server: DemoServer):
    page.goto("/accounts/login/")
    log_in(page, "gerant@alwaysclean.test")
    page.goto("/d/always-clean/documents/")
    page.locator(".folder-card", has_text=FOLDER_LINK).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FOLDER_LINK)

    tag = uuid.uuid4().hex[:8]
    pdf_name, png_name = f"relevé-{tag}.pdf", f"ticket-{tag}.png"
    drop_files(
        page,
        "[data-dropzone]",
        [
            (pdf_name, "application/pdf", pdf_bytes(f"Relevé de compte {tag}")),
            (png_name, "image/png", png_bytes(640, 480, "orange")),
        ],
    )
    items = page.locator(".upload-item")
    expect(items).to_have_count(2)
    for name in (pdf_name, png_name):
        item = items.filter(has_text=name)
        expect(item.locator("progress")).to_have_attribute("max", "100")
        expect(item).to_have_class(re.compile(r"\bupload-done\b"))
        expect(item.locator("progress")).to_have_js_property("value", 100)
        expect(item.get_by_role("link")).to_have_attribute(
            "href", re.compile(r"^/d/always-clean/documents/\d+/$")
        )

    # The list refreshes by itself; the thumbnails come from the worker, then stop polling.
    section = page.locator("#documents-section")
    for name in (pdf_name, png_name):
        row = section.locator("tr", has_text=name)
        expect(row).to_have_count(1, timeout=20_000)
        expect(row.locator("img.row-thumb")).to_have_count(1, timeout=30_000)
        thumb = row.locator("img.row-thumb")
        expect(thumb).to_have_js_property("complete", True)
        assert thumb.evaluate("img => img.naturalWidth") > 0

    # The PDF's page shows its first page, made from the file itself.
    section.get_by_role("link", name=pdf_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pdf_name)
    preview = page.locator("img.preview-image")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") > 300


def test_an_oversize_file_is_refused_in_the_page_and_a_zero_byte_file_is_not(
    page: Page, demo_server: DemoServer
):
    page.goto("/accounts/login/")
    log_in(page, "gerant@alwaysclean.test")
    page.goto("/d/always-clean/documents/")
    tag = uuid.uuid4().hex[:8]
    # One byte over the limit the server announces: refused before anything is sent.
    transfer = page.evaluate_handle(
        """(name) => {
            const config = JSON.parse(document.querySelector('[data-upload]').dataset.upload);
            const transfer = new DataTransfer();
            transfer.items.add(new File([new ArrayBuffer(config.maxBytes + 1)], name));
            return transfer;
        }""",
        f"énorme-{tag}.bin",
    )
    page.locator("[data-dropzone]").dispatch_event("drop", {"dataTransfer": transfer})
    refused = page.locator(".upload-item", has_text=f"énorme-{tag}.bin")
    expect(refused).to_have_class(re.compile(r"\bupload-failed\b"))
    expect(refused).to_contain_text("dépasse la taille maximale autorisée (200,0")

    page.locator("#upload-files").set_input_files(
        files=[FilePayload(name=f"vide-{tag}.txt", mimeType="text/plain", buffer=b"")]
    )
    expect(page.locator(".upload-item", has_text=f"vide-{tag}.txt")).to_have_class(
        re.compile(r"\bupload-done\b")
    )
    expect(page.locator("#documents-section tr", has_text=f"vide-{tag}.txt")).to_have_count(1)
    expect(page.locator("#documents-section tr", has_text=f"énorme-{tag}.bin")).to_have_count(0)
