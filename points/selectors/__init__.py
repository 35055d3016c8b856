"""Reads on the points ledger shared by pages, the API, the admin, tasks, the services
and the audit, and the checks that only read (a voucher usable here, a shop's staff)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import District, User
from points import codes
from points.exceptions import (
    ShopRequired,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherMistyped,
    VoucherUnknown,
    VoucherVoid,
    WrongShop,
)
from points.ledger.lots import expired_in_lots
from points.models import (
    Account,
    AccountKind,
    EarningRule,
    Entry,
    ExchangeSettings,
    SettlementStatement,
    Shop,
    ShopMembership,
    Transaction,
    TransactionKind,
    Voucher,
)

logger = logging.getLogger(__name__)


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


def scheme_minimum_age() -> int | None:
    """The youngest age at which an active earning rule with a minimum age credits
    points (None when no rule has one): the age the volunteer sign-up asks people to
    confirm. Younger people earn nothing under any age-limited rule."""
    return (
        EarningRule.objects.filter(active=True, min_age__isnull=False)
        .order_by("min_age")
        .values_list("min_age", flat=True)
        .first()
    )


def earned_between(wallet: Account, rule: EarningRule, first: dt.date, last: dt.date) -> int:
    """Points credited to ``wallet`` under rules of ``rule``'s limit group between two
    activity dates (inclusive), not counting reversed awards."""
    total = Entry.objects.filter(
        account=wallet,
        transaction__kind=TransactionKind.EARN,
        transaction__rule__cap_group=rule.cap_group,
        transaction__activity_date__range=(first, last),
        transaction__reversed_by__isnull=True,
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0


def expirable_points(wallet: Account, as_of: dt.date) -> int:
    """Points in ``wallet`` whose validity ended before ``as_of``: the wallet's postings
    replayed as lots (:func:`points.ledger.lots.expired_in_lots`), never more than the
    balance.

    Must be called with the wallet locked (no posting may land while the lots are
    replayed). Postings are ordered by transaction id: two postings to one wallet made
    within the same instant may be replayed in either order.
    """
    rows = (
        Entry.objects.filter(account=wallet)
        .order_by("transaction_id", "id")
        .values_list(
            "transaction_id", "amount", "transaction__expires_on", "transaction__reverses_id"
        )
    )
    return max(0, min(wallet.balance, expired_in_lots(rows, as_of)))


@dataclass(frozen=True)
class ExchangePreview:
    """What exchanging ``count`` vouchers would cost ``balance`` and leave."""

    balance: int
    count: int
    cost: int
    value_yen: int
    open: bool

    @property
    def after(self) -> int:
        return self.balance - self.cost

    @property
    def short(self) -> bool:
        return self.after < 0


def exchange_preview(*, user: User, count: int) -> ExchangePreview:
    """The figures a coordinator confirms before exchanging for ``user`` (read only;
    the exchange itself checks everything again under its locks)."""
    config = ExchangeSettings.load()
    return ExchangePreview(
        balance=wallet_balance(user),
        count=count,
        cost=count * config.voucher_points,
        value_yen=count * config.face_value_yen,
        open=config.open_in(timezone.localdate().month),
    )


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
    vouchers_without_redemption: list[int] = field(default_factory=list)
    liability_gap: int = 0
    #: Sum of balances per account kind: the figures a restored backup must reproduce.
    balance_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (
            self.unbalanced
            or self.mismatched
            or self.negative
            or self.total_balance
            or self.vouchers_without_redemption
            or self.liability_gap
        )


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
    report.balance_by_kind = dict(
        Account.objects.values("kind")
        .annotate(total=Sum("balance"))
        .order_by("kind")
        .values_list("kind", "total")
    )
    report.total_balance = sum(report.balance_by_kind.values())
    # One redemption per voucher: every used voucher points at exactly one redeeming
    # transaction (the closing key is unique per voucher, so there cannot be two).
    report.vouchers_without_redemption = list(
        Voucher.objects.filter(status=Voucher.Status.REDEEMED)
        .exclude(settled_by__kind=TransactionKind.REDEEM)
        .values_list("pk", flat=True)
    )
    # The voucher liability holds exactly the points of the vouchers not yet used.
    outstanding = Voucher.objects.filter(status=Voucher.Status.ISSUED).aggregate(
        total=Coalesce(Sum("points"), 0)
    )["total"]
    liability = Account.objects.filter(kind=AccountKind.VOUCHER_LIABILITY).aggregate(
        total=Coalesce(Sum("balance"), 0)
    )["total"]
    report.liability_gap = liability - outstanding
    return report


def with_running_balance(entries: list[Entry], user: User) -> list[Entry]:
    """Set ``running_balance`` (the wallet balance just after each entry) on a page of
    the user's entries sorted newest first, whatever the pagination: one query reads
    the balance and the sum of everything newer than the page together, so a posting
    that commits meanwhile is either in both or in neither."""
    if not entries:
        return entries
    newer = (
        Entry.objects.filter(account=OuterRef("pk"), id__gt=entries[0].id)
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    balance, newer_total = (
        Account.objects.filter(owner=user, kind=AccountKind.WALLET)
        .annotate(newer=Coalesce(Subquery(newer), 0))
        .values_list("balance", "newer")
        .first()
    ) or (0, 0)
    running = balance - newer_total
    for entry in entries:
        entry.running_balance = running
        running -= entry.amount
    return entries


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of ``month`` in the project's time zone, as aware datetimes."""
    start = month.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    zone = timezone.get_default_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(following, dt.time.min, tzinfo=zone),
    )


