"""Identifiers checked by python-stdnum: a wrong checksum is a form error."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as stdnum_vat
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret


def validate_siren_blank(value: str) -> None:
    if value and not stdnum_siren.is_valid(value):
        raise ValidationError(
            _("Ce numéro SIREN n'est pas valide (9 chiffres, clé de contrôle)."), code="siren"
        )


def validate_siret(value: str) -> None:
    if value and not stdnum_siret.is_valid(value):
        raise ValidationError(
            _("Ce numéro SIRET n'est pas valide (14 chiffres, clé de contrôle)."), code="siret"
        )


def validate_vat_number(value: str) -> None:
    if value and not stdnum_vat.is_valid(value):
        raise ValidationError(
            _("Ce numéro de TVA intracommunautaire n'est pas valide."), code="vat_number"
        )


def compact_vat_number(value: str) -> str:
    return stdnum_vat.compact(value) if value else ""


def french_vat_number(siren: str) -> str:
    """The French VAT number of a SIREN (key = (12 + 3 x (SIREN mod 97)) mod 97)."""
    if not stdnum_siren.is_valid(siren):
        return ""
    return "FR" + stdnum_siren.to_tva(siren)
