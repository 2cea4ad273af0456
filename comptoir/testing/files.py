"""Real files for tests: a PDF with French text (WeasyPrint), a PNG (Pillow)."""

from __future__ import annotations

import functools
import io

from PIL import Image


@functools.cache
def pdf_bytes(text: str = "Relevé bancaire de janvier") -> bytes:
    from weasyprint import HTML

    html = f"<html lang='fr'><body><h1>{text}</h1><p>{text}</p></body></html>"
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def png_bytes(width: int = 40, height: int = 30, colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()
