"""entry_post and entry_lines_letter: what they accept, what they refuse, and that the
database itself refuses to change an entry."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from comptoir.core.exceptions import ActionRefused

from ..actions import EntryLineSpec, entry_lines_letter, entry_post, lettering_code
from ..models import Entry, EntryLine
from .factories import payment, sale

DAY = datetime.date(2026, 3, 10)


def post(dossier, lines, **extra):
    arguments = {
        "dossier": dossier,
        "journal": "VE",
        "on": DAY,
        "piece_ref": "F2026-0001",
        "piece_date": DAY,
        "label": "Facture F2026-0001",
        "lines": lines,
        "source": "test",
        "source_id": 1,
        **extra,
    }
    with transaction.atomic():
        return entry_post(**arguments)


def test_a_balanced_sale_is_written_with_its_lines(office):
    entry = sale(office["dossier"], on=DAY, net="100.00", vat="20.00")
    assert entry.total == Decimal("120.00")
    assert entry.fiscal_year_end == datetime.date(2026, 12, 31)
    assert entry.batch is None
    assert entry.number is None
    lines = list(entry.lines.order_by("position"))
    assert [(x.account, x.debit, x.credit) for x in lines] == [
        ("411000", Decimal("120.00"), Decimal("0.00")),
        ("706000", Decimal("0.00"), Decimal("100.00")),
        ("445712", Decimal("0.00"), Decimal("20.00")),
    ]
    # Labels come from the chart at posting; an empty line label takes the entry's.
    assert [x.account_label for x in lines] == [
        "Clients",
        "Prestations de services",
        "TVA collectée 20 %",
    ]
    assert lines[0].auxiliary == "C0001"
    assert lines[1].label == entry.label


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "au moins une ligne"),
        (
            [
                EntryLineSpec("411000", debit=Decimal("10.00")),
                EntryLineSpec("706000", credit=Decimal("9.99")),
            ],
            "déséquilibrée",
        ),
        (
            [EntryLineSpec("411000", debit=Decimal("10.00"), credit=Decimal("10.00"))],
            "soit au débit",
        ),
        ([EntryLineSpec("411000"), EntryLineSpec("706000")], "soit au débit"),
        (
            [
                EntryLineSpec("411000", debit=Decimal("10.005")),
                EntryLineSpec("706000", credit=Decimal("10.005")),
            ],
            "deux décimales",
        ),
        (
            [
                EntryLineSpec("411000", debit=Decimal("-10")),
                EntryLineSpec("706000", credit=Decimal("-10")),
            ],
            "négatif",
        ),
        (
            [EntryLineSpec("411000", debit=10), EntryLineSpec("706000", credit=10)],  # type: ignore[arg-type]
            "nombre décimal",
        ),
        (
            [
                EntryLineSpec("ABC", debit=Decimal("10")),
                EntryLineSpec("706000", credit=Decimal("10")),
            ],
            "trois chiffres",
        ),
    ],
)
def test_refused_entries_write_nothing(office, lines, message):
    with pytest.raises(ActionRefused, match=message):
        post(office["dossier"], lines)
    assert not Entry.objects.exists()
    assert not EntryLine.objects.exists()


def test_an_unknown_journal_and_a_missing_piece_are_refused(office):
    lines = [
        EntryLineSpec("512000", debit=Decimal("5")),
        EntryLineSpec("411000", credit=Decimal("5")),
    ]
    with pytest.raises(ActionRefused, match="Journal inconnu"):
        post(office["dossier"], lines, journal="OD")
    with pytest.raises(ActionRefused, match="référence de pièce"):
        post(office["dossier"], lines, piece_ref="  ")


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_a_programming_error(office):
    with pytest.raises(RuntimeError, match="transaction"):
        entry_post(
            dossier=office["dossier"],
            journal="VE",
            on=DAY,
            piece_ref="F1",
            piece_date=DAY,
            label="Facture",
            lines=[
                EntryLineSpec("411000", debit=Decimal("1")),
                EntryLineSpec("706000", credit=Decimal("1")),
            ],
            source="test",
            source_id=1,
        )


def test_a_fiscal_year_closing_in_june_is_followed(office):
    dossier = office["dossier"]
    dossier.fiscal_year_end_month, dossier.fiscal_year_end_day = 6, 30
    dossier.save()
    assert sale(dossier, on=datetime.date(2026, 6, 30)).fiscal_year_end == datetime.date(
        2026, 6, 30
    )
    assert sale(dossier, on=datetime.date(2026, 7, 1)).fiscal_year_end == datetime.date(2027, 6, 30)


# --- Entries never change ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"label": "Autre libellé"},
        {"date": datetime.date(2026, 1, 1)},
        {"total": Decimal("1.00")},
        {"piece_ref": "F-X"},
    ],
)
def test_the_database_refuses_to_change_an_entry(office, change):
    entry = sale(office["dossier"], on=DAY)
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(**change)
    entry.refresh_from_db()
    assert entry.label.startswith("Facture")


@pytest.mark.parametrize(
    "change", [{"debit": Decimal("1.00")}, {"account": "707000"}, {"label": "x"}]
)
def test_the_database_refuses_to_change_a_line(office, change):
    entry = sale(office["dossier"], on=DAY)
    line = entry.lines.get(position=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        EntryLine.objects.filter(pk=line.pk).update(**change)


def test_the_database_refuses_to_delete_entries_and_lines(office):
    entry = sale(office["dossier"], on=DAY)
    with pytest.raises(DatabaseError), transaction.atomic():
        EntryLine.objects.filter(entry=entry).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounting_entry WHERE id = %s", [entry.pk])
    assert EntryLine.objects.filter(entry=entry).count() == 3


def test_lettering_is_the_one_change_a_line_takes(office):
    entry = sale(office["dossier"], on=DAY)
    EntryLine.objects.filter(entry=entry).update(lettering="A", lettered_on=DAY)
    assert set(entry.lines.values_list("lettering", flat=True)) == {"A"}


# --- Lettering ----------------------------------------------------------------------------


def test_lettering_codes_run_a_to_z_then_aa():
    assert [lettering_code(n) for n in (1, 2, 26, 27, 28, 52, 53, 702, 703)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def customer_lines(*entries):
    return [line for entry in entries for line in entry.lines.filter(account="411000")]


def test_an_invoice_and_its_payment_are_lettered_in_sequence(office):
    dossier = office["dossier"]
    first = sale(dossier, on=DAY), payment(dossier, on=DAY)
    second = sale(dossier, on=DAY), payment(dossier, on=DAY)
    with transaction.atomic():
        assert entry_lines_letter(dossier=dossier, lines=customer_lines(*first), on=DAY) == "A"
    with transaction.atomic():
        assert entry_lines_letter(dossier=dossier, lines=customer_lines(*second), on=DAY) == "B"
    lettered = EntryLine.objects.filter(entry__in=first, account="411000")
    assert {(x.lettering, x.lettered_on) for x in lettered} == {("A", DAY)}
    assert not EntryLine.objects.filter(account="706000").exclude(lettering="").exists()


def test_lettering_sequences_are_per_dossier(office):
    for dossier in (office["dossier"], office["other_dossier"]):
        pair = sale(dossier, on=DAY), payment(dossier, on=DAY)
        with transaction.atomic():
            assert entry_lines_letter(dossier=dossier, lines=customer_lines(*pair), on=DAY) == "A"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unbalanced", "ne s'équilibrent pas"),
        ("revenue", "même compte client"),
        ("twice", "déjà lettrée"),
        ("foreign", "pas toutes de ce dossier"),
        ("one", "au moins deux"),
    ],
)
def test_lettering_refusals(office, case, message):
    dossier = office["dossier"]
    invoice = sale(dossier, on=DAY)
    paid = payment(dossier, on=DAY, amount="100.00" if case == "unbalanced" else "120.00")
    lines = customer_lines(invoice, paid)
    if case == "revenue":
        lines = [*lines, invoice.lines.get(account="706000")]
    elif case == "twice":
        with transaction.atomic():
            entry_lines_letter(dossier=dossier, lines=lines, on=DAY)
    elif case == "foreign":
        lines = [*lines, *customer_lines(sale(office["other_dossier"], on=DAY))]
    elif case == "one":
        lines = lines[:1]
    with pytest.raises(ActionRefused, match=message), transaction.atomic():
        entry_lines_letter(dossier=dossier, lines=lines, on=DAY)


def test_open_customer_lines_are_found_by_their_sources(office):
    from ..selectors import open_customer_lines

    dossier = office["dossier"]
    invoice, paid = sale(dossier, on=DAY), payment(dossier, on=DAY)
    sale(dossier, on=DAY)  # another invoice: not asked for
    sources = [(invoice.source, invoice.source_id), (paid.source, paid.source_id)]
    lines = open_customer_lines(dossier=dossier, sources=sources)
    assert [(x.entry_id, x.account) for x in lines] == [
        (invoice.pk, "411000"),
        (paid.pk, "411000"),
    ]
    with transaction.atomic():
        entry_lines_letter(dossier=dossier, lines=lines, on=DAY)
    assert open_customer_lines(dossier=dossier, sources=sources) == []
    assert open_customer_lines(dossier=office["other_dossier"], sources=sources) == []
