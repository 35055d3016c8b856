"""Reports with CSV/XLSX export (every request, every assignment) and this month's
counts on the admin dashboard."""

from __future__ import annotations

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from accounts.models import District, Role
from core.charts import bar_chart
from core.db import ReplicaReadsMixin
from core.exports import LocalisedExportMixin
from core.formats import local_datetime
from volunteers.admin.access_log import PersonalDataExportMixin
from volunteers.models import Assignment, HelpCategory, HelpRequest
from volunteers.selectors.help_requests import monthly_counts

#: Who opens the annual report (volunteers.admin.fiscal).
REPORT_ROLES = (Role.COORDINATOR, Role.CITY_STAFF)


class RequestFilterSet(WagtailFilterSet):
    starts_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=HelpRequest.Status.choices)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=HelpCategory.objects.all()
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"), queryset=District.objects.all()
    )

    class Meta:
        model = HelpRequest
        fields = []


def _request_link(req: HelpRequest):
    return format_html('<a href="{}">{}</a>', reverse("aid_request", args=[req.pk]), str(req))


class RequestReportView(
    ReplicaReadsMixin, PersonalDataExportMixin, LocalisedExportMixin, ReportView
):
    """Every request, filterable; CSV and XLSX export (residents' names: the export
    asks why and is logged)."""

    model = HelpRequest
    permission_required = "view"
    page_title = _("Help requests")
    header_icon = "list-ul"
    index_url_name = "aid_requests"
    index_results_url_name = "aid_requests_results"
    filterset_class = RequestFilterSet
    paginate_by = 50
    columns = [
        Column("request", label=_("Request"), accessor=_request_link),
        Column(
            "starts_at",
            label=pgettext_lazy("time", "From"),
            accessor=lambda r: local_datetime(r.starts_at),
        ),
        Column("resident", label=_("Resident")),
        Column("district", label=_("District")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("channel", label=_("Received by"), accessor="get_channel_display"),
    ]
    list_export = [
        "pk",
        "starts_at",
        "ends_at",
        "category.name",
        "district.name",
        "resident.full_name",
        "channel",
        "status",
        "created_at",
    ]
    export_headings = {
        "pk": _("ID"),
        "category.name": _("Category"),
        "district.name": _("District"),
        "resident.full_name": _("Resident"),
    }

    def get_queryset(self):
        return HelpRequest.objects.select_related("resident", "category", "district").order_by(
            "-starts_at", "-pk"
        )

    def residents_in(self, rows):
        return [row.resident for row in rows]


class AssignmentFilterSet(WagtailFilterSet):
    starts_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Assignment.Status.choices)

    class Meta:
        model = Assignment
        fields = []


class AssignmentReportView(ReplicaReadsMixin, LocalisedExportMixin, ReportView):
    """Every assignment with its fee and the cash received; CSV and XLSX export."""

    model = Assignment
    permission_required = "view"
    page_title = _("Assignments")
    header_icon = "tasks"
    index_url_name = "aid_assignments"
    index_results_url_name = "aid_assignments_results"
    filterset_class = AssignmentFilterSet
    paginate_by = 50
    columns = [
        Column("request", label=_("Request"), accessor=lambda a: _request_link(a.request)),
        Column(
            "starts_at",
            label=pgettext_lazy("time", "From"),
            accessor=lambda a: local_datetime(a.starts_at),
        ),
        Column("volunteer", label=_("Volunteer")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("minutes", label=_("Minutes")),
        Column("fee_yen", label=_("Fee (yen)")),
        Column("cash_received_yen", label=_("Cash received (yen)")),
    ]
    list_export = [
        "pk",
        "request_id",
        "starts_at",
        "request.category.name",
        "request.district.name",
        "volunteer.full_name",
        "status",
        "minutes",
        "fee_yen",
        "cash_received_yen",
        "confirmed_at",
    ]
    export_headings = {
        "pk": _("ID"),
        "request_id": _("Request"),
        "request.category.name": _("Category"),
        "request.district.name": _("District"),
        "volunteer.full_name": _("Volunteer"),
    }

    def get_queryset(self):
        return Assignment.objects.select_related(
            "request__category", "request__district", "request__resident", "volunteer"
        ).order_by("-starts_at", "-pk")


class MonthlyCountsPanel(Component):
    """This month's requests by category and by district: server-drawn SVG bar charts
    (core.charts: named, described, with the figures as a table), readable printed
    and without JavaScript, and a link to the year's report."""

    name = "aid_monthly_counts"
    template_name = "volunteers/admin/monthly_panel.html"
    order = 90

    def get_context_data(self, parent_context):
        counts = monthly_counts()
        requests = pgettext_lazy("dashboard chart", "Requests")
        charts = [
            bar_chart(
                key=f"dashboard-{key}",
                title=title,
                rows=counts[key],
                column=column,
                value_label=requests,
            )
            # Each chart's first column heads what its rows are (a category, a district).
            for key, title, column in (
                ("category", _("By category"), pgettext_lazy("dashboard chart", "Category")),
                ("district", _("By district"), pgettext_lazy("dashboard chart", "District")),
            )
        ]
        request = parent_context.get("request")
        return {
            "charts": charts,
            "month": timezone.localdate(),
            "annual_report": bool(request and request.user.acts_as(*REPORT_ROLES)),
            "board": bool(request and request.user.has_perm("volunteers.add_helprequest")),
        }
