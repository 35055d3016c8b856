"""Recording a resident's consent (or its withdrawal) and a volunteer's signed paper
pledge: coordinators, from the resident's and the volunteer's pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import FormView

from accounts.models import Role, User
from core.admin import GuardedViewMixin
from core.admin_views import ConfirmActionView
from volunteers.admin.base import CoordinatorView
from volunteers.models import ConsentRecord, PledgeRecord, Resident, Wording
from volunteers.selectors.consent import wording_current
from volunteers.services.consent import consent_record, pledge_accept, wording_publish


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ConsentRecord.Decision.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(
        label=_("How it was given"),
        choices=ConsentRecord.Method.choices,
        widget=forms.RadioSelect,
        initial=ConsentRecord.Method.PHONE,
    )
    note = forms.CharField(label=pgettext_lazy("memo", "Note"), max_length=300, required=False)


class ResidentConsentView(CoordinatorView, FormView):
    """Read the wording to the resident (on the phone, or hand over the paper), then
    record what they said."""

    form_class = ConsentForm
    template_name = "volunteers/admin/consent.html"
    header_icon = "user"

    def load(self, pk):
        self.resident = get_object_or_404(Resident, pk=pk)

    def get_page_title(self):
        return _("Consent to sharing: %(name)s") % {"name": self.resident.full_name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            resident=self.resident,
            wording=wording_current(Wording.Kind.CONSENT),
            submit_label=_("Record"),
            **kwargs,
        )

    def form_valid(self, form):
        record = consent_record(
            resident=self.resident, actor=self.request.user, **form.cleaned_data
        )
        messages.success(
            self.request, _("Recorded: %(what)s.") % {"what": record.get_decision_display()}
        )
        return redirect("aid_resident", pk=self.resident.pk)


class PaperPledgeView(ConfirmActionView):
    """A coordinator records that the volunteer signed the paper pledge (the wording in
    force, printed from this page)."""

    template_name = "volunteers/admin/pledge_paper.html"
    header_icon = "doc-full"
    roles = (Role.COORDINATOR,)

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk, volunteer_profile__isnull=False)

    def get_page_title(self):
        return _("Confidentiality pledge: %(name)s") % {"name": self.volunteer.get_full_name()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            volunteer=self.volunteer,
            wording=wording_current(Wording.Kind.PLEDGE),
            print_url=reverse("aid_volunteer_pledge_print", args=[self.volunteer.pk]),
            **kwargs,
        )

    def act(self, form):
        return pledge_accept(
            volunteer=self.volunteer, actor=self.request.user, method=PledgeRecord.Method.PAPER
        )

    def get_success_message(self, result):
        return _("Recorded: the signed pledge (version %(version)s).") % {
            "version": result.wording.version
        }

    def get_success_url(self):
        return reverse("aid_volunteer", args=[self.volunteer.pk])


class PaperPledgePrintView(GuardedViewMixin, View):
    """The pledge in force on A4 paper, with the volunteer's name and lines for the
    date and their signature (coordinators only): the back-office page itself prints
    with Wagtail's menu over the wording."""

    roles = (Role.COORDINATOR,)

    def load(self, pk):
        self.volunteer = get_object_or_404(User, pk=pk, volunteer_profile__isnull=False)

    def get(self, request, *args, **kwargs):
        return render(
            request,
            "volunteers/pledge_print.html",
            {"volunteer": self.volunteer, "wording": wording_current(Wording.Kind.PLEDGE)},
        )


class WordingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Which wording"), choices=Wording.Kind.choices)
    text = forms.CharField(label=_("New wording"), widget=forms.Textarea(attrs={"rows": 6}))


class WordingsView(CoordinatorView, FormView):
    """City staff read the wordings in force and publish a new version. A new pledge
    is accepted again by every volunteer before their next offer."""

    roles = (Role.CITY_STAFF,)
    form_class = WordingForm
    template_name = "volunteers/admin/wordings.html"
    page_title = _("Consent and pledge wordings")
    header_icon = "doc-full"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            wordings=[wording_current(kind) for kind in Wording.Kind.values],
            submit_label=_("Publish as a new version"),
            **kwargs,
        )

    def form_valid(self, form):
        wording = wording_publish(actor=self.request.user, **form.cleaned_data)
        messages.success(
            self.request,
            _("Published: %(wording)s. It is in force from now on.") % {"wording": wording},
        )
        return redirect("aid_wordings")
