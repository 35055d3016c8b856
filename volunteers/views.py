"""Pages for QR check-in: the scan page, the volunteer's activity and card, and the
printable poster. Thin: one service call each; refusals are shown, never a 500."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from core.errors import DomainError
from points.services import award_points_for
from qr.render import svg
from volunteers.exceptions import InvalidScan
from volunteers.models import Place
from volunteers.selectors import activities_of, places_hosted_by
from volunteers.services import (
    card_for,
    card_token,
    open_activity,
    place_token,
    scan_resolve,
    scan_toggle,
)


def scan_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("scan", args=[token]))


@require_http_methods(["GET", "POST"])
def scan(request, token: str):
    """Where a poster's or card's QR code leads. A bad code is a 400 with the reason,
    before sign-in, and nothing is written."""
    try:
        target = scan_resolve(token)
    except InvalidScan as error:
        return render(request, "volunteers/scan_invalid.html", {"error": error}, status=400)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    context = {"token": token, "target": target}
    if target.volunteer is not None:  # a card: for host staff only
        hosted = list(places_hosted_by(request.user))
        if not hosted:
            raise PermissionDenied(_("Only host staff at a place can scan volunteer cards."))
        context["hosted"] = hosted
        subject = target.volunteer
    else:
        subject = request.user
        hosted = [target.place]
    current = open_activity(subject)
    context.update(subject=subject, current=current)
    if request.method == "POST":
        place = None
        if target.volunteer is not None:
            place = next((p for p in hosted if str(p.pk) == request.POST.get("place")), None)
        try:
            action, activity = scan_toggle(token=token, user=request.user, place=place)
        except DomainError as error:
            context["error"] = error
            return render(request, "volunteers/scan.html", context, status=409)
        return render(
            request,
            "volunteers/scan_done.html",
            {"action": action, "activity": activity, "subject": subject},
        )
    if current is not None and target.place is not None and current.place_id == target.place.pk:
        minutes = int((timezone.now() - current.started_at).total_seconds() // 60)
        context["minutes"] = minutes
        try:
            context["estimate"] = award_points_for(target.place.earning_rule, minutes)
        except DomainError:
            context["estimate"] = 0
    return render(request, "volunteers/scan.html", context)


@login_required
def my_activity(request):
    page = Paginator(activities_of(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "volunteers/my_activity.html", {"page": page})


@login_required
def my_card(request):
    """The personal QR card, wallet size, for venue staff to scan."""
    card = card_for(request.user)
    url = scan_url(request, card_token(card))
    return render(
        request,
        "volunteers/my_card.html",
        {
            "card": card,
            "qr": svg(url, title=_("Check-in card of %(name)s") % {"name": request.user}),
        },
    )


@login_required
def place_poster(request, pk: int):
    """A4 poster with the place's check-in QR code (coordinators and host staff)."""
    place = get_object_or_404(Place, pk=pk)
    if not (
        request.user.is_superuser
        or request.user.has_role(Role.COORDINATOR)
        or place.hosts.filter(pk=request.user.pk).exists()
    ):
        raise PermissionDenied
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
