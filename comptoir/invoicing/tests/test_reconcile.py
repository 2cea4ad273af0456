"""Random invoices: the database's, the PDF's and the Factur-X XML's figures are the same
and reconcile (hypothesis)."""

import re
from decimal import Decimal as D

import pypdfium2
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ..facturx_xml import NS
from ..models import Invoice, VatRate
from ..pdf import invoice_pdf
from .conftest import line, make_customer, make_invoice, seller_setup
from .validation import schematron_errors

lines = st.lists(
    st.builds(
        lambda quantity, price, rate, discount_share: line(
            "Ligne",
            str(quantity),
            str(price),
            rate,
            str((quantity * price * discount_share).quantize(D("0.01"), rounding="ROUND_DOWN")),
        ),
        quantity=st.decimals(min_value=D("0.001"), max_value=D("9999"), places=3),
        price=st.decimals(min_value=D("0.00"), max_value=D("99999.99"), places=2),
        rate=st.sampled_from(VatRate.values),
        discount_share=st.sampled_from([D("0"), D("0"), D("0.1"), D("0.333")]),
    ),
    min_size=1,
    max_size=8,
)


def _number(text: str) -> D:
    return D(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))


AMOUNT = r"(-?[\d\u202f\xa0 ]*\d,\d\d)"


def pdf_figures(pdf: bytes) -> dict:
    document = pypdfium2.PdfDocument(pdf)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    figures: dict = {
        name: _number(re.search(rf"{label}\s*{AMOUNT}\s*€", text).group(1))  # type: ignore[union-attr]
        for name, label in [("net", "Total HT"), ("vat", "Total TVA"), ("gross", "Total TTC")]
    }
    rates = re.findall(rf"^(\d+(?:,\d+)?) %\s+{AMOUNT}\s+{AMOUNT}\s*$", text, re.MULTILINE)
    figures["rates"] = {_number(r): (_number(b), _number(v)) for r, b, v in rates}
    return figures


def xml_figures(xml: bytes) -> dict:
    root = etree.fromstring(xml)

    def one(path):
        return D(root.findtext(path, namespaces=NS))

    summary = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    taxes = root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    return {
        "net": one(summary + "ram:TaxBasisTotalAmount"),
        "vat": one(summary + "ram:TaxTotalAmount"),
        "gross": one(summary + "ram:GrandTotalAmount"),
        "line_sum": sum(
            (
                D(e.text)
                for e in root.iterfind(".//ram:LineTotalAmount", NS)
                if e.getparent().tag.endswith("LineMonetarySummation")
            ),
            D("0"),
        ),
        "rates": {
            D(t.findtext("ram:RateApplicablePercent", namespaces=NS)): (
                D(t.findtext("ram:BasisAmount", namespaces=NS)),
                D(t.findtext("ram:CalculatedAmount", namespaces=NS)),
            )
            for t in taxes
        },
    }


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=lines, exempt=st.booleans())
def test_database_pdf_and_xml_agree_and_reconcile(office, specs, exempt):
    from comptoir.invoicing.facturx_xml import invoice_xml

    with transaction.atomic():
        seller_setup(office, vat_exempt=exempt, vat_number="" if exempt else "FR44732829320")
        invoice = make_invoice(office, customer=make_customer(office), lines=specs, issue=True)
        invoice = Invoice.objects.get(pk=invoice.pk)
        xml = invoice_xml(invoice)
        pdf, xmlf = pdf_figures(invoice_pdf(invoice)), xml_figures(xml)
        db_rates = {D(r["rate"]): (D(r["base"]), D(r["vat"])) for r in invoice.vat_breakdown}
        for source in (pdf, xmlf):
            assert (source["net"], source["vat"], source["gross"]) == (
                invoice.total_net,
                invoice.total_vat,
                invoice.total_gross,
            )
            assert source["rates"] == db_rates
        assert xmlf["line_sum"] == invoice.total_net == sum(b for b, _ in db_rates.values())
        assert invoice.total_vat == sum(v for _, v in db_rates.values())
        assert invoice.total_gross == invoice.total_net + invoice.total_vat
        assert schematron_errors(xml) == []
        transaction.set_rollback(True)
