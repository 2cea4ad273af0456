"""Phone-like photos of pages with known corners, for scoring page detectors.

    uv run python bench/scanner/generate.py OUT_DIR --seed 1 --count 120

Each photo is a rendered page (text, a table, a logo) warped by a random homography onto
a background (wood, tiles, cloth, clutter, dark desk, a pale table), rotated up to 30°,
with uneven light, shadows, blur, sensor noise and JPEG compression. Special cases come
in turn: a white page on a white table, a long receipt, a folded corner, a page partly
out of the frame. OUT_DIR/truth.json maps each file to its kind and its true corners
(TL, TR, BR, BL in pixels; corners out of the frame lie outside the image).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
KINDS = (
    "ordinary",
    "ordinary",
    "dark",
    "clutter",
    "white_on_white",
    "receipt",
    "folded",
    "out_of_frame",
    "shadow",
    "blurred",
)
WORDS = [
    "facture",
    "relevé",
    "banque",
    "montant",
    "total",
    "TVA",
    "échéance",
    "client",
    "fournisseur",
    "règlement",
    "acompte",
    "référence",
    "compte",
    "période",
    "désignation",
    "quantité",
    "prix",
    "unitaire",
    "remise",
    "net",
    "payer",
    "virement",
    "chèque",
    "espèces",
    "société",
    "adresse",
    "Paris",
    "Lyon",
    "Marseille",
    "comptable",
]

Image8 = NDArray[np.uint8]


def _page(rng: np.random.Generator, width: int, height: int, receipt: bool) -> Image8:
    tint = rng.integers(236, 256, size=3)
    page = Image.new("RGB", (width, height), tuple(int(v) for v in tint))
    draw = ImageDraw.Draw(page)
    size = max(10, width // (22 if receipt else 45))
    font = ImageFont.truetype(FONT_MONO if receipt else FONT, size)
    big = ImageFont.truetype(FONT, size * 2)
    margin = width // 12
    y = margin
    if not receipt:
        colour = tuple(int(v) for v in rng.integers(0, 200, size=3))
        draw.rectangle([margin, y, margin + width // 6, y + width // 10], fill=colour)
        draw.text((margin + width // 5, y), "FACTURE", font=big, fill=(20, 20, 20))
        y += width // 7
    while y < height - margin - size:
        if not receipt and rng.random() < 0.06:
            table_bottom = min(height - margin, y + size * 8)
            draw.rectangle([margin, y, width - margin, table_bottom], outline=(40, 40, 40))
            for row in range(y + size * 2, table_bottom, size * 2):
                draw.line([margin, row, width - margin, row], fill=(90, 90, 90))
            y = table_bottom + size
            continue
        words = rng.choice(WORDS, size=int(rng.integers(3, 9)))
        line = " ".join(str(w) for w in words)
        if receipt:
            line = f"{line[:18]:<18} {rng.integers(1, 999)},{rng.integers(0, 99):02d}"
        draw.text((margin, y), line, font=font, fill=(25, 25, 25))
        y += int(size * 1.6)
    return np.asarray(page)[:, :, ::-1].copy()


def _noise_field(rng: np.random.Generator, width: int, height: int, cells: int) -> NDArray:
    low = rng.random((cells, max(2, cells * width // height))).astype(np.float32)
    return cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)


def _background(rng: np.random.Generator, width: int, height: int, kind: str) -> Image8:
    style = {"dark": "dark", "clutter": "clutter", "white_on_white": "pale"}.get(
        kind, str(rng.choice(["wood", "tiles", "cloth", "plain", "clutter", "stone"]))
    )
    if style == "pale":
        base = rng.integers(205, 235)
        image = np.full((height, width, 3), base, np.float32)
        image += (_noise_field(rng, width, height, 6) * 14 - 7)[:, :, None]
    elif style == "dark":
        base = rng.integers(20, 80, size=3)
        image = np.full((height, width, 3), base, np.float32)
        image += (_noise_field(rng, width, height, 10) * 30 - 15)[:, :, None]
    elif style == "wood":
        colour = np.array([40, 90, 150]) + rng.integers(-30, 30, size=3)
        xs = np.arange(width)[None, :] + _noise_field(rng, width, height, 4) * 80
        grain = 0.5 + 0.5 * np.sin(xs / rng.uniform(6, 20))
        image = colour[None, None, :] * (0.7 + 0.4 * grain)[:, :, None]
    elif style == "tiles":
        tile = int(rng.integers(60, 200))
        a, b = rng.integers(60, 230, size=3), rng.integers(60, 230, size=3)
        ys, xs = np.mgrid[0:height, 0:width]
        checker = ((xs // tile + ys // tile) % 2).astype(np.float32)
        image = (
            a[None, None, :] * checker[:, :, None] + b[None, None, :] * (1 - checker)[:, :, None]
        )
        image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 2)
    elif style == "cloth":
        colour = rng.integers(40, 200, size=3)
        ys, xs = np.mgrid[0:height, 0:width]
        weave = 0.5 + 0.25 * (np.sin(xs / 2.0) + np.sin(ys / 2.0))
        image = colour[None, None, :] * (0.8 + 0.3 * weave)[:, :, None]
    elif style == "stone":
        image = np.zeros((height, width, 3), np.float32)
        for channel in range(3):
            image[:, :, channel] = 90 + 110 * _noise_field(rng, width, height, 24)
    elif style == "clutter":
        image = np.full((height, width, 3), rng.integers(80, 180, size=3), np.float32)
        for _ in range(int(rng.integers(15, 40))):
            colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            if rng.random() < 0.5:
                radius = int(rng.integers(20, width // 6))
                cv2.circle(image, (x, y), radius, colour, -1)
            else:
                w, h = int(rng.integers(20, width // 4)), int(rng.integers(5, height // 8))
                box = cv2.boxPoints(((x, y), (w, h), float(rng.uniform(0, 180))))
                cv2.fillPoly(image, [box.astype(np.int32)], colour)
    else:  # plain
        image = np.full((height, width, 3), rng.integers(60, 200, size=3), np.float32)
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _target_quad(
    rng: np.random.Generator, width: int, height: int, aspect: float, kind: str
) -> NDArray[np.float64]:
    """Where the page's corners land in the photo."""
    for _attempt in range(200):
        fill = rng.uniform(0.45, 0.8) if kind != "receipt" else rng.uniform(0.7, 0.92)
        page_h = fill * height
        page_w = page_h / aspect
        if page_w > 0.92 * width:
            page_w = 0.92 * width * rng.uniform(0.8, 1.0)
            page_h = page_w * aspect
        angle = math.radians(rng.uniform(-30, 30))
        corners = np.array(
            [
                [-page_w / 2, -page_h / 2],
                [page_w / 2, -page_h / 2],
                [page_w / 2, page_h / 2],
                [-page_w / 2, page_h / 2],
            ]
        )
        rotation = np.array(
            [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
        )
        corners = corners @ rotation.T
        # Perspective: each corner moves on its own, up to 7 % of the page's size.
        corners += rng.uniform(-0.07, 0.07, size=(4, 2)) * np.array([page_w, page_h])
        centre = np.array([width / 2, height / 2]) + rng.uniform(-0.1, 0.1, size=2) * [
            width,
            height,
        ]
        corners += centre
        if kind == "out_of_frame":
            # Push the page over one edge of the frame so one or two corners leave it.
            direction = [(1, 0), (-1, 0), (0, 1), (0, -1)][int(rng.integers(0, 4))]
            corners += np.array(direction) * rng.uniform(0.15, 0.3) * np.array([width, height])
            inside = (
                (corners[:, 0] >= 0)
                & (corners[:, 0] < width)
                & (corners[:, 1] >= 0)
                & (corners[:, 1] < height)
            )
            if 2 <= inside.sum() <= 3:
                return corners
            continue
        margin = 0.02 * width
        if (
            (corners[:, 0] > margin).all()
            and (corners[:, 0] < width - margin).all()
            and (corners[:, 1] > margin).all()
            and (corners[:, 1] < height - margin).all()
        ):
            return corners
    raise RuntimeError("no placement found")


def _fold(rng: np.random.Generator, page: Image8) -> tuple[Image8, NDArray[np.uint8]]:
    """Fold one corner over: that triangle shows the table, its mirror the page's back."""
    height, width = page.shape[:2]
    alpha = np.full((height, width), 255, np.uint8)
    size = int(width * rng.uniform(0.12, 0.22))
    corner = int(rng.integers(0, 4))
    x0, y0 = [(0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1)][corner]
    sx = size if x0 == 0 else -size
    sy = size if y0 == 0 else -size
    triangle = np.array([[x0, y0], [x0 + sx, y0], [x0, y0 + sy]], np.int32)
    flap = np.array([[x0 + sx, y0 + sy], [x0 + sx, y0], [x0, y0 + sy]], np.int32)
    cv2.fillPoly(alpha, [triangle], 0)
    back = tuple(int(v) for v in np.clip(page[5, width // 2].astype(int) - 25, 0, 255))
    cv2.fillPoly(page, [flap], back)
    cv2.polylines(page, [flap], True, (150, 150, 150), 2)
    return page, alpha


def _light(
    rng: np.random.Generator, image: NDArray[np.float32], strong: bool
) -> NDArray[np.float32]:
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    # A light gradient across the photo and a vignette.
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (xs * math.cos(angle) + ys * math.sin(angle)) / max(width, height)
    gain = 1.0 + rng.uniform(0.05, 0.25) * (ramp - ramp.mean())
    radius = ((xs - width / 2) ** 2 + (ys - height / 2) ** 2) / (max(width, height) ** 2)
    gain *= 1.0 - rng.uniform(0.0, 0.4) * radius
    if strong or rng.random() < 0.35:
        # A hand or phone shadow: a soft dark polygon over part of the scene.
        centre = rng.uniform(0.2, 0.8, size=2) * [width, height]
        points = centre + rng.uniform(-0.45, 0.45, size=(5, 2)) * [width, height]
        mask = np.zeros((height, width), np.float32)
        cv2.fillPoly(mask, [cv2.convexHull(points.astype(np.int32))], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(10, 40))
        gain *= 1.0 - rng.uniform(0.25, 0.5 if strong else 0.35) * mask
    return image * gain[:, :, None]


def sample(
    rng: np.random.Generator, kind: str, *, side: int = 2000, quality: int | None = None
) -> tuple[bytes, NDArray[np.float64]]:
    """One photo (JPEG bytes) and its true corners."""
    portrait = rng.random() < 0.8
    short = side * 3 // 4
    width, height = (short, side) if portrait else (side, short)
    receipt = kind == "receipt"
    aspect = rng.uniform(2.5, 4.0) if receipt else math.sqrt(2) * rng.uniform(0.97, 1.03)
    page_w = 700 if receipt else 1000
    page = _page(
        rng, page_w if not receipt else 360, int((page_w if not receipt else 360) * aspect), receipt
    )
    alpha = np.full(page.shape[:2], 255, np.uint8)
    if kind == "folded":
        page, alpha = _fold(rng, page)
    background = _background(rng, width, height, kind)
    if kind == "white_on_white":
        page = np.clip(page.astype(np.int16) + 6, 0, 255).astype(np.uint8)
    corners = _target_quad(rng, width, height, aspect, kind)
    ph, pw = page.shape[:2]
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(page, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(alpha, matrix, (width, height), flags=cv2.INTER_LINEAR)
    weight = (mask.astype(np.float32) / 255.0)[:, :, None]
    scene = warped.astype(np.float32) * weight + background.astype(np.float32) * (1 - weight)
    scene = _light(rng, scene, strong=kind == "shadow")
    sigma = rng.uniform(2.0, 4.0) if kind == "blurred" else rng.uniform(0.0, 1.3)
    if sigma > 0.3:
        scene = cv2.GaussianBlur(scene, (0, 0), sigma)
    scene += rng.normal(0, rng.uniform(1, 6), scene.shape)
    photo = np.clip(scene, 0, 255).astype(np.uint8)
    quality = quality or int(rng.integers(45, 92))
    _ok, encoded = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return encoded.tobytes(), corners


def corpus_write(directory: Path, *, seed: int, count: int) -> dict[str, dict[str, object]]:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    truth: dict[str, dict[str, object]] = {}
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        data, corners = sample(rng, kind)
        name = f"{seed:03d}-{index:04d}-{kind}.jpg"
        (directory / name).write_bytes(data)
        truth[name] = {"kind": kind, "corners": [[round(x, 1), round(y, 1)] for x, y in corners]}
    (directory / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=120)
    arguments = parser.parse_args()
    corpus_write(arguments.directory, seed=arguments.seed, count=arguments.count)


if __name__ == "__main__":
    main()
