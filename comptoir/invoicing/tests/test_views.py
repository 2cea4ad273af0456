import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from comptoir.core.tests.test_security_headers import assert_strict_page

from ..models import Customer, Invoice, InvoiceSending, Payment, Quote, QuoteStatus
from .conftest import make_customer, make_invoice, make_product


def client_of(office, who="owner"):
    client = Client()
    client.force_login(office["users"][who])
    return client


def url(office, name, *args):
    return reverse(f"invoicing:{name}", args=[office["dossier"].slug, *args])


def lines_post(rows):
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        base = {"unit": "C62", "vat_rate": "20.00", "kind": "service"}
        base.update(row)
        data.update({f"lines-{i}-{k}": v for k, v in base.items()})
    return data


def test_the_pages_render_strict(office, seller):
    invoice = make_invoice(office, issue=True)
    product = make_product(office)
    client = client_of(office)
    for name, args in [
        ("invoice_list", []),
        ("invoice_create", []),
        ("invoice_detail", [invoice.pk]),
        ("invoice_send", [invoice.pk]),
        ("quote_list", []),
        ("quote_create", []),
        ("customer_list", []),
        ("customer_create", []),
        ("customer_edit", [invoice.customer_id]),
        ("product_list", []),
        ("product_create", []),
        ("product_edit", [product.pk]),
        ("invoicing_settings", []),
    ]:
        assert_strict_page(client.get(url(office, name, *args)))


def test_the_list_query_count_does_not_grow(office, seller, django_assert_num_queries):
    client = client_of(office)
    customer = make_customer(office)
    for _ in range(3):
        make_invoice(office, customer=customer, issue=True)
    client.get(url(office, "invoice_list"))  # warm the session
    with django_assert_num_queries(13):
        client.get(url(office, "invoice_list"))
    for _ in range(25):
        make_invoice(office, customer=make_customer(office, "Autre"), issue=True)
    with django_assert_num_queries(14):  # the filter's customer is looked up
        response = client.get(url(office, "invoice_list") + f"?customer={customer.pk}&state=issued")
    with django_assert_num_queries(13):
        response = client.get(url(office, "invoice_list"))
    assert response.status_code == 200
    assert response.text.count("<tr>") == 29  # the header and the 28 invoices


def test_the_list_is_keyset_paginated_and_filtered(office, seller):
    from .. import selectors

    customer, other = make_customer(office), make_customer(office, "Autre")
    invoices = [make_invoice(office, customer=customer, issue=True) for _ in range(5)]
    make_invoice(office, customer=other)
    page, after = selectors.invoices_page(
        office["dossier"],
        selectors.InvoiceFilters(customer_id=customer.pk),
        today=datetime.date.today(),
        size=3,
    )
    assert [i.pk for i in page] == [i.pk for i in reversed(invoices)][:3]
    page, after = selectors.invoices_page(
        office["dossier"],
        selectors.InvoiceFilters(customer_id=customer.pk),
        today=datetime.date.today(),
        size=3,
        before=after,
    )
    assert [i.pk for i in page] == [invoices[1].pk, invoices[0].pk]
    assert after is None
    response = client_of(office).get(url(office, "invoice_list") + "?state=draft")
    assert "Autre</td>" in response.text
    assert "Dupont Industries</td>" not in response.text
    response = client_of(office).get(url(office, "invoice_list") + "?state=nope&start=x")
    assert response.status_code == 200


def test_create_issue_pay_send_and_download_through_the_pages(
    office, seller, django_capture_on_commit_callbacks
):
    client = client_of(office)
    customer = make_customer(office)
    data = {
        "customer": customer.pk,
        **lines_post(
            [
                {"designation": "Audit", "quantity": "2", "unit_price": "150.00"},
                {"designation": ""},
            ]
        ),
    }
    response = client.post(url(office, "invoice_create"), data)
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert invoice.total_gross == 360
    client.post(url(office, "invoice_issue", invoice.pk))
    invoice.refresh_from_db()
    assert invoice.number.startswith("F-")
    response = client.get(url(office, "invoice_pdf", invoice.pk))
    assert response["Content-Type"] == "application/pdf"
    assert response.content[:4] == b"%PDF"
    client.post(
        url(office, "invoice_payment", invoice.pk),
        {"date": datetime.date.today().isoformat(), "method": "transfer", "amount": "60.00"},
    )
    assert Payment.objects.get().amount == 60
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(office, "invoice_send", invoice.pk),
            {
                "to": "compta@dupont.test",
                "subject": "Votre facture",
                "message": "Bonjour",
                "copy_to_sender": "on",
            },
        )
    assert response.status_code == 302
    assert InvoiceSending.objects.get().to == "compta@dupont.test"
    (email,) = mail.outbox
    assert email.cc == ["owner@alpha.test"]
    assert email.attachments[0][0] == f"Facture-{invoice.number}.pdf"
    page = client.get(url(office, "invoice_detail", invoice.pk)).text
    assert "compta@dupont.test" in page
    assert "300,00 €</dd>" in page  # what is left to pay


