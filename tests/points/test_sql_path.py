"""The PostgreSQL posting functions and the Python posting path agree.

On PostgreSQL, fixed-line postings (``transaction_post`` and everything built on it)
run in one statement, ``points_post()`` from migration 0004, and awards in
``points_award_post()`` (0005); SQLite, and the other postings with a builder
(reversals, expiry, exchange), run the Python steps of ``points.ledger.posting.post``. Each
scenario below is run through both paths on the same database, and everything
observable must be the same: the outcome of every call (the stored transaction, or the
error with its details), the entries in order, and how every balance moved.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from points.exceptions import IdempotencyConflict, InsufficientPoints
from points.ledger import database
from points.models import Account, AccountKind, Transaction, TransactionKind
from points.selectors import audit_ledger
from points.services.accounts import system_account, wallet_for
from points.services.earning import points_award
from points.services.postings import points_transfer, transaction_post, transaction_reverse
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory, balance_of, fund, new_key

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]

Accounts = dict[str, Account]


def new_accounts() -> Accounts:
    """Wallets ``a`` (100 points) and ``b``, ``c`` (empty), and the issuance account."""
    accounts = {name: wallet_for(UserFactory()) for name in ("a", "b", "c")}
    fund(accounts["a"], 100)
    accounts["issuance"] = system_account(AccountKind.ISSUANCE)
    return accounts


def outcome(call: Callable[[], Transaction], accounts: Accounts) -> tuple[Any, ...]:
    """What a caller can observe of one posting, with account ids replaced by names."""
    names = {account.pk: name for name, account in accounts.items()}
    try:
        txn = call()
    except Account.DoesNotExist:
        return ("error", "DoesNotExist")
    except Exception as exc:  # the domain errors are what is compared
        details = dict(getattr(exc, "details", {}))
        if "account" in details:  # a code: the name of the account in this scenario
            codes = {account.code: name for name, account in accounts.items()}
            details["account"] = codes[details["account"]]
        if "idempotency_key" in details:  # without this run's prefix
            details["idempotency_key"] = details["idempotency_key"].rsplit(":", 1)[1]
        return ("error", type(exc).__name__, details)
    stored = Transaction.objects.get(pk=txn.pk)
    fields = ("kind", "reference", "memo", "actor_id", "capped_points", "cap_reason")
    assert [getattr(txn, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert (txn.idempotency_key, txn.fingerprint) == (stored.idempotency_key, stored.fingerprint)
    assert txn.created_at == stored.created_at
    owners = {account.owner_id: name for name, account in accounts.items() if account.owner_id}
    return (
        "posted",
        txn.pk,
        [owners.get(stored.actor_id) if f == "actor_id" else getattr(stored, f) for f in fields],
        [(names[a], amount) for a, amount in stored.entries.values_list("account_id", "amount")],
    )


def scenario_results(
    steps: list[Callable[[Accounts, str], Callable[[], Transaction]]],
) -> list[tuple[Any, ...]]:
    """Run ``steps`` on fresh accounts; each outcome plus every balance's change.

    Transaction ids differ between runs, so a posted outcome keeps only whether it is
    the same transaction as an earlier step's (a replay)."""
    accounts = new_accounts()
    before = {name: balance_of(account) for name, account in accounts.items()}
    prefix = new_key("scenario")
    results, seen = [], {}
    for index, step in enumerate(steps):
        result = outcome(step(accounts, prefix), accounts)
        if result[0] == "posted":
            seen.setdefault(result[1], index)
            result = ("posted", seen[result[1]], *result[2:])
        results.append(result)
    moved = {name: balance_of(account) - before[name] for name, account in accounts.items()}
    results.append(("balances moved", moved))
    return results


def post(
    key: str,
    *lines: tuple[str, int],
    kind: str = TransactionKind.TRANSFER,
    actor: str | None = None,
    **extra: Any,
):
    """A posting step; ``actor`` names the account whose owner acts."""

    def step(accounts: Accounts, prefix: str):
        who = accounts[actor].owner if actor else None
        return lambda: transaction_post(
            kind=kind,
            idempotency_key=f"{prefix}:{key}",
            lines=[(accounts[name], amount) for name, amount in lines],
            actor=who,
            **extra,
        )

    return step


