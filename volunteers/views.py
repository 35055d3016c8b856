"""Pages for volunteers: QR check-in (the scan page, their activity and card, the
printable poster), their home, offers and assignments, profile and days away.
Thin: one service call each; refusals are shown, never a 500."""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.mfa import back_office_mfa_response
from accounts.models import Role
from core.errors import DomainError
from core.notify import line_linked, line_linking_available, line_refused_since, line_retry
from qr.render import svg
from volunteers.cards import card_context, scan_url
from volunteers.exceptions import (
    AlreadyCheckedIn,
    InvalidScan,
    NotVolunteer,
    SelfCheckInClosed,
    VolunteerRoleRequired,
)
from volunteers.forms import AwayForm, ProfileForm
from volunteers.models import (
    Assignment,
    InsuranceEnrolment,
    Offer,
    Place,
    VolunteerProfile,
    Wording,
)
from volunteers.selectors.activity import activities_of, awaiting_confirmation, open_activity
from volunteers.selectors.consent import pledge_current, wording_current
from volunteers.selectors.help_requests import (
    assignments_for,
    offers_for,
    requests_of_resident,
    resident_of,
    upcoming_assignments_for,
)
from volunteers.selectors.places import (
    kiosk_code,
    place_hosted,
    place_token,
    places_hosted_by,
    scan_resolve,
)
from volunteers.selectors.profiles import upcoming_exceptions
from volunteers.selectors.training import enrolments_of, trainings_of
from volunteers.services.activity import activities_confirm
from volunteers.services.consent import pledge_accept
from volunteers.services.help_requests import (
    assignment_finish,
    assignment_start,
    offer_accept,
    offer_decline,
    resident_details_open,
)
from volunteers.services.profiles import (
    availability_exception_add,
    availability_exception_remove,
    volunteer_profile_save,
)
from volunteers.services.scans import scan_request


