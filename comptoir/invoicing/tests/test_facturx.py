"""The Factur-X XML passes the XSD, the EN 16931 Schematron and the BR-FR rules; the
PDF is a PDF/A-3 carrying it, with its fonts embedded and an OutputIntent."""

import datetime
import io

import pypdf
import pytest
from facturx import get_facturx_xml_from_pdf

from ..actions_invoices import credit_note_create, invoice_issue
from ..facturx_xml import invoice_xml
from ..pdf import invoice_pdf
from .conftest import line, make_customer, make_invoice, seller_setup
from .test_invoices import act
from .validation import schematron_errors, xsd_errors


def assert_valid(invoice):
    xml = invoice_xml(invoice)
    assert xsd_errors(xml) == []
    assert schematron_errors(xml) == []
    return xml


ALL_RATES = [
    line("A", "1", "100.00", "20.00"),
    line("B", "2.5", "19.99", "10.00", "1.00", kind="goods"),
    line("C", "3", "0.35", "8.50"),
    line("D", "1.125", "12.00", "5.50", kind="goods"),
    line("E", "7", "3.33", "2.10"),
    line("F", "1", "50.00", "0.00"),
]


def test_an_invoice_at_every_rate_validates(office, seller):
    invoice = make_invoice(office, issue=True, lines=ALL_RATES, delivery_address="Quai 4, Lyon")
    assert len(invoice.vat_breakdown) == 6
    assert_valid(invoice)


def test_a_credit_note_validates_and_names_its_invoice(office, seller):
    invoice = make_invoice(office, issue=True)
    credit = invoice_issue(
        **act(office), invoice=credit_note_create(**act(office), invoice=invoice)
    )
    xml = assert_valid(credit)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert invoice.number.encode() in xml


def test_the_exemption_regime_validates(office):
    seller_setup(office, vat_exempt=True, vat_number="")
    xml = assert_valid(make_invoice(office, issue=True))
    assert b"VATEX-FR-FRANCHISE" in xml
    assert b"293 B" in xml


def test_vat_on_debits_and_a_private_customer_validate(office):
    seller_setup(office, vat_on_debits=True)
    person = make_customer(office, "Jeanne Martin", kind="person", siren="", email="j@m.test")
    xml = assert_valid(make_invoice(office, customer=person, issue=True))
    assert b"<ram:DueDateTypeCode>5</ram:DueDateTypeCode>" in xml


def test_a_wrong_total_is_caught_by_the_schematron(office, seller):
    xml = invoice_xml(make_invoice(office, issue=True))
    broken = xml.replace(b"<ram:GrandTotalAmount>192.00", b"<ram:GrandTotalAmount>192.01")
    assert any("BR-CO-15" in error for error in schematron_errors(broken))


def test_the_pdf_is_a_pdf_a_3_with_the_xml_fonts_and_output_intent(office, seller):
    invoice = make_invoice(office, issue=True, lines=ALL_RATES)
    pdf = invoice_pdf(invoice)
    _name, xml = get_facturx_xml_from_pdf(pdf)
    assert xml == invoice_xml(invoice)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/OutputIntents" in root
    assert "/AF" in root
    metadata = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()
            if "/DescendantFonts" in descriptor:
                descriptor = descriptor["/DescendantFonts"][0].get_object()
            fonts.append(descriptor["/FontDescriptor"].get_object())
    assert fonts
    assert all(any(key in f for key in ("/FontFile", "/FontFile2", "/FontFile3")) for f in fonts)


@pytest.mark.parametrize("days", [0, 45])
def test_the_due_date_is_always_there(office, seller, days):
    customer = make_customer(office, payment_terms_days=days)
    invoice = make_invoice(office, customer=customer)
    invoice_issue(**act(office), invoice=invoice, issue_date=datetime.date.today())
    invoice.refresh_from_db()
    assert invoice.due_date.strftime("%Y%m%d").encode() in assert_valid(invoice)
