"""Permission-checked fetches of invoicing objects: the view has checked INVOICE_VIEW or
INVOICE_EDIT (`dossier_view`); anything outside the dossier answers 404, the same as
for what does not exist."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.permissions import Permission

from .models import Customer, Invoice, InvoiceStatus, Product, Quote


def access_invoice(access: DossierAccess, pk: int) -> Invoice:
    found = (
        Invoice.objects.select_related("customer", "credited_invoice", "quote")
        .filter(dossier=access.dossier, pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def access_quote(access: DossierAccess, pk: int) -> Quote:
    found = Quote.objects.select_related("customer").filter(dossier=access.dossier, pk=pk).first()
    if found is None:
        raise Http404
    return found


def access_customer(access: DossierAccess, pk: int) -> Customer:
    found = Customer.objects.filter(dossier=access.dossier, pk=pk).first()
    if found is None:
        raise Http404
    return found


def access_product(access: DossierAccess, pk: int) -> Product:
    found = Product.objects.filter(dossier=access.dossier, pk=pk).first()
    if found is None:
        raise Http404
    return found


def invoices_issued(access: DossierAccess) -> QuerySet[Invoice]:
    """The dossier's issued invoices and credit notes, for a reader holding INVOICE_VIEW
    (nothing otherwise), in number order."""
    if not access.has(Permission.INVOICE_VIEW):
        return Invoice.objects.none()
    return Invoice.objects.filter(dossier=access.dossier, status=InvoiceStatus.ISSUED).order_by(
        "kind", "number", "pk"
    )
