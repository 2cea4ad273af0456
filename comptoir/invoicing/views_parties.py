"""Customers, products and the seller's invoicing settings of a dossier."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission

from . import actions, selectors
from .access import access_customer, access_product
from .forms import CustomerForm, ProductForm, SettingsForm
from .models import Customer, Product
from .views import invoicing_context


def _apply(form: Any, error: ActionRefused | ValidationError) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(None, error.message)


ActionRefused = actions.ActionRefused


# --- Customers ----------------------------------------------------------------------------


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def customer_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    customers = selectors.customers_of(access.dossier)
    return render(
        request, "invoicing/customer_list.html", invoicing_context(access, customers=customers)
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    return _customer_form(request, access, None)


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    return _customer_form(request, access, access_customer(access, pk))


def _customer_form(
    request: HttpRequest, access: DossierAccess, customer: Customer | None
) -> HttpResponse:
    form = CustomerForm(request.POST if request.method == "POST" else None, instance=customer)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in actions.CUSTOMER_FIELDS}
        actor = Actor.from_request(request)
        try:
            if customer is None:
                actions.customer_create(actor=actor, access=access, **values)
            else:
                actions.customer_update(actor=actor, access=access, customer=customer, **values)
        except (ActionRefused, ValidationError) as error:
            _apply(form, error)
        else:
            messages.success(request, _("Le client est enregistré."))
            return redirect("invoicing:customer_list", slug=access.dossier.slug)
    context = invoicing_context(access, form=form, customer=customer)
    return render(request, "invoicing/customer_form.html", context)


# --- Products -----------------------------------------------------------------------------


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def product_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    products = Product.objects.filter(dossier=access.dossier).order_by("name", "id")
    return render(
        request, "invoicing/product_list.html", invoicing_context(access, products=products)
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    return _product_form(request, access, None)


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    return _product_form(request, access, access_product(access, pk))


def _product_form(
    request: HttpRequest, access: DossierAccess, product: Product | None
) -> HttpResponse:
    form = ProductForm(request.POST if request.method == "POST" else None, instance=product)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in actions.PRODUCT_FIELDS}
        actor = Actor.from_request(request)
        try:
            if product is None:
                actions.product_create(actor=actor, access=access, **values)
            else:
                actions.product_update(actor=actor, access=access, product=product, **values)
        except (ActionRefused, ValidationError) as error:
            _apply(form, error)
        else:
            messages.success(request, _("Le produit est enregistré."))
            return redirect("invoicing:product_list", slug=access.dossier.slug)
    context = invoicing_context(access, form=form, product=product)
    return render(request, "invoicing/product_form.html", context)


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def product_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    product = access_product(access, pk)
    actions.product_delete(actor=Actor.from_request(request), access=access, product=product)
    messages.success(request, _("Le produit est supprimé (les factures gardent leurs lignes)."))
    return redirect("invoicing:product_list", slug=access.dossier.slug)


# --- Settings -----------------------------------------------------------------------------


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def invoicing_settings(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    current = actions.settings_of(access.dossier)
    form = SettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in actions.SETTINGS_FIELDS}
        try:
            actions.invoicing_settings_update(
                actor=Actor.from_request(request), access=access, **values
            )
        except (ActionRefused, ValidationError) as error:
            _apply(form, error)
        else:
            messages.success(request, _("Les paramètres de facturation sont enregistrés."))
            return redirect("invoicing:invoicing_settings", slug=access.dossier.slug)
    context = invoicing_context(access, form=form)
    return render(request, "invoicing/settings.html", context)


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/customers/", customer_list, name="customer_list"),
    path("d/<slug:slug>/customers/new/", customer_create, name="customer_create"),
    path("d/<slug:slug>/customers/<id:pk>/", customer_edit, name="customer_edit"),
    path("d/<slug:slug>/products/", product_list, name="product_list"),
    path("d/<slug:slug>/products/new/", product_create, name="product_create"),
    path("d/<slug:slug>/products/<id:pk>/", product_edit, name="product_edit"),
    path("d/<slug:slug>/products/<id:pk>/delete/", product_delete, name="product_delete"),
    path("d/<slug:slug>/invoicing/settings/", invoicing_settings, name="invoicing_settings"),
]