def test_bad_input_is_a_form_error_and_changes_nothing(office, seller):
    client = client_of(office)
    response = client.post(
        url(office, "customer_create"),
        {
            "kind": "company",
            "name": "Mauvais",
            "country": "FR",
            "siren": "123456789",
            "vat_number": "FR00123456789",
        },
    )
    assert response.status_code == 200
    assert not Customer.objects.exists()
    assert "SIREN" in response.text
    customer = make_customer(office)
    response = client.post(
        url(office, "invoice_create"),
        {
            "customer": customer.pk,
            **lines_post([{"designation": "X", "quantity": "-1", "unit_price": "abc"}]),
        },
    )
    assert response.status_code == 200
    assert not Invoice.objects.exists()


def test_quote_pages_accept_and_convert(office, seller):
    client = client_of(office)
    customer = make_customer(office)
    product = make_product(office)
    client.post(
        url(office, "quote_create"),
        {
            "customer": customer.pk,
            **lines_post([{"product": product.pk, "quantity": "3"}]),
        },
    )
    quote = Quote.objects.get()
    assert quote.total_net == 240
    client.post(url(office, "quote_send", quote.pk))
    client.post(url(office, "quote_decide", quote.pk), {"decision": "accept"})
    response = client.post(url(office, "quote_convert", quote.pk))
    quote.refresh_from_db()
    invoice = Invoice.objects.get()
    assert quote.status == QuoteStatus.ACCEPTED
    assert invoice.quote == quote
    assert response["Location"] == invoice.get_absolute_url()


def test_read_only_sees_but_cannot_act(office, seller):
    invoice = make_invoice(office)
    client = client_of(office, "readonly")
    page = client.get(url(office, "invoice_detail", invoice.pk))
    assert page.status_code == 200
    assert "Émettre" not in page.text
    assert client.post(url(office, "invoice_issue", invoice.pk)).status_code == 403
    assert client_of(office, "user").get(url(office, "invoice_list")).status_code == 403


@pytest.mark.parametrize("who", ["owner", "readonly"])
def test_the_dossier_home_shows_what_is_due_and_overdue(office, seller, who):
    from comptoir.audit.actions import Actor

    from ..actions_invoices import invoice_issue
    from .conftest import access_of

    late = make_invoice(office)
    invoice_issue(
        actor=Actor(user=office["users"]["owner"]),
        access=access_of(office, "owner"),
        invoice=late,
        issue_date=datetime.date.today() - datetime.timedelta(days=90),
    )
    make_invoice(office, issue=True)
    home = client_of(office, who).get(
        reverse("dossiers:dossier_home", args=[office["dossier"].slug])
    )
    assert "384,00 €" in home.text  # 2 x 192.00 due
    assert ">192,00 €</a>" in home.text  # of which late
    nav = client_of(office, "user").get(
        reverse("dossiers:dossier_home", args=[office["dossier"].slug])
    )
    assert "Reste à encaisser" not in nav.text


def test_an_utilisateur_invoices_only_when_the_owner_allows_it(office, seller):
    from comptoir.dossiers.models import Membership

    client = client_of(office, "user")
    assert client.get(url(office, "invoice_list")).status_code == 403
    Membership.objects.filter(user=office["users"]["user"]).update(
        extra_permissions=["invoice.view"]
    )
    assert client.get(url(office, "invoice_list")).status_code == 200
    assert client.get(url(office, "invoice_create")).status_code == 403
    Membership.objects.filter(user=office["users"]["user"]).update(
        extra_permissions=["invoice.view", "invoice.edit"]
    )
    customer = make_customer(office)
    response = client.post(
        url(office, "invoice_create"),
        {
            "customer": customer.pk,
            **lines_post([{"designation": "A", "quantity": "1", "unit_price": "10"}]),
        },
    )
    assert response.status_code == 302
    assert Invoice.objects.get().created_by == office["users"]["user"]
