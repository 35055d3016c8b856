"""The fiscal-year report (実績報告): on screen, as XLSX (one sheet per section), on A4
paper, and its open-data CSV tables.

Who sees what, as elsewhere in the back office: coordinators and city staff open the
report; the points and voucher sections come from the points ledger, which only those
who may read the ledger (city staff, ``points.view_entry``) see. Open data is
published by the city: its downloads are for city staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Role
from core import formats
from core.admin import GuardedViewMixin
from core.charts import bar_chart
from core.db import ReplicaReadsMixin
from core.exports import XLSX_CONTENT_TYPE, csv_response, xlsx_workbook_bytes
from core.stats import Period, suppression_mark, suppression_threshold
from points.selectors.fiscal import PointsFiscal, points_fiscal
from volunteers.admin.base import CoordinatorView
from volunteers.admin.reports import REPORT_ROLES
from volunteers.selectors.fiscal import CentreFiscal, centre_fiscal
from volunteers.selectors.open_data import TABLES, open_data_rows, open_data_table

OPEN_DATA_ROLES = (Role.CITY_STAFF,)
#: The longest period the form accepts (a report over decades is not a report).
LONGEST_PERIOD = dt.timedelta(days=5 * 366)
YEARS_OFFERED = 10


def may_see_points(user) -> bool:
    """The ledger's rule: the points sections are for those who may read the books."""
    return user.has_perm("points.view_entry")


def may_download_open_data(user) -> bool:
    return user.acts_as(*OPEN_DATA_ROLES)


def current_fiscal_year() -> int:
    return formats.fiscal_year(timezone.localdate())


def _year_choices() -> list[tuple[int, str]]:
    this = current_fiscal_year()
    return [
        (year, f"{formats.fiscal_year_label(year)}（{year}）")
        for year in range(this, this - YEARS_OFFERED, -1)
    ]


