"""The activity log: one stay of a volunteer at a place, and the points it earned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import formats
from volunteers.models.places import Place


class Activity(models.Model):
    """One stay of a volunteer at a place, and the points it earned."""

    class Method(models.TextChoices):
        SELF = "self", _("Own phone")
        STAFF = "staff", _("Scanned by host staff")
        COORDINATOR = "coordinator", _("Entered by a coordinator")

    class Status(models.TextChoices):
        OPEN = "open", _("Checked in")
        AWAITING = "awaiting", _("Awaiting the host's confirmation")
        REVIEW = "review", _("Waiting for review")
        CREDITED = "credited", _("Points credited")
        NO_POINTS = "no_points", _("No points")
        REJECTED = "rejected", _("Rejected")

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="activities"
    )
    method = models.CharField(_("recorded by way of"), max_length=16, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("checked in"))
    ended_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    review_reason = models.CharField(_("reason for review"), max_length=300, blank=True)
    auto_closed = models.BooleanField(_("closed automatically"), default=False)
    closure_noticed_at = models.DateTimeField(
        _("volunteer told of the automatic closing"), null=True, blank=True, editable=False
    )
    transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("points transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activity",
    )
    presence_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("presence confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    presence_confirmed_at = models.DateTimeField(
        _("presence confirmed"), null=True, blank=True, editable=False
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer"],
                condition=Q(status="open"),
                name="volunteers_one_open_activity",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="volunteers_activity_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "started_at"], name="volunteers_activity_vol_idx"),
            models.Index(fields=["status", "started_at"], name="volunteers_activity_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} @ {self.place} {formats.datetime(self.started_at)}"

    @property
    def points_credited(self) -> int:
        txn = self.transaction
        return (txn.requested_points or 0) - txn.capped_points if txn else 0

    @property
    def duration_minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class ScanReceipt(models.Model):
    """The first answer to a scan request sent with an idempotency key
    (``request_id``): a retry with the same key gets the same answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request_id = models.UUIDField()
    token_digest = models.CharField(max_length=64)
    action = models.CharField(max_length=24)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scan receipt")
        verbose_name_plural = _("scan receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "request_id"], name="volunteers_scan_receipt_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.action}"
