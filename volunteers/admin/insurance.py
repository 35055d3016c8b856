"""Volunteer activity insurance and training in the back office (coordinators and city
staff): a year's enrolment list with the insurer's export, enrolling and cancelling,
the April renewal round, and a training session's attendance."""

from __future__ import annotations

from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import HeaderButton

from accounts.models import Role, User
from core import badinput, formats
from core.admin_views import ConfirmActionView
from core.errors import DomainError
from core.exports import LocalisedExportMixin
from core.middleware import error_response
from volunteers.admin.access_log import PersonalDataExportMixin
from volunteers.admin.base import CoordinatorView
from volunteers.models import InsuranceEnrolment, TrainingSession, VolunteerProfile
from volunteers.selectors.training import attendance_candidates, renewal_candidates
from volunteers.services.insurance import (
    insurance_cancel,
    insurance_enrol,
    insurance_renew,
    training_attendance_record,
)

#: Who keeps the insurance and training records.
MANAGERS = (Role.COORDINATOR, Role.CITY_STAFF)


class ManagerView(CoordinatorView):
    roles = MANAGERS


def current_fiscal_year() -> int:
    return formats.fiscal_year(timezone.localdate())


def renewal_year() -> int:
    """The year the renewal round prepares: from February the coming April's."""
    today = timezone.localdate()
    return today.year if today.month in (2, 3) else formats.fiscal_year(today)


def year_choices(around: int) -> list[tuple[int, str]]:
    years = set(InsuranceEnrolment.objects.values_list("fiscal_year", flat=True).distinct()) | {
        around - 1,
        around,
        around + 1,
    }
    return [(year, formats.fiscal_year_label(year)) for year in sorted(years, reverse=True)]


def posted_ids(request, name: str) -> list[int] | None:
    """The ids the page's checkboxes and hidden fields POST under ``name``, or None
    when one is not an id the page could have sent (``str.isdigit`` alone lets
    through ``²``, which ``int`` refuses, and a number too long for the database)."""
    values = request.POST.getlist(name)
    if not all(value.isascii() and value.isdigit() and len(value) <= 18 for value in values):
        return None
    return [int(value) for value in values]


def invalid_ids(request):
    """400 ``invalid_parameter``: a crafted request, never a 500."""
    return error_response(request, status=400, code=badinput.INVALID_PARAMETER)


def _year_param(request, default: int) -> int:
    try:
        year = int(request.GET.get("fiscal_year", ""))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


# --- The year's enrolments, and the insurer's export ----------------------------------


class EnrolmentFilterSet(WagtailFilterSet):
    # The year is applied by the view (a list always shows one year); this field is
    # the control that chooses it.
    fiscal_year = django_filters.ChoiceFilter(
        label=_("Fiscal year"), choices=[], method="filter_nothing", empty_label=None
    )

    class Meta:
        model = InsuranceEnrolment
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["fiscal_year"].extra["choices"] = year_choices(current_fiscal_year())

    def filter_nothing(self, queryset, name, value):
        return queryset


def _cancel_link(enrolment: InsuranceEnrolment):
    if enrolment.status != InsuranceEnrolment.Status.ENROLLED:
        return enrolment.get_status_display()
    return format_html(
        '<a class="button button-small button-secondary" href="{}">{}</a>',
        reverse("aid_insurance_cancel", args=[enrolment.pk]),
        _("Cancel the enrolment"),
    )


