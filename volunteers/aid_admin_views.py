"""The mutual-aid centre's back office (Wagtail admin): today's board, intake, the
request page with ranked suggestions and one-click offer/assign/confirm, resident and
volunteer pages with history, exports, volunteer registration and import.

Every view is thin: a form or a selector, then one service call; domain errors come
back as form errors or messages, never a 500. Coordinators only."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from accounts.models import District, Role, User
from accounts.services import user_create_without_login
from core.admin import GuardedViewMixin
from core.errors import DomainError
from core.exports import LocalisedExportMixin
from core.spreadsheets import read_dataset
from volunteers.cards import card_context
from volunteers.forms import AwayForm, CancelForm, ConfirmForm, IntakeForm, ProfileForm
from volunteers.models import Assignment, HelpCategory, HelpRequest, Resident, VolunteerProfile
from volunteers.selectors import (
    monthly_counts,
    requests_board,
    residents_search,
    suggest,
    upcoming_exceptions,
)
from volunteers.services import (
    assignment_confirm,
    assignment_finish,
    assignment_no_show,
    assignment_start,
    availability_exception_add,
    availability_exception_remove,
    card_reissue,
    request_assign,
    request_cancel,
    request_offer,
    request_receive,
    volunteer_profile_save,
)


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class CoordinatorView(GuardedViewMixin, WagtailAdminTemplateMixin):
    roles = (Role.COORDINATOR,)


# --- Today's board and resident search ---------------------------------------------


class BoardView(CoordinatorView, TemplateView):
    """What a coordinator opens in the morning: requests still needing a volunteer
    (soonest first), then today's assigned and running ones, then work waiting for
    confirmation; and a resident search to take the next call."""

    template_name = "volunteers/admin/board.html"
    page_title = _("Today's board")
    header_icon = "list-ul"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        found = list(residents_search(query)[:20]) if query else None
        return super().get_context_data(
            board=requests_board(),
            query=query,
            found=found,
            today=timezone.localdate(),
            now=timezone.now(),
            **kwargs,
        )


# --- Intake -------------------------------------------------------------------------


class IntakeView(CoordinatorView, FormView):
    """Take a request for a resident (phone, visit, online)."""

    form_class = IntakeForm
    template_name = "volunteers/admin/intake.html"
    page_title = _("Take a request")
    header_icon = "form"

    def load(self, pk):
        self.resident = get_object_or_404(Resident.objects.select_related("district"), pk=pk)

    def get_initial(self):
        return {"day": timezone.localdate(), "starts": dt.time(10), "ends": dt.time(11)}

    def get_context_data(self, **kwargs):
        history = self.resident.requests.select_related("category").order_by("-starts_at")[:5]
        return super().get_context_data(resident=self.resident, history=history, **kwargs)

    def form_valid(self, form):
        starts_at, ends_at = form.window()
        data = form.cleaned_data
        try:
            help_request = request_receive(
                actor=self.request.user,
                resident=self.resident,
                category=data["category"],
                starts_at=starts_at,
                ends_at=ends_at,
                channel=data["channel"],
                place=data["place"],
                notes=data["notes"],
            )
        except DomainError as error:
            field = {"starts_at": "starts", "ends_at": "ends"}.get(error.field or "")
            form.add_error(field, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("Request received."))
        return redirect("aid_request", pk=help_request.pk)


# --- The request page ---------------------------------------------------------------


class RequestView(CoordinatorView, TemplateView):
    """One request: the resident, its offers and assignment, ranked suggestions with
    reasons, and the next steps (offer, assign, confirm, cancel, no-show)."""

    template_name = "volunteers/admin/request.html"
    header_icon = "help"

    def load(self, pk):
        self.help_request = get_object_or_404(
            HelpRequest.objects.select_related("resident", "category", "district"), pk=pk
        )

    def get_page_title(self):
        return _("Request: %(request)s") % {"request": self.help_request}

    def get_context_data(self, **kwargs):
        req = self.help_request
        assignment = Assignment.objects.filter(request=req).select_related("volunteer").first()
        open_steps = req.status in (HelpRequest.Status.REQUESTED, HelpRequest.Status.OFFERED)
        confirm_form = kwargs.pop("confirm_form", None)
        if confirm_form is None and assignment and assignment.status == Assignment.Status.DONE:
            minutes = req.category.billable_minutes(assignment.started_at, assignment.finished_at)
            confirm_form = ConfirmForm(
                initial={
                    "minutes": minutes,
                    "cash_received_yen": req.category.fee_for(minutes),
                }
            )
        return super().get_context_data(
            req=req,
            assignment=assignment,
            offers=req.offers.select_related("volunteer").order_by("created_at"),
            suggestions=suggest(req, limit=15) if open_steps else [],
            open_steps=open_steps,
            confirm_form=confirm_form,
            cancel_form=CancelForm(),
            can_cancel=req.status
            in (
                HelpRequest.Status.REQUESTED,
                HelpRequest.Status.OFFERED,
                HelpRequest.Status.ASSIGNED,
            ),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        req = self.help_request
        assignment = Assignment.objects.filter(request=req).first()
        if action in ("confirm", "start", "finish", "no_show") and assignment is None:
            # A stale page (e.g. the request was cancelled meanwhile): say so, no 500.
            messages.error(request, _("This request has no volunteer assigned."))
            return redirect("aid_request", pk=req.pk)
        try:
            if action == "offer":
                ids = [int(v) for v in request.POST.getlist("volunteers") if v.isdigit()]
                volunteers = User.objects.filter(pk__in=ids)
                offers = request_offer(
                    help_request=req, volunteers=list(volunteers), actor=request.user
                )
                messages.success(
                    request,
                    ngettext(
                        "Offered to %(count)s volunteer.",
                        "Offered to %(count)s volunteers.",
                        len(offers),
                    )
                    % {"count": len(offers)},
                )
            elif action == "assign":
                chosen = request.POST.get("volunteer", "")
                volunteer = get_object_or_404(User, pk=int(chosen) if chosen.isdigit() else 0)
                request_assign(help_request=req, volunteer=volunteer, actor=request.user)
                messages.success(
                    request, _("%(name)s is assigned.") % {"name": volunteer.get_full_name()}
                )
            elif action == "confirm":
                form = ConfirmForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(confirm_form=form), status=400
                    )
                assignment = assignment_confirm(
                    assignment=assignment,
                    actor=request.user,
                    minutes=form.cleaned_data["minutes"],
                    cash_received_yen=form.cleaned_data["cash_received_yen"],
                )
                messages.success(
                    request,
                    _("Confirmed. Fee: %(fee)s yen.") % {"fee": assignment.fee_yen},
                )
            elif action == "cancel":
                form = CancelForm(request.POST)
                form.is_valid()
                request_cancel(
                    help_request=req,
                    actor=request.user,
                    reason=form.cleaned_data.get("reason", ""),
                )
                messages.success(request, _("The request is cancelled."))
            elif action in ("start", "finish"):
                # For volunteers without a smartphone who phone in instead.
                step = assignment_start if action == "start" else assignment_finish
                step(assignment=assignment, actor=request.user)
                messages.success(request, _("Recorded for the volunteer."))
            elif action == "no_show":
                assignment_no_show(assignment=assignment, actor=request.user)
                messages.success(request, _("Recorded as a no-show."))
            else:
                messages.error(request, _("Unknown action."))
        except DomainError as error:
            messages.error(request, str(error.message))
        return redirect("aid_request", pk=req.pk)


# --- Residents and volunteers -------------------------------------------------------


class ResidentView(CoordinatorView, TemplateView):
    """A resident's details (coordinators only) and their request history."""

    template_name = "volunteers/admin/resident.html"
    header_icon = "user"

    def load(self, pk):
        self.resident = get_object_or_404(Resident.objects.select_related("district"), pk=pk)

    def get_page_title(self):
        return self.resident.full_name

    def get_context_data(self, **kwargs):
        history = (
            self.resident.requests.select_related("category", "assignment__volunteer")
            .order_by("-starts_at")
            .all()[:100]
        )
        # Every look by a volunteer is logged; coordinators can see who and when.
        access_log = self.resident.access_log.select_related("user", "assignment")[:50]
        return super().get_context_data(
            resident=self.resident, history=history, access_log=access_log, **kwargs
        )


