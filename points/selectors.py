"""Reads on the points ledger shared by pages, the API, the admin, tasks and the audit."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from points.models import Account, AccountKind, Entry, Transaction


def wallet_balance(user: User) -> int:
    """The user's balance: one indexed query, whatever the length of their history."""
    balance = (
        Account.objects.filter(owner=user, kind=AccountKind.WALLET)
        .values_list("balance", flat=True)
        .first()
    )
    return balance or 0


def wallet_entries(user: User) -> QuerySet[Entry]:
    """The user's wallet entries, newest first, with their transactions (pair a page of
    them with :func:`with_running_balance`)."""
    return (
        Entry.objects.filter(account__owner=user, account__kind=AccountKind.WALLET)
        .select_related("transaction", "transaction__rule")
        .order_by("-id")
    )


def ledger_entries() -> QuerySet[Entry]:
    """Every entry with its account and transaction, for the back office."""
    return Entry.objects.select_related(
        "account", "account__owner", "transaction", "transaction__actor", "transaction__rule"
    ).order_by("-id")


# --- Audit --------------------------------------------------------------------------


@dataclass
class AuditReport:
    transactions: int = 0
    entries: int = 0
    accounts: int = 0
    unbalanced: list[tuple[int, int]] = field(default_factory=list)
    mismatched: list[tuple[str, int, int]] = field(default_factory=list)
    negative: list[tuple[str, int]] = field(default_factory=list)
    total_balance: int = 0

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.mismatched or self.negative or self.total_balance)


def audit_ledger() -> AuditReport:
    """Check the books: every transaction sums to zero, every cached balance equals the
    sum of its entries, no account but the issuance is negative, and all balances
    together sum to zero. Each check is one aggregate query."""
    report = AuditReport(
        transactions=Transaction.objects.count(),
        entries=Entry.objects.count(),
        accounts=Account.objects.count(),
    )
    report.unbalanced = list(
        Entry.objects.values("transaction_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values_list("transaction_id", "total")
    )
    report.mismatched = list(
        Account.objects.annotate(entry_sum=Coalesce(Sum("entries__amount"), 0))
        .exclude(balance=F("entry_sum"))
        .values_list("code", "balance", "entry_sum")
    )
    report.negative = list(
        Account.objects.exclude(kind=AccountKind.ISSUANCE)
        .filter(balance__lt=0)
        .values_list("code", "balance")
    )
    report.total_balance = Account.objects.aggregate(total=Coalesce(Sum("balance"), 0))["total"]
    return report


def with_running_balance(entries: list[Entry], user: User) -> list[Entry]:
    """Set ``running_balance`` (the wallet balance just after each entry) on a page of
    the user's entries sorted newest first, whatever the pagination: one query for the
    sum of everything newer than the page."""
    if not entries:
        return entries
    newer = Entry.objects.filter(
        account__owner=user, account__kind=AccountKind.WALLET, id__gt=entries[0].id
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    running = wallet_balance(user) - newer
    for entry in entries:
        entry.running_balance = running
        running -= entry.amount
    return entries
