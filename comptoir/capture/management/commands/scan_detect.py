"""`comptoir scan-detect IMAGE…`: the page's corners in each photo, one JSON line each.

    {"file": "photo.jpg", "corners": [[x, y] TL, TR, BR, BL], "found": true}

The same detector as the scanner page (`capture.scan_detect.detect`), on the full photo,
so that any corpus can be scored. `found` is false when nothing convincing was seen: the
corners are then the whole frame. A file that is not an image gets `"corners": null` and
an `"error"`, and the command exits 1 after the others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from comptoir.capture.scan_detect import detect_bytes


class Command(BaseCommand):
    help = "Print the detected page corners of each image as one JSON object per line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("images", nargs="+", metavar="IMAGE")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for name in options["images"]:
            path = Path(name)
            try:
                detection = detect_bytes(path.read_bytes())
            except OSError as error:
                detection, reason = None, error.strerror or str(error)
            else:
                reason = "not an image"
            if detection is None:
                failed = True
                line: dict[str, object] = {
                    "file": name,
                    "corners": None,
                    "found": False,
                    "error": reason,
                }
            else:
                line = {"file": name, **detection.as_json()}
            self.stdout.write(json.dumps(line))
        if failed:
            sys.exit(1)
