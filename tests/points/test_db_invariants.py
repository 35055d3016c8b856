"""The ledger's invariants held by the database itself, against raw SQL.

PostgreSQL: entries are append-only (a trigger) and every transaction balances at
COMMIT (a deferred constraint trigger). Every database: the CHECK constraint keeps
non-issuance balances from going negative. SQLite has no triggers: there, tampering
with entries succeeds, and the audit is what catches it (the last test checks
whichever applies).
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from points.models import Account, Entry, Transaction, TransactionKind
from points.selectors import audit_ledger
from points.services.accounts import wallet_for
from points.services.postings import points_transfer
from tests.factories import UserFactory
from tests.points.support import balance_of, fund, new_key


@pytest.fixture
def spend(payee):
    """A committed spend of 30 from a wallet funded with 100."""
    wallet = wallet_for(UserFactory())
    fund(wallet, 100)
    return points_transfer(
        source=wallet,
        destination=payee,
        amount=30,
        idempotency_key=new_key(),
        kind=TransactionKind.SPEND,
    )


def insert_transaction(cursor, key: str) -> int:
    cursor.execute(
        "INSERT INTO points_transaction (kind, idempotency_key, fingerprint, reference,"
        " created_at, memo, capped_points, cap_reason)"
        " VALUES ('transfer', %s, 'raw', '', %s, '', 0, '') RETURNING id",
        [key, timezone.now()],
    )
    return cursor.fetchone()[0]


def insert_entry(cursor, txn_id: int, account_id: int, amount: int) -> None:
    cursor.execute(
        "INSERT INTO points_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
        [txn_id, account_id, amount],
    )


# --- PostgreSQL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_entry SET amount = amount + 1 WHERE transaction_id = %s",
        "UPDATE points_entry SET amount = 0 WHERE transaction_id = %s",
        "DELETE FROM points_entry WHERE transaction_id = %s",
    ],
    ids=["update-amount", "zero-out", "delete"],
)
@pytest.mark.usefixtures("postgres")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_entries_are_append_only(spend, sql):
    before = list(Entry.objects.order_by("pk").values_list("pk", "amount"))
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [spend.pk])
    assert list(Entry.objects.order_by("pk").values_list("pk", "amount")) == before
    assert audit_ledger().ok


@pytest.mark.usefixtures("postgres")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_transaction_fails_at_commit():
    wallet = wallet_for(UserFactory())
    key = new_key("raw")
    statements_done = False
    with (
        pytest.raises(IntegrityError, match="unbalanced") as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        txn_id = insert_transaction(cursor, key)
        insert_entry(cursor, txn_id, wallet.pk, 25)
        # Every statement went through: only the COMMIT on leaving the block fails.
        statements_done = True
    assert statements_done
    assert isinstance(excinfo.value, DatabaseError)
    assert not Transaction.objects.filter(idempotency_key=key).exists()
    assert not Entry.objects.filter(account=wallet).exists()
    assert audit_ledger().ok


@pytest.mark.usefixtures("postgres")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_balanced_transaction_written_in_several_statements_commits(payee):
    """The control for the test above: the check waits for COMMIT, so the legs may be
    inserted one statement at a time."""
    wallet = wallet_for(UserFactory())
    fund(wallet, 50)
    with transaction.atomic(), connection.cursor() as cursor:
        txn_id = insert_transaction(cursor, new_key("raw"))
        insert_entry(cursor, txn_id, wallet.pk, -20)
        insert_entry(cursor, txn_id, payee.pk, 20)
        cursor.execute(
            "UPDATE points_account SET balance = balance + CASE id WHEN %s THEN -20 ELSE 20 END"
            " WHERE id IN (%s, %s)",
            [wallet.pk, wallet.pk, payee.pk],
        )
    assert (balance_of(wallet), balance_of(payee)) == (30, 20)
    assert audit_ledger().ok


# --- Every database -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_constraint_refuses_a_negative_wallet_balance(issuance):
    wallet = wallet_for(UserFactory())
    fund(wallet, 10)
    with (
        pytest.raises(IntegrityError, match="points_account_balance_non_negative"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE points_account SET balance = -1 WHERE id = %s", [wallet.pk])
    assert balance_of(wallet) == 10
    # The issuance account is the one exception.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE points_account SET balance = balance - 1 WHERE id = %s", [issuance.pk]
        )
    assert balance_of(issuance) == -11


@pytest.mark.django_db
def test_the_check_constraint_refuses_an_orm_update_too(liability):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=liability.pk).update(balance=-5)
    assert balance_of(liability) == 0


@pytest.mark.parametrize(
    ("sql", "unbalanced", "mismatched"),
    [
        (
            "UPDATE points_entry SET amount = amount + 1 WHERE transaction_id = %s AND amount > 0",
            1,
            1,
        ),
        ("DELETE FROM points_entry WHERE transaction_id = %s", None, 2),
    ],
    ids=["update", "delete"],
)
@pytest.mark.django_db
def test_tampering_with_entries_never_goes_unnoticed(spend, sql, unbalanced, mismatched):
    """PostgreSQL refuses it outright; SQLite, without triggers, lets it through and
    the audit reports it."""
    if connection.vendor == "postgresql":
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [spend.pk])
        assert audit_ledger().ok
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, [spend.pk])
    report = audit_ledger()
    assert not report.ok
    assert report.unbalanced == ([(spend.pk, unbalanced)] if unbalanced else [])
    assert len(report.mismatched) == mismatched
