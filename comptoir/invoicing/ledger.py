"""The accounting side of invoicing: the entries its actions post, the lettering of a
settled invoice. Called by `invoice_issue` and `payment_record` inside their transaction
(invoicing is above accounting: it calls `comptoir.accounting.actions`, never the reverse).

- An invoice (journal VE): the customer's 411 line (its auxiliary account) debited with
  the total including VAT; each revenue account credited with its lines' net (706000
  services, 707000 goods, or the product's own); each VAT rate's collected-VAT account
  credited with that rate's VAT (none under art. 293 B).
- A credit note: the same, sides reversed.
- A payment (journal BQ): the bank debited, the customer's 411 line credited.
- When an invoice is settled (nothing left due), the 411 lines of the invoice, its
  payments and its credit notes are lettered together.
"""

from __future__ import annotations

from decimal import Decimal

from comptoir.accounting.actions import EntryLineSpec, entry_lines_letter, entry_post
from comptoir.accounting.chart import Chart, chart_of
from comptoir.accounting.models import Entry, Journal
from comptoir.accounting.selectors import open_customer_lines

from .amounts import ZERO, totals
from .models import DEFAULT_REVENUE_ACCOUNT, Invoice, InvoiceLine, Payment, ProductKind

SOURCE_INVOICE = "invoicing.invoice"
SOURCE_PAYMENT = "invoicing.payment"


def _side(
    account: str,
    amount: Decimal,
    *,
    credit: bool,
    customer: tuple[str, str] = ("", ""),
) -> EntryLineSpec:
    """A line on its side; a negative amount (a discount line) goes on the other."""
    if amount < 0:
        amount, credit = -amount, not credit
    auxiliary, auxiliary_label = customer
    return EntryLineSpec(
        account=account,
        debit=ZERO if credit else amount,
        credit=amount if credit else ZERO,
        auxiliary=auxiliary,
        auxiliary_label=auxiliary_label,
    )


def _customer(invoice: Invoice) -> tuple[str, str]:
    """The customer's auxiliary account and name, as the invoice was issued to them."""
    buyer = invoice.buyer or {}
    return (
        buyer.get("auxiliary_account") or invoice.customer.auxiliary_account,
        buyer.get("name") or invoice.customer.name,
    )


def _revenue_account(line: InvoiceLine, chart: Chart) -> str:
    """The line's revenue account: a product's own account as it is; the PCG default of
    its kind (706000, 707000) as the dossier's chart maps it."""
    kind = ProductKind(line.kind) if line.kind in ProductKind.values else ProductKind.SERVICE
    by_chart = chart.revenue_goods if kind == ProductKind.GOODS else chart.revenue_services
    if not line.revenue_account or line.revenue_account == DEFAULT_REVENUE_ACCOUNT[kind]:
        return by_chart
    return line.revenue_account


def invoice_entry_post(invoice: Invoice) -> Entry | None:
    """The sales-journal entry of an invoice or credit note just issued (none for an
    invoice whose every amount is zero: there is nothing to account)."""
    chart = chart_of(invoice.dossier)
    lines = list(invoice.lines.all())
    is_credit = invoice.is_credit_note
    revenue: dict[str, Decimal] = {}
    for line in lines:
        account = _revenue_account(line, chart)
        revenue[account] = revenue.get(account, ZERO) + line.net_amount
    specs = [
        _side(chart.customers, invoice.total_gross, credit=is_credit, customer=_customer(invoice))
    ]
    specs += [
        _side(account, amount, credit=not is_credit)
        for account, amount in sorted(revenue.items())
        if amount != 0
    ]
    for rate in totals(lines, vat_exempt=invoice.vat_exempt).rates:
        if rate.vat != 0:
            specs.append(_side(chart.vat_account(rate.rate), rate.vat, credit=not is_credit))
    specs = [spec for spec in specs if spec.debit or spec.credit]
    if not specs:
        return None
    name = _customer(invoice)[1]
    kind = "Avoir" if is_credit else "Facture"
    assert invoice.issue_date is not None
    return entry_post(
        dossier=invoice.dossier,
        journal=Journal.SALES,
        on=invoice.issue_date,
        piece_ref=invoice.number,
        piece_date=invoice.issue_date,
        label=f"{kind} {invoice.number} {name}",
        lines=specs,
        source=SOURCE_INVOICE,
        source_id=invoice.pk,
    )


def payment_entry_post(payment: Payment) -> Entry:
    """The bank-journal entry of a payment received."""
    invoice = payment.invoice
    chart = chart_of(invoice.dossier)
    auxiliary, name = _customer(invoice)
    return entry_post(
        dossier=invoice.dossier,
        journal=Journal.BANK,
        on=payment.date,
        piece_ref=invoice.number,
        piece_date=payment.date,
        label=f"Règlement {invoice.number} {name}",
        lines=[
            EntryLineSpec(account=chart.bank, debit=payment.amount),
            EntryLineSpec(
                account=chart.customers,
                credit=payment.amount,
                auxiliary=auxiliary,
                auxiliary_label=name,
            ),
        ],
        source=SOURCE_PAYMENT,
        source_id=payment.pk,
    )


def invoice_letter_if_settled(invoice: Invoice) -> str:
    """Letter the 411 lines of a settled invoice, its payments and credit notes; the code
    given, or "" while something is still due (or nothing is left to letter)."""
    if invoice.is_credit_note or invoice.balance_due != 0:
        return ""
    sources = [(SOURCE_INVOICE, invoice.pk)]
    sources += [(SOURCE_PAYMENT, pk) for pk in invoice.payments.values_list("pk", flat=True)]
    sources += [(SOURCE_INVOICE, pk) for pk in invoice.credit_notes.values_list("pk", flat=True)]
    lines = open_customer_lines(dossier=invoice.dossier, sources=sources)
    if len(lines) < 2 or sum(x.debit for x in lines) != sum(x.credit for x in lines):
        return ""
    on = max(line.entry.date for line in lines)
    return entry_lines_letter(dossier=invoice.dossier, lines=lines, on=on)
