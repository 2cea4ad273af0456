"""Where is the page in this photo? Four corners, found with OpenCV.

The photo is reduced to about WORK_SIDE pixels, then several ways of separating a sheet
from what lies around it each propose quadrilaterals:

- edges: Canny on the grey image, on the saturation and on the a/b colour channels, each
  after two blurs, closed so that a broken outline still makes one contour;
- regions: the bright part (Otsu), and the part whose colour differs from the photo's
  border (a sheet rarely fills the border; the table does);
- lines: the contours' convex hulls are reduced to their four longest sides, whose
  intersections recover a corner hidden by a fold or cut off by the frame.

Every candidate is scored on what a page looks like — large, convex, angles not too far
from square, its sides lying on actual edges or on a change of colour — and the best one
is refined on a larger copy (each side re-fitted on the strongest gradient near it).
When no candidate is convincing the answer is the whole frame with `found=False`, so the
person adjusts it: the detector always answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

WORK_SIDE = 800
REFINE_SIDE = 1600
MIN_AREA = 0.04  # of the frame: smaller is a label or a text block, not the page
MIN_SCORE = 0.35
# Sobel response across a side for L, a, b (a step of about 8 grey levels in L).
GRADIENT_MIN = np.array([30.0, 20.0, 20.0], dtype=np.float32)
OFFSETS = np.arange(-2, 3)  # pixels across a side where its edge may lie
LINE_QUADS = 120

Quad = NDArray[np.float64]  # shape (4, 2): TL, TR, BR, BL
# OpenCV's stubs type every array loosely: pixels, masks and contours are NDArray[Any].
Pixels = NDArray[Any]


@dataclass(frozen=True)
class Detection:
    corners: list[tuple[float, float]]  # TL, TR, BR, BL in the photo's pixels
    found: bool
    score: float
    width: int
    height: int

    def as_json(self) -> dict[str, object]:
        return {
            "corners": [[round(x, 1), round(y, 1)] for x, y in self.corners],
            "found": self.found,
        }


def image_decode(data: bytes) -> Pixels | None:
    """BGR pixels of an encoded image (JPEG, PNG, WebP…), upright per its EXIF, or None."""
    array = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(array, cv2.IMREAD_COLOR)
    return image if image is not None and image.size else None


def corners_order(points: Pixels) -> Quad:
    """TL, TR, BR, BL of four points, whatever order they came in."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen, starting near the left
    # Start from the corner with the smallest x + y (top left on screen).
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _full_frame(width: int, height: int) -> Quad:
    w, h = float(width - 1), float(height - 1)
    return np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]])


def _detection(quad: Quad, found: bool, score: float, width: int, height: int) -> Detection:
    corners = [(float(x), float(y)) for x, y in quad]
    return Detection(corners=corners, found=found, score=score, width=width, height=height)


def _resize(image: Pixels, side: int) -> tuple[Pixels, float]:
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


# --- Candidates -------------------------------------------------------------------------


