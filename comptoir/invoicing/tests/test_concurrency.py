"""Several people issuing at the same moment: real concurrent transactions, each thread
with its own connection, released together. PostgreSQL only: SQLite serialises every
writer on one file lock, so nothing would race there."""

import pytest
from django.db import connection

from comptoir.audit.actions import Actor
from comptoir.testing.concurrency import together

from ..actions_invoices import invoice_issue
from ..models import Invoice
from .conftest import access_of, make_customer, make_invoice, seller_setup

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises writers on one lock: concurrency is tested on PostgreSQL",
    ),
]


@pytest.mark.parametrize("attempt", range(3))
def test_issuing_at_once_gives_consecutive_numbers_without_gap_or_duplicate(office, attempt):
    seller_setup(office)
    customer = make_customer(office)
    drafts = [make_invoice(office, customer=customer) for _ in range(6)]
    people = ["owner", "admin", "accountant", "staff", "owner", "admin"]

    def issue(invoice, who):
        return lambda: (
            invoice_issue(
                actor=Actor(user=office["users"][who]),
                access=access_of(office, who),
                invoice=invoice,
            ).number
        )

    answers = together(*(issue(d, who) for d, who in zip(drafts, people, strict=True)))
    assert all(isinstance(a, str) for a in answers), answers
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 6
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3, 4, 5, 6]


def test_issuing_the_same_draft_twice_at_once_issues_it_once(office):
    seller_setup(office)
    draft = make_invoice(office)

    def issue(who):
        return lambda: invoice_issue(
            actor=Actor(user=office["users"][who]), access=access_of(office, who), invoice=draft
        )

    answers = together(issue("owner"), issue("accountant"))
    assert sum(isinstance(a, Invoice) for a in answers) == 1
    assert Invoice.objects.get().number.endswith("-00001")
