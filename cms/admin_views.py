"""Back-office views of the public site (Wagtail admin): reviewing a proposal (with
the reviewers' scoring sheets), a reviewer's own scoring sheet, publishing a call's
results, entering a proposal received on paper, choosing an association's editors and deciding
a volunteer application. Thin: a form, one service call."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.models import Role
from accounts.onboarding import role_setup_url_name
from cms.forms import (
    AssociationEditorsForm,
    BudgetLineFormSet,
    PaperProposalForm,
    ResultsPublishForm,
    ScoreSheetForm,
    TransitionForm,
)
from cms.models import (
    DistrictAssociationPage,
    Proposal,
    ProposalCallPage,
    ProposalStatus,
    VolunteerApplication,
)
from cms.selectors import (
    association_editors,
    call_criteria,
    proposal_next_statuses,
    proposal_score_summary,
    score_sheet_of,
)
from cms.services.applications import volunteer_application_approve, volunteer_application_reject
from cms.services.associations import association_editors_set
from cms.services.calls import proposal_call_close
from cms.services.decisions import (
    DECIDED,
    CriterionScore,
    call_results_publish,
    score_sheet_save,
)
from cms.services.proposals import BudgetLine, proposal_paper_enter, proposal_transition
from core.admin import GuardedViewMixin
from core.admin_views import ConfirmActionView
from core.errors import DomainError


class ProposalReviewView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """The whole proposal (budget, attachments, history) and the next review step."""

    template_name = "cms/admin/proposal_review.html"
    page_title = _("Review a proposal")
    header_icon = "doc-full"
    roles = (Role.CITY_STAFF,)

    def load(self, pk):
        self.proposal = get_object_or_404(
            Proposal.objects.select_related("call", "applicant", "entered_by").prefetch_related(
                "budget_lines", "attachments", "history__actor", "hearings"
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
            scoring=proposal_score_summary(self.proposal),
            can_score=self.proposal.status not in DECIDED,
            score_url=reverse("cms_proposal_score", args=[self.proposal.pk]),
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


class ProposalScoreView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """The signed-in reviewer's own scoring sheet of a proposal (1-5 per criterion of
    the call, with comments), editable until the proposal is decided."""

    template_name = "cms/admin/score_sheet.html"
    page_title = _("Scoring sheet")
    header_icon = "tasks"
    roles = (Role.CITY_STAFF,)

    def load(self, pk):
        self.proposal = get_object_or_404(Proposal.objects.select_related("call"), pk=pk)

    def get_form(self, form_class=None):
        return ScoreSheetForm(
            self.request.POST or None,
            criteria=call_criteria(self.proposal.call),
            sheet=score_sheet_of(proposal=self.proposal, reviewer=self.request.user),
        )

    def get_page_subtitle(self):
        return str(self.proposal)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            proposal=self.proposal,
            action_url=reverse("cms_proposal_score", args=[self.proposal.pk]),
            review_url=reverse("cms_proposal_review", args=[self.proposal.pk]),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            score_sheet_save(
                proposal_id=self.proposal.pk,
                reviewer=self.request.user,
                scores=[CriterionScore(*item) for item in form.scores()],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("Your scoring sheet was saved."))
        return redirect("cms_proposal_review", pk=self.proposal.pk)


class CallResultsPublishView(ConfirmActionView):
    """Publish a call's results (confirm, then POST): its public results page then
    lists the accepted proposals. A refusal (the call still open) shows above the form:
    it is about the call, not the remarks."""

    form_class = ResultsPublishForm
    template_name = "core/admin/form.html"
    page_title = _("Publish the results")
    header_icon = "globe"
    roles = (Role.CITY_STAFF,)
    error_field = NON_FIELD_ERRORS
    success_message = _("The results of the call were published.")

    def load(self, pk):
        self.call = get_object_or_404(ProposalCallPage, pk=pk)

    def get_page_subtitle(self):
        return self.call.title

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("cms_call_results_publish", args=[self.call.pk]),
            submit_label=_("Publish the results"),
            summary=_(
                "The call's public results page will list the accepted proposals (group "
                "name, title and purpose) and the number of proposals received and not "
                "accepted. Nothing else about the proposals that were not accepted is "
                "shown. Publication cannot be undone here."
            ),
            **kwargs,
        )

    def act(self, form):
        return call_results_publish(
            call_id=self.call.pk, actor=self.request.user, remarks=form.cleaned_data["remarks"]
        )

    def get_success_url(self):
        return reverse("wagtailadmin_explore", args=[self.call.get_parent().pk])


class ProposalPaperEnterView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """City staff enter a proposal handed in on paper, with its scans; it then waits
    in the review list like an online one."""

    template_name = "cms/admin/paper_proposal_form.html"
    page_title = _("Enter a proposal received on paper")
    header_icon = "doc-full"
    roles = (Role.CITY_STAFF,)

    def get_form(self, form_class=None):
        if self.request.method == "POST":
            return PaperProposalForm(self.request.POST, self.request.FILES)
        return PaperProposalForm()

    def get_context_data(self, **kwargs):
        data = self.request.POST if self.request.method == "POST" else None
        kwargs.setdefault("budget", BudgetLineFormSet(data, prefix="budget"))
        return super().get_context_data(
            action_url=reverse("cms_proposal_paper"), submit_label=_("Save"), **kwargs
        )

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        budget = BudgetLineFormSet(request.POST, prefix="budget")
        if not (form.is_valid() and budget.is_valid()):
            return self._invalid(form, budget, status=400)
        data = form.cleaned_data
        lines = [
            BudgetLine(item=d["item"], amount_yen=d["amount_yen"], note=d.get("note", ""))
            for d in budget.cleaned_data
            if d
        ]
        try:
            proposal = proposal_paper_enter(
                call=data["call"],
                entered_by=request.user,
                fields=data,
                received_on=data["received_on"],
                budget_lines=lines,
                attachments=data["attachments"],
                contact=data["contact"],
                submission_key=data.get("submission_key"),
            )
        except DomainError as error:
            form.add_error(error.field, str(error.message))
            return self._invalid(form, budget, status=error.http_status)
        messages.success(
            request,
            _("Paper proposal %(ref)s entered; it now waits for review.")
            % {"ref": proposal.reference},
        )
        return redirect("cms_proposal_review", pk=proposal.pk)

    def _invalid(self, form, budget, *, status):
        context = self.get_context_data(form=form, budget=budget)
        return self.render_to_response(context, status=status)


class ProposalCallCloseView(ConfirmActionView):
    """Close a call for proposals in one step (confirm, then POST). A refusal shows on
    the form."""

    template_name = "core/admin/form.html"
    page_title = _("Close the call")
    header_icon = "lock"
    roles = (Role.CITY_STAFF,)
    error_field = NON_FIELD_ERRORS
    success_message = _("The call for proposals is closed.")

    def load(self, pk):
        self.call = get_object_or_404(ProposalCallPage, pk=pk)

    def get_page_subtitle(self):
        return self.call.title

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("cms_call_close", args=[self.call.pk]),
            submit_label=_("Close now"),
            summary=_(
                "The call stops accepting proposals now (its window ends now). The page "
                "stays published and says the call is closed; proposals already received "
                "stay in review."
            ),
            **kwargs,
        )

    def act(self, form):
        return proposal_call_close(call_id=self.call.pk, actor=self.request.user)

    def get_success_url(self):
        return reverse("wagtailadmin_explore", args=[self.call.get_parent().pk])


class AssociationEditorsView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """City staff choose who may edit one association's pages (its editors' group)."""

    template_name = "core/admin/form.html"
    page_title = _("Association editors")
    header_icon = "group"
    roles = (Role.CITY_STAFF,)

    def load(self, pk):
        self.page = get_object_or_404(
            DistrictAssociationPage.objects.select_related("district"), pk=pk
        )

    def get_form(self, form_class=None):
        initial = {"editors": list(association_editors(self.page))}
        # Bound on every POST: no box ticked (no editors) is an empty POST.
        data = self.request.POST if self.request.method == "POST" else None
        return AssociationEditorsForm(data, initial=initial)

    def get_page_subtitle(self):
        return self.page.title

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("cms_association_editors", args=[self.page.pk]),
            submit_label=_("Save editors"),
            summary=_(
                "The people chosen may add, edit and publish this association's page, "
                "events and news, and no other association's."
            ),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            association_editors_set(
                page_id=self.page.pk,
                editor_ids=[user.pk for user in form.cleaned_data["editors"]],
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(error.field, str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("The association's editors were saved."))
        return redirect("wagtailadmin_explore", self.page.get_parent().pk)


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
