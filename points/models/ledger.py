"""The double-entry books: accounts, balanced transactions and their entries.

Sign convention: an account's balance is the points it holds. Wallets, the voucher
liability, shop receivables, settled and expired accounts are never negative; the
scheme's issuance account is the only source, so its balance is minus every point in
circulation and the sum of all balances is always zero.

Entries are append-only; a mistake is corrected by a reversing transaction. Writes go
through ``points.services`` (which posts with ``points.ledger``) only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
        verbose_name=pgettext_lazy("points ledger", "account"),
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
