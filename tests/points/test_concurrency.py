"""Real parallel postings on PostgreSQL: one connection per thread, released together.

The server's ``max_connections`` is shared with the test database's own connection,
other sessions and other checkouts' test databases, so a test never takes more than
half of it (``parallel_connections``): the 50 concurrent spends run on 50 connections;
the 100 posts of one idempotency key run on as many as that allows: all 100 at once
in CI, whose ``.ci/run`` raises ``max_connections`` to 250, and in rounds released by
a barrier on a server with fewer (50 at a time at PostgreSQL's default of 100). The
other tests keep ``THREADS`` connections or fewer; every thread still races for the
same rows, several postings each.

Spends go to another volunteer's wallet, not to the voucher-liability account: the
audit run at the end of each test requires that account to equal the unused vouchers.
"""

from __future__ import annotations

import datetime as dt
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from points.exceptions import CapReached, InsufficientPoints
from points.ledger import database
from points.models import (
    Account,
    AccountKind,
    CapReason,
    Entry,
    Transaction,
    TransactionKind,
)
from points.services.accounts import system_account, wallet_for
from points.services.earning import points_award
from points.services.postings import points_transfer, transaction_post
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory, balance_of, fund, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 25


def parallel_connections(wanted: int) -> int:
    """How many connections a test may open at once: ``wanted``, at most half the
    server's ``max_connections`` (the rest is headroom for the test database's own
    connection, other sessions and other test runs on the same server). In CI
    (``REQUIRE_SERVICES=1``) anything less than ``wanted`` is a failure: ``.ci/run``
    gives the server enough."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
    if os.environ.get("REQUIRE_SERVICES") == "1":
        assert limit // 2 >= wanted, f"max_connections {limit} is too low for {wanted}"
    return min(wanted, limit // 2)


def audit_passes() -> bool:
    out = StringIO()
    call_command("points_audit", stdout=out)
    return "points ledger audit passed" in out.getvalue()


def test_concurrent_spends_never_overdraw(postgres):
    """50 spends of 10 from a wallet of 100, on 50 connections at once: exactly 10
    succeed and the wallet ends at 0."""
    wallet = wallet_for(UserFactory())
    payee = wallet_for(UserFactory())
    fund(wallet, 100)

    def spend(i):
        return lambda: points_transfer(
            source=wallet,
            destination=payee,
            amount=10,
            idempotency_key=f"spend-{i}",
            kind=TransactionKind.SPEND,
        )

    assert parallel_connections(50) == 50, "the server allows too few connections"
    backends: set[int] = set()
    outcomes = run_concurrently([spend(i) for i in range(50)], threads=50, backends=backends)

    assert len(backends) == 50  # 50 connections of their own, released by one barrier

    spent = [o for o in outcomes if isinstance(o, Transaction)]
    refused = [o for o in outcomes if isinstance(o, InsufficientPoints)]
    assert (len(spent), len(refused)) == (10, 40), outcomes
    assert balance_of(wallet) == 0
    assert balance_of(payee) == 100
    assert Transaction.objects.filter(kind=TransactionKind.SPEND).count() == 10
    assert Entry.objects.filter(transaction__in=[t.pk for t in spent]).count() == 20
    assert Entry.objects.filter(transaction__kind=TransactionKind.SPEND).count() == 20
    assert audit_passes()


@pytest.mark.parametrize("path", ["in the database", "in Python"])
@pytest.mark.parametrize("limit", ["daily", "yearly"])
def test_concurrent_awards_never_exceed_a_limit(postgres, monkeypatch, limit, path):
    """20 awards of 100 points for one volunteer, on 20 connections at once, under a
    limit of 200 a day (all on one day) or 500 a year (on 20 days): exactly the limit
    is credited and every other award records what was held back, with the reason,
    or is refused when partial credit is not allowed. Through ``points_award_post()``
    and through the Python path (SQLite's), which must both check the limits under
    the wallet's lock."""
    if path == "in Python":
        monkeypatch.setattr(database, "posts_in_database", lambda: False)
    volunteer = UserFactory(birth_date=dt.date(1950, 1, 1))
    wallet_for(volunteer)
    caps = {"daily": {"daily_cap": 200}, "yearly": {"yearly_cap": 500}}[limit]
    rule = EarningRuleFactory(points=100, **caps)
    day = dt.date(2025, 6, 2)

    def award(i):
        return lambda: points_award(
            user=volunteer,
            rule=rule,
            activity_date=day if limit == "daily" else day + dt.timedelta(days=i),
            duration_minutes=60,
            idempotency_key=f"visit-{i}",
            allow_partial=i % 2 == 0,  # the odd ones must be refused instead
        )

    backends: set[int] = set()
    outcomes = run_concurrently([award(i) for i in range(20)], threads=20, backends=backends)

    assert len(backends) == 20
    cap = 200 if limit == "daily" else 500
    assert balance_of(wallet_for(volunteer)) == cap
    awards = Transaction.objects.filter(kind=TransactionKind.EARN)
    credited = [a.requested_points - a.capped_points for a in awards]
    assert sum(credited) == cap and set(credited) <= {0, 100}
    held_back = awards.filter(capped_points=100)
    assert {a.cap_reason for a in held_back} == {CapReason(limit)}
    refused = [o for o in outcomes if isinstance(o, CapReached)]
    assert not [o for o in outcomes if not isinstance(o, Transaction | CapReached)], outcomes
    # Every odd (all-or-nothing) award either got its full 100 or was refused.
    assert len(refused) + len(held_back) == 20 - cap // 100
    assert all(o.details["cap"] == limit for o in refused)
    assert audit_passes()


def test_opposite_transfers_do_not_deadlock(postgres):
    a, b = wallet_for(UserFactory()), wallet_for(UserFactory())
    fund(a, 500)
    fund(b, 500)

    def transfers(source, destination, worker):
        def run():
            for i in range(500):
                points_transfer(
                    source=source,
                    destination=destination,
                    amount=1,
                    idempotency_key=f"ping-pong-{worker}-{i}",
                )
            return "done"

        return run

    outcomes = run_concurrently([transfers(a, b, 0), transfers(b, a, 1)], threads=2, timeout=60)

    assert outcomes == ["done", "done"]  # no deadlock, no OperationalError, no overdraft
    assert (balance_of(a), balance_of(b)) == (500, 500)
    assert Transaction.objects.filter(kind=TransactionKind.TRANSFER).count() == 1000
    assert audit_passes()


def test_one_idempotency_key_posted_concurrently_gives_one_award(postgres):
    """100 identical requests for a volunteer who has no wallet yet, on a database
    without the issuance account yet: both are created once, the award too.

    The 100 attempts run on ``parallel_connections(100)`` connections (all 100 in CI;
    50 at ``max_connections = 100``), each posting once per round and every round
    released by a barrier: 100 attempts, that many in flight at once per round."""
    volunteer = UserFactory()
    rule = EarningRuleFactory(points=100)
    assert not Account.objects.exists()

    def post():
        return points_award(
            user=volunteer,
            rule=rule,
            activity_date=dt.date(2025, 6, 2),
            duration_minutes=60,
            idempotency_key="qr-scan-8f3a",
        ).pk

    threads = parallel_connections(100)
    backends: set[int] = set()
    outcomes = run_concurrently(
        [post] * 100, threads=threads, barrier_per_round=True, backends=backends
    )

    assert len(backends) == threads
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert Transaction.objects.get().pk == outcomes[0]
    assert Account.objects.filter(owner=volunteer).count() == 1
    assert balance_of(wallet_for(volunteer)) == 100
    assert Account.objects.filter(kind=AccountKind.ISSUANCE).count() == 1
    assert audit_passes()


def test_one_idempotency_key_posted_concurrently_gives_one_transfer(postgres):
    """As for the award: 100 attempts on ``parallel_connections(100)`` connections,
    posting in rounds released by a barrier."""
    wallet = wallet_for(UserFactory())
    payee = wallet_for(UserFactory())
    fund(wallet, 100)

    def post():
        return points_transfer(
            source=wallet,
            destination=payee,
            amount=30,
            idempotency_key="voucher-0001",
            kind=TransactionKind.SPEND,
        ).pk

    threads = parallel_connections(100)
    backends: set[int] = set()
    outcomes = run_concurrently(
        [post] * 100, threads=threads, barrier_per_round=True, backends=backends
    )

    assert len(backends) == threads
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert Transaction.objects.filter(kind=TransactionKind.SPEND).get().pk == outcomes[0]
    assert (balance_of(wallet), balance_of(payee)) == (70, 30)
    assert audit_passes()


def test_awards_adjustments_and_spends_mixed_on_the_issuance_account(postgres):
    """The issuance account is locked last (by its balance update) rather than in key
    order with the others: awards (Python path), adjustments (``points_post()``) and
    spends back to it, all at once on the same wallets, neither deadlock nor leave the
    books wrong. Each wallet ends with what the model below says."""
    users = [UserFactory() for _ in range(4)]
    wallets = [wallet_for(user) for user in users]
    issuance = system_account(AccountKind.ISSUANCE)
    start = balance_of(issuance)
    rule = EarningRuleFactory(points=100)
    jobs = []
    for i in range(60):
        user, wallet = users[i % 4], wallets[i % 4]
        if i % 3 == 0:
            jobs.append(
                lambda user=user, i=i: points_award(
                    user=user,
                    rule=rule,
                    activity_date=dt.date(2025, 6, 2),
                    duration_minutes=60,
                    idempotency_key=f"mixed-award-{i}",
                )
            )
        elif i % 3 == 1:
            jobs.append(
                lambda wallet=wallet, i=i: transaction_post(
                    kind=TransactionKind.ADJUST,
                    idempotency_key=f"mixed-adjust-{i}",
                    lines=[(wallet, 7), (issuance, -7)],
                )
            )
        else:  # a refund to the scheme: always affordable after the first funding
            jobs.append(
                lambda wallet=wallet, i=i: transaction_post(
                    kind=TransactionKind.ADJUST,
                    idempotency_key=f"mixed-return-{i}",
                    lines=[(wallet, -1), (issuance, 1)],
                )
            )
    for wallet in wallets:
        fund(wallet, 10)

    outcomes = run_concurrently(jobs, threads=THREADS)

    assert all(isinstance(o, Transaction) for o in outcomes), outcomes
    # Per wallet: 5 awards of 100, 5 adjustments of 7, 5 returns of 1, funded with 10.
    assert [balance_of(w) for w in wallets] == [10 + 500 + 35 - 5] * 4
    assert balance_of(issuance) == start - 4 * (10 + 500 + 35 - 5)
    assert audit_passes()
