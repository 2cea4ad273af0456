"""The Factur-X (EN 16931 profile) CII XML of an issued invoice or credit note.

Written from the stored figures (`amounts.py` computed them once): line nets, one VAT
breakdown per rate, totals. What the French e-invoicing rules add (XP Z12-012, BR-FR-*):
SIRENs with scheme 0002, electronic addresses (scheme 0225: the SIREN; EM: an email),
the PMD / PMT / AAB notes (late penalties, recovery indemnity, discount terms), the
billing mode (BT-23: B1 goods, S1 services, M1 both), the due date always present.
Tests validate it against the Factur-X XSD and the EN 16931 and BR-FR Schematrons that
the `factur-x` package ships.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from .amounts import CENT
from .models import Invoice, InvoiceKind, OperationCategory

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
PROFILE = "urn:cen.eu:en16931:2017"
EXEMPTION_REASON = "TVA non applicable, art. 293 B du CGI"
EXEMPTION_CODE = "VATEX-FR-FRANCHISE"
BILLING_MODE = {
    OperationCategory.GOODS: "B1",
    OperationCategory.SERVICES: "S1",
    OperationCategory.MIXED: "M1",
}


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, _q(tag), **attributes)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(parent: Any, tag: str, day: datetime.date, *, qualified: bool = False) -> None:
    holder = _sub(parent, tag)
    _sub(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        day.strftime("%Y%m%d"),
        format="102",
    )


def _category(rate: Decimal, *, exempt: bool) -> str:
    if exempt:
        return "E"
    return "Z" if rate == 0 else "S"


def notes_of(invoice: Invoice) -> list[tuple[str, str]]:
    """The legal notes (subject code, text), as printed on the PDF too."""
    seller = invoice.seller
    notes: list[tuple[str, str]] = []
    if invoice.notes:
        notes.append(("", invoice.notes))
    if invoice.vat_exempt:
        notes.append(("", EXEMPTION_REASON))
    if invoice.vat_on_debits:
        notes.append(("", "TVA acquittée sur les débits"))
    rate = Decimal(seller.get("late_penalty_rate") or "0")
    notes.append(
        (
            "PMD",
            f"Pénalités de retard : taux annuel de {str(rate.quantize(CENT)).replace('.', ',')} % "
            "(art. L441-10 du Code de commerce), exigibles dès le lendemain de l'échéance.",
        )
    )
    if invoice.buyer.get("kind") == "company":
        notes.append(
            (
                "PMT",
                "Indemnité forfaitaire pour frais de recouvrement due en cas de retard : 40 € "
                "(art. L441-10 et D441-5 du Code de commerce).",
            )
        )
    else:
        notes.append(("PMT", "Indemnité forfaitaire pour frais de recouvrement : sans objet."))
    notes.append(("AAB", seller.get("discount_terms") or "Pas d'escompte pour paiement anticipé."))
    return notes


def _party(parent: Any, tag: str, party: dict[str, Any], *, seller: bool) -> None:
    node = _sub(parent, tag)
    _sub(node, "ram:Name", party["name"])
    if seller and party.get("legal_form"):
        _sub(node, "ram:Description", _seller_description(party))
    if party.get("siren"):
        legal = _sub(node, "ram:SpecifiedLegalOrganization")
        _sub(legal, "ram:ID", party["siren"], schemeID="0002")
    address = _sub(node, "ram:PostalTradeAddress")
    if party.get("postal_code"):
        _sub(address, "ram:PostcodeCode", party["postal_code"])
    if party.get("address"):
        _sub(address, "ram:LineOne", party["address"])
    if party.get("city"):
        _sub(address, "ram:CityName", party["city"])
    _sub(address, "ram:CountryID", party.get("country") or "FR")
    if party.get("siren"):
        uri = _sub(node, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", party["siren"], schemeID="0225")
    elif party.get("email"):
        uri = _sub(node, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", party["email"], schemeID="EM")
    if party.get("vat_number"):
        tax = _sub(node, "ram:SpecifiedTaxRegistration")
        _sub(tax, "ram:ID", party["vat_number"], schemeID="VA")
    elif seller and party.get("siren"):
        # A seller under the franchise has no VAT number: its tax registration (BT-32).
        tax = _sub(node, "ram:SpecifiedTaxRegistration")
        _sub(tax, "ram:ID", party["siren"], schemeID="FC")


def _seller_description(party: dict[str, Any]) -> str:
    parts = [party["legal_form"]]
    if party.get("share_capital"):
        parts.append(f"au capital de {party['share_capital']} €")
    if party.get("rcs"):
        parts.append(f"{party['rcs']} {party['siren']}")
    return ", ".join(parts)


def invoice_xml(invoice: Invoice) -> bytes:
    """The CII XML of an issued invoice (its stored figures, never recomputed)."""
    assert invoice.issue_date is not None
    assert invoice.due_date is not None
    root = etree.Element(_q("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    process = _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    _sub(process, "ram:ID", BILLING_MODE.get(OperationCategory(invoice.category or "mixed")))
    guideline = _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _sub(guideline, "ram:ID", PROFILE)

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", invoice.number)
    _sub(document, "ram:TypeCode", "381" if invoice.kind == InvoiceKind.CREDIT_NOTE else "380")
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    for code, text in notes_of(invoice):
        note = _sub(document, "ram:IncludedNote")
        _sub(note, "ram:Content", text)
        if code:
            _sub(note, "ram:SubjectCode", code)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(invoice.lines.all(), start=1):
        item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
        _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.designation)
        agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
        price = _sub(agreement, "ram:NetPriceProductTradePrice")
        _sub(price, "ram:ChargeAmount", _amount(line.unit_price))
        delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
        _sub(delivery, "ram:BilledQuantity", f"{line.quantity:.3f}", unitCode=line.unit)
        settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
        rate = Decimal(line.vat_rate)
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:CategoryCode", _category(rate, exempt=invoice.vat_exempt))
        _sub(tax, "ram:RateApplicablePercent", _amount(rate))
        if line.discount:
            allowance = _sub(settlement, "ram:SpecifiedTradeAllowanceCharge")
            _sub(_sub(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
            _sub(allowance, "ram:ActualAmount", _amount(line.discount))
            _sub(allowance, "ram:Reason", "Remise")
        summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _sub(summation, "ram:LineTotalAmount", _amount(line.net_amount))

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", invoice.seller, seller=True)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer, seller=False)

    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.delivery_address:
        ship = _sub(delivery, "ram:ShipToTradeParty")
        _sub(ship, "ram:Name", invoice.buyer["name"])
        address = _sub(ship, "ram:PostalTradeAddress")
        _sub(address, "ram:LineOne", invoice.delivery_address.replace("\n", ", ")[:300])
        _sub(address, "ram:CountryID", invoice.buyer.get("country") or "FR")
    if invoice.sale_date:
        event = _sub(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", invoice.sale_date)

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:InvoiceCurrencyCode", "EUR")
    if invoice.seller.get("iban"):
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", "58")
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:IBANID", invoice.seller["iban"].replace(" ", ""))
    for breakdown in invoice.vat_breakdown:
        rate = Decimal(breakdown["rate"])
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(Decimal(breakdown["vat"])))
        _sub(tax, "ram:TypeCode", "VAT")
        if invoice.vat_exempt:
            _sub(tax, "ram:ExemptionReason", EXEMPTION_REASON)
        _sub(tax, "ram:BasisAmount", _amount(Decimal(breakdown["base"])))
        category = _category(rate, exempt=invoice.vat_exempt)
        _sub(tax, "ram:CategoryCode", category)
        if invoice.vat_exempt:
            _sub(tax, "ram:ExemptionReasonCode", EXEMPTION_CODE)
        if invoice.vat_on_debits and category == "S":
            _sub(tax, "ram:DueDateTypeCode", "5")
        _sub(tax, "ram:RateApplicablePercent", _amount(rate))
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    _sub(terms, "ram:Description", f"Échéance : {invoice.due_date:%d/%m/%Y}")
    _date(terms, "ram:DueDateDateTime", invoice.due_date)
    money = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(money, "ram:LineTotalAmount", _amount(invoice.total_net))
    _sub(money, "ram:TaxBasisTotalAmount", _amount(invoice.total_net))
    _sub(money, "ram:TaxTotalAmount", _amount(invoice.total_vat), currencyID="EUR")
    _sub(money, "ram:GrandTotalAmount", _amount(invoice.total_gross))
    _sub(money, "ram:DuePayableAmount", _amount(invoice.total_gross))
    credited = invoice.credited_invoice
    if credited is not None and credited.issue_date is not None:
        reference = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(reference, "ram:IssuerAssignedID", credited.number)
        _date(reference, "ram:FormattedIssueDateTime", credited.issue_date, qualified=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
