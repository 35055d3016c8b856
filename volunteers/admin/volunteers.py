"""A volunteer's page (profile and history), the check-in card and its reissue, days
away, and registering a volunteer who has no smartphone."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from accounts.forms import BirthDateField
from accounts.models import Role, User
from accounts.services import role_grant, user_create_without_login
from core.admin import GuardedViewMixin
from core.admin_views import ConfirmActionView
from core.errors import DomainError
from volunteers.admin.base import CoordinatorView
from volunteers.cards import card_context
from volunteers.forms import AwayForm, ProfileForm
from volunteers.models import Assignment, InsuranceEnrolment, VolunteerProfile
from volunteers.selectors.consent import pledge_current
from volunteers.selectors.personal_data import erasure_date
from volunteers.selectors.profiles import upcoming_exceptions
from volunteers.services.places import card_reissue
from volunteers.services.profiles import (
    availability_exception_add,
    availability_exception_remove,
    volunteer_profile_save,
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

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if InsuranceEnrolment.objects.filter(volunteer=self.volunteer).exists():
            # Kept by the enrolments (volunteers.services.insurance), not typed here.
            field = form.fields["insurance_valid_until"]
            field.disabled = True
            field.help_text = _("Follows the insurance enrolments (Volunteer activity insurance).")
        return form

    def get_initial(self):
        return ProfileForm.initial_for(self.profile, self.volunteer)

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
            pledge=pledge_current(self.volunteer),
            erase_on=erasure_date(self.profile.left_on if self.profile else None, resident=False),
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
                birth_date=data["birth_date"],
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


class VolunteerCardReissueView(ConfirmActionView):
    """Confirm, then (POST) revoke the volunteer's old card and print the new one."""

    template_name = "volunteers/admin/card_reissue.html"
    header_icon = "doc-full"
    roles = (Role.COORDINATOR,)
    success_message = _("A new card has been issued; the old card no longer works.")

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk, groups__name=Role.VOLUNTEER)

    def get_page_title(self):
        return _("Reissue check-in card: %(name)s") % {"name": self.volunteer.get_full_name()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(volunteer=self.volunteer, **kwargs)

    def act(self, form):
        return card_reissue(user=self.volunteer, actor=self.request.user)

    def get_success_url(self):
        return reverse("aid_volunteer_card", args=[self.volunteer.pk])

    def get_refused_url(self):
        return reverse("aid_volunteer", args=[self.volunteer.pk])


class VolunteerAwayView(CoordinatorView, FormView):
    """Mark a day away for a volunteer who phoned in (no smartphone), or take one
    back (a POST with ``remove``: the exception's id, from the volunteer's page)."""

    form_class = AwayForm
    template_name = "core/admin/form.html"
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
    birth_date = BirthDateField()


class VolunteerRegisterView(CoordinatorView, FormView):
    """Register a volunteer who has no smartphone (no login); then fill their profile."""

    form_class = VolunteerRegisterForm
    template_name = "core/admin/form.html"
    page_title = _("Register a volunteer")
    header_icon = "user"

    def form_valid(self, form):
        try:
            user = user_create_without_login(
                roles=(Role.VOLUNTEER,), actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        return redirect("aid_volunteer", pk=user.pk)


class VolunteerGrantView(ConfirmActionView):
    """Register someone who already has an account (a resident, a shop clerk) as a
    volunteer: the centre's decision, granted by a coordinator or city staff. Saving
    a profile never grants the role."""

    template_name = "volunteers/admin/volunteer_grant.html"
    header_icon = "user"
    roles = (Role.COORDINATOR, Role.CITY_STAFF)
    success_message = _("Registered as a volunteer. Fill in their profile next.")

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk)

    def get_page_title(self):
        return _("Register as a volunteer: %(name)s") % {"name": self.volunteer.get_full_name()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(volunteer=self.volunteer, **kwargs)

    def act(self, form):
        return role_grant(user=self.volunteer, role=Role.VOLUNTEER, actor=self.request.user)

    def get_success_url(self):
        return reverse("aid_volunteer", args=[self.volunteer.pk])
