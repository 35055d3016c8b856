"""What the pages with their own handling do with a request: the submit route of a
proposal call, its public hearings notice and published results, and the volunteer
sign-up page. The page models call these from their
route and ``serve`` (importing them when called), so the models import no view module.

Thin: a rate limit, a form, one service call, a template; domain errors become field
errors, never a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cms import selectors
from cms.exceptions import CallClosed
from cms.forms import BudgetLineFormSet, ProposalForm, VolunteerSignupForm
from cms.services.applications import volunteer_application_submit
from cms.services.proposals import BudgetLine, proposal_submit
from core import ratelimit
from core.clientip import client_key
from core.errors import DomainError

SUBMIT_PERIOD = 3600


def _client_keys(prefix: str, request) -> list[str]:
    # The user when signed in, else the client's address behind trusted proxies.
    return [client_key(prefix, request)]


def call_hearings_view(request, *, call):
    """The public notice of a call's upcoming hearings (公開ヒアリング・審査会): date,
    time, place, and of a proposal heard only its group's name and project title."""
    context = {"page": call, "self": call, "hearings": selectors.hearings_upcoming(call)}
    return render(request, "cms/call_hearings.html", context)


def call_results_view(request, *, call):
    """The call's published results; before city staff publish them, only a line
    saying they are not published yet."""
    context = {"page": call, "self": call, "results": selectors.call_results(call)}
    return render(request, "cms/call_results.html", context)


def proposal_submit_view(request, *, call):
    """The submission form of a call (signed-in users only)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = ProposalForm(request.POST or None, request.FILES or None)
    budget = BudgetLineFormSet(request.POST or None, prefix="budget")
    context = {"page": call, "self": call, "is_open": call.is_open(), "form": form}
    context["budget"] = budget
    if not context["is_open"]:
        if request.method == "POST":  # refused before anything is read or stored
            form.add_error(None, str(CallClosed.default_message))
            return render(request, "cms/proposal_form.html", context, status=CallClosed.http_status)
        return render(request, "cms/proposal_form.html", context)
    if request.method != "POST":
        return render(request, "cms/proposal_form.html", context)

    keys = _client_keys("proposal-submit", request)
    if ratelimit.blocked(keys, limit=settings.PROPOSAL_SUBMIT_LIMIT, period=SUBMIT_PERIOD):
        form.add_error(None, _("Too many submissions. Please try again later."))
        return render(request, "cms/proposal_form.html", context, status=429)
    if not (form.is_valid() and budget.is_valid()):
        if "website" in form.errors:  # a bot filled the honeypot: count it too
            ratelimit.record_failure(keys, period=SUBMIT_PERIOD)
        return render(request, "cms/proposal_form.html", context, status=400)
    lines = [
        BudgetLine(item=d["item"], amount_yen=d["amount_yen"], note=d.get("note", ""))
        for d in budget.cleaned_data
        if d and not d.get("DELETE")
    ]
    try:
        proposal = proposal_submit(
            call=call,
            applicant=request.user,
            fields=form.cleaned_data,
            budget_lines=lines,
            attachments=form.cleaned_data["attachments"],
            submission_key=form.cleaned_data.get("submission_key"),
        )
    except DomainError as error:
        form.add_error(error.field, str(error.message))
        return render(request, "cms/proposal_form.html", context, status=error.http_status)
    ratelimit.record_failure(keys, period=SUBMIT_PERIOD)  # counts submissions
    messages.success(
        request,
        _("Your proposal %(ref)s has been received. A confirmation email is on its way.")
        % {"ref": proposal.reference},
    )
    return redirect("my-proposals")


# --- Volunteer sign-up --------------------------------------------------------------


def volunteer_signup_view(request, *, page):
    form = VolunteerSignupForm(request.POST or None)
    context = {"page": page, "self": page, "form": form}
    if request.method == "POST":
        keys = _client_keys("volunteer-signup", request)
        if ratelimit.blocked(keys, limit=settings.VOLUNTEER_SIGNUP_LIMIT, period=SUBMIT_PERIOD):
            form.add_error(None, _("Too many submissions. Please try again later."))
            return render(request, "cms/volunteer_signup_page.html", context, status=429)
        if not form.is_valid():
            if "website" in form.errors:
                ratelimit.record_failure(keys, period=SUBMIT_PERIOD)
            return render(request, "cms/volunteer_signup_page.html", context, status=400)
        try:
            volunteer_application_submit(fields=form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field, str(error.message))
            return render(request, "cms/volunteer_signup_page.html", context, status=422)
        ratelimit.record_failure(keys, period=SUBMIT_PERIOD)
        context["submitted"] = True
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(request, "cms/volunteer_signup_page.html", context)
