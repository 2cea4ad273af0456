"""The upload queue on a phone: a file cut by the network waits, then resumes from where
it stopped when the network is back, and becomes a byte-identical document."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, Route, expect

from e2e import log_in
from e2e.conftest import NewPage, PageWatch

pytestmark = pytest.mark.e2e

CHUNK = 8 * 1024 * 1024  # pwa_queue.js's chunk size
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def test_an_upload_cut_offline_resumes_and_is_byte_identical(
    new_page: NewPage, page_watch: PageWatch
):
    # The worker is left out here: the test watches the page's own requests.
    page: Page = new_page(**PHONE, service_workers="block")
    page.goto("/accounts/login/")
    log_in(page, "gerant@alwaysclean.test")
    page.goto("/d/always-clean/documents/")
    page.locator(".folder-card", has_text="Social").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Social")

    sent: list[tuple[str, str | None]] = []
    patches = 0

    def tus_route(route: Route) -> None:
        nonlocal patches
        request = route.request
        if request.method == "PATCH":
            patches += 1
            if patches == 2:
                # The network goes in the middle of the upload, with this chunk.
                page.context.set_offline(True)
                route.abort("internetdisconnected")
                return
        sent.append((request.method, request.headers.get("upload-offset")))
        route.continue_()

    page.route(re.compile(r"/d/always-clean/tus/"), tus_route)

    content = os.urandom(2 * CHUNK + 123_456)
    name = f"archive-{uuid.uuid4().hex[:8]}.bin"
    page.locator("#upload-files").set_input_files(
        files=[FilePayload(name=name, mimeType="application/octet-stream", buffer=content)]
    )
    item = page.locator(".upload-item", has_text=name)
    expect(item).to_have_attribute("data-state", "waiting", timeout=30_000)
    expect(item).to_contain_text("En attente du réseau")
    expect(page.locator("[data-queue-badge]")).to_be_visible()
    expect(page.locator("[data-queue-count]")).to_have_text("1")
    assert sent == [("POST", None), ("PATCH", "0")]

    page.context.set_offline(False)  # the `online` event resumes the queue
    expect(item).to_have_class(re.compile(r"\bupload-done\b"), timeout=60_000)
    expect(page.locator("[data-queue-badge]")).to_be_hidden()
    # It went on from the first chunk's end (HEAD, then PATCH at that offset): not again
    # from zero.
    resumed = sent[2:]
    assert resumed[0] == ("HEAD", None)
    assert resumed[1] == ("PATCH", str(CHUNK))

    href = item.get_by_role("link").get_attribute("href")
    assert href
    assert re.fullmatch(r"/d/always-clean/documents/\d+/", href)
    download = page.request.get(href + "download/")
    assert download.status == 200
    assert hashlib.sha256(download.body()).hexdigest() == hashlib.sha256(content).hexdigest()
    # The requests the cut made fail, as they should: the browser says so in the console.
    assert page_watch.ignore("ERR_INTERNET_DISCONNECTED")
