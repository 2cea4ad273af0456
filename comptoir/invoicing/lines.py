"""Lines of quotes and invoices: what a form or the demo describes, and its computation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from comptoir.core.exceptions import ActionRefused

from .amounts import ZERO, line_net
from .models import DEFAULT_REVENUE_ACCOUNT, LineBase, Product, ProductKind, Unit, VatRate

MAX_LINES = 200
MAX_QUANTITY = Decimal("999999999.999")
MAX_PRICE = Decimal("9999999999.99")


@dataclass(frozen=True)
class LineSpec:
    designation: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: str = VatRate.STANDARD
    unit: str = Unit.UNIT
    discount: Decimal = ZERO
    kind: str = ProductKind.SERVICE
    product: Product | None = None
    revenue_account: str = ""

    @classmethod
    def of_product(cls, product: Product, quantity: Decimal, discount: Decimal = ZERO) -> LineSpec:
        return cls(
            designation=product.name,
            quantity=quantity,
            unit_price=product.unit_price,
            vat_rate=product.vat_rate,
            unit=product.unit,
            discount=discount,
            kind=product.kind,
            product=product,
            revenue_account=product.revenue_account,
        )

    @classmethod
    def of_line(cls, line: LineBase) -> LineSpec:
        return cls(
            designation=line.designation,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            unit=line.unit,
            discount=line.discount,
            kind=line.kind,
            product=line.product,
            revenue_account=line.revenue_account,
        )


def line_values(specs: Sequence[LineSpec], *, dossier_id: int, vat_exempt: bool) -> list[dict]:
    """The column values of each line, checked and computed; refuses what cannot be."""
    if not specs:
        raise ActionRefused(_("Ajoutez au moins une ligne."))
    if len(specs) > MAX_LINES:
        raise ActionRefused(_("Au plus %(n)s lignes.") % {"n": MAX_LINES})
    rows = []
    for position, spec in enumerate(specs):
        quantity, price, discount = (
            Decimal(spec.quantity),
            Decimal(spec.unit_price),
            Decimal(spec.discount),
        )
        if spec.product is not None and spec.product.dossier_id != dossier_id:
            raise ActionRefused(_("Ce produit n'appartient pas à ce dossier."))
        if not spec.designation.strip():
            raise ActionRefused(_("Chaque ligne a besoin d'une désignation."))
        if spec.vat_rate not in VatRate.values or spec.unit not in Unit.values:
            raise ActionRefused(_("Taux de TVA ou unité inconnus."))
        if spec.kind not in ProductKind.values:
            raise ActionRefused(_("Nature de ligne inconnue."))
        if not (ZERO < quantity <= MAX_QUANTITY) or not (ZERO <= price <= MAX_PRICE):
            raise ActionRefused(_("Quantités positives et prix positifs ou nuls seulement."))
        gross = quantity * price
        if discount < 0 or discount > gross:
            raise ActionRefused(
                _("La remise doit être comprise entre 0 et le montant de la ligne.")
            )
        rows.append(
            {
                "position": position,
                "product": spec.product,
                "designation": spec.designation.strip()[:300],
                "kind": spec.kind,
                "quantity": quantity,
                "unit": spec.unit,
                "unit_price": price,
                "discount": discount,
                "vat_rate": VatRate.ZERO.value if vat_exempt else spec.vat_rate,
                "net_amount": line_net(quantity=quantity, unit_price=price, discount=discount),
                "revenue_account": spec.revenue_account
                or DEFAULT_REVENUE_ACCOUNT[ProductKind(spec.kind)],
            }
        )
    return rows


def category_of(kinds: Iterable[str]) -> str:
    found = set(kinds)
    if found == {ProductKind.GOODS}:
        return "goods"
    if found == {ProductKind.SERVICE}:
        return "services"
    return "mixed"
