"""Everything the centre holds about one person, for disclosure (開示, APPI Art. 33):
a resident's record or a volunteer's account, as sections of rows that the printable
page and the XLSX file both render.

What is in it: every field of their record, and every row that is about them (their
requests, help given or received, consent or pledges, activities, points, vouchers,
and every time staff or volunteers looked at their details). What is not: other
people. Help received shows no volunteer's name and help given no resident's; the
access log says whether a volunteer or staff member looked, not who (the names of
staff and volunteers are their own personal data; the city can answer for them
separately if it decides to). Voucher codes are left out: they are bearer money.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Role, User
from points.models import (
    AccountKind,
    Entry,
    ExpiryNotice,
    NoticePreference,
    ShopMembership,
    Voucher,
)
from volunteers.models import (
    Activity,
    Assignment,
    AvailabilityException,
    ConsentRecord,
    HelpRequest,
    InsuranceEnrolment,
    Offer,
    PersonalDataAccess,
    Place,
    PledgeRecord,
    Resident,
    ResidentAccessLog,
    StandingRequest,
    TrainingAttendance,
    VolunteerProfile,
    WeeklyAvailability,
)


@dataclasses.dataclass
class Section:
    """One table: a title, column headings and rows of plain values (text, numbers,
    dates, datetimes, or None for nothing recorded)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclasses.dataclass
class Disclosure:
    name: str
    produced_at: dt.datetime
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def _yes(value: bool) -> str:
    return _("Yes") if value else _("No")


def _fields(key: str, title: str, pairs: list[tuple[str, Any]]) -> Section:
    return Section(
        key,
        title,
        [pgettext("disclosure", "Item"), pgettext("disclosure", "Recorded as")],
        [[k, v] for k, v in pairs],
    )


def _weekday_names(days) -> str:
    names = dict(WeeklyAvailability.Weekday.choices)
    return "・".join(str(names.get(day, day)) for day in sorted(days))


# --- Residents ---------------------------------------------------------------------------


