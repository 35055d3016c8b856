"""Posting on the ledger: exactly-once, balanced, never overdrawn, reversible once,
manual adjustments, expiry, and the audit command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from core.errors import NotPermitted
from points.exceptions import (
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientPoints,
    NotReversible,
    ReasonRequired,
    UnbalancedTransaction,
)
from points.models import Account, EarningRule, Entry, Transaction, TransactionKind
from points.selectors import audit_ledger, wallet_balance
from points.services.accounts import wallet_for
from points.services.earning import points_award
from points.services.expiry import points_expire_due, wallet_expire
from points.services.postings import (
    points_adjust,
    points_transfer,
    transaction_post,
    transaction_reverse,
)
from tests.factories import UserFactory
from tests.points.support import (
    EarningRuleFactory,
    balance_of,
    fund,
    ledger_state,
    new_key,
    wallet_lines,
)

pytestmark = pytest.mark.django_db


def audit() -> str:
    out = StringIO()
    call_command("points_audit", stdout=out)
    return out.getvalue()


# --- Exactly once ---------------------------------------------------------------------


@pytest.fixture
def posters(wallet, liability, issuance, city_staff, rule_factory):
    """One way to call each posting service twice with the same content."""
    fund(wallet, 1000)
    rule = rule_factory(points=100)
    volunteer = wallet.owner
    return {
        "transaction_post": lambda key: transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=key,
            lines=[(wallet, -30), (liability, 30)],
        ),
        "points_transfer": lambda key: points_transfer(
            source=wallet,
            destination=liability,
            amount=30,
            idempotency_key=key,
            kind=TransactionKind.SPEND,
        ),
        "points_award": lambda key: points_award(
            user=volunteer,
            rule=rule,
            activity_date=dt.date(2025, 6, 2),
            duration_minutes=90,
            idempotency_key=key,
        ),
        "points_adjust": lambda key: points_adjust(
            user=volunteer,
            amount=-30,
            reason="二重計上の訂正",
            actor=city_staff,
            idempotency_key=key,
        ),
    }


@pytest.mark.parametrize(
    "service", ["transaction_post", "points_transfer", "points_award", "points_adjust"]
)
def test_same_key_and_content_returns_the_same_transaction(posters, wallet, service):
    key = new_key()
    first = posters[service](key)
    after_first = ledger_state()
    again = posters[service](key)
    assert again.pk == first.pk
    assert ledger_state() == after_first  # no new rows, nothing moved twice
    assert Transaction.objects.filter(idempotency_key=key).count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"lines": "amount"},
        {"kind": TransactionKind.SPEND},
        {"reference": "voucher:42"},
        {"memo": "別の理由"},
        {"actor": "someone else"},
        {"actor": None},
    ],
    ids=["amount", "kind", "reference", "memo", "actor", "no actor"],
)
def test_same_key_with_other_content_is_a_conflict(wallet, liability, city_staff, change):
    """Who asked and the memo are part of what was asked to be recorded: reusing a key
    with another of them is a client bug, refused rather than answered with the
    original (which would silently drop the new memo)."""
    fund(wallet, 100)
    key = new_key()
    original = transaction_post(
        kind=TransactionKind.TRANSFER,
        idempotency_key=key,
        lines=[(wallet, -30), (liability, 30)],
        actor=city_staff,
        memo="窓口で受付",
    )
    before = ledger_state()
    kwargs = {
        "kind": TransactionKind.TRANSFER,
        "idempotency_key": key,
        "lines": [(wallet, -30), (liability, 30)],
        "actor": city_staff,
        "memo": "窓口で受付",
    }
    if "lines" in change:
        kwargs["lines"] = [(wallet, -40), (liability, 40)]
    elif change.get("actor") == "someone else":
        kwargs["actor"] = UserFactory(roles=["city_staff"])
    else:
        kwargs.update(change)
    with pytest.raises(IdempotencyConflict) as excinfo:
        transaction_post(**kwargs)
    assert excinfo.value.code == "idempotency_conflict"
    assert excinfo.value.http_status == 409
    assert ledger_state() == before
    assert Transaction.objects.get(idempotency_key=key) == original


def test_award_replayed_with_another_memo_or_actor_is_a_conflict(volunteer, rule_factory):
    rule = rule_factory()
    coordinator = UserFactory(roles=["coordinator"])
    award = {
        "user": volunteer,
        "rule": rule,
        "activity_date": dt.date(2025, 6, 2),
        "duration_minutes": 60,
        "idempotency_key": new_key(),
        "actor": coordinator,
        "memo": "電話で受付",
    }
    first = points_award(**award)
    assert points_award(**award).pk == first.pk
    for change in ({"memo": "訪問で受付"}, {"actor": None}, {"actor": UserFactory()}):
        with pytest.raises(IdempotencyConflict):
            points_award(**{**award, **change})
    assert wallet_balance(volunteer) == 100


def test_transactions_stored_before_the_fingerprint_change_still_replay(wallet, city_staff):
    """Migration 0006 rebuilds the stored fingerprints from the rows' own actor and
    memo: a retry of a request made before the upgrade is still a replay."""
    import importlib

    from django.apps import apps

    from points.ledger.fingerprints import fingerprint

    migration = importlib.import_module("points.migrations.0006_fingerprint_actor_and_memo")
    fund(wallet, 100)
    payee = wallet_for(UserFactory())
    request = {
        "kind": TransactionKind.TRANSFER,
        "idempotency_key": new_key(),
        "lines": [(wallet, -30), (payee, 30)],
        "actor": city_staff,
        "memo": "古い依頼",
    }
    original = transaction_post(**request)
    content = {"lines": sorted([(wallet.pk, -30), (payee.pk, 30)]), "reference": ""}
    legacy = fingerprint({"kind": TransactionKind.TRANSFER, **content})
    Transaction.objects.filter(pk=original.pk).update(fingerprint=legacy)  # as before 0006
    migration.rebuild(apps, None)
    assert transaction_post(**request).pk == original.pk
    with pytest.raises(IdempotencyConflict):
        transaction_post(**{**request, "memo": "新しい依頼"})
    assert balance_of(payee) == 30


def test_award_replayed_with_other_minutes_is_a_conflict(volunteer, rule_factory, issuance):
    rule = rule_factory()
    key = new_key()
    points_award(
        user=volunteer,
        rule=rule,
        activity_date=dt.date(2025, 6, 2),
        duration_minutes=60,
        idempotency_key=key,
    )
    with pytest.raises(IdempotencyConflict):
        points_award(
            user=volunteer,
            rule=rule,
            activity_date=dt.date(2025, 6, 2),
            duration_minutes=120,
            idempotency_key=key,
        )
    assert wallet_balance(volunteer) == 100


# --- Balanced, never overdrawn --------------------------------------------------------


@pytest.mark.parametrize(
    "amounts",
    [(10, -9), (10,), (-5, 5, 1)],
    ids=["off-by-one", "single-leg", "three-legs"],
)
def test_unbalanced_lines_are_refused(wallet, issuance, liability, amounts):
    fund(wallet, 100)
    accounts = [wallet, issuance, liability]
    before = ledger_state()
    with pytest.raises(UnbalancedTransaction) as excinfo:
        transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=new_key(),
            lines=list(zip(accounts, amounts, strict=False)),
        )
    assert excinfo.value.code == "unbalanced"
    assert ledger_state() == before


def test_spending_more_than_the_balance_writes_nothing(wallet, liability):
    fund(wallet, 50)
    before = ledger_state()
    with pytest.raises(InsufficientPoints) as excinfo:
        points_transfer(
            source=wallet,
            destination=liability,
            amount=51,
            idempotency_key=new_key(),
            kind=TransactionKind.SPEND,
        )
    assert excinfo.value.code == "insufficient_points"
    assert excinfo.value.details == {"account": wallet.code, "balance": 50, "requested": 51}
    assert ledger_state() == before

    points_transfer(
        source=wallet,
        destination=liability,
        amount=50,
        idempotency_key=new_key(),
        kind=TransactionKind.SPEND,
    )
    assert balance_of(wallet) == 0
    assert balance_of(liability) == 50


def test_legs_on_one_account_are_netted_before_the_balance_check(wallet, liability, issuance):
    fund(wallet, 50)
    txn = transaction_post(
        kind=TransactionKind.TRANSFER,
        idempotency_key=new_key(),
        lines=[(wallet, -60), (wallet, 20), (liability, 40)],
    )
    assert balance_of(wallet) == 10
    assert txn.entries.count() == 3
    with pytest.raises(InsufficientPoints):
        transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=new_key(),
            lines=[(wallet, -30), (wallet, 19), (liability, 11)],
        )
    assert balance_of(wallet) == 10


def test_a_system_account_cannot_be_overdrawn_either(wallet, liability):
    with pytest.raises(InsufficientPoints):
        points_transfer(source=liability, destination=wallet, amount=1, idempotency_key=new_key())
    assert balance_of(wallet) == 0


def test_only_the_issuance_account_goes_negative(wallet, issuance):
    start = balance_of(issuance)
    fund(wallet, 70)
    assert balance_of(issuance) == start - 70
    assert audit_ledger().ok


# --- Reversals ------------------------------------------------------------------------


def test_reversal_mirrors_the_original_and_links_to_it(wallet, liability):
    fund(wallet, 100)
    spend = points_transfer(
        source=wallet,
        destination=liability,
        amount=40,
        idempotency_key=new_key(),
        kind=TransactionKind.SPEND,
    )
    reversal = transaction_reverse(original=spend, memo="店舗の取消")
    assert reversal.kind == TransactionKind.REVERSAL
    assert reversal.reverses == spend
    spend.refresh_from_db()
    assert spend.reversed_by == reversal
    assert wallet_lines(reversal) == {wallet.pk: 40, liability.pk: -40}
    assert wallet_lines(spend) == {wallet.pk: -40, liability.pk: 40}
    assert (balance_of(wallet), balance_of(liability)) == (100, 0)
    assert reversal.memo == "店舗の取消"


def test_reversal_is_once_only(wallet, liability):
    fund(wallet, 100)
    spend = points_transfer(
        source=wallet, destination=liability, amount=40, idempotency_key=new_key()
    )
    first = transaction_reverse(original=spend)
    after = ledger_state()
    # Same (default) key: the same reversal comes back.
    assert transaction_reverse(original=spend).pk == first.pk
    # Another key: refused.
    with pytest.raises(AlreadyReversed) as excinfo:
        transaction_reverse(original=spend, idempotency_key=new_key())
    assert excinfo.value.code == "already_reversed"
    assert ledger_state() == after
    assert balance_of(wallet) == 100


def test_a_reversal_cannot_be_reversed(wallet, liability):
    original = fund(wallet, 100)
    reversal = transaction_reverse(original=original)
    before = ledger_state()
    with pytest.raises(NotReversible) as excinfo:
        transaction_reverse(original=reversal)
    assert excinfo.value.code == "not_reversible"
    assert ledger_state() == before


def test_an_earn_whose_points_were_spent_cannot_be_reversed(volunteer, wallet, liability):
    rule = EarningRuleFactory(points=100)
    earn = points_award(
        user=volunteer,
        rule=rule,
        activity_date=dt.date(2025, 6, 2),
        duration_minutes=120,
        idempotency_key=new_key(),
    )
    points_transfer(
        source=wallet,
        destination=liability,
        amount=150,
        idempotency_key=new_key(),
        kind=TransactionKind.SPEND,
    )
    before = ledger_state()
    with pytest.raises(InsufficientPoints):
        transaction_reverse(original=earn)
    assert ledger_state() == before
    assert not Transaction.objects.filter(reverses=earn).exists()


# --- Manual adjustments ---------------------------------------------------------------


def test_city_staff_adjust_a_wallet_with_a_reason(volunteer, city_staff, issuance):
    credit = points_adjust(
        user=volunteer,
        amount=300,
        reason="  紙の記録から転記  ",
        actor=city_staff,
        idempotency_key=new_key(),
    )
    assert credit.kind == TransactionKind.ADJUST
    assert (credit.actor, credit.memo) == (city_staff, "紙の記録から転記")
    assert wallet_lines(credit) == {wallet_for(volunteer).pk: 300, issuance.pk: -300}

    debit = points_adjust(
        user=volunteer, amount=-120, reason="二重計上", actor=city_staff, idempotency_key=new_key()
    )
    assert debit.actor == city_staff
    assert wallet_balance(volunteer) == 180

    with pytest.raises(InsufficientPoints):
        points_adjust(
            user=volunteer, amount=-181, reason="誤り", actor=city_staff, idempotency_key=new_key()
        )
    assert wallet_balance(volunteer) == 180


def test_a_superuser_may_adjust(volunteer):
    admin = UserFactory(is_superuser=True)
    points_adjust(user=volunteer, amount=5, reason="移行", actor=admin, idempotency_key=new_key())
    assert wallet_balance(volunteer) == 5


@pytest.mark.parametrize("roles", [[], ["volunteer"], ["coordinator"], ["shop_staff"]])
def test_only_city_staff_may_adjust(volunteer, roles):
    actor = UserFactory(roles=roles)
    before = ledger_state()
    with pytest.raises(NotPermitted) as excinfo:
        points_adjust(
            user=volunteer, amount=100, reason="理由", actor=actor, idempotency_key=new_key()
        )
    assert excinfo.value.code == "not_permitted"
    assert ledger_state() == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_an_adjustment_needs_a_reason(volunteer, city_staff, reason):
    before = ledger_state()
    with pytest.raises(ReasonRequired) as excinfo:
        points_adjust(
            user=volunteer, amount=100, reason=reason, actor=city_staff, idempotency_key=new_key()
        )
    assert (excinfo.value.code, excinfo.value.field) == ("reason_required", "reason")
    assert ledger_state() == before


# --- Expiry ---------------------------------------------------------------------------

# Rule "end of the following fiscal year": points earned in FY2024 (to 2025-03-31) are
# valid to 2026-03-31, points earned in FY2025 to 2027-03-31.
EARLY_DAY, LATE_DAY = dt.date(2025, 3, 10), dt.date(2025, 4, 10)
EARLY_END, LATE_END = dt.date(2026, 3, 31), dt.date(2027, 3, 31)


@pytest.fixture
def expiring_rule(expired_account):
    # (The expired-points account exists from the start: wallet_expire creates it on
    # first use, which would otherwise show up in ``ledger_state`` comparisons.)
    return EarningRuleFactory(
        points=100,
        year_basis=EarningRule.YearBasis.FISCAL,
        expiry=EarningRule.Expiry.END_OF_FOLLOWING_YEAR,
    )


def earn(user, rule, day, hours=1) -> Transaction:
    txn = points_award(
        user=user,
        rule=rule,
        activity_date=day,
        duration_minutes=hours * 60,
        idempotency_key=new_key("earn"),
    )
    assert txn.capped_points == 0
    return txn


def spend(wallet, destination, amount) -> Transaction:
    return points_transfer(
        source=wallet,
        destination=destination,
        amount=amount,
        idempotency_key=new_key("spend"),
        kind=TransactionKind.SPEND,
    )


def expired_by(txn: Transaction | None, wallet: Account) -> int:
    return 0 if txn is None else -wallet_lines(txn)[wallet.pk]


def test_points_are_used_first_expiring_first(
    volunteer, wallet, liability, expired_account, expiring_rule
):
    earn(volunteer, expiring_rule, EARLY_DAY)  # 100 valid to 2026-03-31
    earn(volunteer, expiring_rule, LATE_DAY)  # 100 valid to 2027-03-31
    spend(wallet, liability, 60)  # comes out of the early lot: 40 of it left
    expired_before = balance_of(expired_account)

    first = wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1))
    assert first.kind == TransactionKind.EXPIRE
    assert wallet_lines(first) == {wallet.pk: -40, expired_account.pk: 40}
    assert balance_of(wallet) == 100
    assert balance_of(expired_account) == expired_before + 40

    second = wallet_expire(wallet=wallet, as_of=LATE_END + dt.timedelta(days=1))
    assert expired_by(second, wallet) == 100
    assert balance_of(wallet) == 0


def test_a_lot_used_up_by_spending_expires_nothing(volunteer, wallet, liability, expiring_rule):
    earn(volunteer, expiring_rule, EARLY_DAY)
    earn(volunteer, expiring_rule, LATE_DAY)
    spend(wallet, liability, 150)
    before = ledger_state()
    assert wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1)) is None
    assert ledger_state() == before
    assert expired_by(wallet_expire(wallet=wallet, as_of=LATE_END + dt.timedelta(days=1)), wallet)
    assert balance_of(wallet) == 0


def test_nothing_expires_before_the_date(volunteer, wallet, expiring_rule):
    earn(volunteer, expiring_rule, EARLY_DAY)
    before = ledger_state()
    # Still valid on its last day.
    assert wallet_expire(wallet=wallet, as_of=EARLY_END) is None
    assert points_expire_due(as_of=EARLY_END) == 0
    assert ledger_state() == before
    assert expired_by(wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1)), wallet)
    assert balance_of(wallet) == 0


def test_expiring_twice_expires_nothing_more(volunteer, wallet, expiring_rule):
    earn(volunteer, expiring_rule, EARLY_DAY, hours=2)
    earn(volunteer, expiring_rule, LATE_DAY)
    day = EARLY_END + dt.timedelta(days=1)
    first = wallet_expire(wallet=wallet, as_of=day)
    assert expired_by(first, wallet) == 200
    after = ledger_state()
    again = wallet_expire(wallet=wallet, as_of=day)
    assert again is not None and again.pk == first.pk  # the same run, replayed
    assert wallet_expire(wallet=wallet, as_of=day + dt.timedelta(days=30)) is None
    points_expire_due(as_of=day)
    points_expire_due(as_of=day + dt.timedelta(days=1))
    assert ledger_state() == after
    assert balance_of(wallet) == 100


def test_reversed_earns_do_not_expire(volunteer, wallet, expiring_rule):
    early = earn(volunteer, expiring_rule, EARLY_DAY)
    earn(volunteer, expiring_rule, LATE_DAY, hours=2)
    transaction_reverse(original=early)
    fund(wallet, 100)  # an adjustment, no expiry
    before = ledger_state()
    assert wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1)) is None
    assert ledger_state() == before
    assert balance_of(wallet) == 300


def test_a_reversed_later_lot_does_not_shield_an_earlier_one(volunteer, wallet, expiring_rule):
    earn(volunteer, expiring_rule, EARLY_DAY)
    late = earn(volunteer, expiring_rule, LATE_DAY, hours=3)
    transaction_reverse(original=late)
    txn = wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1))
    assert expired_by(txn, wallet) == 100
    assert balance_of(wallet) == 0


def test_adjustments_do_not_expire(volunteer, wallet, city_staff, expiring_rule):
    points_adjust(
        user=volunteer, amount=250, reason="移行", actor=city_staff, idempotency_key=new_key()
    )
    earn(volunteer, expiring_rule, EARLY_DAY)
    txn = wallet_expire(wallet=wallet, as_of=dt.date(2099, 1, 1))
    assert expired_by(txn, wallet) == 100
    assert balance_of(wallet) == 250
    assert wallet_expire(wallet=wallet, as_of=dt.date(2199, 1, 1)) is None


def test_points_expire_due_expires_every_wallet_that_holds_expired_points(
    payee, expiring_rule, expired_account
):
    users = [UserFactory() for _ in range(4)]
    wallets = [wallet_for(user) for user in users]
    earn(users[0], expiring_rule, EARLY_DAY, hours=2)  # expires
    earn(users[0], expiring_rule, LATE_DAY)  # does not yet
    earn(users[1], expiring_rule, LATE_DAY)  # does not yet
    earn(users[2], expiring_rule, EARLY_DAY)  # fully spent
    spend(wallets[2], payee, 100)
    fund(wallets[3], 100)  # no expiry
    expired_before = balance_of(expired_account)

    assert points_expire_due(as_of=EARLY_END + dt.timedelta(days=1)) == 1
    assert [balance_of(w) for w in wallets] == [100, 100, 0, 100]
    assert balance_of(expired_account) == expired_before + 200
    assert audit_ledger().ok


@pytest.mark.django_db(transaction=True)
def test_points_expire_due_outside_a_transaction(expiring_rule):
    """As the beat task runs it: autocommit, iterating wallets while posting."""
    users = [UserFactory() for _ in range(5)]
    for user in users:
        earn(user, expiring_rule, EARLY_DAY)
        earn(user, expiring_rule, LATE_DAY)
    assert points_expire_due(as_of=EARLY_END + dt.timedelta(days=1)) == 5
    assert [wallet_balance(user) for user in users] == [100] * 5
    assert Transaction.objects.filter(kind=TransactionKind.EXPIRE).count() == 5
    assert audit_ledger().ok


# --- The audit ------------------------------------------------------------------------


@pytest.fixture
def busy_ledger(volunteer, wallet, payee, city_staff, expiring_rule):
    earn(volunteer, expiring_rule, EARLY_DAY, hours=3)
    spent = spend(wallet, payee, 50)
    transaction_reverse(original=spent)
    points_adjust(
        user=volunteer, amount=20, reason="訂正", actor=city_staff, idempotency_key=new_key()
    )
    wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1))
    return wallet


def test_audit_passes_on_a_healthy_ledger(busy_ledger):
    output = audit()
    assert "points ledger audit passed" in output
    assert f"transactions: {Transaction.objects.count()}" in output
    assert audit_ledger().ok


def test_audit_fails_on_a_corrupted_cached_balance(busy_ledger):
    true_balance = balance_of(busy_ledger)
    Account.objects.filter(pk=busy_ledger.pk).update(balance=F("balance") + 5)
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("points_audit", stdout=out)
    assert excinfo.value.returncode != 0
    assert "cached balance = sum of entries: BREACH (1)" in out.getvalue()
    assert busy_ledger.code in out.getvalue()
    report = audit_ledger()
    assert report.mismatched == [(busy_ledger.code, true_balance + 5, true_balance)]
    assert report.total_balance == 5


def test_audit_fails_on_an_unbalanced_transaction(busy_ledger, payee):
    # An ORM insert inside this test's transaction: PostgreSQL's deferred balance check
    # only runs at COMMIT (or at Django's constraint check on teardown, hence the
    # compensating entry below), so the audit sees what SQLite would let through.
    txn = Transaction.objects.filter(kind=TransactionKind.SPEND).get()
    Entry.objects.create(transaction=txn, account=payee, amount=7)
    with pytest.raises(CommandError):
        audit()
    report = audit_ledger()
    assert report.unbalanced == [(txn.pk, 7)]
    assert report.mismatched == [(payee.code, balance_of(payee), balance_of(payee) + 7)]

    Entry.objects.create(transaction=txn, account=payee, amount=-7)
    assert audit_ledger().ok


def test_a_spend_never_uses_points_earned_after_it(
    volunteer, wallet, liability, city_staff, expiring_rule
):
    """Outflows use the lots held at the time: spending an adjustment before earning
    does not shield the later award from its expiry (it did when every outflow ever
    made was counted against the soonest-expiring lots)."""
    points_adjust(
        user=volunteer, amount=100, reason="移行", actor=city_staff, idempotency_key=new_key()
    )
    spend(wallet, liability, 100)
    earn(volunteer, expiring_rule, EARLY_DAY)
    txn = wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1))
    assert expired_by(txn, wallet) == 100
    assert balance_of(wallet) == 0


def test_a_refunded_spend_gives_back_the_points_with_their_dates(
    volunteer, wallet, liability, expiring_rule
):
    earn(volunteer, expiring_rule, EARLY_DAY)  # valid to 2026-03-31
    earn(volunteer, expiring_rule, LATE_DAY)  # valid to 2027-03-31
    refunded = spend(wallet, liability, 100)  # used the early lot
    transaction_reverse(original=refunded)
    txn = wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=1))
    assert expired_by(txn, wallet) == 100  # the early points, back and still dated
    assert balance_of(wallet) == 100
    assert wallet_expire(wallet=wallet, as_of=EARLY_END + dt.timedelta(days=30)) is None
