"""Writes on the invoicing reference data: the seller's settings, customers, products.

Invoices live in `actions_invoices.py`, quotes in `actions_quotes.py`, payments in
`actions_payments.py`, sending in `actions_sending.py`. Every action checks INVOICE_EDIT
again (the demo and other callers do not go through a view) and records its audit event
in its own transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.audit.actions import Actor, record
from comptoir.core.exceptions import ActionRefused
from comptoir.dossiers.access import DossierAccess
from comptoir.dossiers.models import Dossier
from comptoir.dossiers.permissions import Permission

from .models import DEFAULT_REVENUE_ACCOUNT, Customer, InvoicingSettings, Product, ProductKind
from .validators import compact_vat_number, french_vat_number

__all__ = ["ActionRefused"]

CUSTOMER_FIELDS = (
    "kind",
    "name",
    "address",
    "postal_code",
    "city",
    "country",
    "email",
    "siren",
    "siret",
    "vat_number",
    "payment_terms_days",
    "auxiliary_account",
)
PRODUCT_FIELDS = ("name", "kind", "unit_price", "vat_rate", "unit", "revenue_account")
SETTINGS_FIELDS = tuple(
    f.name
    for f in InvoicingSettings._meta.get_fields()
    if f.concrete and f.name not in {"id", "dossier"}
)


def edit_required(access: DossierAccess) -> None:
    """Refuses unless the person may invoice in this dossier."""
    if not access.has(Permission.INVOICE_EDIT):
        raise ActionRefused(_("Vous n'avez pas le droit de facturer dans ce dossier."))


def settings_of(dossier: Dossier) -> InvoicingSettings:
    """The dossier's invoicing settings (made with their defaults the first time)."""
    found = InvoicingSettings.objects.filter(dossier=dossier).first()
    if found is not None:
        return found
    found, _created = InvoicingSettings.objects.get_or_create(
        dossier=dossier, defaults={"vat_number": french_vat_number(dossier.siren)}
    )
    return found


def auxiliary_account_for(name: str) -> str:
    """ "C" and the first letters of the name, upper case (e.g. CDUPONT)."""
    letters = "".join(ch for ch in name.upper() if ch.isascii() and ch.isalnum())
    return ("C" + letters)[:12] or "CDIVERS"


@transaction.atomic
def invoicing_settings_update(
    *, actor: Actor, access: DossierAccess, **values: Any
) -> InvoicingSettings:
    edit_required(access)
    current = settings_of(access.dossier)
    current = InvoicingSettings.objects.select_for_update().get(pk=current.pk)
    changed = []
    for name, value in values.items():
        if name not in SETTINGS_FIELDS:
            raise TypeError(f"unknown setting {name}")
        if name == "vat_number":
            value = compact_vat_number(value)
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed.append(name)
    current.full_clean()
    current.save()
    record(
        actor=actor,
        action="invoicing.settings_updated",
        dossier=access.dossier,
        target=current,
        details={"fields": changed},
    )
    return current


@transaction.atomic
def customer_create(*, actor: Actor, access: DossierAccess, **values: Any) -> Customer:
    edit_required(access)
    customer = Customer(dossier=access.dossier)
    _customer_fill(customer, values)
    record(actor=actor, action="customer.created", dossier=access.dossier, target=customer)
    return customer


@transaction.atomic
def customer_update(
    *, actor: Actor, access: DossierAccess, customer: Customer, **values: Any
) -> Customer:
    edit_required(access)
    customer = Customer.objects.select_for_update().get(pk=customer.pk, dossier=access.dossier)
    _customer_fill(customer, values)
    record(actor=actor, action="customer.updated", dossier=access.dossier, target=customer)
    return customer


def _customer_fill(customer: Customer, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in CUSTOMER_FIELDS:
            raise TypeError(f"unknown customer field {name}")
        setattr(customer, name, value)
    customer.vat_number = compact_vat_number(customer.vat_number)
    customer.country = (customer.country or "FR").upper()
    if customer.siret and not customer.siren:
        customer.siren = customer.siret[:9]
    if customer.siret and customer.siret[:9] != customer.siren:
        raise ActionRefused(_("Le SIRET doit commencer par le SIREN du client."))
    if not customer.auxiliary_account:
        customer.auxiliary_account = auxiliary_account_for(customer.name)
    customer.full_clean(exclude=["dossier"])
    customer.save()


@transaction.atomic
def product_create(*, actor: Actor, access: DossierAccess, **values: Any) -> Product:
    edit_required(access)
    product = Product(dossier=access.dossier)
    _product_fill(product, values)
    record(actor=actor, action="product.created", dossier=access.dossier, target=product)
    return product


@transaction.atomic
def product_update(
    *, actor: Actor, access: DossierAccess, product: Product, **values: Any
) -> Product:
    edit_required(access)
    product = Product.objects.select_for_update().get(pk=product.pk, dossier=access.dossier)
    _product_fill(product, values)
    record(actor=actor, action="product.updated", dossier=access.dossier, target=product)
    return product


@transaction.atomic
def product_delete(*, actor: Actor, access: DossierAccess, product: Product) -> None:
    """Lines keep their own copy of designation, price, rate and account."""
    edit_required(access)
    record(actor=actor, action="product.deleted", dossier=access.dossier, target=product)
    Product.objects.filter(pk=product.pk, dossier=access.dossier).delete()


def _product_fill(product: Product, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in PRODUCT_FIELDS:
            raise TypeError(f"unknown product field {name}")
        setattr(product, name, value)
    if Decimal(product.unit_price) < 0:
        raise ActionRefused(_("Le prix unitaire ne peut pas être négatif."))
    if not product.revenue_account:
        product.revenue_account = DEFAULT_REVENUE_ACCOUNT[ProductKind(product.kind)]
    product.full_clean(exclude=["dossier"])
    product.save()
