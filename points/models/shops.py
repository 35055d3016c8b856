"""Shops and their staff, the vouchers they accept, and their monthly statements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from accounts.kana import normalize_kana
from core import formats
from points.models.ledger import Transaction


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
        pgettext_lazy("shop", "category"),
        max_length=32,
        choices=Category.choices,
        default=Category.OTHER,
    )
    goods = models.CharField(
        _("what the shop sells"),
        max_length=300,
        blank=True,
        help_text=_("Shown on the public list of participating shops, e.g. “vegetables, rice”."),
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
    """``user`` works at ``shop``. ``chosen_at`` remembers when a clerk of several shops
    last chose this one at the counter: the latest is pre-selected next time."""

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
    chosen_at = models.DateTimeField(
        _("last chosen at the counter"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("shop staff membership")
        verbose_name_plural = _("shop staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="points_one_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"


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
            # The default order (the back office's voucher list: newest 20 of 540,000 at
            # a city's ten years) read from an index instead of sorting every voucher.
            models.Index(fields=["-issued_at", "-id"], name="points_voucher_issued_idx"),
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
        return _("Voucher #%(number)s (%(value)s)") % {
            "number": self.pk,
            "value": formats.yen(self.face_value_yen),
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
