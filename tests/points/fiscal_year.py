"""A generated year of points activity, posted through the real services at frozen
moments: awards (some held back by the limits), exchanges, redemptions, voucher and
point expiry, spread over a fiscal year and a little either side, plus events exactly
at the year's edges (31 March 23:59:59 JST and 1 April 00:00 JST)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

from accounts.models import User
from points.models import EarningRule, ExchangeSettings, Shop, ShopMembership, Transaction, Voucher
from points.selectors import voucher_code, wallet_balance
from points.services.earning import points_award
from points.services.expiry import points_expire_due
from points.services.vouchers import voucher_exchange, voucher_redeem, vouchers_expire_due
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory, new_key

TOKYO = ZoneInfo("Asia/Tokyo")
SEED = 20260401


def at(year, month, day, hour=10, minute=0, second=0, micro=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=TOKYO)


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    """``timezone.now`` and the time stamps the models take by default (a field's
    default is the function itself, read once: patching ``timezone.now`` alone leaves
    ``Transaction.created_at`` at the real clock)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", return_value=moment))
        for model, name in ((Transaction, "created_at"), (Voucher, "issued_at")):
            field = model._meta.get_field(name)
            stack.enter_context(mock.patch.object(field, "_get_default", lambda: moment))
        yield


@dataclass
class PointsYear:
    people: list[User]
    rules: list[EarningRule]
    shop: Shop
    clerk: User


def award(person, rule, moment, minutes):
    with frozen(moment):
        return points_award(
            user=person,
            rule=rule,
            activity_date=moment.astimezone(TOKYO).date(),
            duration_minutes=minutes,
            idempotency_key=new_key("award"),
        )


def exchange(person, moment, count=1):
    with frozen(moment):
        return voucher_exchange(user=person, count=count, idempotency_key=new_key("exchange"))


def redeem(voucher, year: PointsYear, moment):
    with frozen(moment):
        return voucher_redeem(typed_code=voucher_code(voucher), shop=year.shop, staff=year.clerk)


def build_points_year(*, people: list[User] | None = None, seed: int = SEED) -> PointsYear:
    """Fiscal year 2026 (令和8年度) with a few weeks of 2027 after it, and points
    earned in fiscal 2024 that expire on 1 April 2026 (end of the following year)."""
    rnd = random.Random(seed)
    rules = [
        EarningRuleFactory(name="サロン運営", points=100, rounding_minutes=60, daily_cap=200),
        EarningRuleFactory(
            name="施設訪問",
            basis=EarningRule.Basis.PER_VISIT,
            points=200,
            min_minutes=30,
            yearly_cap=1400,
        ),
    ]
    people = people or [UserFactory(roles=["volunteer"]) for _ in range(6)]
    shop = Shop.objects.create(name="さくら青果店", address="中央1-2-3")
    clerk = UserFactory(roles=["shop_staff"])
    ShopMembership.objects.create(user=clerk, shop=shop)
    year = PointsYear(people, rules, shop, clerk)
    # Vouchers valid for 60 days: some of the year's expire unused.
    ExchangeSettings.objects.filter(pk=ExchangeSettings.load().pk).update(valid_days=60)

    # Fiscal 2024: points valid until 31 March 2026, expired by the run of 5 April 2026.
    for person in people[:3]:
        award(person, rules[0], at(2024, 6, 10 + people.index(person)), 120)
    with frozen(at(2026, 4, 5, 3)):
        points_expire_due(as_of=dt.date(2026, 4, 5))

    day = dt.date(2026, 3, 1)
    while day <= dt.date(2027, 4, 30):
        for _ in range(rnd.randint(0, 2)):
            person = rnd.choice(people)
            moment = at(day.year, day.month, day.day, rnd.randint(8, 18), rnd.randint(0, 59))
            award(person, rnd.choice(rules), moment, rnd.choice([60, 90, 120, 180, 240]))
        if day.day in (7, 21):
            moment = at(day.year, day.month, day.day, 19)
            for person in people:
                if wallet_balance(person) >= 500 and rnd.random() < 0.6:
                    exchange(person, moment)
        if day.day in (3, 25):
            moment = at(day.year, day.month, day.day, 12)
            issued = list(
                Voucher.objects.filter(
                    status=Voucher.Status.ISSUED, expires_on__gte=day, issued_at__lt=moment
                ).order_by("pk")
            )
            for voucher in rnd.sample(issued, k=len(issued) // 3):
                redeem(voucher, year, moment)
        if day.day == 1:
            with frozen(at(day.year, day.month, day.day, 2)):
                vouchers_expire_due(as_of=day)
        day += dt.timedelta(days=1)

    # The edges of fiscal 2026: the last microsecond of 31 March and 1 April at 00:00.
    edge = people[0]
    award(edge, rules[0], at(2027, 3, 31, 23, 59, 59, 999_999), 60)
    award(edge, rules[0], at(2027, 4, 1, 0, 0, 0), 60)
    if wallet_balance(edge) < 500:
        award(edge, rules[1], at(2027, 3, 31, 23, 50), 60)
    _txn, (late,) = exchange(edge, at(2027, 3, 31, 23, 59, 59))
    redeem(late, year, at(2027, 4, 1, 0, 0, 0))
    return year
