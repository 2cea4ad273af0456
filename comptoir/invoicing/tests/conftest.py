"""Fixtures of the invoicing app: the tasks app's office (a dossier with every role, a
firm serving it, an outsider) and helpers that build customers, products and invoices
through the actions, as the views would."""

from __future__ import annotations

from decimal import Decimal

import pytest

from comptoir.assignments.tests.conftest import access_of, office
from comptoir.audit.actions import Actor

from ..actions import customer_create, invoicing_settings_update, product_create
from ..actions_invoices import invoice_create, invoice_issue
from ..lines import LineSpec
from ..models import ProductKind, Unit

__all__ = ["access_of", "office"]


def seller_setup(office, **values):
    defaults = {
        "legal_form": "SARL",
        "share_capital": Decimal("10000.00"),
        "rcs": "RCS Lyon",
        "address": "12 rue de la République",
        "postal_code": "69002",
        "city": "Lyon",
        "email": "factures@alpha.test",
        "iban": "FR7630006000011234567890189",
    }
    defaults.update(values)
    return invoicing_settings_update(
        actor=Actor(user=office["users"]["owner"]), access=access_of(office, "owner"), **defaults
    )


def make_customer(office, name="Dupont Industries", **values):
    defaults = {
        "address": "3 place Bellecour",
        "postal_code": "69002",
        "city": "Lyon",
        "email": "compta@dupont.test",
        "siren": "552100554",
    }
    defaults.update(values)
    return customer_create(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        name=name,
        **defaults,
    )


def make_product(office, name="Heure de conseil", price="80.00", rate="20.00", **values):
    return product_create(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        name=name,
        unit_price=Decimal(price),
        vat_rate=rate,
        unit=values.pop("unit", Unit.HOUR),
        kind=values.pop("kind", ProductKind.SERVICE),
        **values,
    )


def line(designation="Conseil", quantity="2", price="80.00", rate="20.00", discount="0", **kw):
    return LineSpec(
        designation=designation,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        vat_rate=rate,
        discount=Decimal(discount),
        **kw,
    )


def make_invoice(office, *, customer=None, lines=None, issue=False, who="owner", **values):
    customer = customer or make_customer(office)
    invoice = invoice_create(
        actor=Actor(user=office["users"][who]),
        access=access_of(office, who),
        customer=customer,
        lines=lines or [line()],
        **values,
    )
    if issue:
        invoice = invoice_issue(
            actor=Actor(user=office["users"][who]), access=access_of(office, who), invoice=invoice
        )
    return invoice


@pytest.fixture
def seller(office):
    return seller_setup(office)


def tenancy_objects(owner, dossier):
    """An issued invoice, a draft quote, a customer and a product of `dossier`, for the
    tenancy test's world (dossiers/tests/test_tenancy.py)."""
    from comptoir.dossiers.access import dossier_access_for

    from ..actions_quotes import quote_create

    access = dossier_access_for(owner, dossier.slug)
    who = {"actor": Actor(user=owner), "access": access}
    customer = customer_create(**who, name="Client Tenancy", siren="552100554")
    product = product_create(**who, name="Conseil", unit_price=Decimal("80.00"))
    invoice = invoice_create(**who, customer=customer, lines=[line()])
    invoice = invoice_issue(**who, invoice=invoice)
    quote = quote_create(**who, customer=customer, lines=[line()])
    return {"invoice": invoice, "quote": quote, "customer": customer, "product": product}
