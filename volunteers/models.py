"""Places where volunteers help, personal QR cards, and the activity log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.kana import normalize_kana, validate_kana


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
        null=True,
        blank=True,
        help_text=_(
            "A check-out forgotten past this time is closed here and flagged. Leave empty "
            "for places without a closing time: forgotten check-outs are then closed after "
            "the longest plausible activity."
        ),
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


# --- The mutual-aid centre: residents, categories, requests, matching ----------------


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
    assignment (``volunteers.selectors.resident_visible_to``); ``notes`` only to
    coordinators."""

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


class VolunteerProfile(models.Model):
    """What matching needs to know about a volunteer; on the shared user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="volunteer_profile",
    )
    home_district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("home district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    districts = models.ManyToManyField(
        "accounts.District",
        verbose_name=_("districts served"),
        related_name="volunteer_profiles",
        blank=True,
    )
    skills = models.ManyToManyField(
        HelpCategory, verbose_name=_("can help with"), related_name="volunteers", blank=True
    )
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, blank=True, default=""
    )
    has_car = models.BooleanField(_("has a car"), default=False)
    insurance_valid_until = models.DateField(
        _("volunteer insurance valid until"), null=True, blank=True
    )
    languages = models.CharField(
        _("languages"), max_length=100, blank=True, help_text=_("e.g. 日本語, English")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")
        indexes = [
            models.Index(
                fields=["insurance_valid_until"],
                condition=Q(active=True),
                name="volunteers_profile_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class WeeklyAvailability(models.Model):
    """A weekly slot when the volunteer can help (Monday = 0)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    profile = models.ForeignKey(
        VolunteerProfile,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="weekly",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="volunteers_weekly_ends_after"
            ),
        ]
        indexes = [
            models.Index(
                fields=["weekday", "starts", "ends", "profile"], name="volunteers_weekly_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AvailabilityException(models.Model):
    """A dated change to the weekly pattern: away that day, or available for a slot
    outside it."""

    profile = models.ForeignKey(
        VolunteerProfile,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    date = models.DateField(_("date"))
    available = models.BooleanField(
        _("available"), default=False, help_text=_("Unticked: away all day.")
    )
    starts = models.TimeField(_("from"), null=True, blank=True)
    ends = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        indexes = [models.Index(fields=["date", "profile"], name="volunteers_exception_idx")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.available else '−'}"


class StandingRequest(models.Model):
    """Help that repeats every week (e.g. trash on Tuesday and Friday at 8:00).
    Beat generates its :class:`HelpRequest` rows ahead, once per date."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="standing"
    )
    category = models.ForeignKey(
        HelpCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    weekdays = models.JSONField(
        _("weekdays"), default=list, help_text=_("Monday = 0 … Sunday = 6.")
    )
    starts = models.TimeField(_("from"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("minutes"), default=30, validators=[MinValueValidator(1)]
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes for the volunteer"), blank=True)
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(_("last date"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("standing request")
        verbose_name_plural = _("standing requests")

    def __str__(self) -> str:
        return f"{self.resident} / {self.category}"

    @property
    def weekday_names(self) -> str:
        """The ticked days by name, Monday first (e.g. 火曜日・金曜日)."""
        labels = dict(WeeklyAvailability.Weekday.choices)
        return "・".join(str(labels[d]) for d in sorted(self.weekdays) if d in labels)

    def clean(self):
        """The same checks as a request taken on the phone, so beat never generates a
        request that the intake form would refuse (or the database would)."""
        errors = {}
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            errors["weekdays"] = _("Tick at least one day.")
        if self.category_id and self.starts and self.duration_minutes:
            ends = dt.datetime.combine(dt.date.min, self.starts) + dt.timedelta(
                minutes=self.duration_minutes
            )
            category = self.category
            if (
                ends.date() != dt.date.min
                or self.starts < category.service_starts
                or ends.time() > category.service_ends
            ):
                errors["starts"] = _(
                    "The time must be within this kind of help's service hours "
                    "(%(starts)s–%(ends)s)."
                ) % {
                    "starts": category.service_starts.strftime("%H:%M"),
                    "ends": category.service_ends.strftime("%H:%M"),
                }
        if self.last_date and self.first_date and self.last_date < self.first_date:
            errors["last_date"] = _("The last date cannot be before the first date.")
        if errors:
            raise ValidationError(errors)


class StandingRequestSkip(models.Model):
    """A date a coordinator has marked: no request is generated for it."""

    standing = models.ForeignKey(
        StandingRequest,
        verbose_name=_("standing request"),
        on_delete=models.CASCADE,
        related_name="skips",
    )
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("skipped date")
        verbose_name_plural = _("skipped dates")
        constraints = [
            models.UniqueConstraint(fields=["standing", "date"], name="volunteers_skip_unique"),
        ]

    def __str__(self) -> str:
        return str(self.date)


class HelpRequest(models.Model):
    """One request for help in a time window, and where it is in its lifecycle."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        ONLINE = "online", _("Online")
        STANDING = "standing", _("Standing request")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Received")
        OFFERED = "offered", _("Offered")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="requests"
    )
    category = models.ForeignKey(
        HelpCategory,
        verbose_name=_("category"),
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
        StandingRequest,
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
        return f"{self.category} {timezone.localtime(self.starts_at):%m/%d %H:%M}"

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
        IN_PROGRESS = "in_progress", _("In progress")
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
        return f"{self.user} → {self.resident} ({self.at:%Y-%m-%d %H:%M})"


class MatchingSlot(models.Model):
    """Search index for matching, derived from a profile (never edited by hand).

    One row per (district served × skill × availability slot). ``day_key`` is the
    weekday (0–6) for the weekly pattern, or ``date.toordinal()`` for a dated extra
    slot, so one composite index finds every volunteer who could cover a window
    without touching the others: matching stays fast at 100,000 volunteers.
    Rebuilt by ``volunteers.services.matching_slots_rebuild``."""

    profile = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("accounts.District", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(HelpCategory, on_delete=models.CASCADE, related_name="+")
    day_key = models.PositiveIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        verbose_name = _("matching slot")
        verbose_name_plural = _("matching slots")
        indexes = [
            models.Index(
                fields=["district", "category", "day_key", "starts", "ends", "profile"],
                name="volunteers_matching_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id}:{self.district_id}:{self.category_id}:{self.day_key}"
