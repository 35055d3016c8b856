"""The monthly payout summary per volunteer: on screen in the back office, printed on
A4 from the site's own print layout (one volunteer's block never split across pages),
and as CSV. Coordinators and city staff only."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Role
from core import formats
from core.admin import GuardedViewMixin
from core.exports import csv_response
from volunteers.admin.base import CoordinatorView
from volunteers.selectors.payouts import PayoutMonth, payout_month

PAYOUT_ROLES = (Role.COORDINATOR, Role.CITY_STAFF)


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


def last_month() -> dt.date:
    """The month a payout is usually made for: the one that has just ended (Tokyo)."""
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def chosen_month(request) -> tuple[MonthForm, dt.date | None]:
    """The month asked for in ``?month=YYYY-MM`` (last month when absent); None with
    the form's error when it is not a month."""
    if "month" not in request.GET:
        return MonthForm(initial={"month": last_month()}), last_month()
    form = MonthForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["month"].replace(day=1)


class PayoutSummaryView(CoordinatorView, TemplateView):
    """The summary of a month on screen, with links to its print and its CSV."""

    roles = PAYOUT_ROLES
    template_name = "volunteers/admin/payouts.html"
    page_title = _("Monthly payouts to volunteers")
    header_icon = "doc-full"

    def get(self, request, *args, **kwargs):
        self.form, self.month = chosen_month(request)
        response = super().get(request, *args, **kwargs)
        if self.month is None:
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        summary = payout_month(self.month) if self.month else None
        return super().get_context_data(
            form=self.form,
            summary=summary,
            month_param=self.month.strftime("%Y-%m") if self.month else "",
            **kwargs,
        )


class PayoutPrintView(GuardedViewMixin, View):
    """The same summary on A4 paper (``?month=YYYY-MM``)."""

    roles = PAYOUT_ROLES

    def get(self, request, *args, **kwargs):
        form, month = chosen_month(request)
        if month is None:
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
        return render(request, "volunteers/payouts_print.html", {"summary": payout_month(month)})


def payout_rows(summary: PayoutMonth) -> list[list]:
    """One line per assignment, a subtotal per volunteer and the month's total."""
    rows = [
        [
            gettext("Volunteer"),
            gettext("Date"),
            gettext("Task"),
            gettext("District"),
            gettext("Minutes"),
            gettext("Fee (yen)"),
            gettext("Cash received (yen)"),
            gettext("Difference (yen)"),
            gettext("Reason"),
            gettext("Shortfall paid on"),
        ]
    ]
    for payout in summary.volunteers:
        name = str(payout.volunteer)
        for a in payout.assignments:
            settled = a.owed_settled_at
            rows.append(
                [
                    name,
                    formats.date(a.starts_at),
                    a.request.category.name,
                    a.request.district.name if a.request.district else "",
                    a.minutes or 0,
                    a.fee_yen or 0,
                    a.cash_received_yen or 0,
                    a.cash_difference_yen,
                    a.cash_note,
                    formats.date(settled),
                ]
            )
        rows.append(_subtotal(gettext("Subtotal: %(name)s") % {"name": name}, payout))
    rows.append(_subtotal(gettext("Total"), summary.totals))
    return rows


def _subtotal(label: str, payout) -> list:
    difference = payout.cash_yen - payout.fee_yen
    count = gettext("%(count)d assignments") % {"count": payout.count}
    return [label, "", count, "", payout.minutes, payout.fee_yen, payout.cash_yen, difference]


class PayoutCsvView(GuardedViewMixin, View):
    """The summary as CSV for Excel (``?month=YYYY-MM``)."""

    roles = PAYOUT_ROLES

    def get(self, request, *args, **kwargs):
        form, month = chosen_month(request)
        if month is None:
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
        return csv_response(payout_rows(payout_month(month)), f"payouts-{month:%Y-%m}")