def resident_disclosure(resident: Resident) -> Disclosure:
    """Everything held about ``resident`` (their linked account's points and vouchers
    included), one section per kind of record."""
    sections = [
        _fields(
            "record",
            _("Registered details"),
            [
                (_("Resident number"), resident.pk),
                (_("Full name"), resident.full_name),
                (_("Kana"), resident.full_name_kana),
                (_("Gender"), resident.get_gender_display() or None),
                (_("Address"), resident.address),
                (_("District"), str(resident.district)),
                (_("Phone"), resident.phone.as_national if resident.phone else None),
                (_("Emergency contact"), resident.emergency_contact or None),
                (_("Living situation"), resident.get_living_display()),
                (_("Prefers a helper of the same gender"), _yes(resident.prefers_same_gender)),
                (_("Prefers a familiar helper"), _yes(resident.prefers_familiar)),
                (_("Private notes"), resident.notes or None),
                (_("Registered"), resident.created_at),
                (_("Left the service on"), resident.left_on),
                (_("Why they left"), resident.get_left_reason_display() or None),
                (
                    _("Sign-in account"),
                    (resident.user.email or resident.user.get_full_name())
                    if resident.user
                    else None,
                ),
            ],
        ),
        Section(
            "consents",
            _("Consent to sharing their details"),
            [_("Recorded"), _("Decision"), _("How it was given"), _("Wording"), _("Note")],
            [
                [
                    c.recorded_at,
                    c.get_decision_display(),
                    c.get_method_display(),
                    f"v{c.wording.version}",
                    c.note or None,
                ]
                for c in ConsentRecord.objects.filter(resident=resident)
                .select_related("wording")
                .order_by("recorded_at", "pk")
            ],
        ),
        Section(
            "requests",
            _("Requests for help"),
            [
                _("Request number"),
                _("Received at"),
                _("Kind of help"),
                pgettext("time", "From"),
                _("Until"),
                _("Place"),
                _("Notes for the volunteer"),
                _("Received by"),
                _("Status"),
                _("Reason for cancelling"),
            ],
            [
                [
                    r.pk,
                    r.created_at,
                    r.category.name,
                    r.starts_at,
                    r.ends_at,
                    r.place or None,
                    r.notes or None,
                    r.get_channel_display(),
                    r.get_status_display(),
                    r.cancel_reason or None,
                ]
                for r in HelpRequest.objects.filter(resident=resident)
                .select_related("category")
                .order_by("starts_at", "pk")
            ],
        ),
        Section(
            "help",
            _("Help received and fees"),
            [
                _("Request number"),
                _("Status"),
                _("Started"),
                _("Finished"),
                _("Minutes charged"),
                _("Fee (yen)"),
                _("Cash received (yen)"),
                _("Why the cash differs"),
                _("Amount owed paid"),
            ],
            [
                [
                    a.request_id,
                    a.get_status_display(),
                    a.started_at,
                    a.finished_at,
                    a.minutes,
                    a.fee_yen,
                    a.cash_received_yen,
                    a.cash_note or None,
                    a.owed_settled_at,
                ]
                for a in Assignment.objects.filter(request__resident=resident).order_by(
                    "starts_at", "pk"
                )
            ],
        ),
        Section(
            "standing",
            _("Standing requests"),
            [
                _("Kind of help"),
                _("Weekdays"),
                pgettext("time", "From"),
                _("Minutes"),
                _("Place"),
                _("Notes for the volunteer"),
                _("First date"),
                _("Last date"),
                _("Active"),
            ],
            [
                [
                    s.category.name,
                    _weekday_names(s.weekdays),
                    s.starts,
                    s.duration_minutes,
                    s.place or None,
                    s.notes or None,
                    s.first_date,
                    s.last_date,
                    _yes(s.active),
                ]
                for s in StandingRequest.objects.filter(resident=resident)
                .select_related("category")
                .order_by("first_date", "pk")
            ],
        ),
        Section(
            "volunteer_views",
            _("Looked at by the assigned volunteer"),
            [_("When"), _("Request number"), _("Via")],
            [
                [e.at, e.assignment.request_id, _("App (API)") if e.via == "api" else _("Web page")]
                for e in ResidentAccessLog.objects.filter(resident=resident)
                .select_related("assignment")
                .order_by("at", "pk")
            ],
        ),
        _staff_access(PersonalDataAccess.objects.filter(resident=resident)),
    ]
    if resident.user_id:
        sections += _points_sections(resident.user)
    return Disclosure(resident.full_name, timezone.now(), sections)


# --- Volunteers ---------------------------------------------------------------------------


