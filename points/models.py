"""The ikiiki points ledger: double-entry books and earning rules.

Sign convention: an account's balance is the points it holds. Wallets, the voucher
liability, shop receivables, settled and expired accounts are never negative; the
scheme's issuance account is the only source, so its balance is minus every point in
circulation and the sum of all balances is always zero.

Entries are append-only; a mistake is corrected by a reversing transaction. Writes go
through ``points.services`` only.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import validate_comma_separated_integer_list
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from accounts.kana import normalize_kana


def fiscal_year_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the Japanese fiscal year (April–March) containing ``day``."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)


class AccountKind(models.TextChoices):
    WALLET = "wallet", _("Volunteer wallet")
    ISSUANCE = "issuance", _("Scheme issuance")
    VOUCHER_LIABILITY = "voucher_liability", _("Voucher liability")
    SHOP_RECEIVABLE = "shop_receivable", _("Shop receivable")
    SHOP_SETTLED = "shop_settled", _("Shop settled")
    EXPIRED = "expired", _("Expired points")


class Account(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=AccountKind.choices)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_accounts",
    )
    balance = models.BigIntegerField(_("balance"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=AccountKind.ISSUANCE) | Q(balance__gte=0),
                name="points_account_balance_non_negative",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(kind=AccountKind.WALLET),
                name="points_one_wallet_per_user",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AccountKind.WALLET) | Q(owner__isnull=False),
                name="points_wallet_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TransactionKind(models.TextChoices):
    EARN = "earn", _("Points earned")
    SPEND = "spend", _("Points spent")
    TRANSFER = "transfer", _("Transfer")
    ADJUST = "adjust", _("Manual adjustment")
    EXPIRE = "expire", _("Points expired")
    REVERSAL = "reversal", _("Reversal")
    EXCHANGE = "exchange", _("Exchanged for vouchers")
    REDEEM = "redeem", _("Voucher redeemed")
    VOUCHER_RETURN = "voucher_return", _("Voucher value returned")
    SETTLE = "settle", _("Shop settlement")


class CapReason(models.TextChoices):
    NONE = "", _("Not capped")
    DAILY = "daily", _("Daily limit reached")
    YEARLY = "yearly", _("Yearly limit reached")


class Transaction(models.Model):
    """One balanced posting. ``idempotency_key`` makes every write exactly-once: the
    same key with the same content returns this transaction, with other content it is
    a conflict (``fingerprint`` is the digest of the content)."""

    kind = models.CharField(_("kind"), max_length=32, choices=TransactionKind.choices)
    # Unique and indexed through Meta (a constraint and an index), not ``unique=True`` /
    # ``db_index=True``: on PostgreSQL those also build a ``varchar_pattern_ops`` "LIKE"
    # index that nothing queries and every posting would have to maintain.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(max_length=64, editable=False)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    memo = models.TextField(_("memo"), blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    # Earning details (kind=earn): what was asked, what the caps held back, and until
    # when the credited points are valid.
    rule = models.ForeignKey(
        "points.EarningRule",
        verbose_name=_("earning rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,  # the (rule, activity_date) index below leads with it
    )
    activity_date = models.DateField(_("activity date"), null=True, blank=True)
    requested_points = models.IntegerField(_("points before limits"), null=True, blank=True)
    capped_points = models.IntegerField(_("points over the limit"), default=0)
    cap_reason = models.CharField(
        _("limit"), max_length=16, choices=CapReason.choices, default="", blank=True
    )
    expires_on = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("points transaction")
        verbose_name_plural = _("points transactions")
        indexes = [
            models.Index(fields=["rule", "activity_date"], name="points_txn_rule_date_idx"),
            models.Index(fields=["reference"], name="points_txn_reference_idx"),
        ]
        constraints = [
            # ``ON CONFLICT (idempotency_key)`` in the posting core relies on it.
            models.UniqueConstraint(fields=["idempotency_key"], name="points_txn_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def reason(self) -> str:
        """Why the points moved, in words a volunteer understands."""
        if self.kind == TransactionKind.EARN and self.rule_id:
            return self.rule.name
        if self.kind in {TransactionKind.ADJUST, TransactionKind.TRANSFER} and self.memo:
            return f"{self.get_kind_display()}: {self.memo}"
        if self.kind == TransactionKind.REVERSAL and self.reverses_id:
            return _("Reversal of #%(number)s") % {"number": self.reverses_id}
        return str(self.get_kind_display())


class Entry(models.Model):
    """One leg of a transaction: a signed number of points on one account."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", verbose_name=_("transaction")
    )
    # No index of its own: the composite (account, id) index below serves every lookup
    # by account (it is its leading column), so a second one would only slow inserts.
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("account"),
        db_index=False,
    )
    amount = models.BigIntegerField(_("points"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        indexes = [models.Index(fields=["account", "id"], name="points_entry_account_idx")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount:+d}"


class EarningRule(models.Model):
    """How an activity turns into points. Everything a scheme varies is a field here."""

    class Basis(models.TextChoices):
        PER_HOUR = "per_hour", _("Per hour")
        PER_VISIT = "per_visit", _("Per visit")

    class YearBasis(models.TextChoices):
        FISCAL = "fiscal", _("Fiscal year (April–March)")
        CALENDAR = "calendar", _("Calendar year")

    class Expiry(models.TextChoices):
        END_OF_FOLLOWING_YEAR = "following_year", _("End of the following year")
        END_OF_FISCAL_YEAR = "fiscal_year", _("End of the fiscal year")
        NONE = "none", _("Never")

    activity_kind = models.SlugField(_("activity kind"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    basis = models.CharField(_("basis"), max_length=16, choices=Basis.choices)
    points = models.PositiveIntegerField(
        _("points"), help_text=_("Points per hour, or per visit, depending on the basis.")
    )
    rounding_minutes = models.PositiveSmallIntegerField(
        _("rounding unit (minutes)"),
        default=60,
        help_text=_("Per hour: the time counted is rounded down to a multiple of this."),
    )
    min_minutes = models.PositiveSmallIntegerField(
        _("minimum duration (minutes)"),
        default=0,
        help_text=_("Shorter activities earn nothing."),
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    daily_cap = models.PositiveIntegerField(_("daily limit"), null=True, blank=True)
    yearly_cap = models.PositiveIntegerField(_("yearly limit"), null=True, blank=True)
    cap_group = models.SlugField(
        _("limit group"),
        max_length=64,
        default="default",
        help_text=_("Rules in the same group share the daily and yearly limits."),
    )
    year_basis = models.CharField(
        _("year"), max_length=16, choices=YearBasis.choices, default=YearBasis.FISCAL
    )
    expiry = models.CharField(
        _("expiry"), max_length=32, choices=Expiry.choices, default=Expiry.END_OF_FOLLOWING_YEAR
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(rounding_minutes__gt=0), name="points_rule_rounding_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def year_bounds(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """First and last day of the year (fiscal or calendar) that contains ``day``."""
        if self.year_basis == self.YearBasis.CALENDAR:
            return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
        return fiscal_year_bounds(day)

    def expiry_for(self, day: dt.date) -> dt.date | None:
        """Last day on which points earned on ``day`` can be used."""
        if self.expiry == self.Expiry.NONE:
            return None
        _, year_end = self.year_bounds(day)
        if self.expiry == self.Expiry.END_OF_FISCAL_YEAR:
            return fiscal_year_bounds(day)[1]
        return year_end.replace(year=year_end.year + 1)


# --- Shops, vouchers, settlement ----------------------------------------------------


class Shop(models.Model):
    """A participating local shop: redeems vouchers, is paid monthly by the city."""

    class Category(models.TextChoices):
        GROCERY = "grocery", _("Grocery")
        RESTAURANT = "restaurant", _("Restaurant or café")
        PHARMACY = "pharmacy", _("Pharmacy or drugstore")
        RETAIL = "retail", _("Other retail")
        SERVICE = "service", _("Services")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    name_kana = models.CharField(_("name (kana)"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shops",
    )
    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, default=Category.OTHER
    )
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    phone = PhoneNumberField(_("phone number"), region="JP", blank=True)
    email = models.EmailField(_("email address"), blank=True)
    active = models.BooleanField(_("accepting vouchers"), default=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now, editable=False)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ShopMembership",
        related_name="shops",
        verbose_name=_("staff"),
        blank=True,
    )

    class Meta:
        ordering = ["name_kana", "name"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        constraints = [
            models.UniqueConstraint(fields=["name", "address"], name="points_shop_unique_place"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_kana = normalize_kana(self.name_kana)
        super().save(*args, **kwargs)


class ShopMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="shop_memberships",
    )
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("shop staff membership")
        verbose_name_plural = _("shop staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="points_one_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"


@register_setting(icon="tag")
class ExchangeSettings(BaseGenericSetting):
    """How points become vouchers. Edited by city staff in the admin (Settings)."""

    voucher_points = models.PositiveIntegerField(
        _("points per voucher"),
        default=500,
        help_text=_("Points are exchanged in whole vouchers of this many points."),
    )
    yen_per_point = models.PositiveIntegerField(_("yen per point"), default=1)
    exchange_months = models.CharField(
        _("exchange months"),
        max_length=40,
        default="1,2,3,4,5,6,7,8,9,10,11,12",
        validators=[validate_comma_separated_integer_list],
        help_text=_("Months in which exchange is open, e.g. 4,5 for April and May only."),
    )
    yearly_limit_points = models.PositiveIntegerField(
        _("yearly exchange limit (points)"),
        null=True,
        blank=True,
        help_text=_("Per volunteer and fiscal year. Empty for no limit."),
    )
    valid_days = models.PositiveIntegerField(_("vouchers valid for (days)"), default=180)

    class Meta:
        verbose_name = _("voucher exchange settings")

    @property
    def face_value_yen(self) -> int:
        return self.voucher_points * self.yen_per_point

    def open_in(self, month: int) -> bool:
        return str(month) in {m.strip() for m in self.exchange_months.split(",")}


class Voucher(models.Model):
    """A local-shop voucher bought with points. The code itself is never stored in the
    clear: ``code_digest`` finds it, ``code_sealed`` shows it to its owner (see
    ``points.codes``)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Not used")
        REDEEMED = "redeemed", _("Used")
        EXPIRED = "expired", _("Expired")
        VOID = "void", _("Void")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="vouchers",
    )
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    code_sealed = models.TextField(editable=False)
    points = models.PositiveIntegerField(_("points"))
    face_value_yen = models.PositiveIntegerField(_("face value (yen)"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_on = models.DateField(_("valid until"))
    exchange = models.ForeignKey(
        Transaction,
        verbose_name=_("exchange"),
        on_delete=models.PROTECT,
        related_name="vouchers",
    )
    redeemed_at = models.DateTimeField(_("used at"), null=True, blank=True)
    shop = models.ForeignKey(
        Shop,
        verbose_name=_("used at shop"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    settled_by = models.ForeignKey(
        Transaction,
        verbose_name=_("closing transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The redemption, expiry or void that ended this voucher."),
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        indexes = [
            models.Index(fields=["shop", "redeemed_at"], name="points_voucher_shop_time_idx"),
            models.Index(fields=["status", "expires_on"], name="points_voucher_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="redeemed") | Q(shop__isnull=False, redeemed_at__isnull=False),
                name="points_voucher_redeemed_has_shop",
            ),
            models.UniqueConstraint(
                fields=["settled_by"],
                condition=Q(settled_by__isnull=False),
                name="points_voucher_one_closing_transaction",
            ),
        ]

    def __str__(self) -> str:
        return _("Voucher #%(number)s (¥%(value)s)") % {
            "number": self.pk,
            "value": f"{self.face_value_yen:,}",
        }


class SettlementStatement(models.Model):
    """What the city owes one shop for one month's redemptions (Asia/Tokyo months).

    A redemption belongs to the month of ``redeemed_at`` in Asia/Tokyo, a half-open
    interval, so a redemption at 23:59:59.999 on the last day lands in exactly one.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To be paid")
        PAID = "paid", _("Paid")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="statements"
    )
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    voucher_count = models.PositiveIntegerField(_("vouchers"), default=0)
    total_points = models.PositiveBigIntegerField(_("points"), default=0)
    total_yen = models.PositiveBigIntegerField(_("amount (yen)"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked paid by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment = models.OneToOneField(
        Transaction,
        verbose_name=_("settlement transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement",
    )

    class Meta:
        ordering = ["-month", "shop__name_kana"]
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        constraints = [
            models.UniqueConstraint(fields=["shop", "month"], name="points_one_statement"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} {self.month:%Y-%m}"
