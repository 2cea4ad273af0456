"""Seller and buyer as printed on an invoice: copied into the invoice at issue, so that
a later change of the customer or of the settings never alters an issued invoice."""

from __future__ import annotations

from typing import Any

from .models import Customer, InvoicingSettings


def seller_snapshot(settings: InvoicingSettings) -> dict[str, Any]:
    dossier = settings.dossier
    return {
        "name": dossier.name,
        "siren": dossier.siren,
        "address": settings.address or dossier.address.replace("\n", ", "),
        "postal_code": settings.postal_code,
        "city": settings.city,
        "country": "FR",
        "legal_form": settings.legal_form,
        "share_capital": str(settings.share_capital) if settings.share_capital else "",
        "rcs": settings.rcs,
        "vat_number": settings.vat_number,
        "email": settings.email,
        "iban": settings.iban,
        "bic": settings.bic,
        "late_penalty_rate": str(settings.late_penalty_rate),
        "discount_terms": settings.discount_terms,
    }


def buyer_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "kind": customer.kind,
        "name": customer.name,
        "address": customer.address,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country or "FR",
        "email": customer.email,
        "siren": customer.siren,
        "siret": customer.siret,
        "vat_number": customer.vat_number,
        "auxiliary_account": customer.auxiliary_account,
    }
