"""The activity log in the back office: the review queue, paper sign-in entry, and
reprinting a place's poster."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import FormView
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from accounts.models import Role, User
from core.admin import GuardedViewMixin
from core.admin_views import ConfirmActionView
from core.errors import DomainError
from core.exports import LocalisedExportMixin
from core.formats import local_datetime
from volunteers.models import Activity, Place
from volunteers.selectors.activity import REEVALUABLE_REASON, review_queue
from volunteers.selectors.training import TRAINING_REASON, trainings_of
from volunteers.services.activity import (
    activity_approve,
    activity_record,
    activity_reevaluate,
    activity_reject,
)
from volunteers.services.places import place_reprint

#: Dates typed into the back office are refused before this (a slip like year 0001
#: would otherwise reach date arithmetic that cannot handle it).
EARLIEST_DAY = dt.date(2000, 1, 1)


def _check_day(day: dt.date) -> None:
    if day < EARLIEST_DAY:
        raise forms.ValidationError(
            _("Enter a date from %(year)s onwards.") % {"year": EARLIEST_DAY.year}
        )
    if day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))


REVIEW_REASONS = {
    "too_long": _("Longer than plausible for the place"),
    "overlap": _("Overlaps another activity"),
    "forgotten_checkout": _("Check-out forgotten; closed automatically"),
    "unconfirmed": _("Self check-in that no host staff confirmed"),
    REEVALUABLE_REASON: _("No points for want of a date of birth, now recorded"),
    TRAINING_REASON: _("No points for want of training, now attended"),
}


def _review_links(activity: Activity):
    if activity.status == Activity.Status.NO_POINTS:
        url, label = reverse("activity_reevaluate", args=[activity.pk]), _("Re-evaluate")
    else:
        url, label = reverse("activity_review", args=[activity.pk]), _("Review")
    return format_html('<a class="button button-small" href="{}">{}</a>', url, label)


class ReviewQueueView(LocalisedExportMixin, ReportView):
    """Activities waiting for a coordinator before their points are credited."""

    model = Activity
    permission_required = "change"
    page_title = _("Activities to review")
    header_icon = "warning"
    index_url_name = "activity_review_queue"
    index_results_url_name = "activity_review_queue_results"
    columns = [
        Column("volunteer", label=_("Volunteer")),
        Column("place", label=_("Place")),
        Column(
            "started_at",
            label=pgettext_lazy("activity time", "Checked in"),
            accessor=lambda a: local_datetime(a.started_at),
        ),
        Column(
            "ended_at",
            label=pgettext_lazy("activity time", "Checked out"),
            accessor=lambda a: local_datetime(a.ended_at),
        ),
        Column(
            "reason",
            label=_("Why"),
            accessor=lambda a: REVIEW_REASONS.get(a.review_reason, a.review_reason),
        ),
        Column("review", label="", accessor=_review_links),
    ]
    list_export = ["volunteer", "place", "started_at", "ended_at", "review_reason"]

    def get_queryset(self):
        return review_queue()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Credit the points")),
            ("reject", pgettext_lazy("activity review", "Reject")),
        ],
        widget=forms.RadioSelect,
    )
    ended_at = forms.DateTimeField(
        label=_("Correct check-out time (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(label=pgettext_lazy("memo", "Note"), required=False, max_length=300)

    def clean_ended_at(self):
        value = self.cleaned_data["ended_at"]
        if value is not None:
            _check_day(value.date())  # the local date as typed: no conversion to overflow
        return value


class ReviewView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    form_class = ReviewForm
    template_name = "volunteers/admin/review.html"
    page_title = _("Review activity")
    header_icon = "warning"
    permission = "volunteers.change_activity"

    def load(self, pk):
        self.activity = get_object_or_404(Activity, pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            activity=self.activity,
            reason=REVIEW_REASONS.get(self.activity.review_reason, self.activity.review_reason),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                activity_approve(
                    activity=self.activity, actor=self.request.user, ended_at=data["ended_at"]
                )
            else:
                activity_reject(
                    activity=self.activity, actor=self.request.user, reason=data["note"]
                )
        except DomainError as error:
            form.add_error(error.field, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("Review recorded."))
        return redirect("activity_review_queue")


class ReevaluateView(ConfirmActionView):
    """Apply the earning rule again to an activity that earned nothing because the
    volunteer's date of birth was unknown, now that it is recorded, or for want of
    training, now attended (one POST)."""

    template_name = "volunteers/admin/review.html"
    page_title = _("Re-evaluate the points")
    header_icon = "warning"
    permission = "volunteers.change_activity"

    def load(self, pk):
        self.activity = get_object_or_404(
            Activity.objects.select_related("volunteer", "place__earning_rule"), pk=pk
        )

    def get_context_data(self, **kwargs):
        activity = self.activity
        born = activity.volunteer.birth_date
        summary = ""
        if activity.review_reason == TRAINING_REASON:
            attended = trainings_of(activity.volunteer).first()
            if attended is not None:
                summary = _("Attended training: %(session)s.") % {"session": attended.session}
        elif born is not None:
            day = timezone.localtime(activity.started_at).date()
            summary = _("Date of birth %(born)s: %(age)s years old on the day.") % {
                "born": born.isoformat(),
                "age": activity.volunteer.age_on(day),
            }
        return super().get_context_data(
            activity=activity,
            reason=REVIEW_REASONS.get(activity.review_reason, activity.review_reason),
            summary=summary,
            submit_label=_("Re-evaluate the points"),
            **kwargs,
        )

    def act(self, form):
        return activity_reevaluate(activity=self.activity, actor=self.request.user)

    def get_success_message(self, activity):
        if activity.status == Activity.Status.CREDITED:
            txn = activity.transaction
            return _("Re-evaluated: %(points)s points credited.") % {
                "points": txn.requested_points - txn.capped_points
            }
        if activity.review_reason == "under_age":
            return _("Re-evaluated: no points, the volunteer was under the minimum age.")
        return _("Re-evaluated: no points.")

    def get_success_url(self):
        return reverse("activity_review_queue")


class ManualEntryForm(forms.Form):
    volunteer = forms.ModelChoiceField(
        label=_("Volunteer"),
        queryset=User.objects.filter(groups__name=Role.VOLUNTEER).distinct(),
    )
    place = forms.ModelChoiceField(label=_("Place"), queryset=Place.objects.filter(active=True))
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=pgettext_lazy("time", "From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        _check_day(day)
        return day


class ManualEntryView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """Coordinators type in activities from paper sign-in sheets (actor recorded)."""

    form_class = ManualEntryForm
    template_name = "core/admin/form.html"
    page_title = _("Enter an activity from a sign-in sheet")
    header_icon = "form"
    roles = (Role.COORDINATOR,)

    def form_valid(self, form):
        data = form.cleaned_data
        zone = timezone.get_default_timezone()
        try:
            activity = activity_record(
                volunteer=data["volunteer"],
                place=data["place"],
                started_at=dt.datetime.combine(data["day"], data["start"], tzinfo=zone),
                ended_at=dt.datetime.combine(data["day"], data["end"], tzinfo=zone),
                recorded_by=self.request.user,
            )
        except DomainError as error:
            form.add_error(None if error.field is None else "end", str(error.message))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Activity recorded: %(status)s.") % {"status": activity.get_status_display()},
        )
        return redirect("activity_manual_entry")


class ReprintView(ConfirmActionView):
    """Revoke a place's printed posters and open the new one for printing."""

    template_name = "volunteers/admin/reprint.html"
    page_title = _("Reprint poster")
    header_icon = "doc-full"
    permission = "volunteers.change_place"

    def load(self, pk):
        self.place = get_object_or_404(Place, pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(place=self.place, **kwargs)

    def act(self, form):
        return place_reprint(place=self.place)

    def get_success_url(self):
        return reverse("place-poster", kwargs={"pk": self.place.pk})
