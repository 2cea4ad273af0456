"""`{% invoicing_receivables dossier %}`: the totals due and overdue on the dossier's home.

A template tag, so that the dossiers app (a lower layer) shows invoicing figures without
importing the invoicing app: its template loads the tag only for people with
INVOICE_VIEW."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from comptoir.dossiers.models import Dossier

from ..selectors import receivables

register = template.Library()


@register.inclusion_tag("invoicing/_receivables.html")
def invoicing_receivables(dossier: Dossier) -> dict[str, Any]:
    return {"dossier": dossier, "receivables": receivables(dossier, today=timezone.localdate())}
