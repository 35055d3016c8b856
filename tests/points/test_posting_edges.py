"""The posting core's edges (points/ledger/posting.py, the Python path every posting
takes on SQLite): a balance exactly enough, lines on one account netted before the
overdraft check, what an overdraft reports, the issuance account's licence to go
negative, a replay and a conflict, the insert for SQLite before 3.35, and the loser of
a concurrent insert."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from points.exceptions import IdempotencyConflict, InsufficientPoints, UnbalancedTransaction
from points.ledger import database, posting
from points.models import Account, AccountKind, Entry, Transaction, TransactionKind
from points.services.accounts import system_account
from points.services.postings import transaction_post
from tests.points.support import balance_of, fund, ledger_state, new_key

pytestmark = pytest.mark.django_db


def spend(wallet, payee, amount, key=None, **kwargs):
    return transaction_post(
        kind=TransactionKind.TRANSFER,
        idempotency_key=key or new_key("spend"),
        lines=[(wallet, -amount), (payee, amount)],
        **kwargs,
    )


def test_a_balance_exactly_enough_is_enough_and_one_point_more_is_not(wallet, payee):
    fund(wallet, 100)
    before = ledger_state()
    with pytest.raises(InsufficientPoints) as refused:
        spend(wallet, payee, 101)
    assert refused.value.details == {
        "account": Account.objects.get(pk=wallet.pk).code,
        "balance": 100,
        "requested": 101,
    }
    assert ledger_state() == before  # nothing of the refused posting stays
    txn = spend(wallet, payee, 100)
    assert balance_of(wallet) == 0 and balance_of(payee) == 100
    assert sorted(txn.entries.values_list("account_id", "amount")) == sorted(
        [(wallet.pk, -100), (payee.pk, 100)]
    )


def test_lines_on_one_account_are_netted_before_the_overdraft_check(wallet, payee):
    fund(wallet, 50)
    # -60 and +10 on the wallet: net -50, exactly its balance.
    transaction_post(
        kind=TransactionKind.TRANSFER,
        idempotency_key=new_key(),
        lines=[(wallet, -60), (wallet, 10), (payee, 50)],
    )
    assert balance_of(wallet) == 0 and balance_of(payee) == 50
    fund(wallet, 50)
    # +10 then -70: net -60, ten more than there is, whichever line comes first.
    with pytest.raises(InsufficientPoints) as refused:
        transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=new_key(),
            lines=[(wallet, 10), (wallet, -70), (payee, 60)],
        )
    assert refused.value.details["requested"] == 60
    assert balance_of(wallet) == 50


def test_every_account_in_a_posting_is_checked_and_updated(wallet, payee, volunteer):
    from points.services.accounts import wallet_for
    from tests.factories import UserFactory

    third = wallet_for(UserFactory())
    fund(wallet, 30)
    fund(payee, 30)
    lines = [(wallet, -30), (payee, -30), (third, 60)]
    transaction_post(kind=TransactionKind.TRANSFER, idempotency_key=new_key(), lines=lines)
    assert [balance_of(a) for a in (wallet, payee, third)] == [0, 0, 60]
    fund(wallet, 5)
    with pytest.raises(InsufficientPoints) as refused:  # the second account is short
        transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=new_key(),
            lines=[(wallet, -5), (payee, -1), (third, 6)],
        )
    assert refused.value.details["balance"] == 0


def test_the_issuance_account_may_go_negative_and_no_other_may(wallet, payee):
    issuance = system_account(AccountKind.ISSUANCE)
    start = balance_of(issuance)
    fund(wallet, 40)
    assert balance_of(issuance) == start - 40
    with pytest.raises(InsufficientPoints):
        spend(payee, wallet, 1)


def test_unbalanced_lines_are_refused_and_leave_nothing(wallet, payee):
    fund(wallet, 10)
    before = ledger_state()
    with pytest.raises(UnbalancedTransaction):
        transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=new_key(),
            lines=[(wallet, -10), (payee, 9)],
        )
    assert ledger_state() == before


def test_a_replay_returns_the_original_and_a_conflict_is_refused(wallet, payee):
    fund(wallet, 100)
    first = spend(wallet, payee, 30, key="same", reference="r")
    again = spend(wallet, payee, 30, key="same", reference="r")
    assert again.pk == first.pk and balance_of(wallet) == 70
    assert Entry.objects.filter(transaction=first).count() == 2
    with pytest.raises(IdempotencyConflict) as conflict:
        spend(wallet, payee, 31, key="same", reference="r")
    assert conflict.value.details == {"idempotency_key": "same"}  # the API reports it
    with pytest.raises(IdempotencyConflict):
        spend(wallet, payee, 30, key="same", reference="other")
    assert balance_of(wallet) == 70
    stored = Transaction.objects.get(idempotency_key="same")
    assert (stored.kind, stored.reference) == (TransactionKind.TRANSFER, "r")


def test_the_transaction_row_keeps_every_field(wallet, payee, volunteer):
    fund(wallet, 10)
    txn = spend(wallet, payee, 10, key="k-fields", actor=volunteer, reference="ref", memo="m")
    stored = Transaction.objects.get(pk=txn.pk)
    assert (stored.idempotency_key, stored.actor_id, stored.reference, stored.memo) == (
        "k-fields",
        volunteer.pk,
        "ref",
        "m",
    )
    assert stored.fingerprint == txn.fingerprint and len(stored.fingerprint) >= 32


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the path for SQLite older than 3.35 (no RETURNING)"
)
def test_sqlite_before_3_35_inserts_without_returning(monkeypatch, wallet, payee):
    """Old SQLite has no ``RETURNING``: the key is looked up first, then saved."""
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    fund(wallet, 20)
    first = spend(wallet, payee, 20, key="old-sqlite")
    assert Transaction.objects.filter(pk=first.pk).exists()
    assert spend(wallet, payee, 20, key="old-sqlite").pk == first.pk
    assert balance_of(wallet) == 0 and balance_of(payee) == 20


def test_the_loser_of_a_concurrent_insert_gets_the_winners_transaction(monkeypatch, wallet, payee):
    """Same key posted at once on other accounts: the insert's IntegrityError is
    answered with the stored transaction, or raised when there is none."""
    # The Python path (PostgreSQL posts static lines in a database function instead).
    monkeypatch.setattr(database, "posts_in_database", lambda: False)
    fund(wallet, 20)
    winner = spend(wallet, payee, 5, key="race")

    def lose(*args, **kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(posting, "_post_locked", lose)
    assert spend(wallet, payee, 5, key="race").pk == winner.pk
    with pytest.raises(IdempotencyConflict):
        spend(wallet, payee, 6, key="race")
    with pytest.raises(IntegrityError):
        spend(wallet, payee, 5, key="never-posted")


def test_replaying_a_posting_that_emptied_the_account_returns_it(wallet, payee):
    """A retried request after a success must get the success again, not "not enough
    points": the replay is answered before the balance is checked."""
    fund(wallet, 100)
    first = spend(wallet, payee, 100, key="drain")
    assert balance_of(wallet) == 0
    again = spend(wallet, payee, 100, key="drain")
    assert again.pk == first.pk
    assert balance_of(wallet) == 0 and balance_of(payee) == 100
