"""The mutual-aid centre's side of the fiscal-year report (and of the open data).

Each figure is one grouped query (``values(...).annotate(...)``), never a loop over
requests or activities in Python. Requests, assignments and activities belong to the
period of the day the help or the activity took place (``starts_at`` /
``started_at``, Asia/Tokyo), as the monthly payouts count them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from core import formats
from core.stats import Crosstab, Period, month_of
from volunteers.models import Activity, Assignment, HelpRequest, Place, VolunteerProfile

#: Age bands (lowest age, highest age or None): under 20, each decade, 80 and over.
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 19),
    (20, 29),
    (30, 39),
    (40, 49),
    (50, 59),
    (60, 69),
    (70, 79),
    (80, None),
)
UNKNOWN = "unknown"
#: Requests that were carried out (the volunteer went).
CARRIED_OUT = (HelpRequest.Status.DONE, HelpRequest.Status.CONFIRMED)
#: Stays at a place that count as activity: checked out and not rejected.
COUNTED_ACTIVITY = (
    Activity.Status.CREDITED,
    Activity.Status.NO_POINTS,
    Activity.Status.AWAITING,
    Activity.Status.REVIEW,
)


def age_band_label(band: str) -> str:
    if band == UNKNOWN:
        return pgettext("age band", "Unknown")
    low, high = AGE_BANDS[int(band)]
    if low == 0:
        return gettext("Under %(age)d") % {"age": high + 1}
    if high is None:
        return gettext("%(age)d and over") % {"age": low}
    return gettext("%(low)d to %(high)d") % {"low": low, "high": high}


def no_district_label() -> str:
    return gettext("No district")


def _born_by(day: dt.date, years: int) -> dt.date:
    """The latest birth date of someone aged at least ``years`` on ``day`` (as
    :func:`accounts.validators.age_on` counts: born on 29 February, one turns a year
    older on 1 March in other years)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return dt.date(day.year - years, 2, 28)


def _age_band(day: dt.date, path: str) -> Case:
    """The age band on ``day`` of the birth date at ``path``, in the database."""
    whens = [When(**{f"{path}__isnull": True}, then=Value(UNKNOWN))]
    for index, (low, _high) in reversed(list(enumerate(AGE_BANDS))):
        whens.append(When(**{f"{path}__lte": _born_by(day, low)}, then=Value(str(index))))
    return Case(*whens, default=Value(UNKNOWN), output_field=CharField())


def age_band_columns() -> list[str]:
    return [age_band_label(str(i)) for i in range(len(AGE_BANDS))] + [age_band_label(UNKNOWN)]


def _in(period: Period, path: str) -> Q:
    return Q(**{f"{path}__gte": period.starts_at, f"{path}__lt": period.ends_before})


def volunteers_registered(period: Period):
    """Volunteers on the register during ``period``: joined before its end and not
    left before its start."""
    return VolunteerProfile.objects.filter(user__date_joined__lt=period.ends_before).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=period.first)
    )


def volunteers_by_district_and_age(period: Period) -> Crosstab:
    """Registered volunteers by home district and age band (age on the period's last
    day; unknown without a birth date)."""
    rows = (
        volunteers_registered(period)
        .annotate(band=_age_band(period.last, "user__birth_date"))
        .values("home_district__name", "home_district__sort_order", "band")
        .annotate(n=Count("pk"))
        .order_by("home_district__sort_order", "home_district__name")
    )
    return Crosstab.of(
        (
            (
                row["home_district__name"] or no_district_label(),
                age_band_label(row["band"]),
                row["n"],
            )
            for row in rows
        ),
        rows=[],
        columns=age_band_columns(),
    )


@dataclass
class ActivityFigures:
    label: str
    activities: int = 0
    volunteers: int = 0
    minutes: int = 0
    points: int = 0
    kind: str = ""
    district: str = ""
    month: dt.date | None = None

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def _minutes(duration: dt.timedelta | int | None) -> int:
    if duration is None:
        return 0
    if isinstance(duration, dt.timedelta):
        return int(duration.total_seconds() // 60)
    return int(duration) // 60_000_000  # microseconds, as some backends sum durations


def _activities(period: Period):
    return Activity.objects.filter(
        _in(period, "started_at"), ended_at__isnull=False, status__in=COUNTED_ACTIVITY
    )


_STAY = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())


