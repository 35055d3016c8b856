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
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class CapReason(models.TextChoices):
    NONE = "", _("Not capped")
    DAILY = "daily", _("Daily limit reached")
    YEARLY = "yearly", _("Yearly limit reached")


class Transaction(models.Model):
    """One balanced posting. ``idempotency_key`` makes every write exactly-once: the
    same key with the same content returns this transaction, with other content it is
    a conflict (``fingerprint`` is the digest of the content)."""

    kind = models.CharField(_("kind"), max_length=32, choices=TransactionKind.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    reference = models.CharField(_("reference"), max_length=200, blank=True, db_index=True)
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
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
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
        start_year = day.year if day.month >= 4 else day.year - 1
        return dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)

    def expiry_for(self, day: dt.date) -> dt.date | None:
        """Last day on which points earned on ``day`` can be used."""
        if self.expiry == self.Expiry.NONE:
            return None
        _, year_end = self.year_bounds(day)
        if self.expiry == self.Expiry.END_OF_FISCAL_YEAR:
            _, fiscal_end = EarningRule(year_basis=self.YearBasis.FISCAL).year_bounds(day)
            return fiscal_end
        return year_end.replace(year=year_end.year + 1)
