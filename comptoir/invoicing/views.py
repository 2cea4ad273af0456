"""The Factures pages of a dossier: list, create and edit drafts, the invoice page and
its actions (issue, duplicate, credit note, send, record a payment, download the PDF).

Thin views: parse, fetch through `access.py`, call one action, answer. Every action
view is POST-only and answers a redirect with a message, so everything works without
JavaScript. INVOICE_VIEW reads, INVOICE_EDIT changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.audit.actions import Actor
from comptoir.core.converters import parse_id
from comptoir.dossiers.access import DossierAccess, dossier_view
from comptoir.dossiers.permissions import Permission
from comptoir.dossiers.views_dossier import dossier_context

from . import actions_invoices, actions_payments, actions_sending, selectors
from .access import access_invoice
from .actions import ActionRefused, settings_of
from .forms import InvoiceFilterForm, InvoiceForm, LineFormSet, PaymentForm, SendForm, line_initial
from .models import Invoice, Product
from .pdf import invoice_pdf, pdf_filename


def invoicing_context(access: DossierAccess, **extra: Any) -> dict[str, Any]:
    return dossier_context(access, can_edit_invoices=access.has(Permission.INVOICE_EDIT), **extra)


def _products(access: DossierAccess) -> Any:
    return Product.objects.filter(dossier=access.dossier).order_by("name", "id")


def _refusal(form: Any, error: ActionRefused | ValidationError) -> None:
    form.add_error(None, error.message if isinstance(error, ActionRefused) else error.messages)


# --- The list -----------------------------------------------------------------------------


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def invoice_list(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    customers = selectors.customers_of(access.dossier)
    form = InvoiceFilterForm(request.GET or None, customers=customers)
    filters = selectors.InvoiceFilters()
    if form.is_bound:
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        customer = data.get("customer")
        filters = selectors.InvoiceFilters(
            state=data.get("state") or "",
            customer_id=customer.pk if customer else None,
            start=data.get("start"),
            end=data.get("end"),
        )
    today = timezone.localdate()
    invoices, next_before = selectors.invoices_page(
        access.dossier, filters, today=today, before=parse_id(request.GET.get("before"))
    )
    query = request.GET.copy()
    query.pop("before", None)
    context = invoicing_context(
        access,
        form=form,
        rows=[(invoice, invoice.payment_state(today)) for invoice in invoices],
        filters=filters,
        next_before=next_before,
        query=query.urlencode(),
        receivables=selectors.receivables(access.dossier, today=today),
    )
    return render(request, "invoicing/invoice_list.html", context)


# --- Drafts -------------------------------------------------------------------------------


def _draft_form(
    request: HttpRequest, access: DossierAccess, invoice: Invoice | None
) -> tuple[InvoiceForm, Any]:
    posted = request.method == "POST"
    initial: dict[str, Any] = {}
    lines: list[dict[str, Any]] = []
    if invoice is not None:
        initial = {
            "customer": invoice.customer_id,
            "sale_date": invoice.sale_date,
            "due_date": invoice.due_date,
            "delivery_address": invoice.delivery_address,
            "notes": invoice.notes,
        }
        lines = line_initial(invoice.lines.all())
    elif request.GET.get("customer"):
        initial = {"customer": parse_id(request.GET.get("customer"))}
    form = InvoiceForm(
        request.POST if posted else None,
        initial=initial,
        customers=selectors.customers_of(access.dossier),
    )
    formset = LineFormSet(
        request.POST if posted else None,
        prefix="lines",
        initial=lines or None,
        form_kwargs={"products": _products(access)},
    )
    return form, formset


def _specs(formset: Any) -> list[Any]:
    return [spec for f in formset.forms if (spec := f.spec()) is not None]


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest, access: DossierAccess) -> HttpResponse:
    form, formset = _draft_form(request, access, None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            invoice = actions_invoices.invoice_create(
                actor=Actor.from_request(request),
                access=access,
                customer=data["customer"],
                lines=_specs(formset),
                sale_date=data["sale_date"],
                due_date=data["due_date"],
                delivery_address=data["delivery_address"],
                notes=data["notes"],
            )
        except (ActionRefused, ValidationError) as error:
            _refusal(form, error)
        else:
            messages.success(request, _("Le brouillon de facture est enregistré."))
            return redirect(invoice.get_absolute_url())
    context = invoicing_context(
        access,
        form=form,
        formset=formset,
        invoice=None,
        has_customers=form.fields["customer"].queryset.exists(),  # type: ignore[attr-defined]
    )
    return render(request, "invoicing/invoice_form.html", context)


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    if not invoice.is_draft:
        messages.error(request, _("Une facture émise ne se modifie plus : faites un avoir."))
        return redirect(invoice.get_absolute_url())
    form, formset = _draft_form(request, access, invoice)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            actions_invoices.invoice_update(
                actor=Actor.from_request(request),
                access=access,
                invoice=invoice,
                customer=data["customer"],
                lines=_specs(formset),
                sale_date=data["sale_date"],
                due_date=data["due_date"],
                delivery_address=data["delivery_address"],
                notes=data["notes"],
            )
        except (ActionRefused, ValidationError) as error:
            _refusal(form, error)
        else:
            messages.success(request, _("Le brouillon est enregistré."))
            return redirect(invoice.get_absolute_url())
    context = invoicing_context(
        access, form=form, formset=formset, invoice=invoice, has_customers=True
    )
    return render(request, "invoicing/invoice_form.html", context)


# --- One invoice --------------------------------------------------------------------------


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def invoice_detail(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    today = timezone.localdate()
    customer = invoice.customer
    seller = settings_of(access.dossier) if invoice.is_draft else None
    context = invoicing_context(
        access,
        invoice=invoice,
        state=invoice.payment_state(today),
        lines=list(invoice.lines.all()),
        payments=list(invoice.payments.all()),
        sendings=list(invoice.sendings.select_related("sent_by")),
        credit_notes=list(invoice.credit_notes.all()),
        payment_form=PaymentForm(initial={"amount": invoice.balance_due}),
        seller=seller,
        customer=customer,
    )
    return render(request, "invoicing/invoice_detail.html", context)


def _act(request: HttpRequest, invoice: Invoice, call: Any, done: str) -> HttpResponse:
    try:
        result = call()
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(invoice.get_absolute_url())
    messages.success(request, done)
    target = result if isinstance(result, Invoice) else invoice
    return redirect(target.get_absolute_url())


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def invoice_issue(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    return _act(
        request,
        invoice,
        lambda: actions_invoices.invoice_issue(
            actor=Actor.from_request(request), access=access, invoice=invoice
        ),
        _("La facture est émise."),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def invoice_delete(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    try:
        actions_invoices.invoice_delete(
            actor=Actor.from_request(request), access=access, invoice=invoice
        )
    except ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect(invoice.get_absolute_url())
    messages.success(request, _("Le brouillon est supprimé."))
    return redirect("invoicing:invoice_list", slug=access.dossier.slug)


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def invoice_duplicate(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    return _act(
        request,
        invoice,
        lambda: actions_invoices.invoice_duplicate(
            actor=Actor.from_request(request), access=access, invoice=invoice
        ),
        _("Copie créée : un nouveau brouillon."),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def invoice_credit(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    """A draft credit note of the whole invoice; edit its lines for a partial one."""
    invoice = access_invoice(access, pk)
    return _act(
        request,
        invoice,
        lambda: actions_invoices.credit_note_create(
            actor=Actor.from_request(request), access=access, invoice=invoice
        ),
        _("Brouillon d'avoir créé : ajustez ses lignes pour un avoir partiel, puis émettez-le."),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_POST
def invoice_payment(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect(invoice.get_absolute_url())
    data = form.cleaned_data
    return _act(
        request,
        invoice,
        lambda: actions_payments.payment_record(
            actor=Actor.from_request(request),
            access=access,
            invoice=invoice,
            date=data["date"],
            method=data["method"],
            amount=data["amount"],
            reference=data["reference"],
        ),
        _("Le paiement est enregistré."),
    )


@dossier_view(Permission.INVOICE_EDIT)
@require_http_methods(["GET", "POST"])
def invoice_send(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    if invoice.is_draft:
        messages.error(request, _("Émettez la facture avant de l'envoyer."))
        return redirect(invoice.get_absolute_url())
    initial = {
        "to": invoice.buyer.get("email", ""),
        "subject": _("%(title)s %(number)s de %(seller)s")
        % {
            "title": invoice.get_kind_display(),
            "number": invoice.number,
            "seller": access.dossier.name,
        },
        "message": _(
            "Bonjour,\n\nVeuillez trouver ci-joint notre %(title)s n° %(number)s d'un montant "
            "de %(amount)s € TTC, à régler au plus tard le %(due)s.\n\nCordialement,\n%(seller)s"
        )
        % {
            "title": str(invoice.get_kind_display()).lower(),
            "number": invoice.number,
            "amount": invoice.total_gross,
            "due": invoice.due_date.strftime("%d/%m/%Y") if invoice.due_date else "",
            "seller": access.dossier.name,
        },
    }
    form = SendForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions_sending.invoice_send(
                actor=Actor.from_request(request),
                access=access,
                invoice=invoice,
                to=data["to"],
                subject=data["subject"],
                message=data["message"],
                copy_to_sender=data["copy_to_sender"],
            )
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("La facture est envoyée à %(to)s.") % {"to": data["to"]})
            return redirect(invoice.get_absolute_url())
    return render(
        request,
        "invoicing/invoice_send.html",
        invoicing_context(access, form=form, invoice=invoice),
    )


@dossier_view(Permission.INVOICE_VIEW)
@require_GET
def invoice_download(request: HttpRequest, access: DossierAccess, pk: int) -> HttpResponse:
    invoice = access_invoice(access, pk)
    if invoice.is_draft:
        messages.error(request, _("Un brouillon n'a pas de PDF : émettez-le d'abord."))
        return redirect(invoice.get_absolute_url())
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(invoice)}"'
    return response


urlpatterns: list[URLPattern] = [
    path("d/<slug:slug>/invoices/", invoice_list, name="invoice_list"),
    path("d/<slug:slug>/invoices/new/", invoice_create, name="invoice_create"),
    path("d/<slug:slug>/invoices/<id:pk>/", invoice_detail, name="invoice_detail"),
    path("d/<slug:slug>/invoices/<id:pk>/edit/", invoice_edit, name="invoice_edit"),
    path("d/<slug:slug>/invoices/<id:pk>/issue/", invoice_issue, name="invoice_issue"),
    path("d/<slug:slug>/invoices/<id:pk>/delete/", invoice_delete, name="invoice_delete"),
    path("d/<slug:slug>/invoices/<id:pk>/duplicate/", invoice_duplicate, name="invoice_duplicate"),
    path("d/<slug:slug>/invoices/<id:pk>/credit/", invoice_credit, name="invoice_credit"),
    path("d/<slug:slug>/invoices/<id:pk>/payment/", invoice_payment, name="invoice_payment"),
    path("d/<slug:slug>/invoices/<id:pk>/send/", invoice_send, name="invoice_send"),
    path("d/<slug:slug>/invoices/<id:pk>/pdf/", invoice_download, name="invoice_pdf"),
]
