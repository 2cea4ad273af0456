"""The demo's invoicing, made through the actions (audit events included).

Always Clean SARL (cleaning services, Lyon; `gerant@alwaysclean.test` invoices):
invoicing settings filled in (SARL, capital, RCS Lyon, VAT number, IBAN); four customers
(three businesses with their SIREN, one private person) and five products; twelve invoices
issued over the last five months in date order, all paid but: one partly paid, one
overdue (issued 75 days ago at 30 days, unpaid), the newest still open; one credit note
(partial, on the third invoice); two quotes, one sent and one accepted and invoiced (its
invoice is a draft).
Boulangerie Dupont (`dupont@boulangerie-dupont.test`) is under the VAT exemption of
art. 293 B du CGI: one customer, two products, two issued invoices.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from comptoir.audit.actions import Actor
from comptoir.dossiers.access import dossier_access_for
from comptoir.invoicing.actions import customer_create, invoicing_settings_update, product_create
from comptoir.invoicing.actions_invoices import credit_note_create, invoice_create, invoice_issue
from comptoir.invoicing.actions_payments import payment_record
from comptoir.invoicing.actions_quotes import (
    quote_create,
    quote_decide,
    quote_mark_sent,
    quote_to_invoice,
)
from comptoir.invoicing.lines import LineSpec
from comptoir.invoicing.models import CustomerKind, PaymentMethod, ProductKind, QuoteStatus, Unit

if TYPE_CHECKING:
    from comptoir.accounts.models import User

GERANT = "gerant@alwaysclean.test"
DUPONT = "dupont@boulangerie-dupont.test"
D = Decimal


def demo_invoicing_load(users: dict[str, User]) -> None:
    _always_clean(users[GERANT])
    _boulangerie(users[DUPONT])


def _who(user: User, slug: str) -> dict[str, Any]:
    return {"actor": Actor(user=user), "access": dossier_access_for(user, slug)}


def _always_clean(gerant: User) -> None:
    who = _who(gerant, "always-clean")
    invoicing_settings_update(
        **who,
        legal_form="SARL",
        share_capital=D("20000.00"),
        rcs="RCS Lyon",
        address="12 rue de la République",
        postal_code="69002",
        city="Lyon",
        vat_number="FR44732829320",
        email="factures@alwaysclean.test",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    customers = [
        customer_create(
            **who,
            name="Résidence Les Tilleuls (syndic Foncia Lyon)",
            address="8 avenue des Frères Lumière",
            postal_code="69008",
            city="Lyon",
            email="compta@residence-tilleuls.test",
            siren="552100554",
            auxiliary_account="CTILLEULS",
        ),
        customer_create(
            **who,
            name="Cabinet médical Bellecour",
            address="3 place Bellecour",
            postal_code="69002",
            city="Lyon",
            email="secretariat@medical-bellecour.test",
            siren="542065479",
            payment_terms_days=45,
        ),
        customer_create(
            **who,
            name="Hôtel du Parc",
            address="21 boulevard des Belges",
            postal_code="69006",
            city="Lyon",
            email="direction@hotel-du-parc.test",
            siren="775670417",
        ),
        customer_create(
            **who,
            kind=CustomerKind.PERSON,
            name="Claire Moreau",
            address="14 rue Victor Hugo",
            postal_code="69002",
            city="Lyon",
            email="claire.moreau@exemple.test",
        ),
    ]
    offices = product_create(
        **who, name="Nettoyage de bureaux", unit_price=D("28.00"), unit=Unit.HOUR
    )
    windows = product_create(
        **who, name="Nettoyage de vitres", unit_price=D("3.50"), unit=Unit.SQUARE_METRE
    )
    works = product_create(
        **who, name="Remise en état après travaux", unit_price=D("450.00"), unit=Unit.LUMP_SUM
    )
    home = product_create(
        **who, name="Ménage à domicile", unit_price=D("32.00"), vat_rate="10.00", unit=Unit.HOUR
    )
    supplies = product_create(
        **who,
        name="Produits d'entretien écologiques (carton)",
        unit_price=D("42.90"),
        kind=ProductKind.GOODS,
        unit=Unit.PIECE,
    )
    tilleuls, medical, hotel, moreau = customers
    # (days ago, customer, lines): in date order, as numbers must follow dates.
    plan = [
        (150, tilleuls, [(offices, "40"), (windows, "120")]),
        (140, medical, [(offices, "24"), (supplies, "2")]),
        (128, hotel, [(works, "1"), (offices, "12.5")]),
        (120, moreau, [(home, "8")]),
        (110, tilleuls, [(offices, "40"), (windows, "80")]),
        (98, medical, [(offices, "24")]),
        (90, hotel, [(offices, "30"), (supplies, "3")]),
        (80, tilleuls, [(offices, "40")]),
        (75, hotel, [(offices, "36"), (windows, "250")]),
        (60, medical, [(offices, "26"), (supplies, "1")]),
        (20, tilleuls, [(offices, "42"), (windows, "60")]),
        (12, moreau, [(home, "6")]),
    ]
    today = timezone.localdate()
    invoices = []
    for days, customer, lines in plan:
        draft = invoice_create(
            **who,
            customer=customer,
            lines=[LineSpec.of_product(product, D(qty)) for product, qty in lines],
        )
        issued = invoice_issue(
            **who, invoice=draft, issue_date=today - datetime.timedelta(days=days)
        )
        invoices.append(issued)
    overdue, partly, newest = invoices[8], invoices[10], invoices[11]
    credited = invoices[2]
    credit = credit_note_create(
        **who,
        invoice=credited,
        lines=[
            LineSpec(
                designation="Geste commercial : retard de l'intervention du 3e étage",
                quantity=D("1"),
                unit_price=D("100.00"),
            )
        ],
    )
    invoice_issue(**who, invoice=credit, issue_date=today - datetime.timedelta(days=120))
    for invoice in invoices:
        if invoice.pk in {overdue.pk, newest.pk}:
            continue
        invoice.refresh_from_db()
        assert invoice.issue_date is not None
        paid_on = min(invoice.issue_date + datetime.timedelta(days=25), today)
        amount = invoice.balance_due
        if invoice.pk == partly.pk:
            amount = D("500.00")
        payment_record(
            **who,
            invoice=invoice,
            date=paid_on,
            method=PaymentMethod.TRANSFER,
            amount=amount,
            reference=f"VIR {invoice.number}",
        )
    sent = quote_create(
        **who,
        customer=hotel,
        lines=[LineSpec.of_product(works, D("2")), LineSpec.of_product(windows, D("300"))],
        notes="Intervention prévue en janvier, pendant la fermeture annuelle.",
    )
    quote_mark_sent(**who, quote=sent)
    accepted = quote_create(**who, customer=medical, lines=[LineSpec.of_product(offices, D("30"))])
    quote_mark_sent(**who, quote=accepted)
    quote_decide(**who, quote=accepted, outcome=QuoteStatus.ACCEPTED)
    quote_to_invoice(**who, quote=accepted)


def _boulangerie(dupont: User) -> None:
    who = _who(dupont, "boulangerie-dupont")
    invoicing_settings_update(
        **who,
        legal_form="Entreprise individuelle",
        rcs="RM 35",
        address="3 place du Marché",
        postal_code="35000",
        city="Rennes",
        vat_number="",
        vat_exempt=True,
        email="contact@boulangerie-dupont.test",
        iban="FR7630004000031234567890143",
    )
    cafe = customer_create(
        **who,
        name="Café des Halles",
        address="5 rue des Halles",
        postal_code="35000",
        city="Rennes",
        email="cafe@halles.test",
        siren="443061841",
    )
    bread = product_create(
        **who,
        name="Pain de campagne",
        unit_price=D("3.20"),
        vat_rate="5.50",
        kind=ProductKind.GOODS,
        unit=Unit.PIECE,
    )
    tray = product_create(
        **who,
        name="Plateau de viennoiseries",
        unit_price=D("24.00"),
        vat_rate="5.50",
        kind=ProductKind.GOODS,
        unit=Unit.PIECE,
    )
    today = timezone.localdate()
    for days, lines in [(35, [(bread, "60"), (tray, "4")]), (5, [(bread, "55"), (tray, "5")])]:
        draft = invoice_create(
            **who,
            customer=cafe,
            lines=[LineSpec.of_product(product, D(qty)) for product, qty in lines],
        )
        invoice_issue(**who, invoice=draft, issue_date=today - datetime.timedelta(days=days))
