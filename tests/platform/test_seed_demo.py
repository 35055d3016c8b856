"""seed_demo builds the demo town and can be run again."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from accounts.models import District, Role, User
from cms.models import (
    DistrictAssociationPage,
    EventPage,
    NewsPage,
    Proposal,
    ProposalCallPage,
    ProposalTrack,
)
from points.models import CapReason, Transaction
from points.selectors import audit_ledger
from tests.platform.totp import totp_now

pytestmark = pytest.mark.django_db


def run(capsys) -> str:
    call_command("seed_demo")
    return capsys.readouterr().out


def test_seed_demo_is_idempotent_and_prints_logins(capsys, client):
    first = run(capsys)

    def counts():
        return (
            District.objects.count(),
            User.objects.count(),
            Authenticator.objects.count(),
            EventPage.objects.count(),
            NewsPage.objects.count(),
            Proposal.objects.count(),
        )

    first_counts = counts()
    second = run(capsys)
    assert first_counts == counts()
    assert first_counts[0] == 13
    assert re.findall(r"TOTP secret: (\w+)", first) == re.findall(r"TOTP secret: (\w+)", second)

    for district in District.objects.all():
        assert re.fullmatch(r"[\u30A1-\u30FCー ]+", district.name_kana), district
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role

    # The printed credentials work: password then the printed TOTP secret.
    password = re.search(r"password for all: (\S+)\)", first).group(1)
    line = next(line for line in first.splitlines() if "coordinator@" in line)
    email, secret = re.search(r"(\S+@\S+)\s+TOTP secret: (\w+)", line).groups()
    client.post("/accounts/login/", {"login": email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert client.get("/admin/").status_code == 200


def test_seeded_points_history_shows_each_limit_where_it_applies(capsys):
    """Care-facility visits earn 200 each, a second visit on one day is held back by
    that rule's daily limit, and salon hours are never capped (the two rules have
    limits of their own)."""
    run(capsys)
    for email in ("volunteer@demo.example.jp", "kimura@demo.example.jp"):
        awards = Transaction.objects.filter(
            kind="earn", entries__account__owner__email=email
        ).select_related("rule")
        visits: dict = {}
        for award in awards.filter(rule__activity_kind="care-facility").order_by("pk"):
            visits.setdefault(award.activity_date, []).append(
                (award.requested_points - award.capped_points, award.cap_reason)
            )
        assert len(visits) == 8, visits
        assert sorted(set(map(tuple, visits.values()))) == [
            ((200, CapReason.NONE),),
            ((200, CapReason.NONE), (0, CapReason.DAILY)),
        ]
        salon = awards.filter(rule__activity_kind="salon")
        assert salon.count() == 16
        assert not salon.exclude(capped_points=0).exists()
    assert audit_ledger().ok


def test_seed_demo_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_seed_demo_builds_the_public_site(capsys, client):
    from django.utils import timezone

    run(capsys)
    assert DistrictAssociationPage.objects.live().count() == 13
    now = timezone.now()
    events = EventPage.objects.live()
    assert events.count() >= 13 and not events.filter(start_at__lt=now).exists()
    assert events.filter(start_at__gt=now + timezone.timedelta(days=30)).exists()
    assert not events.filter(start_at__gt=now + timezone.timedelta(days=62)).exists()
    assert set(events.values_list("district", flat=True)) == set(
        District.objects.values_list("pk", flat=True)
    )
    assert NewsPage.objects.live().exists()
    open_calls = [c for c in ProposalCallPage.objects.live() if c.is_open()]
    assert {c.track for c in open_calls} == {ProposalTrack.CITIZEN, ProposalTrack.CITY}
    assert Proposal.objects.filter(status="submitted").count() >= 2
    editor = User.objects.get(email="editor@demo.example.jp")
    pages = DistrictAssociationPage.objects.order_by("path")
    assert pages[0].permissions_for_user(editor).can_publish()
    assert not pages[1].permissions_for_user(editor).can_edit()
    html = client.get("/").content.decode()
    assert events.order_by("start_at").first().title in html


def test_seeded_offers_and_assignments_follow_the_matching_rules(capsys):
    from django.utils import timezone

    from volunteers.models import Assignment, Offer
    from volunteers.selectors.profiles import eligible_volunteers

    run(capsys)
    offers = list(Offer.objects.select_related("request", "volunteer"))
    assert offers
    for offer in offers:
        passing = eligible_volunteers(offer.request).values_list("user_id", flat=True)
        assert offer.volunteer_id in passing, offer
    assignments = list(Assignment.objects.select_related("request", "volunteer"))
    assert len(assignments) >= 8
    for assignment in assignments:
        start = timezone.localtime(assignment.starts_at)
        end = timezone.localtime(assignment.ends_at)
        profile = assignment.volunteer.volunteer_profile
        assert profile.weekly.filter(
            weekday=start.weekday(), starts__lte=start.time(), ends__gte=end.time()
        ).exists(), assignment
        assert profile.skills.filter(pk=assignment.request.category_id).exists(), assignment
        assert profile.districts.filter(pk=assignment.request.district_id).exists(), assignment


def test_the_demo_has_a_clerk_of_two_shops_who_chooses_at_the_counter(capsys, client):
    """The printed clerk signs in with the demo password and is asked which of the two
    printed shops they are at."""
    out = run(capsys)
    email, shops = re.search(r"clerk of two shops: (\S+@\S+) \(([^;]+);", out).groups()
    first, second = shops.split(", ")
    password = re.search(r"password for all: (\S+)\)", out).group(1)
    client.post("/accounts/login/", {"login": email, "password": password})
    page = client.get("/shop/redeem/").content.decode()
    radios = re.findall(r'<input type="radio" name="shop"[^>]*>', page)
    assert len(radios) == 2 and first in page and second in page