def _line_intersection(
    p1: NDArray[np.float64],
    p2: NDArray[np.float64],
    q1: NDArray[np.float64],
    q2: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    d1, d2 = p2 - p1, q2 - q1
    cross = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(cross) < 1e-9:
        return None
    t = ((q1[0] - p1[0]) * d2[1] - (q1[1] - p1[1]) * d2[0]) / cross
    return p1 + t * d1


def _quads_from_contour(contour: Pixels) -> list[Quad]:
    """Quadrilaterals that describe one contour: a 4-vertex simplification of its hull, and
    the intersections of the hull's four longest sides (a folded or cut corner)."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    if perimeter <= 0:
        return []
    quads: list[Quad] = []
    for epsilon in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, True).reshape(-1, 2)
        if len(approx) == 4:
            quads.append(corners_order(approx))
            break
        if len(approx) < 4:
            break
    polygon = cv2.approxPolyDP(hull, 0.01 * perimeter, True).reshape(-1, 2).astype(np.float64)
    if len(polygon) > 4:
        sides = [(polygon[i], polygon[(i + 1) % len(polygon)]) for i in range(len(polygon))]
        lengths = [float(np.linalg.norm(b - a)) for a, b in sides]
        keep = sorted(sorted(range(len(sides)), key=lambda i: -lengths[i])[:4])
        corners = []
        for index, side in enumerate(keep):
            following = keep[(index + 1) % 4]
            point = _line_intersection(*sides[side], *sides[following])
            if point is None:
                break
            corners.append(point)
        if len(corners) == 4:
            quads.append(corners_order(np.array(corners)))
    return quads


def _contours(mask: Pixels, keep: int = 4, mode: int = cv2.RETR_EXTERNAL) -> list[Pixels]:
    found, _hierarchy = cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)
    return sorted(found, key=cv2.contourArea, reverse=True)[:keep]


def _edge_maps(small: Pixels) -> list[Pixels]:
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    channels = [lab[:, :, 0], hsv[:, :, 1], lab[:, :, 1], lab[:, :, 2]]
    maps = []
    height, width = small.shape[:2]
    for index, channel in enumerate(channels):
        # The median (at half size: the same effect as a 9-pixel one here, four times
        # cheaper) wipes out text, whose strokes are thinner than it.
        half = cv2.resize(channel, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        median = cv2.resize(cv2.medianBlur(half, 5), (width, height))
        for blurred in (cv2.GaussianBlur(channel, (5, 5), 0), median):
            # Thresholds from the gradients actually present: a pale page on a pale
            # table has only weak edges, a busy table strong ones everywhere.
            gradient = np.abs(cv2.Sobel(blurred, cv2.CV_16S, 1, 0)) + np.abs(
                cv2.Sobel(blurred, cv2.CV_16S, 0, 1)
            )
            high = float(
                np.clip(np.percentile(gradient[::3, ::3], 92), 24 if index == 0 else 16, 160)
            )
            low = high / 2.5
            maps.append(cv2.Canny(blurred, low, high))
    return maps


def _region_masks(small: Pixels) -> list[Pixels]:
    height, width = small.shape[:2]
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (7, 7), 0)
    _threshold, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    value = cv2.GaussianBlur(hsv[:, :, 2], (7, 7), 0)
    saturation = cv2.GaussianBlur(hsv[:, :, 1], (7, 7), 0)
    # Paper: bright and grey, whatever the table's colours are.
    paper = ((saturation < 45) & (value > np.percentile(value, 40))).astype(np.uint8) * 255
    masks = [bright, paper]
    # The colour of the photo's border (median of a thin frame) is the background's.
    band = max(2, min(height, width) // 40)
    border = np.concatenate(
        [
            lab[:band].reshape(-1, 3),
            lab[-band:].reshape(-1, 3),
            lab[:, :band].reshape(-1, 3),
            lab[:, -band:].reshape(-1, 3),
        ]
    )
    background = np.median(border, axis=0)
    distance = np.linalg.norm(cv2.GaussianBlur(lab, (7, 7), 0) - background, axis=2)
    distance8 = np.clip(distance * (255.0 / max(1.0, float(distance.max()))), 0, 255).astype(
        np.uint8
    )
    _threshold, different = cv2.threshold(distance8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks.append(different)
    # A page is brighter and less saturated than the border, even when both are pale.
    lightness = lab[:, :, 0]
    lighter = (lightness > background[0] + 6).astype(np.uint8) * 255
    masks.append(lighter)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    return [
        cv2.morphologyEx(cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)
        for m in masks
    ]


def _line_quads(union: Pixels) -> list[Quad]:
    """Quadrilaterals made of the longest straight lines: two roughly parallel pairs that
    cross each other. Finds a page whose outline never closes into one contour."""
    height, width = union.shape
    segments = cv2.HoughLinesP(
        union,
        1,
        np.pi / 180,
        threshold=50,
        minLineLength=0.12 * min(width, height),
        maxLineGap=12,
    )
    if segments is None:
        return []
    # Merge segments on the same line: (angle, distance to the origin) within a tolerance.
    lines: list[list[float]] = []  # theta, rho, total length, x1, y1, x2, y2 (longest)
    for x1, y1, x2, y2 in sorted(
        segments.reshape(-1, 4).tolist(), key=lambda s: -math.hypot(s[2] - s[0], s[3] - s[1])
    ):
        length = math.hypot(x2 - x1, y2 - y1)
        theta = math.atan2(y2 - y1, x2 - x1) % math.pi
        rho = -x1 * math.sin(theta) + y1 * math.cos(theta)
        for line in lines:
            difference = abs(theta - line[0])
            if min(difference, math.pi - difference) < math.radians(4):
                same_rho = rho if difference < math.pi / 2 else -rho
                if abs(same_rho - line[1]) < 10:
                    line[2] += length
                    break
        else:
            lines.append([theta, rho, length, x1, y1, x2, y2])
        if len(lines) >= 14:
            break
    ends = [(np.array(line[3:5], float), np.array(line[5:7], float)) for line in lines]
    pairs = []
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            difference = abs(lines[i][0] - lines[j][0])
            if min(difference, math.pi - difference) < math.radians(30):
                pairs.append((i, j))
    ranked: list[tuple[float, Quad]] = []
    for index, (a, b) in enumerate(pairs):
        for c, d in pairs[index + 1 :]:
            if len({a, b, c, d}) < 4:
                continue
            difference = abs(lines[a][0] - lines[c][0])
            if min(difference, math.pi - difference) < math.radians(45):
                continue
            corners = [
                _line_intersection(*ends[a], *ends[c]),
                _line_intersection(*ends[c], *ends[b]),
                _line_intersection(*ends[b], *ends[d]),
                _line_intersection(*ends[d], *ends[a]),
            ]
            if any(point is None for point in corners):
                continue
            strength = lines[a][2] + lines[b][2] + lines[c][2] + lines[d][2]
            ranked.append((strength, corners_order(np.array(corners))))
    ranked.sort(key=lambda item: -item[0])
    return [quad for _strength, quad in ranked[:LINE_QUADS]]


def _candidates(small: Pixels, edges: list[Pixels], union: Pixels) -> list[Quad]:
    quads: list[Quad] = _line_quads(union)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    for edge in edges:
        closed = cv2.morphologyEx(cv2.dilate(edge, kernel), cv2.MORPH_CLOSE, kernel)
        # RETR_LIST: the page's outline is a closed ring of edges even when the table's
        # edges touch it from outside; the hole inside that ring is the page.
        for contour in _contours(closed, keep=8, mode=cv2.RETR_LIST):
            quads.extend(_quads_from_contour(contour))
    for mask in _region_masks(small):
        for contour in _contours(mask, keep=3):
            quads.extend(_quads_from_contour(contour))
    return quads


# --- Scoring ----------------------------------------------------------------------------


def _interior_angles(quad: Quad) -> list[float]:
    angles = []
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        u, v = a - b, c - b
        cosine = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
        angles.append(math.degrees(math.acos(max(-1.0, min(1.0, cosine)))))
    return angles


def _clip(quad: Quad, width: int, height: int) -> NDArray[np.float64] | None:
    """The part of the quadrilateral inside the photo (a convex polygon), or None."""
    w, h = width - 1, height - 1
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    area, polygon = cv2.intersectConvexConvex(quad.astype(np.float32), frame)
    if polygon is None or area <= 0 or len(polygon) < 3:
        return None
    return polygon.reshape(-1, 2).astype(np.float64)


def _on_border(a: NDArray[np.float64], b: NDArray[np.float64], width: int, height: int) -> bool:
    for axis, limit in ((0, 0), (1, 0), (0, width - 1), (1, height - 1)):
        if abs(a[axis] - limit) < 2 and abs(b[axis] - limit) < 2:
            return True
    return False


def _inside(points: NDArray[np.int64], width: int, height: int) -> NDArray[np.bool_]:
    return (
        (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    )


def _gradients(small: Pixels) -> Pixels:
    """Sobel derivatives of the L, a and b channels: shape (3, 2, height, width)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (3, 3), 0), cv2.COLOR_BGR2LAB)
    result = []
    for channel in cv2.split(lab):
        result.append([cv2.Sobel(channel, cv2.CV_32F, 1, 0), cv2.Sobel(channel, cv2.CV_32F, 0, 1)])
    return np.array(result, dtype=np.float32)