class PeriodForm(forms.Form):
    """A fiscal year, or any period (both dates; they win over the year)."""

    year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int, required=False)
    first = forms.DateField(
        label=_("Or from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    last = forms.DateField(
        label=pgettext_lazy("period", "Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first or last:
            if not (first and last):
                raise forms.ValidationError(gettext("Give both dates of the period."))
            if last < first:
                raise forms.ValidationError(gettext("The period ends before it starts."))
            if last - first > LONGEST_PERIOD:
                raise forms.ValidationError(gettext("Choose a period of five years at most."))
            data["period"] = Period.between(first, last)
        else:
            data["period"] = Period.fiscal(data.get("year") or current_fiscal_year())
        return data


def chosen_period(request) -> tuple[PeriodForm, Period | None]:
    """The period asked for in the query (this fiscal year when nothing is asked);
    None, with the form's errors, when the query is not a period."""
    if not any(key in request.GET for key in ("year", "first", "last")):
        return PeriodForm(initial={"year": current_fiscal_year()}), Period.fiscal(
            current_fiscal_year()
        )
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["period"]


def period_query(period: Period) -> str:
    if period.fiscal_year is not None:
        return f"year={period.fiscal_year}"
    return f"first={period.first:%Y-%m-%d}&last={period.last:%Y-%m-%d}"


def period_slug(period: Period) -> str:
    if period.fiscal_year is not None:
        return f"fy{period.fiscal_year}"
    return f"{period.first:%Y%m%d}-{period.last:%Y%m%d}"


@dataclass
class FiscalReport:
    period: Period
    centre: CentreFiscal
    points: PointsFiscal | None

    @property
    def title(self) -> str:
        return gettext("Annual report: %(period)s") % {"period": self.period.label}


def fiscal_report(period: Period, user) -> FiscalReport:
    return FiscalReport(
        period=period,
        centre=centre_fiscal(period),
        points=points_fiscal(period) if may_see_points(user) else None,
    )


def report_charts(report: FiscalReport) -> dict:
    """The report's charts, by the section they illustrate."""
    centre = report.centre
    requests = pgettext("dashboard chart", "Requests")
    charts = {
        "volunteers": bar_chart(
            key="chart-volunteers",
            title=gettext("Volunteers by district"),
            rows=[(row, total) for row, _counts, total in centre.volunteers.lines()],
            column=gettext("District"),
            value_label=pgettext("annual report", "Volunteers"),
        ),
        "activities": bar_chart(
            key="chart-activity-hours",
            title=gettext("Hours of activity by kind of place"),
            rows=[(f.label, round(f.minutes / 60)) for f in centre.activities_by_kind],
            column=gettext("Kind of place"),
            value_label=pgettext("annual report", "Hours"),
            display=lambda n: gettext("%(hours)s h") % {"hours": formats.number(n)},
        ),
        "requests_month": bar_chart(
            key="chart-requests-month",
            title=gettext("Requests by month"),
            rows=[(f.label, f.received) for f in centre.requests_by_month],
            column=gettext("Month"),
            value_label=requests,
        ),
        "requests_category": bar_chart(
            key="chart-requests-category",
            title=gettext("Requests by category"),
            rows=[(f.label, f.received) for f in centre.requests_by_category],
            column=pgettext("dashboard chart", "Category"),
            value_label=requests,
        ),
        "requests_district": bar_chart(
            key="chart-requests-district",
            title=gettext("Requests by district"),
            rows=[(f.label, f.received) for f in centre.requests_by_district],
            column=pgettext("dashboard chart", "District"),
            value_label=requests,
        ),
        "fees": bar_chart(
            key="chart-fees-month",
            title=gettext("Fees by month"),
            rows=[(f.label, f.fee_yen) for f in centre.fees_by_month],
            column=gettext("Month"),
            value_label=gettext("Fees due"),
            display=formats.yen,
        ),
    }
    if report.points is not None:
        charts["points"] = bar_chart(
            key="chart-points-month",
            title=gettext("Points earned by month"),
            rows=[(formats.month(f.month), f.earned) for f in report.points.by_month],
            column=gettext("Month"),
            value_label=gettext("Points earned"),
            display=formats.points,
        )
    return charts


class FiscalReportView(ReplicaReadsMixin, CoordinatorView, TemplateView):
    """The report on screen, with the form for the year or the period."""

    roles = REPORT_ROLES
    template_name = "volunteers/admin/fiscal_report.html"
    page_title = _("Annual report")
    header_icon = "table"

    def get(self, request, *args, **kwargs):
        self.form, self.period = chosen_period(request)
        response = super().get(request, *args, **kwargs)
        if self.period is None:
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        report = fiscal_report(self.period, self.request.user) if self.period else None
        return super().get_context_data(
            form=self.form,
            report=report,
            charts=report_charts(report) if report else {},
            query=period_query(self.period) if self.period else "",
            OPEN_DATA_MARK=suppression_mark(),
            OPEN_DATA_MIN_COUNT=suppression_threshold(),
            open_data=TABLES
            if report
            and report.period.fiscal_year is not None
            and may_download_open_data(self.request.user)
            else (),
            **kwargs,
        )


class _PeriodDownload(ReplicaReadsMixin, GuardedViewMixin, View):
    roles = REPORT_ROLES

    def get(self, request, *args, **kwargs):
        form, period = chosen_period(request)
        if period is None:
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
        return self.answer(request, period, **kwargs)


class FiscalReportPrintView(_PeriodDownload):
    """The report on A4 paper (the site's print layout)."""

    def answer(self, request, period, **kwargs):
        report = fiscal_report(period, request.user)
        return render(
            request,
            "volunteers/fiscal_report_print.html",
            {"report": report, "charts": report_charts(report)},
        )


class FiscalReportXlsxView(_PeriodDownload):
    """The report as a workbook, one sheet per section."""

    def answer(self, request, period, **kwargs):
        report = fiscal_report(period, request.user)
        response = HttpResponse(
            xlsx_workbook_bytes(report_sheets(report)), content_type=XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = (
            f'attachment; filename="annual-report-{period_slug(period)}.xlsx"'
        )
        return response


class OpenDataCsvView(_PeriodDownload):
    """One open-data table of a fiscal year as CSV (UTF-8 with a BOM)."""

    roles = OPEN_DATA_ROLES

    def answer(self, request, period, *, table: str):
        found = open_data_table(table)
        if found is None:
            raise Http404
        if period.fiscal_year is None:
            return HttpResponse(
                gettext("Open data is published per fiscal year."),
                status=400,
                content_type="text/plain",
            )
        if found.points and not may_see_points(request.user):
            raise PermissionDenied
        return csv_response(
            open_data_rows(found, period), f"opendata-{period_slug(period)}-{found.slug}"
        )


# --- The workbook -------------------------------------------------------------------


def _heading(report: FiscalReport, title: str) -> list[list]:
    return [[report.title], [title], []]


def _activity_line(f) -> list:
    return [f.label, f.activities, f.volunteers, f.hours, f.points]


def _request_line(f) -> list:
    return [f.label, f.received, f.carried_out, f.cancelled]


def _fee_line(f) -> list:
    return [f.label, f.assignments, f.minutes, f.fee_yen, f.cash_yen, f.difference_yen]


def report_sheets(report: FiscalReport) -> list[tuple[str, list[list]]]:
    """``(sheet title, rows)`` for each section of the report."""
    centre = report.centre
    total = gettext("Total")
    table = centre.volunteers
    volunteers = _heading(report, gettext("Volunteers by district and age"))
    volunteers.append([gettext("District"), *table.columns, total])
    volunteers += [[row, *counts, row_total] for row, counts, row_total in table.lines()]
    volunteers.append([total, *table.column_totals(), table.total])

    activity_head = [
        gettext("Place"),
        gettext("Activities"),
        pgettext("annual report", "Volunteers"),
        pgettext("annual report", "Hours"),
        gettext("Points earned"),
    ]
    activities = _heading(report, gettext("Activities and hours"))
    activities.append([gettext("By kind of place")])
    activities.append([gettext("Kind of place"), *activity_head[1:]])
    activities += [_activity_line(f) for f in centre.activities_by_kind]
    activities.append(_activity_line(centre.activities_total))
    activities += [[], [gettext("By place")]]
    activities.append([*activity_head, gettext("Kind of place"), gettext("District")])
    activities += [[*_activity_line(f), f.kind, f.district] for f in centre.activities_by_place]

    request_head = [
        pgettext("annual report", "Received"),
        gettext("Carried out"),
        gettext("Cancelled"),
    ]
    requests = _heading(report, gettext("Help requests"))
    for title, column, lines in (
        (
            gettext("By category"),
            pgettext("dashboard chart", "Category"),
            centre.requests_by_category,
        ),
        (
            gettext("By district"),
            pgettext("dashboard chart", "District"),
            centre.requests_by_district,
        ),
        (gettext("By month"), gettext("Month"), centre.requests_by_month),
    ):
        requests += [[title], [column, *request_head]]
        requests += [_request_line(f) for f in lines]
        requests += [_request_line(centre.requests_total), []]

    fee_head = [
        pgettext("annual report", "Assignments"),
        gettext("Minutes"),
        gettext("Fee (yen)"),
        gettext("Cash received (yen)"),
        gettext("Difference (yen)"),
    ]
    fees = _heading(report, gettext("Fees and cash"))
    for title, column, lines in (
        (gettext("By month"), gettext("Month"), centre.fees_by_month),
        (gettext("By category"), pgettext("dashboard chart", "Category"), centre.fees_by_category),
    ):
        fees += [[title], [column, *fee_head]]
        fees += [_fee_line(f) for f in lines]
        fees += [_fee_line(centre.fees_total), []]

    sheets = [
        (pgettext("annual report sheet", "Volunteers"), volunteers),
        (pgettext("annual report sheet", "Activities"), activities),
        (pgettext("annual report sheet", "Help requests"), requests),
        (pgettext("annual report sheet", "Fees and cash"), fees),
    ]
    if report.points is not None:
        sheets += _points_sheets(report, report.points)
    return sheets


def _points_sheets(report: FiscalReport, points: PointsFiscal) -> list[tuple[str, list[list]]]:
    total = gettext("Total")
    earning = _heading(report, gettext("Points issued, held back and expired"))
    earning.append(
        [
            gettext("Earning rule"),
            gettext("Awards"),
            gettext("Points before limits"),
            gettext("Points earned"),
            gettext("Held back by the daily limit"),
            gettext("Held back by the yearly limit"),
        ]
    )
    for f in [*points.by_rule, points.totals]:
        earning.append(
            [f.name or total, f.awards, f.requested, f.credited, f.capped_daily, f.capped_yearly]
        )
    earning += [[], [gettext("Points expired"), points.expired], []]
    earning.append(
        [
            gettext("Month"),
            gettext("Awards"),
            gettext("Points earned"),
            gettext("Held back by the limits"),
            gettext("Points expired"),
            gettext("Exchanged for vouchers"),
            gettext("Redeemed at shops"),
        ]
    )
    for f in points.by_month:
        earning.append(
            [
                formats.month(f.month),
                f.awards,
                f.earned,
                f.capped,
                f.expired,
                f.exchanged,
                f.redeemed,
            ]
        )

    vouchers = _heading(report, pgettext("annual report", "Vouchers"))
    vouchers.append(
        [pgettext("annual report", "Vouchers"), gettext("Count"), gettext("Points"), gettext("Yen")]
    )
    for label, f in (
        (gettext("Exchanged"), points.exchanged),
        (gettext("Redeemed"), points.redeemed),
        (gettext("Expired"), points.vouchers_expired),
        (gettext("Voided"), points.voided),
        (
            gettext("Outstanding at %(moment)s")
            % {"moment": formats.date(points.period.last, with_weekday=False)},
            points.outstanding,
        ),
    ):
        vouchers.append([label, f.count, f.points, f.yen])
    vouchers += [
        [],
        [gettext("Voucher liability in the ledger at the period's end (points)"), points.liability],
    ]
    return [
        (pgettext("annual report sheet", "Points"), earning),
        (pgettext("annual report sheet", "Vouchers"), vouchers),
    ]
