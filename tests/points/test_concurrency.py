"""Real parallel postings on PostgreSQL: one connection per thread, released together.

The server's ``max_connections`` (100) is shared with other test databases, so each
test keeps at most ``THREADS`` connections open; every thread still races for the same
rows, several postings each.

Spends go to another volunteer's wallet, not to the voucher-liability account: the
audit run at the end of each test requires that account to equal the unused vouchers.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from points.exceptions import InsufficientPoints
from points.models import Account, AccountKind, Entry, Transaction, TransactionKind
from points.services import points_award, points_transfer, wallet_for
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory, balance_of, fund, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 25


def audit_passes() -> bool:
    out = StringIO()
    call_command("points_audit", stdout=out)
    return "points ledger audit passed" in out.getvalue()


def test_concurrent_spends_never_overdraw(postgres):
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

    outcomes = run_concurrently([spend(i) for i in range(50)], threads=THREADS)

    spent = [o for o in outcomes if isinstance(o, Transaction)]
    refused = [o for o in outcomes if isinstance(o, InsufficientPoints)]
    assert (len(spent), len(refused)) == (10, 40), outcomes
    assert balance_of(wallet) == 0
    assert balance_of(payee) == 100
    assert Transaction.objects.filter(kind=TransactionKind.SPEND).count() == 10
    assert Entry.objects.filter(transaction__in=[t.pk for t in spent]).count() == 20
    assert Entry.objects.filter(transaction__kind=TransactionKind.SPEND).count() == 20
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
    without the issuance account yet: both are created once, the award too."""
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

    outcomes = run_concurrently([post] * 100, threads=THREADS)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert Transaction.objects.get().pk == outcomes[0]
    assert Account.objects.filter(owner=volunteer).count() == 1
    assert balance_of(wallet_for(volunteer)) == 100
    assert Account.objects.filter(kind=AccountKind.ISSUANCE).count() == 1
    assert audit_passes()


def test_one_idempotency_key_posted_concurrently_gives_one_transfer(postgres):
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

    outcomes = run_concurrently([post] * 100, threads=THREADS)

    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert Transaction.objects.filter(kind=TransactionKind.SPEND).get().pk == outcomes[0]
    assert (balance_of(wallet), balance_of(payee)) == (70, 30)
    assert audit_passes()
