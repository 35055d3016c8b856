"""Settlement statements (points/services/settlement.py): the monthly run over every
shop, the month that ends exactly now, and a paid statement left as it was."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from points.exceptions import MonthNotOver
from points.models import SettlementStatement, Voucher
from points.services.settlement import (
    statement_generate,
    statement_mark_paid,
    statements_generate_month,
)
from tests.factories import UserFactory
from tests.points.test_shops import make_shop, redeem_at, vouchers  # noqa: F401

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()
OCTOBER_DAY = dt.datetime(2026, 10, 15, 12, tzinfo=TOKYO)
NOVEMBER_START = dt.datetime(2026, 11, 1, tzinfo=TOKYO)


@pytest.fixture
def october(vouchers):  # noqa: F811
    """Two shops with October redemptions (two and one), a third with November's."""
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    (a, clerk_a), (b, clerk_b), (c, clerk_c) = (make_shop(n) for n in ("甲", "乙", "丙"))
    redeem_at(vouchers[0], a, clerk_a, OCTOBER_DAY)
    redeem_at(vouchers[1], a, clerk_a, OCTOBER_DAY + dt.timedelta(days=1))
    redeem_at(vouchers[2], b, clerk_b, OCTOBER_DAY)
    redeem_at(vouchers[3], c, clerk_c, NOVEMBER_START)
    return a, b, c


def test_the_monthly_run_makes_one_statement_per_shop_with_redemptions(october):
    a, b, c = october
    with mock.patch(
        "django.utils.timezone.now", return_value=dt.datetime(2026, 12, 5, tzinfo=TOKYO)
    ):
        assert statements_generate_month(month=dt.date(2026, 10, 3)) == 2
        assert statements_generate_month(month=dt.date(2026, 10, 3)) == 2  # refreshed, same
    rows = {
        s.shop_id: (s.month, s.voucher_count, s.total_points, s.total_yen)
        for s in SettlementStatement.objects.all()
    }
    points, yen = Voucher.objects.values_list("points", "face_value_yen").first()
    assert rows == {
        a.pk: (dt.date(2026, 10, 1), 2, 2 * points, 2 * yen),
        b.pk: (dt.date(2026, 10, 1), 1, points, yen),
    }


def test_a_month_ending_exactly_now_is_over(october):
    a, _, _ = october
    with (
        mock.patch(
            "django.utils.timezone.now", return_value=NOVEMBER_START - dt.timedelta(microseconds=1)
        ),
        pytest.raises(MonthNotOver),
    ):
        statement_generate(shop=a, month=dt.date(2026, 10, 1))
    with mock.patch("django.utils.timezone.now", return_value=NOVEMBER_START):
        statement = statement_generate(shop=a, month=dt.date(2026, 10, 1))
        assert statements_generate_month(month=dt.date(2026, 10, 1)) == 2
    assert statement.voucher_count == 2 and statement.generated_at == NOVEMBER_START


def test_a_paid_statement_is_never_changed(october):
    a, _, _ = october
    city = UserFactory(roles=["city_staff"])
    with mock.patch(
        "django.utils.timezone.now", return_value=dt.datetime(2026, 12, 5, tzinfo=TOKYO)
    ):
        statement = statement_generate(shop=a, month=dt.date(2026, 10, 1))
        statement_mark_paid(statement=statement, actor=city)
        # A late correction: one of the shop's October redemptions is moved out.
        Voucher.objects.filter(shop=a).order_by("pk").filter(
            pk=Voucher.objects.filter(shop=a).order_by("pk").values("pk")[:1]
        ).update(redeemed_at=NOVEMBER_START)
        again = statement_generate(shop=a, month=dt.date(2026, 10, 1))
    assert again.pk == statement.pk
    assert (again.status, again.voucher_count) == (SettlementStatement.Status.PAID, 2)


def test_a_month_not_over_is_named_by_its_first_day(october):
    a, _, _ = october
    with (
        mock.patch("django.utils.timezone.now", return_value=OCTOBER_DAY),
        pytest.raises(MonthNotOver) as excinfo,
    ):
        statement_generate(shop=a, month=dt.date(2026, 10, 20))
    assert excinfo.value.details == {"month": "2026-10-01"}


def test_the_monthly_run_takes_only_that_months_redemptions(october):
    _, _, c = october
    with mock.patch(
        "django.utils.timezone.now", return_value=dt.datetime(2026, 12, 5, tzinfo=TOKYO)
    ):
        # a and b redeemed in October, before November: only c has a November statement.
        assert statements_generate_month(month=dt.date(2026, 11, 1)) == 1
    assert list(SettlementStatement.objects.values_list("shop_id", "month")) == [
        (c.pk, dt.date(2026, 11, 1))
    ]


def test_a_month_without_redemptions_gives_an_empty_statement_paid_without_a_posting(
    october,
):
    _, _, c = october
    city = UserFactory(roles=["city_staff"])
    with mock.patch(
        "django.utils.timezone.now", return_value=dt.datetime(2026, 12, 5, tzinfo=TOKYO)
    ):
        statement = statement_generate(shop=c, month=dt.date(2026, 10, 1))
        assert (statement.voucher_count, statement.total_points, statement.total_yen) == (0, 0, 0)
        paid = statement_mark_paid(statement=statement, actor=city)
    assert (paid.status, paid.payment) == (SettlementStatement.Status.PAID, None)


def test_paying_records_who_when_and_the_ledger_posting(october):
    a, _, _ = october
    city = UserFactory(roles=["city_staff"])
    moment = dt.datetime(2026, 12, 5, 10, tzinfo=TOKYO)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        statement = statement_generate(shop=a, month=dt.date(2026, 10, 1))
        statement_mark_paid(statement=statement, actor=city)
    statement.refresh_from_db()
    assert (statement.status, statement.paid_at, statement.paid_by) == (
        SettlementStatement.Status.PAID,
        moment,
        city,
    )
    txn = statement.payment
    assert (txn.actor_id, txn.reference, txn.idempotency_key) == (
        city.pk,
        f"statement:{statement.pk}",
        f"statement:{statement.pk}:paid",
    )
    assert sorted(txn.entries.values_list("amount", flat=True)) == [
        -statement.total_points,
        statement.total_points,
    ]
