"""The arithmetic of an invoice, pure and in `Decimal` only (no float anywhere).

- line net = quantity x unit price - discount, rounded half-up to the cent;
- per VAT rate: base = sum of the line nets of that rate, VAT = base x rate / 100 rounded
  half-up to the cent (EN 16931 BR-CO-17: VAT is computed on the rate's total, never
  summed from rounded line VATs);
- total excluding VAT = sum of line nets = sum of bases; total VAT = sum of the rates'
  VAT; total = the two added. Each equality holds exactly, so the PDF, the database and
  the Factur-X XML print the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(*, quantity: Decimal, unit_price: Decimal, discount: Decimal = ZERO) -> Decimal:
    return cents(quantity * unit_price - discount)


class LineLike(Protocol):
    @property
    def net_amount(self) -> Decimal: ...
    @property
    def vat_rate(self) -> str: ...


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    base: Decimal
    vat: Decimal

    def as_json(self) -> dict[str, str]:
        return {"rate": str(self.rate), "base": str(self.base), "vat": str(self.vat)}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> RateTotal:
        return cls(Decimal(data["rate"]), Decimal(data["base"]), Decimal(data["vat"]))


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    rates: tuple[RateTotal, ...]


def totals(lines: Iterable[LineLike], *, vat_exempt: bool = False) -> Totals:
    """The totals of lines whose `net_amount` is already computed. Under the art. 293 B
    exemption every line is at 0 % whatever its rate says."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = ZERO if vat_exempt else Decimal(line.vat_rate).quantize(CENT)
        bases[rate] = bases.get(rate, ZERO) + line.net_amount
    rates = tuple(
        RateTotal(rate=rate, base=base, vat=cents(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    )
    net = sum((r.base for r in rates), ZERO)
    vat = sum((r.vat for r in rates), ZERO)
    return Totals(net=net, vat=vat, gross=net + vat, rates=rates)
