"""The personal data access log in the back office: the one helper that staff views
call when they show, print or export a resident's details, the reason asked before an
export, and the read-only page where city staff read the log."""

from __future__ import annotations

from collections.abc import Iterable

import django_filters
from django import forms
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from accounts.models import User
from core.exports import LocalisedExportMixin
from core.formats import local_datetime
from volunteers.models import PersonalDataAccess, Resident
from volunteers.selectors.help_requests import residents_search
from volunteers.services.access_log import personal_data_access_record

#: Why a coordinator opens a resident's page or a request: their daily work.
DEFAULT_REASON = _("Handling a request")


def request_id_of(request) -> str:
    """The id that ties a log entry to the access log line of the same request: the
    one the platform's request-id middleware set, else the proxy's header."""
    return str(getattr(request, "request_id", "") or request.headers.get("X-Request-ID", ""))


def log_personal_data(
    request,
    residents: Iterable[Resident] = (),
    *,
    subjects: Iterable[User] = (),
    action: PersonalDataAccess.Action = PersonalDataAccess.Action.VIEW,
    reason: str | None = None,
) -> int:
    """Log that the signed-in user is being shown (printed, exported, disclosed) the
    details of ``residents`` (and of the people ``subjects``: volunteers) by this
    request. Every staff view of a resident's details calls it."""
    match = request.resolver_match
    resource = f"{match.view_name} {request.path}" if match else request.path
    return personal_data_access_record(
        actor=request.user,
        residents=residents,
        subjects=subjects,
        action=action,
        resource=resource,
        reason=str(reason or DEFAULT_REASON),
        request_id=request_id_of(request),
    )


class ExportReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the export"),
        max_length=200,
        help_text=_("For example: the monthly report to the city, a request from the police."),
    )


class PersonalDataExportMixin:
    """For Wagtail report views whose CSV/XLSX export holds residents' details: the
    export link opens a form asking why (POSTed, so the reason stays out of URLs and
    access logs); the file is sent only with a reason, and each resident (and person)
    in it is logged. :meth:`residents_in` and :meth:`subjects_in` name the residents
    and the volunteers of the exported rows."""

    export_reason: str = ""
    #: What the reason form says the file holds.
    export_notice = _(
        "This file holds residents' personal details. Each export is logged with your "
        "name and the reason you give."
    )

    def residents_in(self, rows) -> Iterable[Resident]:
        """The residents whose details the exported ``rows`` hold."""
        return ()

    def subjects_in(self, rows) -> Iterable[User]:
        """The people (volunteers' accounts) whose details the exported ``rows`` hold."""
        return ()

    def get(self, request, *args, **kwargs):
        if self.is_export and not self.export_reason:
            return self.ask_export_reason(ExportReasonForm())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.is_export:
            return self.http_method_not_allowed(request, *args, **kwargs)
        form = ExportReasonForm(request.POST)
        if not form.is_valid():
            return self.ask_export_reason(form, status=400)
        self.export_reason = form.cleaned_data["reason"]
        return self.get(request, *args, **kwargs)

    def ask_export_reason(self, form, status=200):
        back = self.request.GET.copy()
        back.pop("export", None)
        context = {
            "form": form,
            "action": self.request.get_full_path(),
            "back": f"{self.request.path}?{back.urlencode()}" if back else self.request.path,
            "notice": self.export_notice,
        }
        return TemplateResponse(
            self.request, "volunteers/admin/export_reason.html", context, status=status
        )

    def as_spreadsheet(self, queryset, spreadsheet_format):
        rows = list(queryset)
        log_personal_data(
            self.request,
            self.residents_in(rows),
            subjects=self.subjects_in(rows),
            action=PersonalDataAccess.Action.EXPORT,
            reason=self.export_reason,
        )
        return super().as_spreadsheet(rows, spreadsheet_format)


# --- The log, for city staff ----------------------------------------------------------


class PersonalDataAccessFilterSet(WagtailFilterSet):
    at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    actor = django_filters.ModelChoiceFilter(
        label=_("Who"),
        queryset=User.objects.filter(groups__name__in=["coordinator", "city_staff"])
        .distinct()
        .order_by("full_name_kana", "pk"),
    )
    # By number (shown on the resident's page) or by name: a list of every resident's
    # name here would itself be a disclosure.
    resident = django_filters.NumberFilter(field_name="resident_id", label=_("Resident ID"))
    resident_name = django_filters.CharFilter(
        label=_("Resident's name or kana"), method="filter_resident_name"
    )
    action = django_filters.ChoiceFilter(label=_("What"), choices=PersonalDataAccess.Action.choices)

    class Meta:
        model = PersonalDataAccess
        fields = []

    def filter_resident_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(resident__in=residents_search(value))


class PersonalDataAccessReportView(LocalisedExportMixin, ReportView):
    """Who saw, printed or exported which resident's details, when and why: read-only
    (nothing here edits or deletes an entry), filterable, CSV/XLSX export. City staff
    only (the ``view`` permission, the only one the model has)."""

    model = PersonalDataAccess
    permission_required = "view"
    page_title = _("Personal data access log")
    header_icon = "view"
    index_url_name = "aid_personal_data_access"
    index_results_url_name = "aid_personal_data_access_results"
    filterset_class = PersonalDataAccessFilterSet
    paginate_by = 50
    export_filename = "personal-data-access"
    columns = [
        Column("at", label=_("When"), accessor=lambda e: local_datetime(e.at)),
        Column("actor", label=_("Who")),
        Column("action", label=_("What"), accessor="get_action_display"),
        Column(
            "resident",
            label=_("Whose details"),
            accessor=lambda e: e.resident if e.resident_id else e.subject,
        ),
        Column("reason", label=pgettext_lazy("access reason", "Why")),
        # The record keeps "view_name path"; people read the address (the view name
        # stays in the CSV export for auditors).
        Column(
            "resource",
            label=pgettext_lazy("access log", "Page"),
            accessor=lambda access: access.resource.rsplit(" ", 1)[-1],
        ),
    ]
    list_export = [
        "at",
        "actor.full_name",
        "actor.email",
        "action",
        "resident_id",
        # Not "resident.full_name": an entry about a volunteer has no resident (and the
        # reverse), and the export's lookups fail on None.
        "resident",
        "subject_id",
        "subject",
        "reason",
        "resource",
        "request_id",
    ]
    export_headings = {
        "actor.full_name": _("Who"),
        "actor.email": _("Email address"),
        "resident_id": _("Resident ID"),
        "resident": _("Resident"),
        "subject_id": _("Account number"),
        "subject": _("Person (account)"),
    }

    def get_queryset(self):
        return PersonalDataAccess.objects.select_related("actor", "resident", "subject").order_by(
            "-at", "-pk"
        )