# --- Vouchers and shops -------------------------------------------------------------


def voucher_code(voucher: Voucher) -> str | None:
    """The voucher's code for display to its owner (``XXXX-XXXX-XXXX-XXXX-X``), or None
    if none of the configured keys opens it (a key removed instead of retired: see
    ``VOUCHER_CODE_OLD_KEYS``); that is logged, and pages say the code cannot be shown."""
    try:
        return codes.display(codes.unseal(voucher.code_sealed))
    except codes.UnreadableCode as exc:
        logger.error("voucher %s: no configured key opens its code (key id %s)", voucher.pk, exc)
        return None


def vouchers_of(user: User) -> QuerySet[Voucher]:
    return Voucher.objects.filter(owner=user).select_related("shop").order_by("-issued_at", "-pk")


def shops_of(user: User) -> QuerySet[Shop]:
    """Active shops where ``user`` is staff."""
    return Shop.objects.filter(memberships__user=user, active=True).order_by("name_kana", "pk")


def shops_listed(district_id: int | None = None) -> QuerySet[Shop]:
    """The participating shops the public list shows: accepting vouchers now, by
    district then reading; optionally one district's. Carries only what a shop
    publishes (name, address, district, category, what it sells): the list's
    template never reaches for the contact person, phone or email."""
    shops = Shop.objects.filter(active=True).select_related("district")
    if district_id is not None:
        shops = shops.filter(district_id=district_id)
    return shops.order_by("district__sort_order", "district__name_kana", "name_kana", "name")


def shop_list_districts() -> QuerySet[District]:
    """The districts that have at least one shop accepting vouchers (the list's filter)."""
    return (
        District.objects.filter(shops__active=True).distinct().order_by("sort_order", "name_kana")
    )


def shop_default_id(user: User) -> int | None:
    """The active shop ``user`` last chose at the counter (None if never chosen)."""
    return (
        ShopMembership.objects.filter(user=user, shop__active=True, chosen_at__isnull=False)
        .order_by("-chosen_at", "-pk")
        .values_list("shop_id", flat=True)
        .first()
    )


def shop_for_redemption(user: User, shop_id: int | None) -> Shop:
    """The shop ``user`` accepts a voucher for: ``shop_id`` if they are staff there,
    their only shop if they have one and gave none.

    Raises :class:`ShopRequired` (several shops, none given) or :class:`WrongShop`
    (not staff of that shop, or of none).
    """
    shops = list(shops_of(user))
    if shop_id is None:
        if len(shops) == 1:
            return shops[0]
        if shops:
            raise ShopRequired(field="shop")
        raise WrongShop(field="shop", reason="not_staff_of_shop")
    for shop in shops:
        if shop.pk == shop_id:
            return shop
    raise WrongShop(field="shop", reason="not_staff_of_shop")


def redemptions_at(shops: QuerySet[Shop]) -> QuerySet[Voucher]:
    return (
        Voucher.objects.filter(shop__in=shops, status=Voucher.Status.REDEEMED)
        .select_related("shop", "redeemed_by")
        .order_by("-redeemed_at", "-pk")
    )


def statement_redemptions(statement: SettlementStatement) -> QuerySet[Voucher]:
    """The redemptions a statement covers (its shop, its month, Asia/Tokyo)."""
    start, end = month_bounds(statement.month)
    return (
        redemptions_at(Shop.objects.filter(pk=statement.shop_id))
        .filter(redeemed_at__gte=start, redeemed_at__lt=end)
        .order_by("redeemed_at", "pk")
    )


