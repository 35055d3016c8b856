"""Public-site views outside the page tree: calendar feeds, search, /me/proposals/ and
attachment downloads (the display switches are core.display's). Thin: one selector or
service call and a template; domain errors become messages, never a 500. The form
handling of the pages that take input is in :mod:`cms.page_handlers`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from accounts.mfa import back_office_mfa_response
from accounts.models import Role
from cms import selectors
from cms.calendars import calendar_build
from cms.models import DistrictAssociationPage, EventPage, ProposalAttachment
from cms.services.proposals import proposal_withdraw
from core import site
from core.db import replica_reads_when_anonymous
from core.errors import DomainError

SEARCH_PAGE_SIZE = 10
FEED_MAX_AGE = 300


# --- Calendars ----------------------------------------------------------------------


def calendar_response(request, *, events, name: str, filename: str) -> HttpResponse:
    body = calendar_build(
        events,
        host=site.hostname(),
        name=name,
        url_for=lambda event: site.absolute_url(event.url or ""),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Calendar apps poll feeds; a few minutes' staleness is fine and spares the server
    # (a feed of 1,000 events takes about half a second to build, see bench_events).
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    return response


@replica_reads_when_anonymous
@require_GET
def events_ics(request):
    """Every district's events (upcoming, and the last month's) as one feed."""
    return calendar_response(
        request,
        events=selectors.events_for_calendar(),
        name=site.site_name(),
        filename="events.ics",
    )


@replica_reads_when_anonymous
@require_GET
def district_events_ics(request, code: str):
    """One association's events (by its district's code)."""
    association = get_object_or_404(
        DistrictAssociationPage.objects.live().public(), district__code=code
    )
    return calendar_response(
        request,
        events=selectors.events_for_calendar(district=association.district_id),
        name=association.title,
        filename=f"{code}.ics",
    )


@replica_reads_when_anonymous
@require_GET
def event_ics(request, pk: int):
    """One event as an .ics file to add to a calendar."""
    event = get_object_or_404(EventPage.objects.live().public(), pk=pk)
    return calendar_response(request, events=[event], name=event.title, filename=f"event-{pk}.ics")


# --- Search and preferences ---------------------------------------------------------


@require_GET
def search(request):
    # PostgreSQL text cannot hold NUL characters: drop them rather than fail.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    results = selectors.pages_search(query) if query else Page.objects.none()
    page = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cms/search.html", {"query": query, "results_page": page})


# --- Collaboration proposals --------------------------------------------------------


@login_required
@require_GET
def my_proposals(request):
    return render(
        request, "cms/my_proposals.html", {"proposals": selectors.proposals_of(request.user)}
    )


@login_required
@require_POST
def my_proposal_withdraw(request, pk: int):
    try:
        proposal_withdraw(
            proposal_id=pk, applicant=request.user, comment=request.POST.get("comment", "")
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Your proposal has been withdrawn."))
    return redirect("my-proposals")


@login_required
@require_GET
def proposal_attachment(request, pk: int):
    """Stream an attachment to its applicant or to city staff (who must have passed
    MFA in this session, ``accounts.mfa``); 404 for anyone else (so a guessed id
    reveals nothing)."""
    attachment = get_object_or_404(ProposalAttachment.objects.select_related("proposal"), pk=pk)
    user = request.user
    if attachment.proposal.applicant_id != user.pk:
        if not user.acts_as(Role.CITY_STAFF):
            raise Http404
        denial = back_office_mfa_response(request)
        if denial is not None:
            return denial
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Cache-Control"] = "private, no-store"
    return response
