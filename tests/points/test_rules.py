"""Earning rules of real schemes, reproduced through ``points_award``.

Komaki: 100 pt an hour, from age 18. Yokohama: 200 pt a visit of at least 30 minutes,
200 a day, 8,000 a fiscal year. Inagi: 1 stamp (100 pt) an hour, 2 stamps a day,
5,000 pt a year. Nagakute: 1 pt an hour, 2 a day, 50 a year.
"""

from __future__ import annotations

import datetime as dt

import pytest

from points.exceptions import CapReached, RuleNotApplicable
from points.models import AccountKind, CapReason, EarningRule, Entry, Transaction, TransactionKind
from points.selectors import wallet_balance
from points.services.earning import points_award
from points.services.postings import transaction_reverse
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory, ledger_state, new_key, wallet_lines

pytestmark = pytest.mark.django_db

PER_HOUR, PER_VISIT = EarningRule.Basis.PER_HOUR, EarningRule.Basis.PER_VISIT
FISCAL, CALENDAR = EarningRule.YearBasis.FISCAL, EarningRule.YearBasis.CALENDAR
DAILY, YEARLY, NONE = CapReason.DAILY, CapReason.YEARLY, CapReason.NONE

SCHEMES = {
    "komaki": {"basis": PER_HOUR, "points": 100, "rounding_minutes": 60, "min_age": 18},
    "yokohama": {
        "basis": PER_VISIT,
        "points": 200,
        "min_minutes": 30,
        "daily_cap": 200,
        "yearly_cap": 8000,
    },
    "inagi": {
        "basis": PER_HOUR,
        "points": 100,
        "rounding_minutes": 60,
        "daily_cap": 200,
        "yearly_cap": 5000,
    },
    "nagakute": {
        "basis": PER_HOUR,
        "points": 1,
        "rounding_minutes": 60,
        "daily_cap": 2,
        "yearly_cap": 50,
    },
}

DAY = dt.date(2025, 6, 2)  # a Monday in fiscal year 2025
ADULT_BIRTH_DATE = dt.date(1950, 5, 1)


def scheme_rule(scheme: str, **overrides) -> EarningRule:
    return EarningRuleFactory(activity_kind=scheme, **{**SCHEMES[scheme], **overrides})


def award(user, rule, day, minutes, **kwargs) -> Transaction:
    return points_award(
        user=user,
        rule=rule,
        activity_date=day,
        duration_minutes=minutes,
        idempotency_key=new_key("award"),
        **kwargs,
    )


def credited(txn: Transaction) -> int:
    """Points the award put in the volunteer's wallet (read from its entries)."""
    return Entry.objects.get(transaction=txn, account__kind=AccountKind.WALLET).amount


@pytest.fixture
def adult(db):
    return UserFactory(birth_date=ADULT_BIRTH_DATE, roles=["volunteer"])


