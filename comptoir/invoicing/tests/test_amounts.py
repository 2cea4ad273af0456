from decimal import Decimal as D

import pytest

from ..amounts import line_net, totals


class L:
    def __init__(self, net, rate):
        self.net_amount, self.vat_rate = D(net), rate


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "net"),
    [
        ("1", "10.00", "0", "10.00"),
        ("3", "0.335", "0", "1.01"),  # 1.005 rounds half-up, never to even
        ("0.125", "10.00", "0", "1.25"),
        ("2.5", "19.99", "1.00", "48.98"),  # 49.975 → 49.98, minus the discount
        ("1.333", "3.00", "0", "4.00"),  # 3.999
    ],
)
def test_line_net_is_rounded_half_up_to_the_cent(quantity, price, discount, net):
    assert line_net(quantity=D(quantity), unit_price=D(price), discount=D(discount)) == D(net)


def test_vat_is_computed_per_rate_on_the_sum_of_the_nets():
    # Three lines of 0.05 at 20 %: 0.01 each when rounded per line (0.03), but 0.15 x 20 %
    # = 0.03 exactly on the sum; with 0.10 the difference shows: per line 0.02 x 3 = 0.06.
    result = totals([L("0.10", "20.00"), L("0.10", "20.00"), L("0.10", "20.00")])
    assert [(r.rate, r.base, r.vat) for r in result.rates] == [(D("20.00"), D("0.30"), D("0.06"))]
    result = totals([L("0.07", "20.00"), L("0.07", "20.00")])
    assert result.rates[0].vat == D("0.03")  # 0.14 x 0.2 = 0.028, not 2 x 0.01


def test_totals_reconcile_across_rates():
    lines = [
        L("100.00", "20.00"),
        L("33.33", "5.50"),
        L("10.01", "2.10"),
        L("7.00", "0.00"),
        L("12.34", "8.50"),
        L("50.00", "10.00"),
    ]
    result = totals(lines)
    assert [r.rate for r in result.rates] == [D(x) for x in ("20", "10", "8.5", "5.5", "2.1", "0")]
    assert result.net == sum((line.net_amount for line in lines), D("0"))
    assert result.vat == sum((r.vat for r in result.rates), D("0"))
    assert result.gross == result.net + result.vat
    assert result.rates[1].vat == D("5.00")
    assert result.rates[3].vat == D("1.83")


def test_the_exemption_puts_every_line_at_zero():
    result = totals([L("100.00", "20.00"), L("50.00", "5.50")], vat_exempt=True)
    assert [(r.rate, r.base, r.vat) for r in result.rates] == [(D("0.00"), D("150.00"), D("0.00"))]
    assert result.gross == D("150.00")
