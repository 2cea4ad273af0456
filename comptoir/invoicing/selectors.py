"""Reads of the invoicing app: the keyset-paginated lists and the dossier's totals."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from comptoir.dossiers.models import Dossier

from .models import (
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentState,
    Quote,
)

PAGE_SIZE = 50
CENT = Decimal("0.01")


@dataclass(frozen=True)
class InvoiceFilters:
    state: str = ""
    customer_id: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None

    @property
    def active(self) -> bool:
        return bool(self.state or self.customer_id or self.start or self.end)


# The partial indexes' conditions, as literal SQL (see Invoice.Meta.indexes).
OPEN_SQL = (
    '"invoicing_invoice"."balance_due" > \'0\' AND "invoicing_invoice"."kind" = \'invoice\' '
    'AND "invoicing_invoice"."status" = \'issued\''
)
DRAFT_SQL = '"invoicing_invoice"."status" = \'draft\''


def _where(rows: QuerySet[Invoice], sql: str) -> QuerySet[Invoice]:
    # Constant SQL of this module only, never user input: no injection possible.
    return rows.extra(where=[sql])  # noqa: S610


def state_filter(rows: QuerySet[Invoice], state: str, today: datetime.date) -> QuerySet[Invoice]:
    """The rows whose `Invoice.payment_state(today)` is `state`."""
    issued = Q(status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE)
    if state == PaymentState.DRAFT:
        return _where(rows, DRAFT_SQL)
    if state == PaymentState.PAID:
        return rows.filter(issued & Q(balance_due__lte=0))
    if state == PaymentState.OVERDUE:
        return _where(rows, OPEN_SQL).filter(due_date__lt=today)
    if state == PaymentState.PARTLY_PAID:
        return _where(rows, OPEN_SQL).filter(due_date__gte=today, amount_paid__gt=0)
    if state == PaymentState.ISSUED:
        return rows.filter(
            (issued & Q(balance_due__gt=0, due_date__gte=today, amount_paid=0))
            | Q(status=InvoiceStatus.ISSUED, kind=InvoiceKind.CREDIT_NOTE)
        )
    return rows


def invoices_page(
    dossier: Dossier,
    filters: InvoiceFilters,
    *,
    today: datetime.date,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[Invoice], int | None]:
    """One page, newest first, from `before` (an id) on; and the id to continue from.
    No COUNT and no OFFSET: the cost of a page does not grow with the dossier."""
    rows: QuerySet[Invoice] = Invoice.objects.filter(dossier=dossier).select_related("customer")
    rows = state_filter(rows, filters.state, today)
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.start is not None:
        rows = rows.filter(issue_date__gte=filters.start)
    if filters.end is not None:
        rows = rows.filter(issue_date__lte=filters.end)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].pk if more else None)


def quotes_page(
    dossier: Dossier, *, before: int | None = None, size: int = PAGE_SIZE
) -> tuple[list[Quote], int | None]:
    rows = Quote.objects.filter(dossier=dossier).select_related("customer")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].pk if more else None)


def customers_of(dossier: Dossier) -> QuerySet[Customer]:
    return Customer.objects.filter(dossier=dossier).order_by("name", "id")


@dataclass(frozen=True)
class Receivables:
    due: Decimal
    due_count: int
    overdue: Decimal
    overdue_count: int
    drafts: int


def receivables(dossier: Dossier, *, today: datetime.date) -> Receivables:
    """What customers owe (issued, unpaid) and what of it is late: two queries, on the
    partial indexes of open invoices and of drafts, so their cost follows the
    number of unpaid invoices and drafts, not of all invoices."""
    found = _where(Invoice.objects.filter(dossier=dossier), OPEN_SQL).aggregate(
        due=Sum("balance_due"),
        due_count=Count("pk"),
        overdue=Sum("balance_due", filter=Q(due_date__lt=today)),
        overdue_count=Count("pk", filter=Q(due_date__lt=today)),
    )
    drafts = _where(Invoice.objects.filter(dossier=dossier), DRAFT_SQL).count()
    return Receivables(
        due=Decimal(found["due"] or 0).quantize(CENT),
        due_count=found["due_count"],
        overdue=Decimal(found["overdue"] or 0).quantize(CENT),
        overdue_count=found["overdue_count"],
        drafts=drafts,
    )