def volunteer_disclosure(user: User) -> Disclosure:
    """Everything held about the volunteer ``user``: their account (with any linked
    LINE account), volunteer profile, pledges, offers, help given, activities,
    insurance enrolments, training attendance, points and vouchers, and the log of staff
    who looked at their data. A volunteer who is also a resident gets that record too."""
    profile = VolunteerProfile.objects.filter(user=user).select_related("home_district").first()
    roles = dict(Role.choices)
    sections = [
        _fields(
            "account",
            _("Account"),
            [
                (_("Account number"), user.pk),
                (_("Full name"), user.full_name),
                (_("Kana"), user.full_name_kana),
                (_("Email address"), user.email),
                (_("Phone"), user.phone.as_national if user.phone else None),
                (_("Date of birth"), user.birth_date),
                (
                    pgettext("disclosure", "Preferred language"),
                    user.get_preferred_language_display(),
                ),
                (_("Registered"), user.date_joined),
                (_("Last signed in"), user.last_login),
                (
                    _("Roles"),
                    "・".join(
                        str(roles.get(name, name))
                        for name in user.groups.order_by("name").values_list("name", flat=True)
                    )
                    or None,
                ),
                (
                    _("Email addresses"),
                    "、".join(
                        EmailAddress.objects.filter(user=user)
                        .order_by("pk")
                        .values_list("email", flat=True)
                    )
                    or None,
                ),
                (
                    _("Two-step sign-in devices"),
                    Authenticator.objects.filter(user=user).count(),
                ),
                (
                    _("Linked LINE accounts"),
                    "、".join(
                        _line_name(a)
                        for a in SocialAccount.objects.filter(user=user).order_by("pk")
                    )
                    or None,
                ),
            ],
        ),
    ]
    if profile is not None:
        sections.append(
            _fields(
                "profile",
                _("Volunteer registration"),
                [
                    (_("Home district"), str(profile.home_district or "") or None),
                    (
                        _("Districts served"),
                        "・".join(d.name for d in profile.districts.order_by("sort_order", "pk"))
                        or None,
                    ),
                    (
                        _("Can help with"),
                        "・".join(c.name for c in profile.skills.order_by("sort_order", "pk"))
                        or None,
                    ),
                    (_("Gender"), profile.get_gender_display() or None),
                    (_("Has a car"), _yes(profile.has_car)),
                    (_("Volunteer insurance valid until"), profile.insurance_valid_until),
                    (_("Languages"), profile.languages or None),
                    (_("Active"), _yes(profile.active)),
                    (_("Left on"), profile.left_on),
                    (_("Why they left"), profile.get_left_reason_display() or None),
                ],
            )
        )
        sections.append(
            Section(
                "availability",
                _("When they can help"),
                [_("Weekday or date"), pgettext("time", "From"), _("Until"), _("Available")],
                [
                    [w.get_weekday_display(), w.starts, w.ends, _yes(True)]
                    for w in WeeklyAvailability.objects.filter(profile=profile)
                ]
                + [
                    [x.date, x.starts, x.ends, _yes(x.available)]
                    for x in AvailabilityException.objects.filter(profile=profile).order_by(
                        "date", "pk"
                    )
                ],
            )
        )
    sections += [
        Section(
            "pledges",
            _("Confidentiality pledges"),
            [_("Accepted"), _("Wording"), _("How")],
            [
                [p.accepted_at, f"v{p.wording.version}", p.get_method_display()]
                for p in PledgeRecord.objects.filter(volunteer=user)
                .select_related("wording")
                .order_by("accepted_at", "pk")
            ],
        ),
        Section(
            "offers",
            _("Requests offered to them"),
            [
                _("Offered at"),
                _("Kind of help"),
                _("District"),
                pgettext("time", "From"),
                _("Until"),
                _("Answer"),
                _("Answered at"),
            ],
            [
                [
                    o.created_at,
                    o.request.category.name,
                    str(o.request.district),
                    o.request.starts_at,
                    o.request.ends_at,
                    o.get_status_display(),
                    o.answered_at,
                ]
                for o in Offer.objects.filter(volunteer=user)
                .select_related("request__category", "request__district")
                .order_by("created_at", "pk")
            ],
        ),
        Section(
            "assignments",
            _("Help they gave"),
            [
                _("Request number"),
                _("Kind of help"),
                _("District"),
                pgettext("time", "From"),
                _("Until"),
                _("Status"),
                _("Started"),
                _("Finished"),
                _("Minutes charged"),
                _("Fee (yen)"),
            ],
            [
                [
                    a.request_id,
                    a.request.category.name,
                    str(a.request.district),
                    a.starts_at,
                    a.ends_at,
                    a.get_status_display(),
                    a.started_at,
                    a.finished_at,
                    a.minutes,
                    a.fee_yen,
                ]
                for a in Assignment.objects.filter(volunteer=user)
                .select_related("request__category", "request__district")
                .order_by("starts_at", "pk")
            ],
        ),
        Section(
            "activities",
            _("Activity at places"),
            [
                _("Place"),
                _("Recorded by way of"),
                _("Checked in"),
                _("Checked out"),
                _("Status"),
                _("Reason for review"),
            ],
            [
                [
                    a.place.name,
                    a.get_method_display(),
                    a.started_at,
                    a.ended_at,
                    a.get_status_display(),
                    a.review_reason or None,
                ]
                for a in Activity.objects.filter(volunteer=user)
                .select_related("place")
                .order_by("started_at", "pk")
            ],
        ),
        _insurance_section(user),
        _training_section(user),
        *_points_sections(user),
        _notices_section(user),
        Section(
            "roles_at",
            _("Shops and places they work for"),
            [_("Kind"), _("Name")],
            [
                [_("Shop"), m.shop.name]
                for m in ShopMembership.objects.filter(user=user)
                .select_related("shop")
                .order_by("pk")
            ]
            + [[_("Place"), p.name] for p in Place.objects.filter(hosts=user).order_by("pk")],
        ),
        _staff_access(PersonalDataAccess.objects.filter(subject=user)),
    ]
    resident = Resident.objects.filter(user=user).select_related("district", "user").first()
    if resident is not None:
        for section in resident_disclosure(resident).sections:
            if section.key not in {"points", "vouchers"}:  # already above
                sections.append(
                    dataclasses.replace(
                        section,
                        key=f"resident_{section.key}",
                        title=_("As a resident: %(title)s") % {"title": section.title},
                    )
                )
    return Disclosure(user.get_full_name(), timezone.now(), sections)