def post_unknown_account(key: str):
    def step(accounts: Accounts, prefix: str):
        ghost = Account(pk=10**12, kind=AccountKind.WALLET, code="ghost")
        return lambda: transaction_post(
            kind=TransactionKind.TRANSFER,
            idempotency_key=f"{prefix}:{key}",
            lines=[(accounts["a"], -1), (ghost, 1)],
        )

    return step


SCENARIOS = {
    "transfer": [post("t", ("a", -30), ("b", 30), reference="ref", memo="メモ")],
    "several lines, one account twice": [
        post("t", ("a", -30), ("b", 10), ("c", 15), ("b", 5)),
    ],
    "overdraw refused with details": [post("t", ("a", -101), ("b", 101))],
    "first overdrawn account in line order is reported": [
        post("t", ("c", -1), ("b", -1), ("a", 2)),
    ],
    "net delta decides, not each line": [post("t", ("a", -150), ("a", 60), ("b", 90))],
    # ``a`` can pay its part and ``b`` cannot: ``b`` is reported, not ``a`` (whose
    # balance the refused posting must neither keep nor blame).
    "only the account that cannot pay is reported": [
        post("t", ("a", -60), ("b", -1), ("c", 61)),
    ],
    "unbalanced": [post("t", ("a", -10), ("b", 9))],
    "issuance may go negative": [post("t", ("issuance", -500), ("c", 500), kind="adjust")],
    "replay returns the original": [
        post("t", ("a", -10), ("b", 10)),
        post("t", ("a", -10), ("b", 10)),
    ],
    "same key, other content": [
        post("t", ("a", -10), ("b", 10)),
        post("t", ("a", -11), ("b", 11)),
    ],
    "replay with the same memo and actor": [
        post("t", ("a", -10), ("b", 10), memo="メモ", actor="c"),
        post("t", ("a", -10), ("b", 10), memo="メモ", actor="c"),
    ],
    "same key, other memo": [
        post("t", ("a", -10), ("b", 10), memo="メモ"),
        post("t", ("a", -10), ("b", 10), memo="別のメモ"),
    ],
    "same key, other actor": [
        post("t", ("a", -10), ("b", 10), actor="b"),
        post("t", ("a", -10), ("b", 10), actor="c"),
    ],
    "same key, actor dropped": [
        post("t", ("a", -10), ("b", 10), actor="b"),
        post("t", ("a", -10), ("b", 10)),
    ],
    "a refused key stays free": [
        post("t", ("a", -200), ("b", 200)),
        post("t", ("a", -20), ("b", 20)),
    ],
    "replay is checked before the lines": [
        post("t", ("a", -100), ("b", 100)),
        post("t", ("a", -100), ("b", 100)),
    ],
    "zero-amount line": [post("t", ("a", 0), ("b", 0))],
    "unknown account": [post_unknown_account("t")],
}


@pytest.mark.django_db
@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_both_paths_give_the_same_results(steps, monkeypatch):
    in_database = scenario_results(steps)
    monkeypatch.setattr(database, "posts_in_database", lambda: False)
    in_python = scenario_results(steps)
    assert in_database == in_python
    assert audit_ledger().ok


@pytest.mark.django_db
def test_the_overdraw_error_carries_the_same_details():
    wallet, payee = wallet_for(UserFactory()), wallet_for(UserFactory())
    fund(wallet, 40)
    with pytest.raises(InsufficientPoints) as excinfo:
        points_transfer(source=wallet, destination=payee, amount=50, idempotency_key=new_key())
    assert excinfo.value.details == {"account": wallet.code, "balance": 40, "requested": 50}


