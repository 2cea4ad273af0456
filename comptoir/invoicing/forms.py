"""Forms of the invoicing pages: thin, the actions check the rules again."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from comptoir.core.forms import PLANNED_MAX, PLANNED_MIN, BoundedDateField

from .actions import CUSTOMER_FIELDS, PRODUCT_FIELDS, SETTINGS_FIELDS
from .lines import LineSpec
from .models import (
    Customer,
    InvoicingSettings,
    PaymentMethod,
    PaymentState,
    Product,
    ProductKind,
    Unit,
    VatRate,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {"address": forms.TextInput()}


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        help_texts = {
            "revenue_account": _("Laissé vide : 706000 pour un service, 707000 pour un bien."),
        }


class SettingsForm(forms.ModelForm):
    class Meta:
        model = InvoicingSettings
        fields = SETTINGS_FIELDS


class LineForm(forms.Form):
    """One line; a line left empty is ignored. A product chosen fills what is left empty."""

    product = forms.ModelChoiceField(
        label=_("Produit"), queryset=Product.objects.none(), required=False
    )
    designation = forms.CharField(label=_("Désignation"), max_length=300, required=False)
    quantity = forms.DecimalField(
        label=_("Quantité"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
    )
    unit = forms.ChoiceField(label=_("Unité"), choices=Unit.choices, initial=Unit.UNIT)
    unit_price = forms.DecimalField(
        label=_("Prix unitaire HT"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    discount = forms.DecimalField(
        label=_("Remise (€)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    vat_rate = forms.ChoiceField(label=_("TVA"), choices=VatRate.choices, initial=VatRate.STANDARD)
    kind = forms.ChoiceField(label=_("Nature"), choices=ProductKind.choices)

    def __init__(self, *args: Any, products: QuerySet[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product = data.get("product")
        if product is None and not data.get("designation"):
            return data  # an empty line
        if product is None:
            for name in ("quantity", "unit_price"):
                if data.get(name) is None:
                    self.add_error(name, _("Ce champ est obligatoire."))
        return data

    def spec(self) -> LineSpec | None:
        data = self.cleaned_data
        product: Product | None = data.get("product")
        if product is None and not data.get("designation"):
            return None
        quantity = data.get("quantity") or Decimal("1")
        discount = data.get("discount") or Decimal("0")
        if product is not None and not data.get("designation"):
            return LineSpec.of_product(product, quantity, discount)
        return LineSpec(
            designation=data["designation"],
            quantity=quantity,
            unit_price=data["unit_price"]
            if data.get("unit_price") is not None
            else (product.unit_price if product else Decimal("0")),
            vat_rate=data["vat_rate"],
            unit=data["unit"],
            discount=discount,
            kind=data["kind"],
            product=product,
            revenue_account=product.revenue_account if product else "",
        )


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=200, validate_max=True)


def line_initial(lines: Any) -> list[dict[str, Any]]:
    return [
        {
            "product": line.product_id,
            "designation": line.designation,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "discount": line.discount or None,
            "vat_rate": line.vat_rate,
            "kind": line.kind,
        }
        for line in lines
    ]


class CustomerChoiceForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Client"), queryset=Customer.objects.none())

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]


class InvoiceForm(CustomerChoiceForm):
    sale_date = BoundedDateField(
        label=_("Date de la vente ou de la prestation"),
        required=False,
        widget=DateInput(),
        help_text=_("Laissée vide : la date d'émission."),
    )
    due_date = BoundedDateField(
        min_value=PLANNED_MIN,
        max_value=PLANNED_MAX,
        label=_("Échéance"),
        required=False,
        widget=DateInput(),
        help_text=_("Laissée vide : selon le délai de paiement du client ou du dossier."),
    )
    delivery_address = forms.CharField(
        label=_("Adresse de livraison (si différente)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        label=_("Mentions libres"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class QuoteForm(CustomerChoiceForm):
    valid_until = BoundedDateField(
        min_value=PLANNED_MIN,
        max_value=PLANNED_MAX,
        label=_("Valable jusqu'au"),
        required=False,
        widget=DateInput(),
    )
    notes = forms.CharField(
        label=_("Mentions libres"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PaymentForm(forms.Form):
    date = BoundedDateField(label=_("Date"), widget=DateInput(), initial=datetime.date.today)
    method = forms.ChoiceField(label=_("Moyen"), choices=PaymentMethod.choices)
    amount = forms.DecimalField(
        label=_("Montant (€)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    reference = forms.CharField(label=_("Référence"), max_length=100, required=False)


class SendForm(forms.Form):
    to = forms.EmailField(label=_("Destinataire"))
    subject = forms.CharField(label=_("Objet"), max_length=200)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    copy_to_sender = forms.BooleanField(label=_("M'envoyer une copie"), required=False)


class InvoiceFilterForm(forms.Form):
    """The list's filters (GET): a refused value is shown with its error and dropped."""

    state = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous")), *PaymentState.choices]
    )
    customer = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=_("Tous"),
    )
    start = BoundedDateField(label=_("Émise depuis le"), required=False, widget=DateInput())
    end = BoundedDateField(label=_("jusqu'au"), required=False, widget=DateInput())

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
