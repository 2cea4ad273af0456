"""From photos and their corners to one PDF of A4 pages.

Each page is straightened by a perspective transform to the sheet's own proportions
(estimated from the corners), fitted into A4 at 150 dpi (1240 x 1754 pixels at most),
turned, then enhanced:

- ``colour``: as photographed, levels stretched (JPEG);
- ``contrast``: grey, uneven light flattened (the photo divided by its own blurred
  background), levels stretched (grey JPEG);
- ``bw``: the same, then thresholded: one bit per pixel (PNG, lossless and small).

JPEG quality starts at 80 and steps down to 32 until the page weighs at most
PAGE_MAX_BYTES (a page of pure noise would then lose pixels rather than exceed it).
img2pdf puts the encoded pages in the PDF as they are (no re-encoding), each centred on
an A4 page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import img2pdf
import numpy as np
from numpy.typing import NDArray

from .scan_detect import corners_order

Enhancement = Literal["colour", "contrast", "bw"]
ENHANCEMENTS: tuple[Enhancement, ...] = ("colour", "contrast", "bw")
DPI = 150
A4_PIXELS = (1240, 1754)  # 210 x 297 mm at 150 dpi
A4_POINTS = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
PAGE_MAX_BYTES = 400 * 1024
JPEG_QUALITIES = (80, 72, 64, 56, 48, 40, 32)


class ScanRefused(Exception):
    """A page that cannot be made (not an image, impossible corners)."""


@dataclass(frozen=True)
class PageSpec:
    corners: list[tuple[float, float]]  # TL, TR, BR, BL in the photo's pixels
    rotation: int = 0  # quarter turns clockwise: 0, 90, 180, 270
    enhancement: Enhancement = "contrast"


def _target_size(quad: NDArray[np.float64]) -> tuple[int, int]:
    """Width and height of the straightened sheet, fitted into A4 at DPI."""
    top = np.linalg.norm(quad[1] - quad[0])
    bottom = np.linalg.norm(quad[2] - quad[3])
    left = np.linalg.norm(quad[3] - quad[0])
    right = np.linalg.norm(quad[2] - quad[1])
    width, height = max(top, bottom), max(left, right)
    if width < 8 or height < 8:
        raise ScanRefused("corners too close together")
    box_w, box_h = A4_PIXELS
    scale = min(box_w / width, box_h / height)
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def _flatten(grey: NDArray[Any]) -> NDArray[Any]:
    """Grey page with the light made even: divided by its background (text removed by a
    closing, then blurred), then levels stretched."""
    small = cv2.resize(grey, (grey.shape[1] // 4 or 1, grey.shape[0] // 4 or 1))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    background = cv2.medianBlur(cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel), 21)
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]))
    flat = cv2.divide(grey, np.maximum(background, 1), scale=255)
    return _stretch(flat)


def _stretch(image: NDArray[Any]) -> NDArray[Any]:
    low, high = np.percentile(image, (1.0, 99.0))
    if high - low < 10:
        return image
    stretched = (image.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(stretched, 0, 255).astype(np.uint8)


def _encode(image: NDArray[Any], enhancement: Enhancement) -> bytes:
    if enhancement == "bw":
        _ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_BILEVEL, 1])
        return bytes(data.tobytes())
    encoded = b""
    while True:
        for quality in JPEG_QUALITIES:
            params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
            _ok, data = cv2.imencode(".jpg", image, params)
            encoded = bytes(data.tobytes())
            if len(encoded) <= PAGE_MAX_BYTES:
                return encoded
        # Only a photo of pure noise gets here: fewer pixels rather than a heavier page.
        height, width = image.shape[:2]
        image = cv2.resize(
            image, (int(width * 0.8), int(height * 0.8)), interpolation=cv2.INTER_AREA
        )


def page_image(photo: NDArray[Any], spec: PageSpec) -> NDArray[Any]:
    """The straightened, turned and enhanced page as pixels (BGR or grey)."""
    height, width = photo.shape[:2]
    quad = corners_order(np.array(spec.corners, dtype=np.float64))
    quad[:, 0] = np.clip(quad[:, 0], 0, width - 1)
    quad[:, 1] = np.clip(quad[:, 1], 0, height - 1)
    target_w, target_h = _target_size(quad)
    destination = np.array(
        [[0, 0], [target_w - 1, 0], [target_w - 1, target_h - 1], [0, target_h - 1]], np.float32
    )
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), destination)
    page = cv2.warpPerspective(photo, matrix, (target_w, target_h), flags=cv2.INTER_LINEAR)
    turns = (spec.rotation // 90) % 4
    if turns:
        codes = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)
        page = cv2.rotate(page, codes[turns - 1])
    if spec.enhancement == "colour":
        return np.dstack([_stretch(channel) for channel in cv2.split(page)])
    flat = _flatten(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))
    if spec.enhancement == "contrast":
        return flat
    _threshold, binary = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def _reduction(spec: PageSpec) -> int:
    """1, 2 or 4: how much smaller the photo may be decoded and still give the page its
    full A4 resolution (a 12 MP photo's page is usually twice the size needed; JPEG
    decodes at half size several times faster)."""
    quad = corners_order(np.array(spec.corners, dtype=np.float64))
    width = min(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3]))
    height = min(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1]))
    short, long = sorted((width, height))
    needed_short, needed_long = A4_PIXELS
    for factor in (4, 2):
        if short / factor >= needed_short and long / factor >= needed_long:
            return factor
    return 1


def page_render(photo_bytes: bytes, spec: PageSpec) -> bytes:
    """One page, encoded (JPEG, or PNG for black and white), ready for the PDF."""
    array = np.frombuffer(photo_bytes, dtype=np.uint8)
    factor = _reduction(spec)
    flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}
    photo = cv2.imdecode(array, flags[factor])
    if photo is None or not photo.size:
        raise ScanRefused("not an image")
    if factor > 1:
        spec = PageSpec(
            corners=[(x / factor, y / factor) for x, y in spec.corners],
            rotation=spec.rotation,
            enhancement=spec.enhancement,
        )
    return _encode(page_image(photo, spec), spec.enhancement)


def pdf_assemble(pages: list[bytes]) -> bytes:
    """One PDF, an A4 page per encoded image, the image fitted and centred."""
    if not pages:
        raise ScanRefused("no page")
    layout = img2pdf.get_layout_fun(A4_POINTS, fit=img2pdf.FitMode.into)
    return bytes(img2pdf.convert(pages, layout_fun=layout, with_pdfrw=False))
