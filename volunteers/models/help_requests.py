"""The mutual-aid centre's requests: kinds of help, residents, help requests,
offers to volunteers, assignments, and the log of who saw a resident's details."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from accounts.kana import normalize_kana, validate_kana
from core import formats
from volunteers.models.retention import LeaveReason


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNSPECIFIED = "", _("Not given")


class HelpCategory(models.Model):
    """A kind of help (shopping, trash, escort to hospital, …) with its fee rule and
    an optional points rule. Admin-editable."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    fee_yen = models.PositiveIntegerField(
        _("fee (yen) per unit"), default=100, help_text=_("Charged for every started unit.")
    )
    fee_unit_minutes = models.PositiveSmallIntegerField(_("fee unit (minutes)"), default=10)
    service_starts = models.TimeField(_("service hours from"), default=dt.time(9, 0))
    service_ends = models.TimeField(_("service hours until"), default=dt.time(16, 0))
    prefers_car = models.BooleanField(
        _("a car helps"), default=False, help_text=_("Volunteers with a car rank higher.")
    )
    earning_rule = models.ForeignKey(
        "points.EarningRule",
        verbose_name=_("points rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_categories",
        help_text=_("When set, confirmed help also earns points under this rule."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_unit_minutes__gt=0), name="volunteers_category_unit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def fee_for(self, minutes: int) -> int:
        """Yen for ``minutes`` of help: every started unit is charged."""
        if minutes <= 0:
            return 0
        units = -(-minutes // self.fee_unit_minutes)
        return units * self.fee_yen

    def billable_minutes(self, started_at: dt.datetime, finished_at: dt.datetime) -> int:
        """Whole minutes between start and finish that fall within the service hours
        of the day the help started (Tokyo time): a start tapped early or a finish
        forgotten until the evening is not charged to the resident."""
        start = timezone.localtime(started_at)
        zone = start.tzinfo
        opens = dt.datetime.combine(start.date(), self.service_starts, tzinfo=zone)
        closes = dt.datetime.combine(start.date(), self.service_ends, tzinfo=zone)
        charged = min(finished_at, closes) - max(started_at, opens)
        return max(0, int(charged.total_seconds() // 60))


class Resident(models.Model):
    """Someone the centre helps. Registered by coordinators; no login needed.

    Personal details are shown only to coordinators and to the volunteer of a live
    assignment: pages and the API for volunteers read them only through
    ``volunteers.services.help_requests.resident_details_open``, which refuses anyone
    else and logs each look by a volunteer (:class:`ResidentAccessLog`). ``notes`` are
    shown to coordinators only (the back office), never to volunteers."""

    class Living(models.TextChoices):
        ALONE = "alone", _("Lives alone")
        ELDERLY_ONLY = "elderly_only", _("Elderly-only household")
        WITH_FAMILY = "with_family", _("Lives with family")

    full_name = models.CharField(_("full name"), max_length=150)
    full_name_kana = models.CharField(
        _("full name (kana)"), max_length=300, validators=[validate_kana]
    )
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, blank=True, default=""
    )
    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    phone = PhoneNumberField(_("phone number"), region="JP", blank=True)
    emergency_contact = models.CharField(_("emergency contact"), max_length=300, blank=True)
    living = models.CharField(
        _("living situation"), max_length=16, choices=Living.choices, default=Living.ALONE
    )
    prefers_same_gender = models.BooleanField(
        _("prefers a helper of the same gender"), default=False
    )
    prefers_familiar = models.BooleanField(_("prefers a familiar helper"), default=False)
    notes = models.TextField(_("private notes (coordinators only)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    # The resident's own account, when they have one (many never sign in): a resident
    # who also volunteers is one person, and sees their own requests under /me/.
    # SET_NULL, not PROTECT: the centre's record and its help history outlive the
    # account (a deleted login must neither be blocked by nor take the record along).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sign-in account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        help_text=_("Their sign-in account, if they have one (search by name, kana or email)."),
    )
    # Leaving the service (``volunteers.services.personal_data.resident_leave``) starts
    # the retention period (``PersonalDataSettings``); then the person is anonymised.
    left_on = models.DateField(_("left the service on"), null=True, blank=True)
    left_reason = models.CharField(
        _("why they left"), max_length=16, choices=LeaveReason.choices, blank=True
    )
    anonymised_at = models.DateTimeField(_("details erased"), null=True, blank=True)

    class Meta:
        ordering = ["full_name_kana", "pk"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(fields=["full_name_kana"], name="volunteers_resident_kana_idx"),
            models.Index(fields=["phone"], name="volunteers_resident_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.full_name_kana = normalize_kana(self.full_name_kana)
        super().save(*args, **kwargs)

    @property
    def anonymised(self) -> bool:
        return self.anonymised_at is not None


class HelpRequest(models.Model):
    """One request for help in a time window, and where it is in its lifecycle."""

    class Channel(models.TextChoices):
        PHONE = "phone", pgettext_lazy("intake channel", "Phone")
        VISIT = "visit", _("Visit")
        ONLINE = "online", _("Online")
        STANDING = "standing", _("Standing request")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Received")
        OFFERED = "offered", _("Offered")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", pgettext_lazy("help request", "In progress")
        DONE = "done", _("Done")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="requests"
    )
    category = models.ForeignKey(
        HelpCategory,
        verbose_name=pgettext_lazy("help category", "category"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    # Copied from the resident when received: matching filters on it without a join.
    district = models.ForeignKey(
        "accounts.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes for the volunteer"), blank=True)
    channel = models.CharField(
        _("received by"), max_length=16, choices=Channel.choices, default=Channel.PHONE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    standing = models.ForeignKey(
        "volunteers.StandingRequest",
        verbose_name=_("standing request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="volunteers_request_ends_after",
            ),
            models.UniqueConstraint(
                fields=["standing", "starts_at"],
                condition=Q(standing__isnull=False),
                name="volunteers_standing_once_per_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="volunteers_request_board_idx"),
            models.Index(fields=["resident", "starts_at"], name="volunteers_request_res_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {formats.datetime(self.starts_at, year=False)}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Offer(models.Model):
    """A request offered to one volunteer. Shows district, task and time only."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TAKEN = "taken", _("Taken by someone else")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    request = models.ForeignKey(
        HelpRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="offers"
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="help_offers",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "volunteer"], name="volunteers_offer_once_per_volunteer"
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "status"], name="volunteers_offer_vol_idx")]

    def __str__(self) -> str:
        return f"{self.request} → {self.volunteer}"


class Assignment(models.Model):
    """The volunteer who does a request. One per request (a database constraint):
    whoever creates it first wins."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", pgettext_lazy("help request", "In progress")
        DONE = "done", _("Done")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    #: While live, the volunteer may see the resident's details.
    LIVE = (Status.ASSIGNED, Status.IN_PROGRESS)

    request = models.OneToOneField(
        HelpRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="assignment",
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="help_assignments",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ASSIGNED
    )
    # The window, copied from the request: overlap checks use one index.
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("minutes charged"), null=True, blank=True)
    fee_yen = models.PositiveIntegerField(_("fee (yen)"), null=True, blank=True)
    cash_received_yen = models.PositiveIntegerField(_("cash received (yen)"), null=True, blank=True)
    # Why the cash received is not the fee (required then): the shortfall is owed by
    # the resident until a coordinator records it paid (``owed_settled_at``).
    cash_note = models.CharField(_("why the cash differs"), max_length=300, blank=True)
    owed_settled_at = models.DateTimeField(_("amount owed paid"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("points transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignment",
    )
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["volunteer", "starts_at"], name="volunteers_assign_vol_idx"),
            models.Index(fields=["status", "starts_at"], name="volunteers_assign_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request} / {self.volunteer}"

    @property
    def live(self) -> bool:
        return self.status in self.LIVE

    @property
    def cash_difference_yen(self) -> int:
        """Cash received minus the fee: negative is owed by the resident, positive an
        excess (0 until confirmed)."""
        if self.fee_yen is None or self.cash_received_yen is None:
            return 0
        return self.cash_received_yen - self.fee_yen


class ResidentAccessLog(models.Model):
    """Every time a volunteer sees a resident's personal details."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="access_log"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="+"
    )
    via = models.CharField(_("via"), max_length=16)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("resident access log")
        verbose_name_plural = _("resident access log")

    def __str__(self) -> str:
        return f"{self.user} → {self.resident} ({formats.datetime(self.at)})"