def _activity_totals():
    return {
        "n": Count("pk"),
        "people": Count("volunteer", distinct=True),
        "stay": Sum(_STAY),
        "credited": Coalesce(
            Sum(F("transaction__requested_points") - F("transaction__capped_points")), 0
        ),
    }


def _activity_figures(label: str, row: dict, **extra) -> ActivityFigures:
    return ActivityFigures(
        label=label,
        activities=row["n"],
        volunteers=row["people"],
        minutes=_minutes(row["stay"]),
        points=row["credited"] or 0,
        **extra,
    )


def activities_by_place(period: Period) -> list[ActivityFigures]:
    """Stays at each place in ``period``: how many, by how many volunteers, their
    length and the points they earned."""
    rows = (
        _activities(period)
        .values("place_id", "place__name", "place__kind", "place__district__name")
        .annotate(**_activity_totals())
        .order_by("place__kind", "place__name", "place_id")
    )
    kinds = dict(Place.Kind.choices)
    return [
        _activity_figures(
            row["place__name"],
            row,
            kind=str(kinds.get(row["place__kind"], row["place__kind"])),
            district=row["place__district__name"] or "",
        )
        for row in rows
    ]


def activities_by_kind(period: Period) -> list[ActivityFigures]:
    """The same per kind of place (care facility, salon, …)."""
    rows = (
        _activities(period)
        .values("place__kind")
        .annotate(**_activity_totals())
        .order_by("place__kind")
    )
    kinds = dict(Place.Kind.choices)
    return [
        _activity_figures(str(kinds.get(row["place__kind"], row["place__kind"])), row)
        for row in rows
    ]


def activities_total(period: Period) -> ActivityFigures:
    row = _activities(period).aggregate(**_activity_totals())
    return _activity_figures(gettext("Total"), row)


def activities_by_month_kind_district(period: Period) -> list[ActivityFigures]:
    """Per month, kind of place and the place's district (for open data)."""
    zone = timezone.get_default_timezone()
    rows = (
        _activities(period)
        .annotate(month=TruncMonth("started_at", tzinfo=zone))
        .values("month", "place__kind", "place__district__name", "place__district__sort_order")
        .annotate(**_activity_totals())
        .order_by("month", "place__district__sort_order", "place__district__name", "place__kind")
    )
    kinds = dict(Place.Kind.choices)
    return [
        _activity_figures(
            "",
            row,
            kind=str(kinds.get(row["place__kind"], row["place__kind"])),
            district=row["place__district__name"] or no_district_label(),
            month=month_of(row["month"]),
        )
        for row in rows
    ]


@dataclass
class RequestFigures:
    label: str
    received: int = 0
    carried_out: int = 0
    cancelled: int = 0
    month: dt.date | None = None
    district: str = ""
    category: str = ""


def _request_totals():
    return {
        "received": Count("pk"),
        "carried_out": Count("pk", filter=Q(status__in=CARRIED_OUT)),
        "cancelled": Count("pk", filter=Q(status=HelpRequest.Status.CANCELLED)),
    }


def _requests(period: Period):
    return HelpRequest.objects.filter(_in(period, "starts_at"))


def _request_figures(label: str, row: dict, **extra) -> RequestFigures:
    return RequestFigures(
        label=label,
        received=row["received"],
        carried_out=row["carried_out"],
        cancelled=row["cancelled"],
        **extra,
    )


def requests_by_category(period: Period) -> list[RequestFigures]:
    rows = (
        _requests(period)
        .values("category__name", "category__sort_order", "category_id")
        .annotate(**_request_totals())
        .order_by("category__sort_order", "category_id")
    )
    return [_request_figures(row["category__name"], row) for row in rows]


def requests_by_district(period: Period) -> list[RequestFigures]:
    rows = (
        _requests(period)
        .values("district__name", "district__sort_order", "district_id")
        .annotate(**_request_totals())
        .order_by("district__sort_order", "district_id")
    )
    return [_request_figures(row["district__name"], row) for row in rows]


def requests_by_month(period: Period) -> list[RequestFigures]:
    zone = timezone.get_default_timezone()
    found = {
        month_of(row["month"]): row
        for row in _requests(period)
        .annotate(month=TruncMonth("starts_at", tzinfo=zone))
        .values("month")
        .annotate(**_request_totals())
    }
    empty = {"received": 0, "carried_out": 0, "cancelled": 0}
    return [
        _request_figures(_month_label(month), found.get(month, empty), month=month)
        for month in period.months()
    ]