class VolunteerView(CoordinatorView, FormView):
    """A volunteer's profile (coordinators edit it for those without a smartphone)
    and their assignment history."""

    form_class = ProfileForm
    template_name = "volunteers/admin/volunteer.html"
    header_icon = "user"

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk)
        self.profile = VolunteerProfile.objects.filter(user=self.volunteer).first()

    def get_page_title(self):
        return self.volunteer.get_full_name()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "manage_insurance": True}

    def get_initial(self):
        return ProfileForm.initial_for(self.profile)

    def get_context_data(self, **kwargs):
        history = (
            Assignment.objects.filter(volunteer=self.volunteer)
            .select_related("request__category", "request__resident", "request__district")
            .order_by("-starts_at")[:100]
        )
        away = upcoming_exceptions(self.profile) if self.profile else []
        return super().get_context_data(
            volunteer=self.volunteer,
            profile=self.profile,
            history=history,
            away=away,
            is_volunteer=self.volunteer.has_role(Role.VOLUNTEER),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            volunteer_profile_save(
                user=self.volunteer,
                actor=self.request.user,
                districts=list(data["districts"]),
                skills=list(data["skills"]),
                weekly=data["weekly"],
                home_district=data["home_district"],
                gender=data["gender"],
                has_car=data["has_car"],
                languages=data["languages"],
                insurance_valid_until=data["insurance_valid_until"],
                active=data["active"],
                manage_insurance=True,
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("The volunteer's profile is saved."))
        return redirect("aid_volunteer", pk=self.volunteer.pk)


class VolunteerCardView(GuardedViewMixin, TemplateView):
    """The volunteer's wallet-size check-in card, printable, for volunteers without a
    smartphone (the site's own print layout, not the admin's). Printing again shows the
    current card; only :class:`VolunteerCardReissueView` revokes old ones."""

    roles = (Role.COORDINATOR,)
    template_name = "volunteers/card_print.html"

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk, groups__name=Role.VOLUNTEER)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            volunteer=self.volunteer, **card_context(self.request, self.volunteer), **kwargs
        )


