"""The scanner in a real browser with a fake camera: Chromium plays a video made from a
generated photo of a page; two pages are taken, their corners found, the PDF saved with
the original photos attached; once the worker's OCR is done, a word of the page is found
by the document search."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from e2e import log_in
from e2e.conftest import CHROMIUM_ARGS, DemoServer, PageWatch

pytestmark = pytest.mark.e2e

WORD = "QUITTANCE"
WIDTH, HEIGHT = 1280, 960


def page_photo() -> np.ndarray:
    """A page with large words, tilted on a wooden table, as the camera sees it."""
    page = np.full((1414, 1000, 3), 248, np.uint8)
    cv2.putText(page, WORD, (70, 230), cv2.FONT_HERSHEY_SIMPLEX, 3.4, (15, 15, 15), 9)
    for row in range(430, 1300, 150):
        cv2.putText(page, "LOYER MARS", (70, row), cv2.FONT_HERSHEY_SIMPLEX, 2.6, (25, 25, 25), 6)
    xs = np.arange(WIDTH)[None, :] + 25 * np.sin(np.arange(HEIGHT)[:, None] / 45)
    table = np.array([40, 90, 150])[None, None, :] * (0.8 + 0.2 * np.sin(xs / 7))[:, :, None]
    corners = np.array([[400, 40], [930, 90], [890, 920], [350, 880]], np.float32)
    source = np.array([[0, 0], [1000, 0], [1000, 1414], [0, 1414]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(page, matrix, (WIDTH, HEIGHT))
    mask = cv2.warpPerspective(np.ones((1414, 1000), np.float32), matrix, (WIDTH, HEIGHT))
    photo = warped * mask[:, :, None] + table * (1 - mask[:, :, None])
    return np.clip(photo, 0, 255).astype(np.uint8)


def write_y4m(path: Path, image: np.ndarray, frames: int = 3) -> None:
    """A raw YUV 4:2:0 video (what --use-file-for-fake-video-capture reads)."""
    i420 = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes()
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + i420)


@pytest.fixture(scope="module")
def camera_browser(
    chromium_executable: str,
    playwright_instance: Playwright,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Browser]:
    video = tmp_path_factory.mktemp("camera") / "page.y4m"
    write_y4m(video, page_photo())
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def camera_page(
    camera_browser: Browser, demo_server: DemoServer, page_watch: PageWatch
) -> Iterator[Page]:
    context = camera_browser.new_context(
        base_url=demo_server.url,
        locale="en-US",
        viewport={"width": 1280, "height": 900},
        permissions=["camera"],
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page_watch.attach(page)
    try:
        yield page
    finally:
        context.close()
    assert not page_watch.problems, "\n".join(page_watch.problems)


def test_scan_two_pages_with_the_camera_then_find_a_word(
    camera_page: Page, demo_server: DemoServer
) -> None:
    page = camera_page
    page.goto("/accounts/login/")
    log_in(page, "gerant@alwaysclean.test")
    page.goto("/d/always-clean/documents/")
    page.get_by_role("link", name="Scanner").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scanner des pages")

    page.get_by_role("button", name="Ouvrir l'appareil photo").click()
    video = page.locator("[data-video]")
    expect(video).to_be_visible()
    for _attempt in range(100):  # a function, not a string: the page's CSP forbids eval
        if video.evaluate("element => element.videoWidth") > 0:
            break
        page.wait_for_timeout(100)
    shoot = page.get_by_role("button", name="Prendre la page")
    shoot.click()
    expect(page.locator(".scan-page")).to_have_count(1)
    shoot.click()
    pages = page.locator(".scan-page")
    expect(pages).to_have_count(2)
    # The corners were found (not the whole frame) and are drawn, with four handles each.
    for index in range(2):
        expect(pages.nth(index)).to_have_attribute("data-found", "true")
        expect(pages.nth(index).locator(".scan-handle")).to_have_count(4)
    points = pages.first.locator(".scan-quad").get_attribute("points") or ""
    xs = [float(p.split(",")[0]) for p in points.split()]
    assert min(xs) > 100  # the page's left edge, not the frame's

    # A corner moved with the keyboard moves the quadrilateral.
    handle = pages.nth(1).locator(".scan-handle").first
    before = handle.get_attribute("cx")
    handle.focus()
    page.keyboard.press("ArrowRight")
    assert handle.get_attribute("cx") != before

    name = f"Quittance {uuid.uuid4().hex[:6]}"
    page.get_by_label("Nom du document").fill(name)
    page.get_by_label("Classeur").select_option(label="Comptabilité")
    page.get_by_role("button", name="Enregistrer en PDF").click()
    expect(page).to_have_url(re.compile(r"/d/always-clean/documents/\d+/$"), timeout=60_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)

    # The PDF has two pages; the two photos are attached, byte for byte.
    document_url = page.url
    pdf = page.request.get(document_url + "download/").body()
    assert len(pdfium.PdfDocument(pdf)) == 2
    rows = page.locator("[data-original]")
    expect(rows).to_have_count(2)
    for index in range(2):
        digest = rows.nth(index).locator("code").inner_text().strip()
        link = rows.nth(index).get_by_role("link").get_attribute("href")
        photo = page.request.get(demo_server.url + (link or "")).body()
        assert hashlib.sha256(photo).hexdigest() == digest
        assert photo[:3] == b"\xff\xd8\xff"  # the JPEG the camera gave
        decoded = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
        assert decoded is not None
        assert decoded.shape[:2] == (HEIGHT, WIDTH)

    # The worker adds the text layer; then the search finds a word of the page.
    for _attempt in range(40):
        page.goto(f"/d/always-clean/documents/search/?q={WORD.lower()}")
        if page.get_by_text(name).count():
            break
        page.wait_for_timeout(3000)
    expect(page.get_by_text(name).first).to_be_visible()
