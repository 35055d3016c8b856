"""The request page and its steps. The page (GET) shows the resident, offers and
assignment, ranked suggestions with reasons and a form per next step; each step posts
to its own URL and view, which calls one service and returns to the page with a
message (a refused step as an error message, never a 500)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from accounts.models import User
from core.errors import DomainError
from volunteers.admin.access_log import log_personal_data
from volunteers.admin.base import CoordinatorView
from volunteers.forms import CancelForm, ConfirmForm
from volunteers.models import Assignment, HelpRequest
from volunteers.selectors.consent import consent_in_force
from volunteers.selectors.profiles import suggest
from volunteers.services.help_requests import (
    assignment_awaits_training,
    assignment_confirm,
    assignment_finish,
    assignment_no_show,
    assignment_reevaluate,
    assignment_start,
    request_assign,
    request_cancel,
    request_offer,
)

CANCELLABLE = (
    HelpRequest.Status.REQUESTED,
    HelpRequest.Status.OFFERED,
    HelpRequest.Status.ASSIGNED,
)


class RecordTimeForm(forms.Form):
    """When the volunteer (who phoned in) started or finished; blank means now."""

    at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_at(self):
        moment = self.cleaned_data["at"]
        if moment is not None and moment > timezone.now():
            raise forms.ValidationError(_("Enter a time that has already come."))
        return moment


def confirm_initial(assignment: Assignment, category) -> tuple[dict, bool]:
    """The completion form's first values: the minutes between the recorded start and
    finish within the service hours, the fee for them as the cash received. When the
    recorded times give no minutes (both recorded at once, or outside the hours), the
    planned window's minutes instead (True: say so on the page)."""
    minutes = category.billable_minutes(assignment.started_at, assignment.finished_at)
    planned = minutes <= 0
    if planned:
        minutes = int((assignment.ends_at - assignment.starts_at).total_seconds() // 60)
    return {"minutes": minutes, "cash_received_yen": category.fee_for(minutes)}, planned


def record_initial(assignment: Assignment | None) -> dict:
    """The coordinator's start/finish forms: the planned time if it has come, else now."""
    if assignment is None:
        return {}
    planned = assignment.starts_at if assignment.status == Assignment.Status.ASSIGNED else None
    if assignment.status == Assignment.Status.IN_PROGRESS:
        planned = max(assignment.ends_at, assignment.started_at)
    now = timezone.now()
    moment = planned if planned is not None and planned <= now else now
    return {"at": timezone.localtime(moment).replace(second=0, microsecond=0)}


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

    def get(self, request, *args, **kwargs):
        log_personal_data(request, [self.help_request.resident])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        req = self.help_request
        assignment = Assignment.objects.filter(request=req).select_related("volunteer").first()
        open_steps = req.status in (HelpRequest.Status.REQUESTED, HelpRequest.Status.OFFERED)
        confirm_form = kwargs.pop("confirm_form", None)
        planned_minutes = False
        if assignment and assignment.status == Assignment.Status.DONE:
            initial, planned_minutes = confirm_initial(assignment, req.category)
            if confirm_form is None:
                confirm_form = ConfirmForm(initial=initial, category=req.category)
        return super().get_context_data(
            planned_minutes=planned_minutes,
            record_form=kwargs.pop("record_form", None)
            or RecordTimeForm(initial=record_initial(assignment)),
            req=req,
            assignment=assignment,
            offers=req.offers.select_related("volunteer").order_by("created_at"),
            suggestions=suggest(req, limit=15) if open_steps else [],
            open_steps=open_steps,
            consent_missing=open_steps and not consent_in_force(req.resident),
            confirm_form=confirm_form,
            awaits_training=assignment is not None
            and assignment_awaits_training(assignment, req.category.earning_rule),
            cancel_form=CancelForm(),
            can_cancel=req.status in CANCELLABLE,
            **kwargs,
        )


class RequestStepView(RequestView):
    """A step on the request page (POST only): :meth:`step` calls one service and
    says what it did; then back to the page. A refusal becomes an error message.
    Steps on the assignment (``needs_assignment``) find it first: a stale page whose
    request has none is told so."""

    http_method_names = ["post"]
    needs_assignment = False

    def step(self, request):
        """Do the step; return a response to send instead of going back, or None."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        if self.needs_assignment:
            self.assignment = Assignment.objects.filter(request=self.help_request).first()
            if self.assignment is None:
                # A stale page (e.g. the request was cancelled meanwhile): say so, no 500.
                messages.error(request, _("This request has no volunteer assigned."))
                return redirect("aid_request", pk=self.help_request.pk)
        try:
            response = self.step(request)
        except DomainError as error:
            messages.error(request, str(error.message))
            response = None
        return response or redirect("aid_request", pk=self.help_request.pk)


class RequestOfferView(RequestStepView):
    """Offer the request to the ticked volunteers."""

    def step(self, request):
        ids = [int(v) for v in request.POST.getlist("volunteers") if v.isdigit()]
        volunteers = User.objects.filter(pk__in=ids)
        offers = request_offer(
            help_request=self.help_request, volunteers=list(volunteers), actor=request.user
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


class RequestAssignView(RequestStepView):
    """Assign one volunteer at once (no offer round)."""

    def step(self, request):
        chosen = request.POST.get("volunteer", "")
        volunteer = get_object_or_404(User, pk=int(chosen) if chosen.isdigit() else 0)
        request_assign(help_request=self.help_request, volunteer=volunteer, actor=request.user)
        messages.success(request, _("%(name)s is assigned.") % {"name": volunteer.get_full_name()})


class RequestCancelView(RequestStepView):
    def step(self, request):
        form = CancelForm(request.POST)
        form.is_valid()
        request_cancel(
            help_request=self.help_request,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
        )
        messages.success(request, _("The request is cancelled."))


class AssignmentConfirmView(RequestStepView):
    """Confirm the finished work with its minutes and the cash received; an invalid
    form shows the request page again with its errors (400)."""

    needs_assignment = True

    def step(self, request):
        form = ConfirmForm(request.POST, category=self.help_request.category)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(confirm_form=form), status=400)
        assignment = assignment_confirm(
            assignment=self.assignment,
            actor=request.user,
            minutes=form.cleaned_data["minutes"],
            cash_received_yen=form.cleaned_data["cash_received_yen"],
            cash_note=form.cleaned_data["cash_note"],
        )
        messages.success(request, _("Confirmed. Fee: %(fee)s yen.") % {"fee": assignment.fee_yen})
        return None


# Start and finish are recorded for volunteers without a smartphone who phone in instead.


class AssignmentStartView(RequestStepView):
    """Record the start at the time the volunteer gives (blank: now); coordinators
    may record it outside the volunteer's own start window."""

    needs_assignment = True
    service = staticmethod(assignment_start)

    def step(self, request):
        form = RecordTimeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(record_form=form), status=400)
        self.service(assignment=self.assignment, actor=request.user, at=form.cleaned_data["at"])
        messages.success(request, _("Recorded for the volunteer."))


class AssignmentFinishView(AssignmentStartView):
    service = staticmethod(assignment_finish)


class AssignmentNoShowView(RequestStepView):
    needs_assignment = True

    def step(self, request):
        assignment_no_show(assignment=self.assignment, actor=request.user)
        messages.success(request, _("Recorded as a no-show."))


class AssignmentReevaluateView(RequestStepView):
    """Credit help confirmed before the volunteer attended the training its rule
    requires, now that they have."""

    needs_assignment = True

    def step(self, request):
        assignment = assignment_reevaluate(assignment=self.assignment, actor=request.user)
        messages.success(
            request,
            _("Re-evaluated: %(points)s points credited.")
            % {"points": assignment.transaction.requested_points},
        )