@require_http_methods(["GET", "POST"])
def scan(request, token: str):
    """Where a poster's or card's QR code leads. A bad code is a 400 with the reason,
    before sign-in, and nothing is written. A poster at a card place refuses self
    check-in; at a kiosk place the form asks for the kiosk's code (filled in when the
    kiosk's own QR code was scanned)."""
    try:
        target = scan_resolve(token)
    except InvalidScan as error:
        return render(request, "volunteers/scan_invalid.html", {"error": error}, status=400)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    context = {"token": token, "target": target, "request_id": uuid.uuid4()}
    if target.volunteer is not None:  # a card: for host staff only
        hosted = list(places_hosted_by(request.user))
        if not hosted:
            raise PermissionDenied(_("Only host staff at a place can scan volunteer cards."))
        context["hosted"] = hosted
        subject = target.volunteer
    else:
        subject = request.user
        hosted = [target.place]
    error = None
    if not subject.acts_as(Role.VOLUNTEER):  # only volunteers are checked in and earn
        error = NotVolunteer("card" if target.volunteer is not None else "self")
    elif target.place is not None and target.place.presence == Place.Presence.CARD:
        error = SelfCheckInClosed()
    if error is not None:
        return render(request, "volunteers/scan_refused.html", {"error": error}, status=403)
    current = open_activity(subject)
    # Host staff see that a volunteer is checked in elsewhere, but not where.
    elsewhere = current is not None and current.place_id not in {p.pk for p in hosted}
    context.update(
        subject=subject,
        current=current,
        elsewhere=AlreadyCheckedIn.elsewhere_message if elsewhere else None,
        kiosk=target.place is not None and target.place.presence == Place.Presence.KIOSK,
        kiosk_code=request.POST.get("kiosk_code", request.GET.get("code", ""))[:20],
    )
    if request.method == "POST":
        return _scan_post(request, token, target, hosted, context)
    if current is not None and target.place is not None and current.place_id == target.place.pk:
        minutes = int((timezone.now() - current.started_at).total_seconds() // 60)
        context["minutes"] = minutes
        try:
            context["estimate"] = target.place.earning_rule.points_for(minutes)
        except DomainError:
            context["estimate"] = 0
    return render(request, "volunteers/scan.html", context)


def _scan_post(request, token, target, hosted, context):
    place = None
    if target.volunteer is not None:
        place = next((p for p in hosted if str(p.pk) == request.POST.get("place")), None)
    try:
        request_id = uuid.UUID(request.POST.get("request_id", ""))
    except ValueError:
        request_id = None
    try:
        action, activity = scan_request(
            token=token,
            user=request.user,
            place=place,
            kiosk_code=context["kiosk_code"],
            request_id=request_id,
        )
    except DomainError as error:
        context["error"] = error
        return render(request, "volunteers/scan.html", context, status=error.http_status)
    return render(
        request,
        "volunteers/scan_done.html",
        {"action": action, "activity": activity, "subject": context["subject"]},
    )


@login_required
def my_activity(request):
    page = Paginator(activities_of(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "volunteers/my_activity.html", {"page": page})


@login_required
def my_card(request):
    """The personal QR card, wallet size, for venue staff to scan (volunteers only:
    a card checks its owner in to earn points)."""
    if not request.user.acts_as(Role.VOLUNTEER):
        error = NotVolunteer("self")
        return render(request, "volunteers/scan_refused.html", {"error": error}, status=403)
    return render(request, "volunteers/my_card.html", card_context(request, request.user))


@login_required
def place_poster(request, pk: int):
    """A4 poster with the place's check-in QR code (host staff of the place, and
    coordinators, who must have passed MFA in this session: ``accounts.mfa``)."""
    place = get_object_or_404(Place, pk=pk)
    if not place.hosts.filter(pk=request.user.pk).exists():
        if not (request.user.is_superuser or request.user.has_role(Role.COORDINATOR)):
            raise PermissionDenied
        denial = back_office_mfa_response(request)
        if denial is not None:
            return denial
    url = scan_url(request, place_token(place))
    return render(
        request,
        "volunteers/poster.html",
        {
            "place": place,
            "url": url,
            "qr": svg(url, title=_("Check-in QR code of %(place)s") % {"place": place.name}),
        },
    )


# --- Volunteers: offers, assignments, profile (/me/) ---------------------------------


def volunteer_required(view):
    """Signed in and holding the volunteer role, else a 403 page saying how to become
    one (the role is granted by the centre, never taken by saving a profile)."""

    @login_required
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.acts_as(Role.VOLUNTEER):
            error = VolunteerRoleRequired()
            return render(request, "volunteers/not_volunteer.html", {"error": error}, status=403)
        return view(request, *args, **kwargs)

    return guarded


@login_required
def my_home(request):
    """The signed-in user's home (/me/): what is waiting for them, and the way to
    every other /me/ page."""
    upcoming = upcoming_assignments_for(request.user)
    return render(
        request,
        "volunteers/my_home.html",
        {
            "open_offers": offers_for(request.user).count(),
            "upcoming": upcoming.count(),
            "next_assignment": upcoming.first(),
            "pledge_needed": _pledge_needed(request.user),
            "line_available": line_linking_available(),
            "line_linked": line_linked(request.user),
            "line_refused_since": line_refused_since(request.user),
            "is_volunteer": request.user.acts_as(Role.VOLUNTEER),
            "enrolments": enrolments_of(request.user).filter(
                status=InsuranceEnrolment.Status.ENROLLED
            )[:1],
            "trainings": trainings_of(request.user)[:5],
        },
    )


def _pledge_needed(user) -> bool:
    return user.acts_as(Role.VOLUNTEER) and pledge_current(user) is None


@login_required
def my_offers(request):
    """Open offers: district, task and time only; accept or decline."""
    return render(
        request,
        "volunteers/my_offers.html",
        {"offers": offers_for(request.user), "pledge_needed": _pledge_needed(request.user)},
    )


@volunteer_required
def my_pledge(request):
    """The confidentiality pledge in force: read it and accept it (once per wording).
    No request is offered to a volunteer before they have."""
    if request.method == "POST":
        pledge_accept(volunteer=request.user, actor=request.user)
        messages.success(request, _("Thank you. Requests can now be offered to you."))
        return redirect("my-home")
    return render(
        request,
        "volunteers/my_pledge.html",
        {
            "wording": wording_current(Wording.Kind.PLEDGE),
            "pledge": pledge_current(request.user),
        },
    )


@login_required
@require_POST
def offer_answer(request, pk: int, answer: str):
    offer = get_object_or_404(Offer, pk=pk, volunteer=request.user)
    try:
        if answer == "accept":
            assignment = offer_accept(offer=offer, volunteer=request.user)
            messages.success(request, _("Thank you! The request is yours."))
            return redirect("my-assignment", pk=assignment.pk)
        offer_decline(offer=offer, volunteer=request.user)
        messages.success(request, _("Declined. Thank you for answering."))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("my-offers")


@login_required
def my_assignments(request):
    page = Paginator(assignments_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "volunteers/my_assignments.html", {"page": page})


def _helper_name(help_request) -> str:
    """Who is coming, as the resident is told on the phone: the volunteer's family
    name only (the first part of the full name), nothing else about them."""
    assignment = getattr(help_request, "assignment", None)
    if assignment is None or assignment.status == Assignment.Status.CANCELLED:
        return ""
    return (assignment.volunteer.full_name or "").split(" ")[0].split("\u3000")[0]


def _resident_or_404(request):
    """A page for residents: only for an account a coordinator linked to a resident
    record; anyone else (a volunteer, staff) finds nothing here."""
    resident = resident_of(request.user)
    if resident is None:
        raise Http404
    return resident


@login_required
def my_requests(request):
    """The signed-in resident's own help requests and where each one is."""
    resident = _resident_or_404(request)
    page = Paginator(requests_of_resident(request.user), 20).get_page(request.GET.get("page"))
    for help_request in page.object_list:
        help_request.helper_name = _helper_name(help_request)
    return render(request, "volunteers/my_requests.html", {"page": page, "resident": resident})


@login_required
def my_request(request, pk: int):
    """One of the resident's own requests (another person's is a 404)."""
    _resident_or_404(request)
    help_request = get_object_or_404(requests_of_resident(request.user), pk=pk)
    help_request.helper_name = _helper_name(help_request)
    return render(request, "volunteers/my_request.html", {"help_request": help_request})


@login_required
def my_assignment(request, pk: int):
    """One assignment; the resident's details only while it is live (each view logged)."""
    assignment = get_object_or_404(
        assignments_for(request.user).select_related("request__resident"), pk=pk
    )
    resident = None
    if assignment.live:
        resident = resident_details_open(assignment=assignment, user=request.user, via="page")
    return render(
        request,
        "volunteers/my_assignment.html",
        {"assignment": assignment, "resident": resident},
    )


@login_required
@require_POST
def assignment_action(request, pk: int, action: str):
    assignment = get_object_or_404(Assignment, pk=pk, volunteer=request.user)
    step = {"start": assignment_start, "finish": assignment_finish}[action]
    try:
        step(assignment=assignment, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Started. Thank you!") if action == "start" else _("Finished. Thank you!")
        )
    return redirect("my-assignment", pk=pk)


@volunteer_required
def my_profile(request):
    """The volunteer edits their own skills, districts and weekly availability."""
    profile = VolunteerProfile.objects.filter(user=request.user).first()
    form = ProfileForm(
        request.POST or None,
        initial=ProfileForm.initial_for(profile, request.user),
        birth_date_locked=request.user.birth_date is not None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            volunteer_profile_save(
                user=request.user,
                actor=request.user,
                districts=list(data["districts"]),
                skills=list(data["skills"]),
                weekly=data["weekly"],
                home_district=data["home_district"],
                gender=data["gender"],
                has_car=data["has_car"],
                languages=data["languages"],
                birth_date=data["birth_date"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("my-profile")
    return render(
        request,
        "volunteers/my_profile.html",
        {
            "form": form,
            "profile": profile,
            "away_form": AwayForm(),
            "away": upcoming_exceptions(profile) if profile else [],
        },
        status=400 if form.errors else 200,
    )


@volunteer_required
@require_POST
def my_away(request):
    """Mark a day away: matching leaves the volunteer out that day."""
    form = AwayForm(request.POST)
    if not VolunteerProfile.objects.filter(user=request.user).exists():
        messages.error(request, _("Save your profile first."))
    elif form.is_valid():
        availability_exception_add(
            user=request.user, actor=request.user, date=form.cleaned_data["date"], available=False
        )
        messages.success(request, _("Noted: you will not be asked on that day."))
    else:
        messages.error(request, " ".join(form.errors.get("date", [])))
    return redirect("my-profile")


@volunteer_required
@require_POST
def my_away_remove(request, pk: int):
    """Take back a day away: matching asks the volunteer that day again."""
    if availability_exception_remove(user=request.user, actor=request.user, exception_id=pk):
        messages.success(request, _("Removed: you may be asked on that day again."))
    else:
        messages.info(request, _("That day is no longer on your list."))
    return redirect("my-profile")


@login_required
@require_http_methods(["GET", "POST"])
def my_line_retry(request):
    """The person asks for our notices on LINE again, after LINE refused to deliver
    them (they had blocked, or never added, the city's official account). Only for
    themself; a GET (e.g. after signing in again) goes back to /me/."""
    if request.method == "POST" and line_retry(request.user):
        messages.success(
            request,
            _(
                "We will send our notices to LINE again. If they still do not arrive, "
                "we will email or phone you."
            ),
        )
    return redirect("my-home")


# --- Host staff: confirming presence, the kiosk at the door --------------------------


def _hosted_or_403(request, pk: int) -> Place:
    place = place_hosted(request.user, pk)
    if place is None:
        raise PermissionDenied(_("Only host staff of this place can open this page."))
    return place


@login_required
def my_places(request):
    """The places the user hosts, each with its page for confirming check-ins and,
    at a kiosk place, the screen for the tablet at the door."""
    places = list(places_hosted_by(request.user))
    if not places:
        raise PermissionDenied(_("You are not host staff of any place."))
    return render(request, "volunteers/my_places.html", {"places": places})


@login_required
@require_http_methods(["GET", "POST"])
def place_checkins(request, pk: int):
    """Host staff confirm that the volunteers who checked in with their own phones
    were really here (all, or the ones ticked). One POST; sending it again changes
    nothing. Host staff of this place only."""
    place = _hosted_or_403(request, pk)
    if request.method == "POST":
        chosen = None
        if request.POST.get("confirm") != "all":
            chosen = [int(v) for v in request.POST.getlist("activity") if v.isdigit()]
        if chosen == []:
            messages.error(request, _("Tick the check-ins to confirm, or confirm all."))
        else:
            done = activities_confirm(place=place, host=request.user, activity_ids=chosen)
            messages.success(
                request,
                ngettext(
                    "%(count)d check-in confirmed. Thank you!",
                    "%(count)d check-ins confirmed. Thank you!",
                    len(done),
                )
                % {"count": len(done)},
            )
        return redirect("place-checkins", pk=place.pk)
    return render(
        request,
        "volunteers/place_checkins.html",
        {"place": place, "pending": awaiting_confirmation(place)},
    )


@login_required
def place_kiosk(request, pk: int):
    """The tablet at the door of a kiosk place, signed in as host staff: the code that
    changes every minute, and a QR code that carries it. Host staff of this place only
    (the page is the proof of presence, so it is never reachable without signing in)."""
    place = _hosted_or_403(request, pk)
    if place.presence != Place.Presence.KIOSK:
        raise Http404
    code = kiosk_code(place)
    url = f"{scan_url(request, place_token(place))}?code={code}"
    return render(
        request,
        "volunteers/place_kiosk.html",
        {
            "place": place,
            "code": f"{code[:3]} {code[3:]}",
            "refresh": KIOSK_REFRESH_SECONDS,
            "qr": svg(url, title=_("Check-in QR code of %(place)s") % {"place": place.name}),
        },
    )


#: The kiosk page reloads this often: its code is always one the server accepts.
KIOSK_REFRESH_SECONDS = 15
