"""The page detector on generated photos: a page warped onto a background, corners known."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import call_command

from comptoir.capture import scan_detect


def _photo(
    corners: list[tuple[float, float]],
    *,
    size: tuple[int, int] = (1200, 1600),
    background: str = "wood",
    page_grey: int = 245,
    seed: int = 0,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    width, height = size
    page = np.full((1414, 1000, 3), page_grey, np.uint8)
    for row in range(140, 1300, 46):
        cv2.putText(page, "Facture 2026 total TVA", (90, row), 0, 1.3, (30, 30, 30), 2)
    if background == "wood":
        xs = np.arange(width)[None, :] + 40 * np.sin(np.arange(height)[:, None] / 60)
        grain = 0.75 + 0.25 * np.sin(xs / 9)
        scene = np.array([40, 90, 150])[None, None, :] * grain[:, :, None]
    elif background == "pale":
        scene = np.full((height, width, 3), 222.0)
    else:  # chequered tiles
        ys, xs = np.mgrid[0:height, 0:width]
        checker = ((xs // 90 + ys // 90) % 2)[:, :, None]
        scene = checker * np.array([200, 170, 160]) + (1 - checker) * np.array([120, 40, 110])
    source = np.array([[0, 0], [1000, 0], [1000, 1414], [0, 1414]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.array(corners, np.float32))
    warped = cv2.warpPerspective(page, matrix, (width, height))
    mask = cv2.warpPerspective(np.full((1414, 1000), 255, np.uint8), matrix, (width, height))
    weight = (mask / 255.0)[:, :, None]
    result = warped * weight + scene * (1 - weight) + rng.normal(0, 3, (height, width, 3))
    return np.clip(result, 0, 255).astype(np.uint8)


def _error(found: list[tuple[float, float]], truth: list[tuple[float, float]]) -> float:
    return max(math.dist(a, b) for a, b in zip(found, truth, strict=True))


TILTED = [(330.0, 210.0), (960.0, 330.0), (880.0, 1310.0), (190.0, 1180.0)]


@pytest.mark.parametrize("background", ["wood", "tiles", "pale"])
def test_detect_finds_a_tilted_page_on_any_background(background: str) -> None:
    detection = scan_detect.detect(_photo(TILTED, background=background))

    assert detection.found
    assert _error(detection.corners, TILTED) < 12  # pixels, on a 2000-pixel diagonal


def test_detect_sees_a_white_page_on_a_white_table() -> None:
    detection = scan_detect.detect(_photo(TILTED, background="pale", page_grey=240))

    assert detection.found
    assert _error(detection.corners, TILTED) < 15


def test_detect_follows_a_page_out_of_the_frame() -> None:
    # The bottom corners are below the photo: the visible part is what is answered.
    corners = [(250.0, 300.0), (1000.0, 260.0), (1060.0, 1750.0), (200.0, 1800.0)]
    detection = scan_detect.detect(_photo(corners))

    assert detection.found
    assert _error(detection.corners[:2], corners[:2]) < 12
    assert all(y >= 1590 for _x, y in detection.corners[2:])


def test_detect_without_a_page_answers_the_whole_frame_not_found() -> None:
    rng = np.random.default_rng(3)
    noise = cv2.GaussianBlur(rng.integers(0, 255, (900, 700, 3), dtype=np.uint8), (0, 0), 4)

    detection = scan_detect.detect(noise)

    assert not detection.found
    assert detection.corners == [(0.0, 0.0), (699.0, 0.0), (699.0, 899.0), (0.0, 899.0)]


@pytest.mark.parametrize("size", [(1, 1), (20, 300), (64, 48)])
def test_detect_answers_even_a_tiny_or_blank_image(size: tuple[int, int]) -> None:
    height, width = size
    detection = scan_detect.detect(np.full((height, width, 3), 200, np.uint8))

    assert not detection.found
    assert detection.corners[2] == (width - 1.0, height - 1.0)


def test_detect_beats_the_baseline_on_chequered_tiles() -> None:
    photo = _photo(TILTED, background="tiles")

    ours = _error(scan_detect.detect(photo).corners, TILTED)
    baseline = _error(scan_detect.baseline_detect(photo).corners, TILTED)

    assert ours < 12 < baseline


def test_corners_order_is_top_left_clockwise_whatever_the_input() -> None:
    points = np.array([[900, 1300], [200, 100], [190, 1200], [1000, 150]])

    ordered = scan_detect.corners_order(points)

    assert ordered.tolist() == [[200, 100], [1000, 150], [900, 1300], [190, 1200]]


def test_detect_bytes_reads_a_jpeg_and_refuses_what_is_not_an_image() -> None:
    _ok, jpeg = cv2.imencode(".jpg", _photo(TILTED))

    detection = scan_detect.detect_bytes(jpeg.tobytes())

    assert detection is not None
    assert detection.found
    assert scan_detect.detect_bytes(b"%PDF-1.7 not a photo") is None


def test_scan_detect_command_prints_one_json_line_per_image(tmp_path: Path) -> None:
    photo = tmp_path / "page.jpg"
    photo.write_bytes(cv2.imencode(".jpg", _photo(TILTED))[1].tobytes())
    out = io.StringIO()

    call_command("scan_detect", str(photo), stdout=out)

    (line,) = out.getvalue().splitlines()
    result = json.loads(line)
    assert result["file"] == str(photo)
    assert result["found"] is True
    assert _error([tuple(c) for c in result["corners"]], TILTED) < 12


def test_scan_detect_command_names_a_file_that_is_not_an_image(tmp_path: Path) -> None:
    photo = tmp_path / "page.jpg"
    photo.write_bytes(cv2.imencode(".jpg", _photo(TILTED))[1].tobytes())
    text = tmp_path / "notes.txt"
    text.write_text("bonjour")
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("scan_detect", str(text), str(photo), stdout=out)

    assert exit_.value.code == 1
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {"file": str(text), "corners": None, "found": False, "error": "not an image"}
    assert second["found"] is True