class EnrolmentListView(PersonalDataExportMixin, LocalisedExportMixin, ReportView):
    """A fiscal year's insurance enrolments (this year's unless chosen). The export
    for the insurer (names, kana, dates of birth, addresses) asks why and logs each
    volunteer in it."""

    model = InsuranceEnrolment
    permission_required = "view"
    page_title = _("Volunteer activity insurance")
    header_icon = "doc-full"
    index_url_name = "aid_insurance"
    index_results_url_name = "aid_insurance_results"
    filterset_class = EnrolmentFilterSet
    paginate_by = 100
    export_filename = "insurance-enrolments"
    export_notice = _(
        "This file holds volunteers' personal details (date of birth, address) for the "
        "insurer. Each export is logged with your name and the reason you give."
    )
    columns = [
        Column("volunteer", label=_("Volunteer")),
        Column("kana", label=_("Kana"), accessor="volunteer.full_name_kana"),
        Column(
            "enrolled_on", label=_("Enrolled on"), accessor=lambda e: formats.date(e.enrolled_on)
        ),
        Column("plan", label=_("Plan")),
        Column("certificate_number", label=_("Certificate number")),
        Column("paid_by", label=_("Premium paid by"), accessor="get_paid_by_display"),
        Column("status", label=_("Status"), accessor=_cancel_link),
    ]
    list_export = [
        "volunteer.full_name",
        "volunteer.full_name_kana",
        "volunteer.birth_date",
        "address",
        "volunteer.phone",
        "plan",
        "certificate_number",
        "paid_by",
        "enrolled_on",
    ]
    export_headings = {
        "volunteer.full_name": _("Full name"),
        "volunteer.full_name_kana": _("Kana"),
        "volunteer.birth_date": _("Date of birth"),
        "address": _("Address"),
        "volunteer.phone": _("Phone"),
        "plan": _("Plan"),
        "certificate_number": _("Certificate number"),
        "paid_by": _("Premium paid by"),
        "enrolled_on": _("Enrolled on"),
    }

    def get_header_buttons(self):
        # Wagtail's own (the download menu) after the page's two actions.
        return [
            HeaderButton(_("Enrol a volunteer"), reverse("aid_insurance_enrol"), icon_name="plus"),
            HeaderButton(
                _("April renewal round"), reverse("aid_insurance_renewal"), icon_name="repeat"
            ),
            *super().get_header_buttons(),
        ]

    @property
    def fiscal_year(self) -> int:
        return _year_param(self.request, current_fiscal_year())

    def get_page_subtitle(self):
        return formats.fiscal_year_label(self.fiscal_year)

    def get_queryset(self):
        return InsuranceEnrolment.objects.filter(fiscal_year=self.fiscal_year).select_related(
            "volunteer"
        )

    def get_filtered_queryset(self):
        queryset = super().get_filtered_queryset()
        if self.is_export:  # the insurer's list: enrolments in force only
            queryset = queryset.filter(status=InsuranceEnrolment.Status.ENROLLED)
        return queryset.order_by("volunteer__full_name_kana", "volunteer_id")

    def get_filename(self):
        # Wagtail's SpreadsheetExportMixin names the file from get_filename().
        return f"{self.export_filename}-{self.fiscal_year}"

    def subjects_in(self, rows):
        return [row.volunteer for row in rows]


class EnrolForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("Volunteer"), queryset=User.objects.none())
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"),
        min_value=2000,
        max_value=2100,
        help_text=_("The year April falls in: 2026 for 令和8年度 (April 2026 – March 2027)."),
    )
    enrolled_on = forms.DateField(
        label=_("Enrolled on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    plan = forms.CharField(label=_("Plan"), max_length=100, required=False)
    certificate_number = forms.CharField(
        label=_("Certificate number"), max_length=50, required=False
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=300,
        required=False,
        help_text=_("As the insurer needs it on the enrolment list."),
    )
    paid_by = forms.ChoiceField(
        label=_("Premium paid by"),
        choices=InsuranceEnrolment.PaidBy.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = User.objects.filter(
            pk__in=VolunteerProfile.objects.filter(anonymised_at__isnull=True).values("user_id")
        ).order_by("full_name_kana", "pk")


class EnrolView(ManagerView, FormView):
    """Enrol one volunteer for a fiscal year (a second enrolment for the same year is
    not made: the page says they are enrolled already)."""

    form_class = EnrolForm
    template_name = "core/admin/form.html"
    page_title = _("Enrol a volunteer in the insurance")
    header_icon = "plus"

    def get_initial(self):
        return {
            "fiscal_year": _year_param(self.request, current_fiscal_year()),
            "enrolled_on": timezone.localdate(),
            "paid_by": InsuranceEnrolment.PaidBy.CITY,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            enrolment, created = insurance_enrol(
                volunteer=data["volunteer"],
                fiscal_year=data["fiscal_year"],
                actor=self.request.user,
                enrolled_on=data["enrolled_on"],
                plan=data["plan"],
                certificate_number=data["certificate_number"],
                address=data["address"],
                paid_by=data["paid_by"],
            )
        except DomainError as error:
            form.add_error(error.field, str(error.message))
            return self.form_invalid(form)
        values = {"name": enrolment.volunteer, "year": enrolment.fiscal_year_label}
        if created:
            messages.success(self.request, _("%(name)s is enrolled for %(year)s.") % values)
        else:
            messages.warning(
                self.request, _("%(name)s was already enrolled for %(year)s.") % values
            )
        return redirect(f"{reverse('aid_insurance')}?fiscal_year={enrolment.fiscal_year}")


class CancelView(ConfirmActionView):
    """Cancel an enrolment (one POST); the volunteer's insurance date follows."""

    template_name = "core/admin/form.html"
    page_title = _("Cancel the enrolment")
    header_icon = "warning"
    roles = MANAGERS

    def load(self, pk):
        self.enrolment = get_object_or_404(
            InsuranceEnrolment.objects.select_related("volunteer"), pk=pk
        )

    def get_context_data(self, **kwargs):
        summary = _(
            "Cancel the enrolment of %(name)s for %(year)s? Their insurance then runs "
            "until the end of the latest year they are still enrolled for."
        ) % {"name": self.enrolment.volunteer, "year": self.enrolment.fiscal_year_label}
        return super().get_context_data(
            summary=summary, submit_label=_("Cancel the enrolment"), **kwargs
        )

    def act(self, form):
        return insurance_cancel(enrolment=self.enrolment, actor=self.request.user)

    def get_success_message(self, enrolment):
        return _("The enrolment of %(name)s for %(year)s is cancelled.") % {
            "name": enrolment.volunteer,
            "year": enrolment.fiscal_year_label,
        }

    def get_success_url(self):
        return f"{reverse('aid_insurance')}?fiscal_year={self.enrolment.fiscal_year}"


#: Rows per page of the renewal and attendance lists. Each row posts one or two fields
#: and Django refuses a request of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000): a
#: city with more volunteers than that works through the list a page at a time (each
#: POST changes only the rows it shows).
LIST_PAGE_SIZE = 200


def list_page(request, rows):
    """The requested page of ``rows`` (the last one for a number past it, the first
    for one that is not a number)."""
    return Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))


class RenewalView(ManagerView, TemplateView):
    """The April renewal round: last year's enrolled volunteers who are still active
    and not yet enrolled for the new year, all ticked; one POST enrols the ticked
    ones (running it again enrols nobody twice)."""

    template_name = "volunteers/admin/insurance_renewal.html"
    page_title = _("April renewal round")
    header_icon = "repeat"

    @property
    def fiscal_year(self) -> int:
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        try:
            year = int(source.get("fiscal_year", ""))
        except ValueError:
            return renewal_year()
        return year if 2000 <= year <= 2100 else renewal_year()

    def get_page_subtitle(self):
        return formats.fiscal_year_label(self.fiscal_year)

    def get_context_data(self, **kwargs):
        year = self.fiscal_year
        return super().get_context_data(
            year=year,
            year_label=formats.fiscal_year_label(year),
            last_year_label=formats.fiscal_year_label(year - 1),
            years=year_choices(renewal_year()),
            candidates=(page := list_page(self.request, renewal_candidates(year))).object_list,
            page=page,
            page_query=urlencode({"fiscal_year": year}),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        year = self.fiscal_year
        ids = posted_ids(request, "volunteer")
        if ids is None:
            return invalid_ids(request)
        try:
            made = insurance_renew(fiscal_year=year, volunteer_ids=ids, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(f"{reverse('aid_insurance_renewal')}?fiscal_year={year}")
        if made:
            messages.success(
                request,
                ngettext(
                    "%(count)s volunteer enrolled for %(year)s.",
                    "%(count)s volunteers enrolled for %(year)s.",
                    len(made),
                )
                % {"count": len(made), "year": formats.fiscal_year_label(year)},
            )
        else:
            messages.warning(request, _("Nobody was enrolled: nobody chosen, or done already."))
        if request.POST.get("more_pages"):  # a long list: back for the next page
            return redirect(f"{reverse('aid_insurance_renewal')}?fiscal_year={year}")
        return redirect(f"{reverse('aid_insurance')}?fiscal_year={year}")


# --- Training sessions -----------------------------------------------------------------


class AttendanceView(ManagerView, TemplateView):
    """Tick who attended a training session. The list is the active volunteers (a
    name or kana search narrows it, or finds someone inactive); saving changes only
    the people shown."""

    template_name = "volunteers/admin/training_attendance.html"
    page_title = _("Training attendance")
    header_icon = "tick"
    roles = MANAGERS

    def load(self, pk):
        self.session = get_object_or_404(TrainingSession, pk=pk)

    def get_page_subtitle(self):
        return self.session.title

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()[:100]
        rows = attendance_candidates(self.session, query)
        page = list_page(self.request, rows)
        return super().get_context_data(
            session=self.session,
            query=query,
            rows=page.object_list,
            page=page,
            page_query=urlencode({"q": query}) if query else "",
            attended=sum(1 for _, ticked in rows if ticked),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        shown, ticked = posted_ids(request, "shown"), posted_ids(request, "attended")
        if shown is None or ticked is None:
            return invalid_ids(request)
        try:
            changed = training_attendance_record(
                session=self.session,
                shown_ids=shown,
                attended_ids=ticked,
                actor=request.user,
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("Attendance saved (%(count)s changed).") % {"count": changed},
            )
        # Back to the same page of the same list (the form's action keeps both).
        back = reverse("aid_training_attendance", args=[self.session.pk])
        query = urlencode({k: v for k in ("q", "page") if (v := request.GET.get(k, "")[:100])})
        return redirect(f"{back}?{query}" if query else back)