@pytest.mark.django_db(transaction=True)
def test_a_posting_outside_a_transaction_is_one_statement():
    """The point of the function: no BEGIN, lock, insert, entries, balances, COMMIT."""
    wallet, payee = wallet_for(UserFactory()), wallet_for(UserFactory())
    fund(wallet, 40)
    with CaptureQueriesContext(connection) as queries:
        points_transfer(source=wallet, destination=payee, amount=15, idempotency_key=new_key())
    assert [q["sql"].split("(")[0] for q in queries] == ["SELECT * FROM points_post"]
    assert (balance_of(wallet), balance_of(payee)) == (25, 15)
    assert audit_ledger().ok


@pytest.mark.django_db
def test_a_refused_posting_leaves_the_callers_transaction_usable(monkeypatch):
    """Inside an outer transaction the function runs in a savepoint, as ``atomic()``
    does on the Python path: the caller can catch the error and carry on."""
    wallet, payee = wallet_for(UserFactory()), wallet_for(UserFactory())
    fund(wallet, 10)
    with transaction.atomic():
        with pytest.raises(InsufficientPoints):
            points_transfer(source=wallet, destination=payee, amount=11, idempotency_key=new_key())
        with pytest.raises(IdempotencyConflict):
            key = new_key()
            points_transfer(source=wallet, destination=payee, amount=1, idempotency_key=key)
            points_transfer(source=wallet, destination=payee, amount=2, idempotency_key=key)
        points_transfer(source=wallet, destination=payee, amount=4, idempotency_key=new_key())
    assert (balance_of(wallet), balance_of(payee)) == (5, 5)
    assert audit_ledger().ok


@pytest.mark.django_db
def test_the_function_writes_every_column_of_a_transaction():
    """Adding a column to ``Transaction`` without adding it to ``points_post()`` would
    silently drop its value on PostgreSQL: this fails first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_functiondef('points_post(jsonb,bigint[],bigint[])'::regprocedure)"
        )
        source = cursor.fetchone()[0]
    insert = re.search(r"INSERT INTO points_transaction \((.*?)\)", source, re.S)
    assert insert is not None
    written = {column.strip() for column in insert.group(1).split(",")}
    columns = {f.column for f in Transaction._meta.concrete_fields if not f.primary_key}
    assert written == columns


def test_the_record_takes_a_naive_time_in_the_current_time_zone():
    """As ``DateTimeField`` does on the Python path (settings: Asia/Tokyo)."""
    txn = Transaction(created_at=dt.datetime(2025, 6, 2, 10, 0), activity_date=DAY)
    record = json.loads(database._transaction_record(txn))
    assert record["created_at"] == "2025-06-02T10:00:00+09:00"
    assert record["activity_date"] == "2025-06-02"


@pytest.mark.django_db
def test_the_posting_functions_plan_their_statements_once():
    """Without this setting PostgreSQL re-plans every statement of every posting (their
    array parameters make the generic plan look dearer than it is): the benchmark's
    largest single cost, so a re-created function must keep it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc"
            " WHERE proname IN ('points_post', 'points_award_post') ORDER BY proname"
        )
        found = cursor.fetchall()
    assert found == [
        ("points_award_post", ["plan_cache_mode=force_generic_plan"]),
        ("points_post", ["plan_cache_mode=force_generic_plan"]),
    ]


# --- Awards: points_award_post() against the builder path ------------------------------

DAY = dt.date(2025, 6, 2)