def requests_by_month_district_category(period: Period) -> list[RequestFigures]:
    """Per month, district and category (for open data): only the combinations that
    had requests."""
    zone = timezone.get_default_timezone()
    rows = (
        _requests(period)
        .annotate(month=TruncMonth("starts_at", tzinfo=zone))
        .values(
            "month",
            "district__name",
            "district__sort_order",
            "category__name",
            "category__sort_order",
        )
        .annotate(**_request_totals())
        .order_by("month", "district__sort_order", "district__name", "category__sort_order")
    )
    return [
        _request_figures(
            "",
            row,
            month=month_of(row["month"]),
            district=row["district__name"],
            category=row["category__name"],
        )
        for row in rows
    ]


def requests_total(period: Period) -> RequestFigures:
    return _request_figures(gettext("Total"), _requests(period).aggregate(**_request_totals()))


@dataclass
class FeeFigures:
    label: str
    assignments: int = 0
    minutes: int = 0
    fee_yen: int = 0
    cash_yen: int = 0
    month: dt.date | None = None

    @property
    def difference_yen(self) -> int:
        return self.cash_yen - self.fee_yen


def _confirmed(period: Period):
    return Assignment.objects.filter(_in(period, "starts_at"), status=Assignment.Status.CONFIRMED)


def _fee_totals():
    return {
        "n": Count("pk"),
        "minutes": Coalesce(Sum("minutes"), 0),
        "fee": Coalesce(Sum("fee_yen"), 0),
        "cash": Coalesce(Sum("cash_received_yen"), 0),
    }


def _fee_figures(label: str, row: dict, **extra) -> FeeFigures:
    return FeeFigures(
        label=label,
        assignments=row["n"],
        minutes=row["minutes"],
        fee_yen=row["fee"],
        cash_yen=row["cash"],
        **extra,
    )


def fees_by_month(period: Period) -> list[FeeFigures]:
    """Confirmed assignments per month: minutes charged, fees due and cash received."""
    zone = timezone.get_default_timezone()
    found = {
        month_of(row["month"]): row
        for row in _confirmed(period)
        .annotate(month=TruncMonth("starts_at", tzinfo=zone))
        .values("month")
        .annotate(**_fee_totals())
    }
    empty = {"n": 0, "minutes": 0, "fee": 0, "cash": 0}
    return [
        _fee_figures(_month_label(month), found.get(month, empty), month=month)
        for month in period.months()
    ]


def fees_by_category(period: Period) -> list[FeeFigures]:
    rows = (
        _confirmed(period)
        .values("request__category__name", "request__category__sort_order", "request__category_id")
        .annotate(**_fee_totals())
        .order_by("request__category__sort_order", "request__category_id")
    )
    return [_fee_figures(row["request__category__name"], row) for row in rows]


def fees_total(period: Period) -> FeeFigures:
    return _fee_figures(gettext("Total"), _confirmed(period).aggregate(**_fee_totals()))


def _month_label(month: dt.date) -> str:
    return formats.month(month)


@dataclass
class CentreFiscal:
    period: Period
    volunteers: Crosstab
    activities_by_place: list[ActivityFigures]
    activities_by_kind: list[ActivityFigures]
    activities_total: ActivityFigures
    requests_by_category: list[RequestFigures]
    requests_by_district: list[RequestFigures]
    requests_by_month: list[RequestFigures]
    requests_total: RequestFigures
    fees_by_month: list[FeeFigures]
    fees_by_category: list[FeeFigures]
    fees_total: FeeFigures


def centre_fiscal(period: Period) -> CentreFiscal:
    """Everything the fiscal-year report shows about the centre for ``period``."""
    return CentreFiscal(
        period=period,
        volunteers=volunteers_by_district_and_age(period),
        activities_by_place=activities_by_place(period),
        activities_by_kind=activities_by_kind(period),
        activities_total=activities_total(period),
        requests_by_category=requests_by_category(period),
        requests_by_district=requests_by_district(period),
        requests_by_month=requests_by_month(period),
        requests_total=requests_total(period),
        fees_by_month=fees_by_month(period),
        fees_by_category=fees_by_category(period),
        fees_total=fees_total(period),
    )