class VolunteerCardReissueView(CoordinatorView, TemplateView):
    """Confirm, then (POST) revoke the volunteer's old card and print the new one."""

    template_name = "volunteers/admin/card_reissue.html"
    header_icon = "doc-full"

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk, groups__name=Role.VOLUNTEER)

    def get_page_title(self):
        return _("Reissue check-in card: %(name)s") % {"name": self.volunteer.get_full_name()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(volunteer=self.volunteer, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            card_reissue(user=self.volunteer, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect("aid_volunteer", pk=self.volunteer.pk)
        messages.success(request, _("A new card has been issued; the old card no longer works."))
        return redirect("aid_volunteer_card", pk=self.volunteer.pk)


class VolunteerAwayView(CoordinatorView, FormView):
    """Mark a day away for a volunteer who phoned in (no smartphone), or take one
    back (a POST with ``remove``: the exception's id, from the volunteer's page)."""

    form_class = AwayForm
    template_name = "volunteers/admin/form.html"
    header_icon = "date"

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk, volunteer_profile__isnull=False)

    def get_page_title(self):
        return _("Days away: %(name)s") % {"name": self.volunteer.get_full_name()}

    def post(self, request, *args, **kwargs):
        if "remove" not in request.POST:
            return super().post(request, *args, **kwargs)
        chosen = request.POST["remove"]
        if chosen.isdigit() and availability_exception_remove(
            user=self.volunteer, actor=request.user, exception_id=int(chosen)
        ):
            messages.success(request, _("Removed: the volunteer may be asked on that day again."))
        else:
            messages.info(request, _("That day is no longer on the volunteer's list."))
        return redirect("aid_volunteer", pk=self.volunteer.pk)

    def form_valid(self, form):
        availability_exception_add(
            user=self.volunteer,
            actor=self.request.user,
            date=form.cleaned_data["date"],
            available=False,
        )
        messages.success(self.request, _("Noted: the volunteer will not be asked on that day."))
        return redirect("aid_volunteer", pk=self.volunteer.pk)


class VolunteerRegisterForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    full_name_kana = forms.CharField(label=_("Full name (kana)"), max_length=300)
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)


class VolunteerRegisterView(CoordinatorView, FormView):
    """Register a volunteer who has no smartphone (no login); then fill their profile."""

    form_class = VolunteerRegisterForm
    template_name = "volunteers/admin/form.html"
    page_title = _("Register a volunteer")
    header_icon = "user"

    def form_valid(self, form):
        from django.core.exceptions import ValidationError

        try:
            user = user_create_without_login(roles=(Role.VOLUNTEER,), **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        return redirect("aid_volunteer", pk=user.pk)


# --- Reports with CSV/XLSX export ---------------------------------------------------


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


class RequestReportView(LocalisedExportMixin, ReportView):
    """Every request, filterable; CSV and XLSX export."""

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
        Column("starts_at", label=_("From"), accessor=lambda r: _local(r.starts_at)),
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


class AssignmentFilterSet(WagtailFilterSet):
    starts_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Assignment.Status.choices)

    class Meta:
        model = Assignment
        fields = []


class AssignmentReportView(LocalisedExportMixin, ReportView):
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
        Column("starts_at", label=_("From"), accessor=lambda a: _local(a.starts_at)),
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


# --- Volunteer import ---------------------------------------------------------------


class VolunteerImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_(
            "Columns: full_name, full_name_kana, phone, email, home_district, districts, "
            "skills (codes separated by spaces), has_car, insurance_valid_until, languages, "
            "weekly (e.g. 'mon 09:00-12:00; thu 13:00-16:00')."
        ),
    )
    confirm = forms.BooleanField(label=_("Import now (leave unticked to preview)"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


class VolunteerImportView(CoordinatorView, FormView):
    """Upload volunteers from a spreadsheet: a dry-run preview with row errors, then
    the import (all rows or none). Rows are matched on email, else on name and phone."""

    form_class = VolunteerImportForm
    template_name = "points/admin/shop_import.html"
    page_title = _("Import volunteers")
    header_icon = "upload"

    def form_valid(self, form):
        from volunteers.resources import VolunteerResource

        try:
            dataset = read_dataset(form.cleaned_data["file"])
        except Exception:  # noqa: BLE001 (any unreadable upload is a form error)
            form.add_error("file", _("The file could not be read as CSV or XLSX."))
            return self.form_invalid(form)
        resource = VolunteerResource(actor=self.request.user)
        result = resource.import_data(dataset, dry_run=True, raise_errors=False)
        failed = result.has_errors() or result.has_validation_errors()
        if form.cleaned_data["confirm"] and not failed:
            result = VolunteerResource(actor=self.request.user).import_data(
                dataset, dry_run=False, raise_errors=False
            )
            messages.success(
                self.request,
                _("%(new)s volunteer(s) added, %(updated)s updated.")
                % {"new": result.totals["new"], "updated": result.totals["update"]},
            )
            return redirect("aid_volunteer_import")
        return self.render_to_response(
            self.get_context_data(form=form, result=result, failed=failed, previewed=True)
        )


# --- Dashboard panel ----------------------------------------------------------------


class MonthlyCountsPanel(Component):
    """This month's requests by category and by district: bars drawn in CSS, with the
    same figures as a table for screen readers and printing."""

    name = "aid_monthly_counts"
    template_name = "volunteers/admin/monthly_panel.html"
    order = 90

    def get_context_data(self, parent_context):
        counts = monthly_counts()
        charts = []
        for key, title in (("category", _("By category")), ("district", _("By district"))):
            rows = counts[key]
            top = max((n for _, n in rows), default=0) or 1
            charts.append(
                {"title": title, "rows": [(label, n, round(100 * n / top)) for label, n in rows]}
            )
        return {"charts": charts, "month": timezone.localdate()}
