"""The Devis pages: list, create and edit drafts, the quote page and its actions (mark
sent, accept, refuse, expired, turn into an invoice, duplicate, delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.core.converters import parse_id
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission

from . import actions_quotes, selectors
from .access import access_quote
from .actions import ActionRefused
from .forms import LineFormSet, QuoteForm, line_initial
from .models import Product, Quote, QuoteStatus
from .views import _refusal, _specs, invoicing_context


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def quote_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    quotes, next_before = selectors.quotes_page(
        access.dossier, before=parse_id(request.GET.get("before"))
    )
    context = invoicing_context(access, quotes=quotes, next_before=next_before)
    return render(request, "invoicing/quote_list.html", context)


def _form(request: HttpRequest, access: DossierAccess, quote: Quote | None) -> tuple[Any, Any]:
    posted = request.method == "POST"
    initial: dict[str, Any] = {}
    lines: list[dict[str, Any]] = []
    if quote is not None:
        initial = {
            "customer": quote.customer_id,
            "valid_until": quote.valid_until,
            "notes": quote.notes,
        }
        lines = line_initial(quote.lines.all())
    form = QuoteForm(
        request.POST if posted else None,
        initial=initial,
        customers=selectors.customers_of(access.dossier),
    )
    products = Product.objects.filter(dossier=access.dossier).order_by("name", "id")
    formset = LineFormSet(
        request.POST if posted else None,
        prefix="lines",
        initial=lines or None,
        form_kwargs={"products": products},
    )
    return form, formset


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form, formset = _form(request, access, None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            quote = actions_quotes.quote_create(
                actor=Actor.from_request(request),
                access=access,
                customer=data["customer"],
                lines=_specs(formset),
                valid_until=data["valid_until"],
                notes=data["notes"],
            )
        except (ActionRefused, ValidationError) as error:
            _refusal(form, error)
        else:
            messages.success(request, _("Le devis est enregistré."))
            return redirect(quote.get_absolute_url())
    context = invoicing_context(
        access,
        form=form,
        formset=formset,
        quote=None,
        has_customers=form.fields["customer"].queryset.exists(),
    )
    return render(request, "invoicing/quote_form.html", context)


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    form, formset = _form(request, access, quote)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            actions_quotes.quote_update(
                actor=Actor.from_request(request),
                access=access,
                quote=quote,
                customer=data["customer"],
                lines=_specs(formset),
                valid_until=data["valid_until"] or quote.valid_until,
                notes=data["notes"],
            )
        except (ActionRefused, ValidationError) as error:
            _refusal(form, error)
        else:
            messages.success(request, _("Le devis est enregistré."))
            return redirect(quote.get_absolute_url())
    context = invoicing_context(access, form=form, formset=formset, quote=quote, has_customers=True)
    return render(request, "invoicing/quote_form.html", context)


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def quote_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    context = invoicing_context(
        access, quote=quote, lines=list(quote.lines.all()), invoices=list(quote.invoices.all())
    )
    return render(request, "invoicing/quote_detail.html", context)


def _do(request: HttpRequest, quote: Quote, call: Any, done: str) -> HttpResponse:
    try:
        result = call()
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(quote.get_absolute_url())
    messages.success(request, done)
    return redirect(result.get_absolute_url() if result is not None else quote.get_absolute_url())


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def quote_send(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    return _do(
        request,
        quote,
        lambda: actions_quotes.quote_mark_sent(
            actor=Actor.from_request(request), access=access, quote=quote
        ),
        _("Le devis est marqué envoyé."),
    )


DECISIONS = {
    "accept": (QuoteStatus.ACCEPTED, gettext_lazy("Le devis est accepté.")),
    "refuse": (QuoteStatus.REFUSED, gettext_lazy("Le devis est refusé.")),
    "expire": (QuoteStatus.EXPIRED, gettext_lazy("Le devis est marqué expiré.")),
}


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def quote_decide(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    outcome, done = DECISIONS.get(request.POST.get("decision", ""), (None, ""))
    if outcome is None:
        messages.error(request, _("Décision inconnue."))
        return redirect(quote.get_absolute_url())
    return _do(
        request,
        quote,
        lambda: actions_quotes.quote_decide(
            actor=Actor.from_request(request), access=access, quote=quote, outcome=outcome
        ),
        str(done),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def quote_convert(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    return _do(
        request,
        quote,
        lambda: actions_quotes.quote_to_invoice(
            actor=Actor.from_request(request), access=access, quote=quote
        ),
        _("La facture du devis est créée en brouillon : vérifiez-la puis émettez-la."),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def quote_duplicate(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    return _do(
        request,
        quote,
        lambda: actions_quotes.quote_duplicate(
            actor=Actor.from_request(request), access=access, quote=quote
        ),
        _("Copie créée : un nouveau devis en brouillon."),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def quote_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    quote = access_quote(access, pk)
    try:
        actions_quotes.quote_delete(actor=Actor.from_request(request), access=access, quote=quote)
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(quote.get_absolute_url())
    messages.success(request, _("Le devis est supprimé."))
    return redirect("invoicing:quote_list", slug=access.dossier.slug)


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/quotes/", quote_list, name="quote_list"),
    path("d/<slug:slug>/quotes/new/", quote_create, name="quote_create"),
    path("d/<slug:slug>/quotes/<id:pk>/", quote_detail, name="quote_detail"),
    path("d/<slug:slug>/quotes/<id:pk>/edit/", quote_edit, name="quote_edit"),
    path("d/<slug:slug>/quotes/<id:pk>/send/", quote_send, name="quote_send"),
    path("d/<slug:slug>/quotes/<id:pk>/decide/", quote_decide, name="quote_decide"),
    path("d/<slug:slug>/quotes/<id:pk>/convert/", quote_convert, name="quote_convert"),
    path("d/<slug:slug>/quotes/<id:pk>/duplicate/", quote_duplicate, name="quote_duplicate"),
    path("d/<slug:slug>/quotes/<id:pk>/delete/", quote_delete, name="quote_delete"),
]
