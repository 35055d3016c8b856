"""Helpers shared by the points ledger tests (factories, funding, snapshots, threads)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import factory
from django.db import connection

from points.models import Account, AccountKind, EarningRule, Entry, Transaction, TransactionKind
from points.services.accounts import system_account
from points.services.postings import transaction_post


class EarningRuleFactory(factory.django.DjangoModelFactory):
    """100 pt per started-and-completed hour, no limits, no minimum: override per scheme."""

    class Meta:
        model = EarningRule

    activity_kind = factory.Sequence(lambda n: f"activity-{n}")
    name = factory.Sequence(lambda n: f"活動{n}")
    basis = EarningRule.Basis.PER_HOUR
    points = 100
    rounding_minutes = 60
    min_minutes = 0
    cap_group = factory.Sequence(lambda n: f"group-{n}")


def new_key(prefix: str = "key") -> str:
    """A fresh idempotency key."""
    return f"{prefix}-{uuid.uuid4().hex}"


def fund(
    wallet: Account, amount: int, *, kind: TransactionKind = TransactionKind.ADJUST
) -> Transaction:
    """Credit ``wallet`` from the issuance account (no expiry date) through the service."""
    return transaction_post(
        kind=kind,
        idempotency_key=new_key("fund"),
        lines=[(wallet, amount), (system_account(AccountKind.ISSUANCE), -amount)],
    )


def balance_of(account: Account) -> int:
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


def ledger_state() -> tuple[int, int, dict[str, int]]:
    """Everything a posting can change: row counts and every cached balance."""
    return (
        Transaction.objects.count(),
        Entry.objects.count(),
        dict(Account.objects.values_list("code", "balance")),
    )


def wallet_lines(txn: Transaction) -> dict[int, int]:
    """``{account id: points}`` of a transaction's entries."""
    lines: dict[int, int] = {}
    for account_id, amount in txn.entries.values_list("account_id", "amount"):
        lines[account_id] = lines.get(account_id, 0) + amount
    return lines


def run_concurrently(
    jobs: list[Callable[[], Any]],
    *,
    threads: int,
    timeout: float = 60,
    barrier_per_round: bool = False,
    backends: set[int] | None = None,
) -> list[Any]:
    """Run ``jobs`` on ``threads`` threads released together by a barrier.

    Each thread opens its own database connection before the barrier (so the race is
    on the ledger, not on connecting) and closes it at the end. Thread ``i`` runs jobs
    ``i``, ``i + threads``, …: one after another, or with ``barrier_per_round`` in
    rounds that all threads start together (so every round has ``threads`` attempts in
    flight at once, not a thread that finished early running ahead). ``backends``, if
    given, receives each connection's server process id (on PostgreSQL), to show how
    many real connections raced. Returns, per job, its result or the exception it
    raised.
    """
    threads = min(threads, len(jobs))
    barrier = threading.Barrier(threads, timeout=timeout)
    outcomes: list[Any] = [None] * len(jobs)
    rounds = -(-len(jobs) // threads)
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            connection.ensure_connection()
            if backends is not None and connection.vendor == "postgresql":
                with lock:
                    backends.add(connection.connection.info.backend_pid)
            barrier.wait()
            for round_ in range(rounds):
                job = round_ * threads + index
                if barrier_per_round and round_:
                    barrier.wait()
                if job >= len(jobs):
                    continue
                try:
                    outcomes[job] = jobs[job]()
                except Exception as exc:  # reported to the test, which asserts on it
                    outcomes[job] = exc
        except Exception as exc:
            for job in range(index, len(jobs), threads):
                outcomes[job] = outcomes[job] or exc
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout * (rounds + 1))
    assert not any(thread.is_alive() for thread in pool), "a worker thread is stuck"
    return outcomes