def _line_name(account: SocialAccount) -> str:
    name = (account.extra_data or {}).get("name") or (account.extra_data or {}).get("displayName")
    return f"{account.provider}: {name}" if name else account.provider


def _insurance_section(user: User) -> Section:
    return Section(
        "insurance",
        _("Volunteer activity insurance"),
        [
            _("Fiscal year"),
            _("Enrolled on"),
            _("Plan"),
            _("Certificate number"),
            _("Address given to the insurer"),
            _("Premium paid by"),
            _("Status"),
            _("Cancelled on"),
        ],
        [
            [
                e.fiscal_year_label,
                e.enrolled_on,
                e.plan or None,
                e.certificate_number or None,
                e.address or None,
                e.get_paid_by_display(),
                e.get_status_display(),
                e.cancelled_on,
            ]
            for e in InsuranceEnrolment.objects.filter(volunteer=user).order_by("fiscal_year", "pk")
        ],
    )


def _training_section(user: User) -> Section:
    return Section(
        "training",
        _("Training"),
        [_("Training"), _("Date and time"), pgettext("training", "Venue"), _("Attended")],
        [
            [t.session.title, t.session.starts_at, t.session.place or None, _yes(t.attended)]
            for t in TrainingAttendance.objects.filter(volunteer=user)
            .select_related("session")
            .order_by("session__starts_at", "pk")
        ],
    )


# --- Shared ----------------------------------------------------------------------------


def _notices_section(user: User) -> Section:
    preference = NoticePreference.objects.filter(user=user).first()
    wanted = preference.expiry_notices if preference else True
    return Section(
        "notices",
        _("Expiry notices"),
        [
            _("Kind"),
            _("Points"),
            _("Valid until"),
            _("Sent"),
            _("Told by phone"),
            _("Wants expiry notices"),
        ],
        [
            [n.get_kind_display(), n.points, n.expires_on, n.sent_at, n.called_at, _yes(wanted)]
            for n in ExpiryNotice.objects.filter(user=user).order_by("expires_on", "pk")
        ]
        or [[None, None, None, None, None, _yes(wanted)]],
    )


def _points_sections(user: User) -> list[Section]:
    entries = (
        Entry.objects.filter(account__owner=user, account__kind=AccountKind.WALLET)
        .select_related("transaction")
        .order_by("pk")
    )
    return [
        Section(
            "points",
            _("Points"),
            [_("When"), _("Kind"), _("Points"), _("Activity date"), _("Valid until")],
            [
                [
                    e.transaction.created_at,
                    e.transaction.get_kind_display(),
                    e.amount,
                    e.transaction.activity_date,
                    e.transaction.expires_on,
                ]
                for e in entries
            ],
        ),
        Section(
            "vouchers",
            pgettext("disclosure section", "Vouchers"),
            [
                _("Issued"),
                _("Points"),
                _("Face value (yen)"),
                _("Status"),
                _("Valid until"),
                _("Used at"),
                pgettext("voucher", "Shop"),
            ],
            [
                [
                    v.issued_at,
                    v.points,
                    v.face_value_yen,
                    v.get_status_display(),
                    v.expires_on,
                    v.redeemed_at,
                    v.shop.name if v.shop_id else None,
                ]
                for v in Voucher.objects.filter(owner=user)
                .select_related("shop")
                .order_by("issued_at", "pk")
            ],
        ),
    ]


def _staff_access(entries) -> Section:
    return Section(
        "staff_views",
        _("Looked at, printed or exported by staff"),
        [_("When"), _("What"), pgettext("access reason", "Why")],
        [[e.at, e.get_action_display(), e.reason] for e in entries.order_by("at", "pk")],
    )
