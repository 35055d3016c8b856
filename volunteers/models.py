"""Places where volunteers help, personal QR cards, and the activity log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    """A care facility, salon, district office or the centre's own tasks: somewhere a
    volunteer checks in. Its printed poster's QR code is signed with ``qr_version``;
    reprinting bumps the version and revokes the old posters."""

    class Kind(models.TextChoices):
        CARE_FACILITY = "care_facility", _("Care facility")
        SALON = "salon", _("Community salon")
        DISTRICT_OFFICE = "district_office", _("District association office")
        CENTRE_TASK = "centre_task", _("Mutual-aid centre task")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    earning_rule = models.ForeignKey(
        "points.EarningRule",
        verbose_name=_("earning rule"),
        on_delete=models.PROTECT,
        related_name="places",
    )
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host staff"),
        related_name="hosted_places",
        blank=True,
        help_text=_("Staff at the place who may scan volunteers' cards."),
    )
    closes_at = models.TimeField(
        _("closing time"),
        default=dt.time(17, 0),
        help_text=_("A check-out forgotten past this time is closed here and flagged."),
    )
    max_minutes = models.PositiveIntegerField(
        _("longest plausible activity (minutes)"),
        default=480,
        help_text=_("Longer activities wait for a coordinator's review before crediting."),
    )
    qr_version = models.PositiveIntegerField(_("poster version"), default=1, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return self.name


class VolunteerCard(models.Model):
    """A volunteer's personal QR card (for people without a smartphone). Reissuing
    bumps ``version`` and revokes the old card."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="volunteer_card",
    )
    version = models.PositiveIntegerField(_("card version"), default=1)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer card")
        verbose_name_plural = _("volunteer cards")

    def __str__(self) -> str:
        return f"{self.user} (v{self.version})"


class Activity(models.Model):
    """One stay of a volunteer at a place, and the points it earned."""

    class Method(models.TextChoices):
        SELF = "self", _("Own phone")
        STAFF = "staff", _("Scanned by host staff")
        COORDINATOR = "coordinator", _("Entered by a coordinator")

    class Status(models.TextChoices):
        OPEN = "open", _("Checked in")
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
    transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("points transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activity",
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
        return (
            f"{self.volunteer} @ {self.place} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"
        )

    @property
    def points_credited(self) -> int:
        txn = self.transaction
        return (txn.requested_points or 0) - txn.capped_points if txn else 0

    @property
    def duration_minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)