# --- One day of activity per scheme -------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "visits", "expected"),
    [
        # (day offset, minutes) -> (credited, capped, cap reason)
        pytest.param("komaki", [(0, 60)], [(100, 0, NONE)], id="komaki-1h"),
        pytest.param("komaki", [(0, 150)], [(200, 0, NONE)], id="komaki-2h30-rounds-down"),
        pytest.param(
            "komaki",
            [(0, 180), (0, 180), (0, 180)],
            [(300, 0, NONE)] * 3,
            id="komaki-no-daily-limit",
        ),
        pytest.param("yokohama", [(0, 30)], [(200, 0, NONE)], id="yokohama-30min"),
        pytest.param("yokohama", [(0, 240)], [(200, 0, NONE)], id="yokohama-per-visit"),
        pytest.param(
            "yokohama",
            [(0, 30), (0, 90)],
            [(200, 0, NONE), (0, 200, DAILY)],
            id="yokohama-second-visit-same-day",
        ),
        pytest.param(
            "yokohama",
            [(0, 30), (1, 30)],
            [(200, 0, NONE), (200, 0, NONE)],
            id="yokohama-next-day",
        ),
        pytest.param("inagi", [(0, 60)], [(100, 0, NONE)], id="inagi-1-stamp"),
        pytest.param("inagi", [(0, 180)], [(200, 100, DAILY)], id="inagi-3h-capped"),
        pytest.param(
            "inagi",
            [(0, 90), (0, 120)],
            [(100, 0, NONE), (100, 100, DAILY)],
            id="inagi-partial-second",
        ),
        pytest.param(
            "inagi",
            [(0, 120), (0, 60), (1, 60)],
            [(200, 0, NONE), (0, 100, DAILY), (100, 0, NONE)],
            id="inagi-limit-resets-next-day",
        ),
        pytest.param("nagakute", [(0, 60)], [(1, 0, NONE)], id="nagakute-1h"),
        pytest.param("nagakute", [(0, 119)], [(1, 0, NONE)], id="nagakute-119min"),
        pytest.param("nagakute", [(0, 300)], [(2, 3, DAILY)], id="nagakute-5h-capped"),
        pytest.param(
            "nagakute",
            [(0, 60), (0, 60), (0, 60)],
            [(1, 0, NONE), (1, 0, NONE), (0, 1, DAILY)],
            id="nagakute-third-hour",
        ),
    ],
)
def test_scheme_awards(adult, issuance, scheme, visits, expected):
    rule = scheme_rule(scheme)
    issued_before = issuance.balance
    outcomes = []
    for offset, minutes in visits:
        txn = award(adult, rule, DAY + dt.timedelta(days=offset), minutes)
        assert txn.kind == TransactionKind.EARN and txn.rule == rule
        lines = wallet_lines(txn)
        assert sum(lines.values()) == 0
        assert lines[issuance.pk] == -credited(txn)
        assert txn.requested_points == credited(txn) + txn.capped_points
        outcomes.append((credited(txn), txn.capped_points, txn.cap_reason))
    assert outcomes == expected
    total = sum(points for points, _, _ in expected)
    assert wallet_balance(adult) == total
    issuance.refresh_from_db()
    assert issuance.balance == issued_before - total


@pytest.mark.parametrize(
    ("points", "rounding", "minutes", "expected"),
    [
        (100, 60, 150, 200),
        (100, 30, 150, 250),
        (100, 15, 150, 250),
        (100, 45, 150, 225),
        (100, 30, 59, 50),
        (100, 60, 60, 100),
        (1, 60, 119, 1),
        (1, 30, 150, 2),  # 2.5 pt: whole points only, rounded down
    ],
)
def test_per_hour_rounding(adult, points, rounding, minutes, expected):
    rule = EarningRuleFactory(basis=PER_HOUR, points=points, rounding_minutes=rounding)
    txn = award(adult, rule, DAY, minutes)
    assert (txn.requested_points, credited(txn)) == (expected, expected)


# --- Who and what earns nothing -------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "reason"),
    [
        (dt.date(2007, 6, 3), "under_age"),  # 18 tomorrow
        (None, "birth_date_unknown"),
    ],
)
def test_komaki_minimum_age(issuance, birth_date, reason):
    volunteer = UserFactory(birth_date=birth_date)
    rule = scheme_rule("komaki")
    before = ledger_state()
    with pytest.raises(RuleNotApplicable) as excinfo:
        award(volunteer, rule, DAY, 120)
    assert excinfo.value.code == "rule_not_applicable"
    assert excinfo.value.details == {"reason": reason, "minimum_age": 18}
    assert ledger_state() == before


def test_komaki_credits_from_the_18th_birthday(issuance):
    volunteer = UserFactory(birth_date=dt.date(2007, 6, 2))
    assert credited(award(volunteer, scheme_rule("komaki"), DAY, 120)) == 200


def test_yokohama_29_minute_visit_earns_nothing(adult, issuance):
    rule = scheme_rule("yokohama")
    before = ledger_state()
    with pytest.raises(RuleNotApplicable) as excinfo:
        award(adult, rule, DAY, 29)
    assert excinfo.value.details["reason"] == "too_short"
    assert excinfo.value.field == "duration_minutes"
    assert ledger_state() == before
    assert credited(award(adult, rule, DAY, 30)) == 200


def test_inactive_rule_earns_nothing(adult, issuance):
    rule = scheme_rule("komaki", active=False)
    with pytest.raises(RuleNotApplicable) as excinfo:
        award(adult, rule, DAY, 60)
    assert excinfo.value.details["reason"] == "inactive_rule"
    assert not Transaction.objects.exists()


# --- Yearly limits --------------------------------------------------------------------