def _evidence(
    polygon: NDArray[np.float64],
    gradients: Pixels,
    lab: Pixels,
    width: int,
    height: int,
) -> tuple[list[tuple[float, float]], float, float]:
    """For the visible polygon: (length, support) of each side that is not the frame's
    border — the share of its points on an edge or between two different colours — the
    share of the perimeter along the border, and how uniform the strip just inside the
    sides is (a page has margins; a square of a chequered table or a text block has not)."""
    centre = polygon.mean(axis=0)
    sides: list[tuple[float, float]] = []
    border_length = 0.0
    perimeter = 0.0
    margins = []
    for i in range(len(polygon)):
        a, b = polygon[i], polygon[(i + 1) % len(polygon)]
        length = float(np.linalg.norm(b - a))
        perimeter += length
        if length < 2:
            continue
        normal = np.array([-(b - a)[1], (b - a)[0]]) / length
        if np.dot(centre - (a + b) / 2, normal) < 0:
            normal = -normal  # pointing into the page
        count = max(8, int(length / 4))
        t = np.linspace(0.08, 0.92, count)[:, None]
        points = a + t * (b - a)
        margin = np.rint(points + 7 * normal).astype(np.int64)
        margin = margin[_inside(margin, width, height)]
        margins.append(lab[margin[:, 1], margin[:, 0]])
        if _on_border(a, b, width, height):
            border_length += length
            continue
        # A point supports the side when, within two pixels across it, some channel
        # changes strongly across the side and little along it: a table's texture has
        # edges everywhere, but not along the side.
        tangent = np.array([normal[1], -normal[0]])
        at = points[None, :, :] + OFFSETS[:, None, None] * normal
        at = np.clip(np.rint(at).astype(np.int64), 0, [width - 1, height - 1]).reshape(-1, 2)
        sampled = gradients[:, :, at[:, 1], at[:, 0]]  # (channel, x/y, offset by point)
        across = np.abs(sampled[:, 0] * normal[0] + sampled[:, 1] * normal[1])
        along = np.abs(sampled[:, 0] * tangent[0] + sampled[:, 1] * tangent[1])
        strong = (across > GRADIENT_MIN[:, None]) & (across > 1.5 * along)
        supported = strong.any(axis=0).reshape(len(OFFSETS), -1).any(axis=0)
        # A page's side separates the page from something else: a ruled line or a line
        # of text inside the page has paper on both sides.
        inner = np.rint(points + 6 * normal).astype(np.int64)
        outer = np.rint(points - 6 * normal).astype(np.int64)
        both = _inside(inner, width, height) & _inside(outer, width, height)
        distinct = 1.0
        if both.sum() >= 4:
            difference = lab[inner[both, 1], inner[both, 0]] - lab[outer[both, 1], outer[both, 0]]
            distinct = float((np.linalg.norm(difference, axis=1) > 6.0).mean())
        sides.append((length, float(supported.mean()) * (0.5 + 0.5 * distinct)))
    colours = np.concatenate(margins) if margins else np.zeros((0, 3), np.float32)
    if len(colours) < 10:
        return sides, 1.0, 0.0
    # Shadows change the lightness along a margin, not its hue: hue must stay, lightness
    # only not fall to that of ink.
    median = np.median(colours, axis=0)
    hue = np.linalg.norm(colours[:, 1:] - median[1:], axis=1) < 10.0
    uniformity = float((hue & (colours[:, 0] > 0.6 * median[0])).mean())
    return sides, border_length / max(perimeter, 1e-9), uniformity