def statements_for(user: User) -> QuerySet[SettlementStatement]:
    """Statements of the shops ``user`` works at (a shop sees only its own)."""
    return SettlementStatement.objects.filter(shop__memberships__user=user).select_related("shop")


def voucher_find(typed_code: str) -> Voucher:
    """The voucher a typed or scanned code refers to.

    Raises :class:`VoucherMistyped` (a typo the check character caught) or
    :class:`VoucherUnknown` (well-formed but no such voucher, or not a code at all).
    """
    try:
        canonical = codes.normalize(typed_code)
    except codes.MistypedCode as exc:
        raise VoucherMistyped(field="code") from exc
    except codes.MalformedCode as exc:
        raise VoucherUnknown(field="code") from exc
    voucher = Voucher.objects.select_related("shop").filter(
        code_digest__in=codes.digests(canonical)
    )
    found = voucher.first()
    if found is None:
        raise VoucherUnknown(field="code")
    return found


def voucher_assert_usable(voucher: Voucher, today: dt.date) -> None:
    """Raise :class:`VoucherAlreadyRedeemed`, :class:`VoucherVoid` or
    :class:`VoucherExpired` unless ``voucher`` can be used on ``today``."""
    if voucher.status == Voucher.Status.REDEEMED:
        raise VoucherAlreadyRedeemed(
            redeemed_at=timezone.localtime(voucher.redeemed_at),
            shop=voucher.shop.name,
        )
    if voucher.status == Voucher.Status.VOID:
        raise VoucherVoid()
    if voucher.status == Voucher.Status.EXPIRED or voucher.expires_on < today:
        raise VoucherExpired(expires_on=voucher.expires_on)


def shop_assert_staff(shop: Shop, staff: User) -> None:
    """Raise :class:`WrongShop` unless ``shop`` is active and ``staff`` works there."""
    if not shop.active:
        raise WrongShop(reason="shop_inactive")
    if not ShopMembership.objects.filter(user=staff, shop=shop).exists():
        raise WrongShop(reason="not_staff_of_shop")


def voucher_check(*, typed_code: str, shop: Shop, staff: User) -> Voucher:
    """What a shop sees before confirming: the voucher, if it can be used here now.

    Raises what :func:`voucher_find` raises, :class:`WrongShop`,
    :class:`VoucherAlreadyRedeemed`, :class:`VoucherVoid`, :class:`VoucherExpired`.
    """
    shop_assert_staff(shop, staff)
    voucher = voucher_find(typed_code)
    voucher_assert_usable(voucher, timezone.localdate())
    return voucher


# --- Points passbook ----------------------------------------------------------------

#: Entries one passbook shows: the newest, the balance before them carried forward.
PASSBOOK_ENTRIES = 300


@dataclass
class Passbook:
    """The printed points passbook (ポイント通帳) of one volunteer."""

    balance: int
    #: The balance before the first entry shown (0 unless older entries are left out).
    carried_forward: int
    #: Oldest first, each with ``running_balance`` and ``place`` (the activity's place
    #: for points earned at a place, else None).
    entries: list[Entry]
    #: Newest first, each with ``masked_code``.
    vouchers: list[Voucher]
    earlier_entries: bool


def voucher_code_masked(voucher: Voucher) -> str:
    """The code with all but its last group of four and the check symbol hidden
    (``****-****-****-ABCD-X``): enough to tell vouchers apart on paper, never enough
    to use one."""
    code = voucher_code(voucher)
    if code is None:
        return "****-****-****-****-*"
    groups = code.split("-")
    return "-".join(["****"] * (len(groups) - 2) + groups[-2:])


def passbook_of(user: User, *, limit: int = PASSBOOK_ENTRIES) -> Passbook:
    """``user``'s passbook: the newest ``limit`` wallet entries with what they were
    for, the place of the activity they came from and the running balance, and the
    vouchers issued. Three queries, whatever the length of the history."""
    rows = list(wallet_entries(user).select_related("transaction__activity__place")[: limit + 1])
    earlier = len(rows) > limit
    entries = with_running_balance(rows[:limit], user)
    for entry in entries:
        # A reverse one-to-one that select_related found empty raises on access.
        activity = getattr(entry.transaction, "activity", None)
        entry.place = activity.place if activity is not None else None
    entries.reverse()
    vouchers = list(vouchers_of(user)[:limit])
    for voucher in vouchers:
        voucher.masked_code = voucher_code_masked(voucher)
    return Passbook(
        balance=entries[-1].running_balance if entries else 0,
        carried_forward=entries[0].running_balance - entries[0].amount if entries else 0,
        entries=entries,
        vouchers=vouchers,
        earlier_entries=earlier,
    )