def test_yokohama_41st_day_in_a_fiscal_year_is_capped_yearly(adult, issuance):
    rule = scheme_rule("yokohama")
    start = dt.date(2025, 4, 1)
    for day in range(40):
        txn = award(adult, rule, start + dt.timedelta(days=day), 30)
        assert (credited(txn), txn.cap_reason) == (200, NONE)
    assert wallet_balance(adult) == 8000

    capped = award(adult, rule, start + dt.timedelta(days=40), 30)
    assert (credited(capped), capped.capped_points, capped.cap_reason) == (0, 200, YEARLY)
    # The next fiscal year starts afresh.
    fresh = award(adult, rule, dt.date(2026, 4, 1), 30)
    assert (credited(fresh), fresh.cap_reason) == (200, NONE)
    assert wallet_balance(adult) == 8200


@pytest.mark.parametrize("scheme", ["inagi", "nagakute"])
def test_yearly_limit(adult, issuance, scheme):
    """Two hours a day earns the daily limit; with half a day's room left in the year the
    next award is cut to that half, and the one after that earns nothing."""
    rule = scheme_rule(scheme)
    full_days = rule.yearly_cap // rule.daily_cap  # Inagi 25 x 200, Nagakute 25 x 2
    half = rule.daily_cap // 2
    start = dt.date(2025, 4, 1)
    for day in range(full_days - 1):
        assert credited(award(adult, rule, start + dt.timedelta(days=day), 120)) == rule.daily_cap
    assert credited(award(adult, rule, start + dt.timedelta(days=full_days - 1), 60)) == half

    last = award(adult, rule, start + dt.timedelta(days=full_days), 120)
    assert (credited(last), last.capped_points, last.cap_reason) == (half, half, YEARLY)
    none_left = award(adult, rule, start + dt.timedelta(days=full_days + 1), 60)
    assert (credited(none_left), none_left.capped_points, none_left.cap_reason) == (
        0,
        half,
        YEARLY,
    )
    assert wallet_balance(adult) == rule.yearly_cap


@pytest.mark.parametrize(
    ("year_basis", "filled_on", "activity_on", "expected"),
    [
        pytest.param(FISCAL, dt.date(2026, 3, 31), dt.date(2026, 4, 1), (2, NONE), id="fy-new"),
        pytest.param(FISCAL, dt.date(2026, 4, 1), dt.date(2026, 3, 31), (2, NONE), id="fy-prev"),
        pytest.param(FISCAL, dt.date(2025, 12, 31), dt.date(2026, 1, 1), (0, YEARLY), id="fy-jan"),
        pytest.param(FISCAL, dt.date(2025, 4, 1), dt.date(2026, 3, 31), (0, YEARLY), id="fy-span"),
        pytest.param(CALENDAR, dt.date(2025, 12, 31), dt.date(2026, 1, 1), (2, NONE), id="cy-new"),
        pytest.param(CALENDAR, dt.date(2026, 1, 1), dt.date(2025, 12, 31), (2, NONE), id="cy-prev"),
        pytest.param(CALENDAR, dt.date(2026, 3, 31), dt.date(2026, 4, 1), (0, YEARLY), id="cy-apr"),
        pytest.param(
            CALENDAR, dt.date(2026, 1, 1), dt.date(2026, 12, 31), (0, YEARLY), id="cy-span"
        ),
    ],
)
def test_year_boundaries(adult, issuance, year_basis, filled_on, activity_on, expected):
    """Nagakute's 50 pt a year, with the year's points earned in one go on ``filled_on``
    (under an uncapped rule of the same limit group)."""
    rule = scheme_rule("nagakute", year_basis=year_basis, cap_group="nagakute")
    filler = EarningRuleFactory(points=1, cap_group="nagakute")
    assert credited(award(adult, filler, filled_on, 50 * 60)) == 50
    txn = award(adult, rule, activity_on, 120)
    assert (credited(txn), txn.cap_reason) == expected


# --- Limit groups, all-or-nothing awards ----------------------------------------------


