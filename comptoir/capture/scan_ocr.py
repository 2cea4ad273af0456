"""The text layer of a scanned PDF: Tesseract (French, then English) through OCRmyPDF."""

from __future__ import annotations

from pathlib import Path

OCR_LANGUAGES = "fra+eng"


def pdf_ocr(source: Path, target: Path) -> None:
    """A copy of `source` with an invisible text layer; the page images are kept as they
    are (no optimisation, no PDF/A conversion: Ghostscript is not needed)."""
    import ocrmypdf

    ocrmypdf.ocr(
        source,
        target,
        language=OCR_LANGUAGES,
        output_type="pdf",
        optimize=0,
        progress_bar=False,
        skip_text=True,
    )
