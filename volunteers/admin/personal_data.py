"""A person's details at the end (APPI, issue #19), in the back office.

Coordinators record that a resident or volunteer left the service (and undo it by
mistake or when they return). City staff answer a person's request: find them, give
them everything held about them (a printable page or an XLSX file, each logged with
the request's reference) and erase their details when they ask and nothing still
needs them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from accounts.models import Role, User
from core.admin_views import ConfirmActionView
from core.errors import DomainError
from core.exports import XLSX_CONTENT_TYPE, xlsx_workbook_bytes
from volunteers.admin.access_log import log_personal_data
from volunteers.admin.base import CoordinatorView
from volunteers.models import LeaveReason, PersonalDataAccess, Resident
from volunteers.selectors.disclosure import Disclosure, resident_disclosure, volunteer_disclosure
from volunteers.selectors.personal_data import (
    UNOFFERED_STATUSES,
    erasure_date,
    people_search,
    resident_erasure_blockers,
    resident_open_requests,
    volunteer_erasure_blockers,
)
from volunteers.services.personal_data import (
    resident_erase,
    resident_leave,
    resident_return,
    volunteer_erase,
    volunteer_leave,
    volunteer_return,
)

# --- Leaving (coordinators) -----------------------------------------------------------


class LeaveForm(forms.Form):
    on = forms.DateField(
        label=_("Left on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )
    reason = forms.ChoiceField(
        label=_("Why they left"),
        choices=[c for c in LeaveReason.choices if c[0] != LeaveReason.ERASURE],
        widget=forms.RadioSelect,
    )

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("Enter today or a day before."))
        return on


class _LeaveView(CoordinatorView, FormView):
    form_class = LeaveForm
    template_name = "volunteers/admin/leave.html"
    header_icon = "user"
    resident_kind = True

    def leave(self, data):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            submit_label=_("Record leaving"),
            erased_on=erasure_date(timezone.localdate(), resident=self.resident_kind),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            self.leave(form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("Recorded: they left the service."))
        return redirect(self.get_success_url())


class ResidentLeaveView(_LeaveView):
    """A resident moved away, stopped using the service or died."""

    def load(self, pk):
        self.resident = get_object_or_404(Resident, pk=pk, anonymised_at__isnull=True)

    def get_page_title(self):
        return _("Leaving the service: %(name)s") % {"name": self.resident.full_name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            open_requests=resident_open_requests(self.resident)
            .exclude(status__in=UNOFFERED_STATUSES)
            .select_related("category"),
            **kwargs,
        )

    def leave(self, data):
        resident_leave(
            resident=self.resident, on=data["on"], reason=data["reason"], actor=self.request.user
        )

    def get_success_url(self):
        return reverse("aid_resident", args=[self.resident.pk])


class VolunteerLeaveView(_LeaveView):
    """A volunteer stopped volunteering."""

    resident_kind = False

    def load(self, pk):
        self.volunteer = get_object_or_404(
            User, pk=pk, volunteer_profile__anonymised_at__isnull=True
        )

    def get_page_title(self):
        return _("Leaving the service: %(name)s") % {"name": self.volunteer.get_full_name()}

    def leave(self, data):
        volunteer_leave(
            user=self.volunteer, on=data["on"], reason=data["reason"], actor=self.request.user
        )

    def get_success_url(self):
        return reverse("aid_volunteer", args=[self.volunteer.pk])


class ResidentReturnView(ConfirmActionView):
    template_name = "volunteers/admin/return.html"
    header_icon = "user"
    roles = (Role.COORDINATOR,)
    success_message = _("Recorded: they use the service again.")

    def load(self, pk):
        self.resident = get_object_or_404(Resident, pk=pk, anonymised_at__isnull=True)

    def get_page_title(self):
        return _("Using the service again: %(name)s") % {"name": self.resident.full_name}

    def act(self, form):
        return resident_return(resident=self.resident, actor=self.request.user)

    def get_success_url(self):
        return reverse("aid_resident", args=[self.resident.pk])


class VolunteerReturnView(ConfirmActionView):
    template_name = "volunteers/admin/return.html"
    header_icon = "user"
    roles = (Role.COORDINATOR,)
    success_message = _("Recorded: they volunteer again.")
    extra_context = {"button_label": _("They volunteer again")}

    def load(self, pk):
        self.volunteer = get_object_or_404(
            User, pk=pk, volunteer_profile__anonymised_at__isnull=True
        )

    def get_page_title(self):
        return _("Volunteering again: %(name)s") % {"name": self.volunteer.get_full_name()}

    def act(self, form):
        return volunteer_return(user=self.volunteer, actor=self.request.user)

    def get_success_url(self):
        return reverse("aid_volunteer", args=[self.volunteer.pk])


# --- Disclosure and erasure (city staff) ----------------------------------------------


class CityStaffView(CoordinatorView):
    roles = (Role.CITY_STAFF,)


class PeopleSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, kana, phone number or email"),
        min_length=2,
        max_length=100,
        help_text=_("The person who asked, as they gave it. At least two characters."),
    )


class PersonalDataRequestsView(CityStaffView, FormView):
    """Find the person who asked to see or erase what is held about them. The search
    is POSTed (names stay out of addresses and server logs), and every resident it
    shows is in the personal data access log."""

    form_class = PeopleSearchForm
    template_name = "volunteers/admin/personal_data.html"
    page_title = _("Disclosure and erasure requests")
    header_icon = "lock"

    def get_context_data(self, **kwargs):
        return super().get_context_data(submit_label=_("Search"), **kwargs)

    def form_valid(self, form):
        residents, volunteers = people_search(form.cleaned_data["q"])
        log_personal_data(
            self.request, residents, reason=_("Finding who asked for disclosure or erasure")
        )
        return self.render_to_response(
            self.get_context_data(
                form=form, searched=True, residents=residents, volunteers=volunteers
            )
        )


class DisclosureForm(forms.Form):
    reference = forms.CharField(
        label=_("The request's reference"),
        max_length=200,
        help_text=_(
            "For example: disclosure request No. 12 of 2026, received by post on 1 December, "
            "identity checked with a My Number card."
        ),
    )
    output = forms.ChoiceField(
        label=_("Give it as"),
        choices=[("page", _("A page to print")), ("xlsx", _("A file (Excel)"))],
        widget=forms.RadioSelect,
        initial="page",
    )


class _DisclosureView(CityStaffView, FormView):
    """Asks for the request's reference, then gives everything held about the person
    as a printable page or an XLSX file; each is logged (what: disclosed; why: the
    reference)."""

    form_class = DisclosureForm
    template_name = "volunteers/admin/disclosure_form.html"
    header_icon = "lock"

    def disclosure(self) -> Disclosure:
        raise NotImplementedError

    def log(self, reference: str) -> None:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return super().get_context_data(submit_label=_("Produce"), **kwargs)

    def form_valid(self, form):
        self.log(form.cleaned_data["reference"])
        disclosure = self.disclosure()
        if form.cleaned_data["output"] == "xlsx":
            # Sheets of rows with their headings; dates stay date cells.
            workbook = xlsx_workbook_bytes(
                (section.title, [section.columns, *section.rows]) for section in disclosure.sections
            )
            return self.file_response(workbook)
        return render(
            self.request,
            "volunteers/disclosure_print.html",
            {"disclosure": disclosure, "reference": form.cleaned_data["reference"]},
        )

    def file_response(self, workbook: bytes):
        response = HttpResponse(workbook, content_type=XLSX_CONTENT_TYPE)
        stamp = timezone.localtime().strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f'attachment; filename="disclosure-{self.kind}-{self.pk}-{stamp}.xlsx"'
        )
        return response


class ResidentDisclosureView(_DisclosureView):
    kind = "resident"

    def load(self, pk):
        self.pk = pk
        self.resident = get_object_or_404(
            Resident.objects.select_related("district", "user"), pk=pk, anonymised_at__isnull=True
        )

    def get_page_title(self):
        return _("Disclosure: %(name)s") % {"name": self.resident.full_name}

    def disclosure(self):
        return resident_disclosure(self.resident)

    def log(self, reference):
        log_personal_data(
            self.request,
            [self.resident],
            action=PersonalDataAccess.Action.DISCLOSE,
            reason=reference,
        )


class VolunteerDisclosureView(_DisclosureView):
    kind = "volunteer"

    def load(self, pk):
        self.pk = pk
        self.volunteer = get_object_or_404(
            User, pk=pk, volunteer_profile__anonymised_at__isnull=True
        )

    def get_page_title(self):
        return _("Disclosure: %(name)s") % {"name": self.volunteer.get_full_name()}

    def disclosure(self):
        return volunteer_disclosure(self.volunteer)

    def log(self, reference):
        log_personal_data(
            self.request,
            subjects=[self.volunteer],
            action=PersonalDataAccess.Action.DISCLOSE,
            reason=reference,
        )


class ErasureForm(forms.Form):
    reference = forms.CharField(
        label=_("The request's reference"),
        max_length=200,
        help_text=_("For example: erasure request No. 3 of 2026, identity checked in person."),
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."), required=True)


class _ErasureView(ConfirmActionView):
    """What erasing does, what still needs the details (then the button is refused
    with every reason), and a reference for the log."""

    form_class = ErasureForm
    template_name = "volunteers/admin/erase.html"
    header_icon = "bin"
    roles = (Role.CITY_STAFF,)
    error_field = "reference"

    def get_success_url(self):
        return reverse("aid_personal_data")

    def get_context_data(self, **kwargs):
        return super().get_context_data(submit_label=_("Erase"), **kwargs)

    def resource(self) -> str:
        return f"{self.request.resolver_match.view_name} {self.request.path}"

    def get_success_message(self, result):
        return _("Their details have been erased. Their records stay, without the person.")


class ResidentErasureView(_ErasureView):
    def load(self, pk):
        self.resident = get_object_or_404(Resident, pk=pk, anonymised_at__isnull=True)

    def get_page_title(self):
        return _("Erase the details of %(name)s") % {"name": self.resident.full_name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(blockers=resident_erasure_blockers(self.resident), **kwargs)

    def act(self, form):
        return resident_erase(
            resident=self.resident,
            actor=self.request.user,
            reason=form.cleaned_data["reference"],
            resource=self.resource(),
        )


class VolunteerErasureView(_ErasureView):
    def load(self, pk):
        self.volunteer = get_object_or_404(
            User, pk=pk, volunteer_profile__anonymised_at__isnull=True
        )

    def get_page_title(self):
        return _("Erase the details of %(name)s") % {"name": self.volunteer.get_full_name()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            blockers=volunteer_erasure_blockers(self.volunteer), **kwargs
        )

    def act(self, form):
        return volunteer_erase(
            user=self.volunteer,
            actor=self.request.user,
            reason=form.cleaned_data["reference"],
            resource=self.resource(),
        )


__all__ = [
    "PersonalDataRequestsView",
    "ResidentDisclosureView",
    "ResidentErasureView",
    "ResidentLeaveView",
    "ResidentReturnView",
    "VolunteerDisclosureView",
    "VolunteerErasureView",
    "VolunteerLeaveView",
    "VolunteerReturnView",
]
