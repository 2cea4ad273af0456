"""Speed of the scanner on the server, on 12-megapixel photos.

    uv run python bench/scanner/speed.py [--photos 10] [--ocr]

1. generates `--photos` phone-like photos of 4000 x 3000 pixels (JPEG quality 92, as a
   phone writes them; bench/scanner/generate.py) with their true corners;
2. detection as the scanner page asks for it: the browser sends a copy reduced to 1000
   pixels a side, the server answers its corners (`scan_detect.detect_bytes`);
3. the save: every photo decoded, straightened, enhanced (auto contrast, the default) and
   encoded, then one PDF (`scan_pdf.page_render` + `pdf_assemble`) — the work of the
   save request apart from writing the files — timed as a whole, with the size per page;
4. with `--ocr`, the text layer on that PDF (OCRmyPDF + Tesseract, French), what the
   worker does afterwards.

Prints a Markdown section (bench/results/scanner.md takes it with score.py's tables).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "scanner"))

import generate  # noqa: E402

from comptoir.capture import scan_detect, scan_pdf  # noqa: E402


def reduced_copy(photo: bytes, side: int = 1000) -> bytes:
    image = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    scale = side / max(image.shape[:2])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return bytes(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--ocr", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    # One thread, as in a gunicorn worker sharing the machine: the times do not depend on
    # how many cores OpenCV finds idle.
    cv2.setNumThreads(1)
    rng = np.random.default_rng(arguments.seed)
    photos = []
    for index in range(arguments.photos):
        kind = ("ordinary", "shadow", "dark", "clutter")[index % 4]
        data, corners = generate.sample(rng, kind, side=4000, quality=92)
        photos.append((data, [(float(x), float(y)) for x, y in corners]))

    detect_times, detect_cpu = [], []
    for data, _corners in photos:
        copy = reduced_copy(data)
        started, cpu = time.perf_counter(), time.process_time()
        scan_detect.detect_bytes(copy)
        detect_times.append(time.perf_counter() - started)
        detect_cpu.append(time.process_time() - cpu)

    started, cpu = time.perf_counter(), time.process_time()
    pages = [scan_pdf.page_render(data, scan_pdf.PageSpec(corners)) for data, corners in photos]
    pdf = scan_pdf.pdf_assemble(pages)
    save_seconds = time.perf_counter() - started
    save_cpu = time.process_time() - cpu
    bw_started = time.perf_counter()
    bw_pages = [
        scan_pdf.page_render(data, scan_pdf.PageSpec(corners, enhancement="bw"))
        for data, corners in photos
    ]
    scan_pdf.pdf_assemble(bw_pages)
    bw_seconds = time.perf_counter() - bw_started
    colour_pages = [
        scan_pdf.page_render(data, scan_pdf.PageSpec(corners, enhancement="colour"))
        for data, corners in photos
    ]

    sizes = [len(page) for page in pages]
    photo_sizes = [len(data) for data, _corners in photos]
    lines = [
        f"### Speed: {len(photos)} photos of 12 MP (4000 x 3000) to one PDF\n",
        f"Machine: {os.cpu_count()} cores, load average at start "
        f"{os.getloadavg()[0]:.2f} (shared with other work).\n",
        "| step | result |",
        "|---|---|",
        f"| photos (JPEG q92) | {statistics.mean(photo_sizes) / 1e6:.1f} MB each |",
        f"| detection on the 1000-px copy (what the page asks) | median "
        f"{1000 * statistics.median(detect_times):.0f} ms, max {1000 * max(detect_times):.0f} ms "
        f"(CPU time median {1000 * statistics.median(detect_cpu):.0f} ms) |",
        f"| save: {len(photos)} photos decoded, straightened, auto contrast, encoded, one PDF "
        f"| **{save_seconds:.2f} s** (CPU time {save_cpu:.2f} s) |",
        f"| the same in black and white | {bw_seconds:.2f} s |",
        f"| page size, auto contrast (grey JPEG) | mean {statistics.mean(sizes) / 1024:.0f} KB, "
        f"max {max(sizes) / 1024:.0f} KB |",
        f"| page size, black and white (1-bit PNG) | mean "
        f"{statistics.mean(len(p) for p in bw_pages) / 1024:.0f} KB, "
        f"max {max(len(p) for p in bw_pages) / 1024:.0f} KB |",
        f"| page size, colour (JPEG) | mean "
        f"{statistics.mean(len(p) for p in colour_pages) / 1024:.0f} KB, "
        f"max {max(len(p) for p in colour_pages) / 1024:.0f} KB |",
        f"| PDF (auto contrast) | {len(pdf) / 1024:.0f} KB, A4 pages at 150 dpi |",
    ]
    if arguments.ocr:
        from comptoir.capture.scan_ocr import pdf_ocr

        with tempfile.TemporaryDirectory() as directory:
            source, target = Path(directory, "scan.pdf"), Path(directory, "ocr.pdf")
            source.write_bytes(pdf)
            started = time.perf_counter()
            pdf_ocr(source, target)
            ocr_seconds = time.perf_counter() - started
            lines.append(
                f"| OCR of that PDF (worker, OCRmyPDF + Tesseract fra+eng) "
                f"| {ocr_seconds:.1f} s ({ocr_seconds / len(photos):.1f} s a page), "
                f"{target.stat().st_size / 1024:.0f} KB |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
