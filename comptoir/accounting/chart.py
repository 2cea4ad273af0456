"""The dossier's chart of accounts: French PCG defaults, overridden per dossier.

`chart_of(dossier)` reads the dossier's mappings and labels in two queries and answers a
`Chart` that the invoicing actions consult while they build their entries.

Defaults (PCG): customers 411000, bank 512000, revenue 706000 (services) and 707000
(goods); VAT collected one sub-account of 44571 per rate: 445712 at 20 %, 445711 at 10 %,
445713 at 5,5 %, 445714 at 2,1 %, 445715 at 8,5 % and 445716 at 1,75 % (overseas
departments), 445710 for any other rate.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from comptoir.dossiers.models import Dossier

from .models import Account, AccountMapping

CUSTOMERS = "customers"
BANK = "bank"
REVENUE_SERVICES = "revenue_services"
REVENUE_GOODS = "revenue_goods"
ROLES: dict[str, StrOrPromise] = {
    CUSTOMERS: _("Clients"),
    BANK: _("Banque"),
    REVENUE_SERVICES: _("Ventes de prestations de services"),
    REVENUE_GOODS: _("Ventes de marchandises"),
}
VAT_RATES = [
    Decimal("20.00"),
    Decimal("10.00"),
    Decimal("5.50"),
    Decimal("2.10"),
    Decimal("8.50"),
    Decimal("1.75"),
]
VAT_OTHER = "445710"

DEFAULT_ACCOUNTS: dict[str, str] = {
    CUSTOMERS: "411000",
    BANK: "512000",
    REVENUE_SERVICES: "706000",
    REVENUE_GOODS: "707000",
    "vat:20.00": "445712",
    "vat:10.00": "445711",
    "vat:5.50": "445713",
    "vat:2.10": "445714",
    "vat:8.50": "445715",
    "vat:1.75": "445716",
}
DEFAULT_LABELS: dict[str, str] = {
    "411000": "Clients",
    "512000": "Banque",
    "706000": "Prestations de services",
    "707000": "Ventes de marchandises",
    "445710": "TVA collectée autres taux",
    "445711": "TVA collectée 10 %",
    "445712": "TVA collectée 20 %",
    "445713": "TVA collectée 5,5 %",
    "445714": "TVA collectée 2,1 %",
    "445715": "TVA collectée 8,5 %",
    "445716": "TVA collectée 1,75 %",
}


def vat_key(rate: Decimal) -> str:
    return f"vat:{rate.quantize(Decimal('0.01'))}"


@dataclass(frozen=True)
class Chart:
    mapping: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def customers(self) -> str:
        return self.mapping[CUSTOMERS]

    @property
    def bank(self) -> str:
        return self.mapping[BANK]

    @property
    def revenue_services(self) -> str:
        return self.mapping[REVENUE_SERVICES]

    @property
    def revenue_goods(self) -> str:
        return self.mapping[REVENUE_GOODS]

    def vat_account(self, rate: Decimal) -> str:
        """The VAT collected account of a rate (percent, e.g. Decimal("20"))."""
        return self.mapping.get(vat_key(rate), VAT_OTHER)

    def label(self, number: str) -> str:
        """The account's label: the dossier's, else the PCG default, else its class."""
        if number in self.labels:
            return self.labels[number]
        if number in DEFAULT_LABELS:
            return DEFAULT_LABELS[number]
        return f"Compte {number}"


def chart_of(dossier: Dossier) -> Chart:
    mapping = dict(DEFAULT_ACCOUNTS)
    mapping.update(AccountMapping.objects.filter(dossier=dossier).values_list("key", "account"))
    labels = dict(Account.objects.filter(dossier=dossier).values_list("number", "label"))
    return Chart(mapping=mapping, labels=labels)


# --- Fiscal years ------------------------------------------------------------------------


def _closing_in(dossier: Dossier, year: int) -> datetime.date:
    month = dossier.fiscal_year_end_month
    day = min(dossier.fiscal_year_end_day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def fiscal_year_end(dossier: Dossier, on: datetime.date) -> datetime.date:
    """The closing date of the fiscal year holding `on`."""
    closing = _closing_in(dossier, on.year)
    return closing if on <= closing else _closing_in(dossier, on.year + 1)


def fiscal_year_start(dossier: Dossier, closing: datetime.date) -> datetime.date:
    return _closing_in(dossier, closing.year - 1) + datetime.timedelta(days=1)
