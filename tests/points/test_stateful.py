"""Random sequences of postings against an in-memory model of the books.

Earn (``points_award`` under a capped rule, or a plain ``transaction_post`` from the
issuance account), spend, reverse any earlier transaction, replay an earlier request,
and let time pass and expire a wallet. After every step the model's balances must be
the database's and ``audit_ledger()`` must pass.

The model is written independently of the services: caps from its own list of
awards; expiry by replaying its own postings in order as lots, each outflow using the
lots held at that moment soonest-expiring first (points without an expiry date last),
a reversal undoing its original's use of the lots, as ``expirable_points`` documents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from points.exceptions import (
    AlreadyReversed,
    CapReached,
    InsufficientPoints,
    NotReversible,
    RuleNotApplicable,
)
from points.models import Account, AccountKind, EarningRule, Transaction, TransactionKind
from points.selectors import audit_ledger, wallet_balance
from points.services.accounts import system_account, wallet_for
from points.services.earning import points_award
from points.services.expiry import wallet_expire
from points.services.postings import points_transfer, transaction_post, transaction_reverse
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory, ledger_state, new_key, wallet_lines

EARN, SPEND, EXPIRE, REVERSAL = (
    TransactionKind.EARN,
    TransactionKind.SPEND,
    TransactionKind.EXPIRE,
    TransactionKind.REVERSAL,
)
POINTS_PER_HOUR, ROUNDING, DAILY_CAP, YEARLY_CAP = 100, 30, 300, 500
NEVER = dt.date.max


def fiscal_year(day: dt.date) -> tuple[dt.date, dt.date]:
    start = dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    return start, dt.date(start.year + 1, 3, 31)


@dataclass
class Posted:
    pk: int
    kind: str
    lines: dict[int, int]
    expires_on: dt.date | None = None
    award_date: dt.date | None = None  # set for points_award: counts toward the caps
    reverses_pk: int | None = None
    reversed: bool = False
    repost: Callable[[], Transaction] | None = None


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # The database is not reset between examples: each starts with new people.
        self.users = [UserFactory(birth_date=dt.date(1950, 1, 1)) for _ in range(2)]
        self.wallets = [wallet_for(user) for user in self.users]
        self.payee = wallet_for(UserFactory())
        self.issuance = system_account(AccountKind.ISSUANCE)
        self.expired = system_account(AccountKind.EXPIRED)
        self.rule = EarningRuleFactory(
            points=POINTS_PER_HOUR,
            rounding_minutes=ROUNDING,
            daily_cap=DAILY_CAP,
            yearly_cap=YEARLY_CAP,
            year_basis=EarningRule.YearBasis.FISCAL,
            expiry=EarningRule.Expiry.END_OF_FOLLOWING_YEAR,
        )
        accounts = [*self.wallets, self.payee, self.issuance, self.expired]
        self.balances = {account.pk: account.balance for account in accounts}
        self.today = dt.date(2025, 3, 20)
        self.posted: list[Posted] = []
        self.reversal_keys: dict[str, int] = {}
        self.expire_runs: dict[tuple[int, dt.date], int] = {}

    # --- the model ------------------------------------------------------------------

    def record(self, txn: Transaction, posted: Posted) -> None:
        assert wallet_lines(txn) == posted.lines
        for account_id, amount in posted.lines.items():
            self.balances[account_id] += amount
        self.posted.append(posted)

    def awarded(self, wallet_id: int, first: dt.date, last: dt.date) -> int:
        return sum(
            p.lines.get(wallet_id, 0)
            for p in self.posted
            if p.award_date and not p.reversed and first <= p.award_date <= last
        )

    def expirable(self, wallet_id: int, as_of: dt.date) -> int:
        held: list[list] = []  # [expiry, made by, points left], in the order made
        took: dict[int, list[tuple[list, int]]] = {}  # outflow -> (lot, points)
        for p in self.posted:
            amount = p.lines.get(wallet_id, 0)
            if amount > 0:
                for lot, points in took.pop(p.reverses_pk, []):  # a refund or return
                    lot[2] += points
                    amount -= points
                if amount > 0:
                    held.append([p.expires_on or NEVER, p.pk, amount])
            elif amount < 0:
                need, taken = -amount, []
                own = [lot for lot in held if lot[1] == p.reverses_pk]
                rest = sorted((lot for lot in held if lot[1] != p.reverses_pk), key=lambda x: x[:2])
                for lot in own + rest:
                    take = min(need, lot[2])
                    lot[2] -= take
                    need -= take
                    if take:
                        taken.append((lot, take))
                took[p.pk] = taken
        return sum(lot[2] for lot in held if lot[0] < as_of)

    def unchanged(self, call, error):
        before = ledger_state()
        with pytest.raises(error):
            call()
        assert ledger_state() == before

    # --- rules ----------------------------------------------------------------------

    @initialize(
        hours=st.lists(st.integers(1, 3), min_size=2, max_size=2),
        grants=st.lists(st.integers(1, 300), min_size=2, max_size=2),
    )
    def start_with_points(self, hours, grants):
        for who in (0, 1):
            self.award(who, hours[who] * 60)
            self.credit(who, grants[who])

    @rule(
        who=st.integers(0, 1),
        minutes=st.sampled_from([15, 30, 45, 60, 90, 120, 180, 240]),
        back=st.integers(0, 3),
        partial=st.booleans(),
    )
    def earn(self, who, minutes, back, partial):
        self.award(who, minutes, back, partial)

    def award(self, who, minutes, back=0, partial=True):
        user, wallet = self.users[who], self.wallets[who]
        day = self.today - dt.timedelta(days=back)
        key = new_key("earn")

        def call():
            return points_award(
                user=user,
                rule=self.rule,
                activity_date=day,
                duration_minutes=minutes,
                idempotency_key=key,
                allow_partial=partial,
            )

        requested = minutes // ROUNDING * ROUNDING * POINTS_PER_HOUR // 60
        if requested == 0:  # shorter than one rounding unit: refused, nothing written
            self.unchanged(call, RuleNotApplicable)
            return
        credit, reason = requested, ""
        daily_room = max(0, DAILY_CAP - self.awarded(wallet.pk, day, day))
        if daily_room < credit:
            credit, reason = daily_room, "daily"
        yearly_room = max(0, YEARLY_CAP - self.awarded(wallet.pk, *fiscal_year(day)))
        if yearly_room < credit:
            credit, reason = yearly_room, "yearly"
        if credit < requested and not partial:
            self.unchanged(call, CapReached)
            return
        txn = call()
        assert (txn.requested_points, txn.capped_points, txn.cap_reason) == (
            requested,
            requested - credit,
            reason,
        )
        expires_on = dt.date(fiscal_year(day)[1].year + 1, 3, 31)
        assert txn.expires_on == expires_on
        self.record(
            txn,
            Posted(
                txn.pk,
                EARN,
                {wallet.pk: credit, self.issuance.pk: -credit},
                expires_on=expires_on,
                award_date=day,
                repost=call,
            ),
        )

    @rule(who=st.integers(0, 1), amount=st.integers(1, 500))
    def grant(self, who, amount):
        self.credit(who, amount)

    def credit(self, who, amount):
        """An earn without a rule, hence without expiry and outside the caps."""
        wallet, key = self.wallets[who], new_key("grant")

        def call():
            return transaction_post(
                kind=EARN,
                idempotency_key=key,
                lines=[(wallet, amount), (self.issuance, -amount)],
            )

        txn = call()
        self.record(
            txn, Posted(txn.pk, EARN, {wallet.pk: amount, self.issuance.pk: -amount}, repost=call)
        )

    @rule(who=st.integers(0, 1), percent=st.integers(1, 120))
    def spend(self, who, percent):
        """Spend a share of the balance: over 100 % is refused."""
        wallet, key = self.wallets[who], new_key("spend")
        amount = max(1, self.balances[wallet.pk] * percent // 100)

        def call():
            return points_transfer(
                source=wallet,
                destination=self.payee,
                amount=amount,
                idempotency_key=key,
                kind=SPEND,
            )

        if amount > self.balances[wallet.pk]:
            self.unchanged(call, InsufficientPoints)
            return
        txn = call()
        self.record(
            txn, Posted(txn.pk, SPEND, {wallet.pk: -amount, self.payee.pk: amount}, repost=call)
        )

    @precondition(lambda self: self.posted)
    @rule(pick=st.integers(0, 10**6), default_key=st.booleans())
    def reverse(self, pick, default_key):
        original = self.posted[pick % len(self.posted)]
        key = None if default_key else new_key("reverse")
        effective_key = key or f"reverse:{original.pk}"

        def call():
            return transaction_reverse(
                original=Transaction.objects.get(pk=original.pk), idempotency_key=key
            )

        mirrored = {account_id: -amount for account_id, amount in original.lines.items()}
        if original.kind == REVERSAL:
            self.unchanged(call, NotReversible)
        elif effective_key in self.reversal_keys:
            before = ledger_state()
            assert call().pk == self.reversal_keys[effective_key]
            assert ledger_state() == before
        elif original.reversed:
            self.unchanged(call, AlreadyReversed)
        elif any(
            self.balances[account_id] + amount < 0
            for account_id, amount in mirrored.items()
            if account_id != self.issuance.pk
        ):
            self.unchanged(call, InsufficientPoints)
        else:
            txn = call()
            assert txn.reverses_id == original.pk
            original.reversed = True
            self.reversal_keys[effective_key] = txn.pk
            self.record(
                txn,
                Posted(
                    txn.pk,
                    REVERSAL,
                    mirrored,
                    reverses_pk=original.pk,
                ),
            )

    @rule(who=st.integers(0, 1), days=st.sampled_from([0, 1, 30, 200, 400, 800]))
    def expire(self, who, days):
        self.today += dt.timedelta(days=days)
        wallet = self.wallets[who]
        run = (wallet.pk, self.today)
        before = ledger_state()
        txn = wallet_expire(wallet=wallet, as_of=self.today)
        if run in self.expire_runs:  # the same wallet and day again: the same run
            assert txn is not None and txn.pk == self.expire_runs[run]
            assert ledger_state() == before
            return
        amount = self.expirable(wallet.pk, self.today)
        if amount == 0:
            assert txn is None
            assert ledger_state() == before
            return
        assert txn is not None and txn.kind == EXPIRE
        self.expire_runs[run] = txn.pk
        self.record(txn, Posted(txn.pk, EXPIRE, {wallet.pk: -amount, self.expired.pk: amount}))

    @precondition(lambda self: any(p.repost for p in self.posted))
    @rule(pick=st.integers(0, 10**6))
    def replay(self, pick):
        """Any request sent again gets its original transaction back, and nothing moves."""
        candidates = [p for p in self.posted if p.repost]
        original = candidates[pick % len(candidates)]
        before = ledger_state()
        assert original.repost().pk == original.pk
        assert ledger_state() == before

    # --- checked after every step ---------------------------------------------------

    @invariant()
    def books_match_the_model(self):
        stored = dict(Account.objects.filter(pk__in=self.balances).values_list("pk", "balance"))
        assert stored == self.balances
        for user, wallet in zip(self.users, self.wallets, strict=True):
            assert wallet_balance(user) == self.balances[wallet.pk]
        ours = Transaction.objects.filter(
            entries__account__in=[*self.wallets, self.payee]
        ).distinct()
        assert ours.count() == len(self.posted)
        report = audit_ledger()
        assert report.ok, report


@pytest.mark.django_db
def test_random_postings_keep_the_books():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            database=None,  # keep no example database in the working tree
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