def award_results(steps) -> list[tuple[Any, ...]]:
    """Run award ``steps`` for a fresh volunteer under fresh rules (one limit group
    with 200/day and 300/year, and a rule of another group); outcomes and balances."""
    user = UserFactory(birth_date=dt.date(1950, 1, 1))
    group = new_key("group")
    rules = {
        "capped": EarningRuleFactory(points=100, daily_cap=200, yearly_cap=300, cap_group=group),
        "same group": EarningRuleFactory(points=100, cap_group=group),
        "other group": EarningRuleFactory(points=100, daily_cap=50),
    }
    prefix, results, seen = new_key("award"), [], {}
    for index, step in enumerate(steps):
        try:
            txn = step(user, rules, prefix)
        except Exception as exc:  # the domain errors are what is compared
            details = dict(getattr(exc, "details", {}))
            details.pop("idempotency_key", None)
            results.append(("error", type(exc).__name__, details))
            continue
        stored = Transaction.objects.get(pk=txn.pk)
        fields = (
            "kind",
            "activity_date",
            "requested_points",
            "capped_points",
            "cap_reason",
            "expires_on",
        )
        assert [getattr(txn, f) for f in fields] == [getattr(stored, f) for f in fields]
        assert (txn.rule_id, txn.created_at) == (stored.rule_id, stored.created_at)
        seen.setdefault(txn.pk, index)
        amounts = sorted(stored.entries.values_list("amount", flat=True))
        results.append(("posted", seen[txn.pk], [getattr(stored, f) for f in fields], amounts))
    results.append(("wallet", balance_of(wallet_for(user))))
    return results


def award(key, rule="capped", minutes=120, day=DAY, partial=True, memo="", by_self=False):
    def step(user, rules, prefix):
        return points_award(
            user=user,
            rule=rules[rule],
            activity_date=day,
            duration_minutes=minutes,
            idempotency_key=f"{prefix}:{key}",
            allow_partial=partial,
            memo=memo,
            actor=user if by_self else None,
        )

    return step


def reverse(key):
    def step(user, rules, prefix):
        original = Transaction.objects.get(idempotency_key=f"{prefix}:{key}")
        return transaction_reverse(original=original)

    return step


AWARDS = {
    "within the limits": [award("a", minutes=60)],
    "daily limit cuts the credit": [award("a", minutes=60), award("b", minutes=180)],
    "yearly limit cuts the credit": [
        award("a", day=DAY),
        award("b", day=DAY + dt.timedelta(days=1)),
        award("c", day=DAY + dt.timedelta(days=2)),
    ],
    "fully capped: recorded with zero points": [award("a"), award("b")],
    "limit without partial credit": [award("a", minutes=60), award("b", partial=False)],
    "rules of one group share the limits": [award("a"), award("b", rule="same group")],
    "another group has its own limits": [award("a"), award("b", rule="other group")],
    "a reversed award does not count": [award("a"), reverse("a"), award("b")],
    "replay returns the original": [award("a"), award("a")],
    "same key, other content": [award("a"), award("a", minutes=60)],
    "replay with the same memo and actor": [
        award("a", memo="メモ", by_self=True),
        award("a", memo="メモ", by_self=True),
    ],
    "same key, other memo": [award("a", memo="メモ"), award("a", memo="別のメモ")],
    "same key, other actor": [award("a", by_self=True), award("a")],
    "too short: refused before the database": [award("a", minutes=20)],
}


@pytest.mark.django_db
@pytest.mark.parametrize("steps", AWARDS.values(), ids=AWARDS.keys())
def test_awards_give_the_same_results_on_both_paths(steps, monkeypatch):
    in_database = award_results(steps)
    monkeypatch.setattr(database, "posts_in_database", lambda: False)
    in_python = award_results(steps)
    assert in_database == in_python
    assert audit_ledger().ok


@pytest.mark.django_db(transaction=True)
def test_an_award_is_one_statement_after_the_accounts(issuance):
    user = UserFactory(birth_date=dt.date(1950, 1, 1))
    wallet_for(user)
    rule = EarningRuleFactory(points=100, daily_cap=200, yearly_cap=300)
    with CaptureQueriesContext(connection) as queries:
        txn = points_award(
            user=user, rule=rule, activity_date=DAY, duration_minutes=60, idempotency_key=new_key()
        )
    # The wallet and the issuance account in one query, then the award itself.
    sql = [q["sql"] for q in queries]
    assert len(sql) == 2, sql
    assert 'FROM "points_account"' in sql[0] and "'issuance'" in sql[0]
    assert sql[1].startswith("SELECT * FROM points_award_post(")
    assert txn.entries.count() == 2 and balance_of(wallet_for(user)) == 100
