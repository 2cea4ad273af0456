"""Straightening, enhancement and the PDF: A4 pages, at most 400 KB each, as asked."""

from __future__ import annotations

import io
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from comptoir.capture import scan_pdf
from comptoir.capture.scan_pdf import Enhancement, PageSpec

from .conftest import PAGE_CORNERS, scan_photo


def _decoded(data: bytes) -> Any:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


@pytest.mark.parametrize("enhancement", ["colour", "contrast", "bw"])
def test_page_render_straightens_the_page_into_a4_at_150_dpi(enhancement: Enhancement) -> None:
    page = _decoded(
        scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS, enhancement=enhancement))
    )

    height, width = page.shape[:2]
    assert max(width / 1240, height / 1754) == pytest.approx(1.0, abs=0.002)
    assert height / width == pytest.approx(1414 / 1000, rel=0.05)
    grey = page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    # The word is in the top left quarter, the table's wood nowhere: the margins are white.
    assert grey[int(0.1 * height) : int(0.17 * height), : width // 2].mean() < 200
    assert grey[: int(0.04 * height)].mean() > 200
    assert grey[:, -int(0.04 * width) :].mean() > 200


def test_black_and_white_is_one_bit_and_grey_is_one_channel() -> None:
    bw = Image.open(
        io.BytesIO(scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS, enhancement="bw")))
    )
    grey = Image.open(io.BytesIO(scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS))))

    assert bw.mode == "1"
    assert grey.mode == "L"
    assert grey.format == "JPEG"


def test_rotation_turns_the_page() -> None:
    upright = _decoded(scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS)))
    turned = _decoded(scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS, rotation=90)))

    assert turned.shape[:2] == upright.shape[:2][::-1]
    # A quarter turn clockwise brings the top left word to the top right.
    height, width = turned.shape[:2]
    assert turned[: height // 2, width // 2 :].mean() < turned[: height // 2, : width // 2].mean()


def test_a_noisy_colour_page_stays_under_400_kb() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (3000, 2250, 3), dtype=np.uint8)
    photo = cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    corners = [(0.0, 0.0), (2249.0, 0.0), (2249.0, 2999.0), (0.0, 2999.0)]

    page = scan_pdf.page_render(photo, PageSpec(corners, enhancement="colour"))

    assert len(page) <= scan_pdf.PAGE_MAX_BYTES


def test_pdf_assemble_makes_one_a4_page_per_image() -> None:
    pages = [
        scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS)),
        scan_pdf.page_render(scan_photo(), PageSpec(PAGE_CORNERS, enhancement="bw")),
    ]

    pdf = pdfium.PdfDocument(scan_pdf.pdf_assemble(pages))

    assert len(pdf) == 2
    for index in range(2):
        width, height = pdf[index].get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_impossible_corners_and_non_images_are_refused() -> None:
    with pytest.raises(scan_pdf.ScanRefused):
        scan_pdf.page_render(scan_photo(), PageSpec([(10.0, 10.0)] * 4))
    with pytest.raises(scan_pdf.ScanRefused):
        scan_pdf.page_render(b"not a photo", PageSpec(PAGE_CORNERS))
    with pytest.raises(scan_pdf.ScanRefused):
        scan_pdf.pdf_assemble([])


def test_a_large_photo_is_decoded_smaller_without_losing_the_a4_resolution() -> None:
    small = cv2.imdecode(np.frombuffer(scan_photo(), np.uint8), cv2.IMREAD_COLOR)
    assert small is not None
    large = cv2.resize(small, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    photo = cv2.imencode(".jpg", large, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    spec = PageSpec([(3 * x, 3 * y) for x, y in PAGE_CORNERS])

    assert scan_pdf._reduction(spec) == 2
    page = _decoded(scan_pdf.page_render(photo, spec))

    height, width = page.shape[:2]
    assert max(width / 1240, height / 1754) == pytest.approx(1.0, abs=0.002)
    assert page[int(0.1 * height) : int(0.17 * height), : width // 2].mean() < 200
    assert page[: int(0.04 * height)].mean() > 200