def test_rules_of_one_cap_group_share_the_limits(adult, issuance):
    salon = scheme_rule("inagi", cap_group="inagi")
    visit = EarningRuleFactory(
        activity_kind="inagi-visit", points=100, daily_cap=200, yearly_cap=5000, cap_group="inagi"
    )
    elsewhere = EarningRuleFactory(points=100, daily_cap=200, cap_group="other")

    assert credited(award(adult, salon, DAY, 120)) == 200
    shared = award(adult, visit, DAY, 60)
    assert (credited(shared), shared.capped_points, shared.cap_reason) == (0, 100, DAILY)
    assert credited(award(adult, elsewhere, DAY, 60)) == 100
    assert credited(award(adult, visit, DAY + dt.timedelta(days=1), 60)) == 100


def test_a_reversed_award_frees_its_room_under_the_limit(adult, issuance):
    rule = scheme_rule("inagi")
    first = award(adult, rule, DAY, 120)
    assert credited(award(adult, rule, DAY, 60)) == 0
    transaction_reverse(original=first)
    assert credited(award(adult, rule, DAY, 60)) == 100
    assert wallet_balance(adult) == 100


@pytest.mark.parametrize(
    ("earlier_minutes", "minutes", "available", "cap"),
    [(120, 60, 0, "daily"), (60, 120, 100, "daily")],
)
def test_all_or_nothing_award_raises_cap_reached_and_writes_nothing(
    adult, issuance, earlier_minutes, minutes, available, cap
):
    rule = scheme_rule("inagi")
    award(adult, rule, DAY, earlier_minutes)
    before = ledger_state()
    with pytest.raises(CapReached) as excinfo:
        award(adult, rule, DAY, minutes, allow_partial=False)
    assert excinfo.value.code == "cap_reached"
    assert excinfo.value.details == {
        "cap": cap,
        "requested": minutes // 60 * 100,
        "available": available,
    }
    assert ledger_state() == before


def test_all_or_nothing_award_within_the_limits_is_credited(adult, issuance):
    txn = award(adult, scheme_rule("inagi"), DAY, 120, allow_partial=False)
    assert (credited(txn), txn.capped_points) == (200, 0)


def test_all_or_nothing_award_over_the_yearly_limit(adult, issuance):
    rule = scheme_rule("nagakute", cap_group="n")
    award(adult, EarningRuleFactory(points=1, cap_group="n"), DAY, 49 * 60)
    before = ledger_state()
    with pytest.raises(CapReached) as excinfo:
        award(adult, rule, DAY + dt.timedelta(days=1), 120, allow_partial=False)
    assert excinfo.value.details == {"cap": "yearly", "requested": 2, "available": 1}
    assert ledger_state() == before


# --- Expiry ---------------------------------------------------------------------------

FOLLOWING, FISCAL_END, NEVER = (
    EarningRule.Expiry.END_OF_FOLLOWING_YEAR,
    EarningRule.Expiry.END_OF_FISCAL_YEAR,
    EarningRule.Expiry.NONE,
)


@pytest.mark.parametrize(
    ("expiry", "year_basis", "day", "valid_until"),
    [
        (FOLLOWING, FISCAL, dt.date(2025, 3, 31), dt.date(2026, 3, 31)),
        (FOLLOWING, FISCAL, dt.date(2025, 4, 1), dt.date(2027, 3, 31)),
        (FOLLOWING, FISCAL, dt.date(2026, 1, 15), dt.date(2027, 3, 31)),
        (FOLLOWING, CALENDAR, dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        (FOLLOWING, CALENDAR, dt.date(2025, 12, 31), dt.date(2026, 12, 31)),
        (FOLLOWING, CALENDAR, dt.date(2024, 2, 29), dt.date(2025, 12, 31)),
        (FISCAL_END, FISCAL, dt.date(2025, 3, 31), dt.date(2025, 3, 31)),
        (FISCAL_END, FISCAL, dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
        (FISCAL_END, CALENDAR, dt.date(2025, 12, 31), dt.date(2026, 3, 31)),
        (FISCAL_END, CALENDAR, dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (NEVER, FISCAL, dt.date(2025, 4, 1), None),
        (NEVER, CALENDAR, dt.date(2025, 12, 31), None),
    ],
)
def test_expiry_dates_per_policy(adult, issuance, expiry, year_basis, day, valid_until):
    rule = EarningRuleFactory(expiry=expiry, year_basis=year_basis)
    assert rule.expiry_for(day) == valid_until
    txn = award(adult, rule, day, 60)
    txn.refresh_from_db()
    assert (txn.activity_date, txn.expires_on) == (day, valid_until)
