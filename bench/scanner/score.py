"""Score page detectors on a corpus with known corners (bench/scanner/generate.py's, or any
directory with a truth.json of the same shape).

    uv run python bench/scanner/score.py DIR [DIR…] [--markdown bench/results/scanner.md]

For each photo and each detector (Comptoir's `scan_detect.detect` and the classic Canny +
largest 4-point contour baseline): the mean distance between true and detected corners,
in % of the photo's diagonal, and the IoU of the two quadrilaterals, both clipped to the
frame (what is out of the photo cannot be seen, so it is not asked for). A photo counts as
a success at IoU ≥ 0.9.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from shapely.geometry import Polygon, box

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from comptoir.capture import scan_detect

DETECTORS = {"comptoir": scan_detect.detect, "baseline": scan_detect.baseline_detect}


def iou(
    truth: list[list[float]], found: list[tuple[float, float]], width: int, height: int
) -> float:
    frame = box(0, 0, width, height)
    a = Polygon(truth).buffer(0).intersection(frame)
    b = Polygon(found).buffer(0).intersection(frame)
    union = a.union(b).area
    return float(a.intersection(b).area / union) if union > 0 else 0.0


def corner_error(
    truth: list[list[float]], found: list[tuple[float, float]], width: int, height: int
) -> float:
    diagonal = math.hypot(width, height)
    clipped = [(min(max(x, 0), width - 1), min(max(y, 0), height - 1)) for x, y in truth]
    distances = [math.dist(t, f) for t, f in zip(clipped, found, strict=True)]
    return 100.0 * sum(distances) / 4 / diagonal


def score_directory(directory: Path) -> dict[str, list[dict[str, object]]]:
    truth = json.loads((directory / "truth.json").read_text())
    rows: dict[str, list[dict[str, object]]] = defaultdict(list)
    for name, expected in truth.items():
        image = cv2.imread(str(directory / name), cv2.IMREAD_COLOR)
        height, width = image.shape[:2]
        for detector, function in DETECTORS.items():
            started = time.perf_counter()
            detection = function(image)
            elapsed = time.perf_counter() - started
            rows[detector].append(
                {
                    "file": name,
                    "kind": expected["kind"],
                    "iou": iou(expected["corners"], detection.corners, width, height),
                    "error": corner_error(expected["corners"], detection.corners, width, height),
                    "found": detection.found,
                    "seconds": elapsed,
                }
            )
    return rows


def summary(rows: list[dict[str, object]]) -> dict[str, float]:
    ious = np.array([r["iou"] for r in rows], dtype=float)
    errors = np.array([r["error"] for r in rows], dtype=float)
    seconds = np.array([r["seconds"] for r in rows], dtype=float)
    return {
        "n": len(rows),
        "success": 100.0 * float((ious >= 0.9).mean()),
        "mean_iou": float(ious.mean()),
        "mean_error": float(errors.mean()),
        "median_error": float(np.median(errors)),
        "found": 100.0 * float(np.mean([bool(r["found"]) for r in rows])),
        "ms": 1000.0 * float(seconds.mean()),
    }


def report(results: dict[str, dict[str, list[dict[str, object]]]]) -> str:
    lines = []
    for label, rows in results.items():
        lines.append(f"### {label}\n")
        lines.append(
            "| detector | photos | IoU ≥ 0.9 | mean IoU | mean corner error (% diag.) "
            "| median error | found | ms / photo |"
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        for detector, detector_rows in rows.items():
            s = summary(detector_rows)
            lines.append(
                f"| {detector} | {s['n']} | {s['success']:.1f} % | {s['mean_iou']:.3f} "
                f"| {s['mean_error']:.2f} | {s['median_error']:.2f} | {s['found']:.0f} % "
                f"| {s['ms']:.0f} |"
            )
        lines.append("\nBy kind of photo (share with IoU ≥ 0.9, comptoir / baseline):\n")
        lines.append("| kind | photos | comptoir | baseline |")
        lines.append("|---|---|---|---|")
        kinds = sorted({str(r["kind"]) for r in rows["comptoir"]})
        for kind in kinds:
            ours = [r for r in rows["comptoir"] if r["kind"] == kind]
            theirs = [r for r in rows["baseline"] if r["kind"] == kind]
            lines.append(
                f"| {kind} | {len(ours)} | {summary(ours)['success']:.0f} % "
                f"| {summary(theirs)['success']:.0f} % |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directories", type=Path, nargs="+")
    parser.add_argument("--failures", action="store_true", help="list photos under IoU 0.9")
    arguments = parser.parse_args()
    results = {}
    for directory in arguments.directories:
        rows = score_directory(directory)
        results[str(directory)] = rows
        if arguments.failures:
            for row in rows["comptoir"]:
                if float(row["iou"]) < 0.9:  # type: ignore[arg-type]
                    print(f"  {row['file']}: IoU {row['iou']:.3f} found={row['found']}")
    print(report(results))


if __name__ == "__main__":
    main()
