"""Reads whose cost must not grow with a wallet's history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from points.models import Account, Entry, Transaction, TransactionKind
from points.selectors import audit_ledger, wallet_balance, wallet_entries, with_running_balance
from points.services.accounts import wallet_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def user_with_history(issuance, size: int, points: int = 3):
    """A volunteer with ``size`` balanced earn transactions of ``points`` each, written
    in bulk, with the cached balances set to match."""
    user = UserFactory()
    wallet = wallet_for(user)
    txns = Transaction.objects.bulk_create(
        Transaction(
            kind=TransactionKind.EARN,
            idempotency_key=f"bulk-{wallet.pk}-{i}",
            fingerprint="bulk",
        )
        for i in range(size)
    )
    Entry.objects.bulk_create(
        entry
        for txn in txns
        for entry in (
            Entry(transaction=txn, account=wallet, amount=points),
            Entry(transaction=txn, account=issuance, amount=-points),
        )
    )
    Account.objects.filter(pk=wallet.pk).update(balance=size * points)
    Account.objects.filter(pk=issuance.pk).update(balance=F("balance") - size * points)
    return user


def test_wallet_balance_costs_one_query_whatever_the_history(issuance):
    small, big = user_with_history(issuance, 10), user_with_history(issuance, 10_000)
    assert Entry.objects.filter(account__owner=big).count() == 10_000
    assert audit_ledger().ok  # the bulk history is balanced and the caches match

    with CaptureQueriesContext(connection) as small_queries:
        assert wallet_balance(small) == 30
    with CaptureQueriesContext(connection) as big_queries:
        assert wallet_balance(big) == 30_000

    assert len(small_queries) == len(big_queries) == 1
    # It reads the cached balance: no scan of the entries.
    assert "points_entry" not in big_queries[0]["sql"]


def test_wallet_balance_without_a_wallet_is_zero(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):
        assert wallet_balance(user) == 0
    assert not Account.objects.filter(owner=user).exists()  # reading creates nothing


@pytest.mark.parametrize("size", [10, 10_000])
def test_a_page_of_entries_with_running_balances_costs_the_same(
    issuance, django_assert_num_queries, size
):
    user = user_with_history(issuance, size)
    with django_assert_num_queries(2):  # the page; the balance with the newer entries' sum
        page = with_running_balance(list(wallet_entries(user)[5:10]), user)
        rows = [(e.amount, e.running_balance, e.transaction.kind) for e in page]
    assert rows == [(3, 3 * (size - n), TransactionKind.EARN) for n in range(5, 10)]
