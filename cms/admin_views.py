"""Back-office views of the public site (Wagtail admin): reviewing a proposal and
deciding a volunteer application. Thin: a form, one service call."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.models import Role
from accounts.onboarding import role_setup_url_name
from cms.forms import TransitionForm
from cms.models import Proposal, ProposalStatus, VolunteerApplication
from cms.selectors import proposal_next_statuses
from cms.services.applications import volunteer_application_approve, volunteer_application_reject
from cms.services.proposals import proposal_transition
from core.admin import GuardedViewMixin
from core.errors import DomainError


class ProposalReviewView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """The whole proposal (budget, attachments, history) and the next review step."""

    template_name = "cms/admin/proposal_review.html"
    page_title = _("Review a proposal")
    header_icon = "doc-full"
    roles = (Role.CITY_STAFF,)

    def load(self, pk):
        self.proposal = get_object_or_404(
            Proposal.objects.select_related("call", "applicant").prefetch_related(
                "budget_lines", "attachments", "history__actor"
            ),
            pk=pk,
        )

    def get_form(self, form_class=None):
        choices = [
            (value, ProposalStatus(value).label)
            for value in proposal_next_statuses(self.proposal.status)
        ]
        return TransitionForm(self.request.POST or None, choices=choices)

    def get_page_subtitle(self):
        return str(self.proposal)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            proposal=self.proposal,
            action_url=reverse("cms_proposal_review", args=[self.proposal.pk]),
            submit_label=_("Record this step"),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            proposal_transition(
                proposal_id=self.proposal.pk,
                to=form.cleaned_data["to_status"],
                actor=self.request.user,
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("The proposal's status was updated."))
        return redirect("cms_proposal_review", pk=self.proposal.pk)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve: create the volunteer's account")),
            ("reject", _("Do not accept")),
        ],
        widget=forms.RadioSelect,
    )


class VolunteerApplicationDecideView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """A coordinator approves (account + volunteer role) or rejects an application."""

    form_class = DecisionForm
    template_name = "core/admin/form.html"
    page_title = _("Volunteer application")
    header_icon = "user"
    roles = (Role.COORDINATOR,)

    def load(self, pk):
        self.application = get_object_or_404(VolunteerApplication, pk=pk)

    def get_page_subtitle(self):
        return str(self.application)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("cms_volunteer_application_decide", args=[self.application.pk]),
            submit_label=_("Save decision"),
            summary=self.application.message,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            if form.cleaned_data["decision"] == "approve":
                user = volunteer_application_approve(
                    application_id=self.application.pk, actor=self.request.user
                )
                messages.success(
                    self.request,
                    _(
                        "Approved: the volunteer's account is ready and they are emailed how "
                        "to sign in. Add what they can help with, when, and their insurance."
                    ),
                )
                # The volunteer's page in the mutual-aid centre, where the profile
                # set up on approval is completed (registered by that app).
                url_name = role_setup_url_name(Role.VOLUNTEER)
                if url_name:
                    return redirect(url_name, pk=user.pk)
            else:
                volunteer_application_reject(
                    application_id=self.application.pk, actor=self.request.user
                )
                messages.success(self.request, _("The application was rejected."))
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        return redirect("volunteer_applications:index")