def _score(quad: Quad, gradients: Pixels, lab: Pixels, width: int, height: int) -> float:
    frame = float(width * height)
    if not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
        return 0.0
    # Corners far outside the photo are an accident of two nearly parallel sides.
    margin = 0.25 * max(width, height)
    if (quad[:, 0] < -margin).any() or (quad[:, 0] > width + margin).any():
        return 0.0
    if (quad[:, 1] < -margin).any() or (quad[:, 1] > height + margin).any():
        return 0.0
    angles = _interior_angles(quad)
    if min(angles) < 45 or max(angles) > 135:
        return 0.0
    polygon = _clip(quad, width, height)
    if polygon is None:
        return 0.0
    visible = abs(float(cv2.contourArea(polygon.astype(np.float32))))
    fill = visible / frame
    # Too small is a label or a text block; the whole frame is the photo's border.
    if fill < MIN_AREA or fill > 0.97:
        return 0.0
    sides, border_share, uniformity = _evidence(polygon, gradients, lab, width, height)
    if len(sides) < 2:
        return 0.0
    total = sum(length for length, _support in sides)
    support = sum(length * value for length, value in sides) / total
    weakest = min(value for _length, value in sides)
    squareness = 1.0 - max(abs(angle - 90.0) for angle in angles) / 90.0
    return (
        support
        * (0.4 + 0.6 * weakest)
        * (0.6 + 0.4 * squareness)
        * (0.3 + 0.7 * uniformity)
        * (1.0 - 0.5 * border_share)
        * fill**0.15
    )


# --- Refinement -------------------------------------------------------------------------


