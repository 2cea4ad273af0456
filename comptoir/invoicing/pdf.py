"""The invoice's PDF: WeasyPrint's PDF/A-3b with the Factur-X XML attached.

WeasyPrint writes the PDF/A-3b itself (`pdf_variant="pdf/a-3b"`): every font embedded
(subsets of the DejaVu fonts the page names), an sRGB OutputIntent, PDF/A metadata and
tagged structure. The `factur-x` library then attaches the XML as `factur-x.xml`
(AFRelationship "Data", the file listed in the catalog's /AF) and rewrites the XMP with
the Factur-X extension schema; it clones the whole document, so fonts and OutputIntent
stay. The XML is checked against the Factur-X XSD on the way (`check_xsd=True`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
from django.template.loader import render_to_string
from django.utils import translation

from .amounts import RateTotal
from .facturx_xml import EXEMPTION_REASON, invoice_xml, notes_of
from .models import Invoice, InvoiceKind, OperationCategory, Unit

STYLESHEET = Path(__file__).parent / "pdf" / "invoice.css"


def _french_amount(value: Decimal) -> str:
    """1234.5 → "1 234,50" (a narrow no-break space between thousands)."""
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + "\u202f".join(groups) + "," + cents


def pdf_context(invoice: Invoice) -> dict[str, Any]:
    rates = [RateTotal.from_json(r) for r in invoice.vat_breakdown]
    units = dict(Unit.choices)
    lines = [
        {
            "designation": line.designation,
            "quantity": f"{line.quantity.normalize():f}".replace(".", ","),
            "unit": units.get(line.unit, line.unit),
            "unit_price": _french_amount(line.unit_price),
            "discount": _french_amount(line.discount) if line.discount else "",
            "vat_rate": f"{Decimal(line.vat_rate):.2f}".rstrip("0").rstrip(".").replace(".", ","),
            "net": _french_amount(line.net_amount),
        }
        for line in invoice.lines.all()
    ]
    return {
        "invoice": invoice,
        "title": pdf_context_title(invoice),
        "seller": invoice.seller,
        "share_capital": _french_amount(Decimal(invoice.seller["share_capital"]))
        if invoice.seller.get("share_capital")
        else "",
        "buyer": invoice.buyer,
        "lines": lines,
        "rates": [
            {
                "rate": f"{r.rate:.2f}".rstrip("0").rstrip(".").replace(".", ","),
                "base": _french_amount(r.base),
                "vat": _french_amount(r.vat),
            }
            for r in rates
        ],
        "total_net": _french_amount(invoice.total_net),
        "total_vat": _french_amount(invoice.total_vat),
        "total_gross": _french_amount(invoice.total_gross),
        "category": OperationCategory(invoice.category).label if invoice.category else "",
        "notes": [
            text for code, text in notes_of(invoice) if code == "" and text != EXEMPTION_REASON
        ],
        "legal_notes": [text for code, text in notes_of(invoice) if code],
        "exemption": EXEMPTION_REASON if invoice.vat_exempt else "",
        "credited": invoice.credited_invoice,
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    """The Factur-X PDF/A-3 of an issued invoice or credit note."""
    from weasyprint import CSS, HTML

    with translation.override("fr"):
        html = render_to_string("invoicing/pdf/invoice.html", pdf_context(invoice))
    pdf = HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf(
        stylesheets=[CSS(filename=str(STYLESHEET))],
        pdf_variant="pdf/a-3b",
        uncompressed_pdf=False,
    )
    return facturx.generate_from_binary(
        pdf,
        invoice_xml(invoice),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": invoice.seller.get("name", ""),
            "keywords": "Factur-X",
            "title": f"{pdf_context_title(invoice)} {invoice.number}",
            "subject": f"{pdf_context_title(invoice)} {invoice.number}",
        },
        lang="fr-FR",
    )


def pdf_context_title(invoice: Invoice) -> str:
    return "Avoir" if invoice.kind == InvoiceKind.CREDIT_NOTE else "Facture"


def pdf_filename(invoice: Invoice) -> str:
    return f"{pdf_context_title(invoice)}-{invoice.number}.pdf".replace("/", "-")