def _refine(image: Pixels, quad: Quad) -> Quad:
    """Fit each side again on a larger copy: along normals to the side, the point of
    strongest gradient within a few pixels; a robust line through those points; the new
    corners are where the lines cross. A side that finds too few points is kept."""
    large, scale = _resize(image, REFINE_SIDE)
    gray = cv2.GaussianBlur(cv2.cvtColor(large, cv2.COLOR_BGR2GRAY), (3, 3), 0).astype(np.float32)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    height, width = gray.shape
    q = quad * scale
    reach = max(4, round(6 * REFINE_SIDE / WORK_SIDE))
    lines: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        length = float(np.linalg.norm(b - a))
        direction = (b - a) / max(length, 1e-9)
        normal = np.array([-direction[1], direction[0]])
        t = np.linspace(0.1, 0.9, max(10, int(length / 8)))
        steps = np.arange(-reach, reach + 1)
        # samples[i, j]: the j-th step along the normal from the i-th point of the side
        samples = (a + t[:, None] * (b - a))[:, None, :] + steps[None, :, None] * normal
        xs = np.clip(np.rint(samples[:, :, 0]).astype(np.int64), 0, width - 1)
        ys = np.clip(np.rint(samples[:, :, 1]).astype(np.int64), 0, height - 1)
        strength = np.abs(gx[ys, xs] * normal[0] + gy[ys, xs] * normal[1])
        # Beyond the photo there is nothing to fit (a page partly out of the frame).
        inside = (
            (samples[:, :, 0] >= 2)
            & (samples[:, :, 0] <= width - 3)
            & (samples[:, :, 1] >= 2)
            & (samples[:, :, 1] <= height - 3)
        )
        strength[~inside] = 0.0
        strongest = strength.argmax(axis=1)
        rows = np.arange(len(t))
        strong = strength[rows, strongest] > 20.0
        points = samples[rows, strongest][strong]
        if len(points) >= max(6, len(t) // 3):
            fitted = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01)
            vx, vy, x0, y0 = (float(v) for v in fitted.ravel())
            lines.append((np.array([x0, y0]), np.array([x0 + vx, y0 + vy])))
        else:
            lines.append((a, b))
    corners = []
    for i in range(4):
        point = _line_intersection(*lines[i - 1], *lines[i])
        if point is None or float(np.linalg.norm(point - q[i])) > 3 * reach:
            point = q[i]
        corners.append(point)
    return np.array(corners) / scale


# --- Entry points -----------------------------------------------------------------------


def detect(image: Pixels) -> Detection:
    """The page's corners in a BGR photo; the whole frame with found=False if none."""
    height, width = image.shape[:2]
    if min(height, width) < 32:
        return _detection(_full_frame(width, height), False, 0.0, width, height)
    small, scale = _resize(image, WORK_SIDE)
    sh, sw = small.shape[:2]
    edges = _edge_maps(small)
    # Straight lines from the median-blurred maps only: text, thin and dense, is gone
    # from them, and its lines would crowd out the page's.
    smooth = np.zeros((sh, sw), dtype=np.uint8)
    for edge in edges[1::2]:
        smooth |= edge
    candidates = _candidates(small, edges, smooth)
    gradients = _gradients(small)
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2LAB).astype(np.float32)
    best, best_score = None, 0.0
    seen = set()
    for quad in candidates:
        key = tuple(np.rint(quad / 5).astype(int).ravel())
        if key in seen:
            continue
        seen.add(key)
        score = _score(quad, gradients, lab, sw, sh)
        if score > best_score:
            best, best_score = quad, score
    if best is None or best_score < MIN_SCORE:
        return _detection(_full_frame(width, height), False, best_score, width, height)
    quad = _refine(image, best / scale)
    quad[:, 0] = np.clip(quad[:, 0], 0, width - 1)
    quad[:, 1] = np.clip(quad[:, 1], 0, height - 1)
    return _detection(corners_order(quad), True, best_score, width, height)


def detect_bytes(data: bytes) -> Detection | None:
    """detect() on an encoded image; None when the bytes are not an image."""
    image = image_decode(data)
    return None if image is None else detect(image)


def baseline_detect(image: Pixels) -> Detection:
    """The classic pipeline, kept as the floor the benchmark compares against: grey,
    blur, Canny, the largest contour that simplifies to four points."""
    height, width = image.shape[:2]
    small, scale = _resize(image, 500)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    edged = cv2.Canny(gray, 75, 200)
    found, _hierarchy = cv2.findContours(edged, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    for contour in sorted(found, key=cv2.contourArea, reverse=True)[:5]:
        approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
        if len(approx) == 4:
            return _detection(corners_order(approx.reshape(4, 2) / scale), True, 1.0, width, height)
    return _detection(_full_frame(width, height), False, 0.0, width, height)
