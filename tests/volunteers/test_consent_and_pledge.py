"""Residents' consent to sharing and volunteers' confidentiality pledge (issue #19,
items 1 and 2), through the pages: no offer without both, withdrawal stops offers,
a new pledge wording is accepted again, and only the right people record them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category, help_request, resident, volunteer
from volunteers.exceptions import ConsentMissing, PledgeMissing
from volunteers.models import ConsentRecord, HelpRequest, Offer, PledgeRecord, Wording
from volunteers.selectors.consent import consent_in_force, pledge_current
from volunteers.services.consent import wording_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def district():
    return DistrictFactory()


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


def today_request(coordinator, res):
    weekday_start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(10))
    )
    return help_request(
        coordinator, res, start=weekday_start, end=weekday_start + dt.timedelta(hours=1)
    )


def helper(district, **kwargs):
    return volunteer(
        district, weekly=tuple((d, dt.time(9), dt.time(16)) for d in range(7)), **kwargs
    )


def offer(desk, req, *volunteers):
    return desk.post(
        reverse("aid_request_offer", args=[req.pk]),
        {"action": "offer", "volunteers": [v.pk for v in volunteers]},
        follow=True,
    )


def test_no_offer_or_assignment_without_the_residents_consent(desk, coordinator, district):
    res = resident(district, consent=False)
    req = today_request(coordinator, res)
    person = helper(district)
    page = desk.get(reverse("aid_request", args=[req.pk])).content.decode()
    assert "同意" in page and reverse("aid_resident_consent", args=[res.pk]) in page

    refused = offer(desk, req, person)
    assert ConsentMissing.default_message in [str(m) for m in refused.context["messages"]]
    assert not Offer.objects.filter(request=req).exists()
    desk.post(reverse("aid_request_assign", args=[req.pk]), {"volunteer": person.pk})
    assert HelpRequest.objects.get(pk=req.pk).status == HelpRequest.Status.REQUESTED

    desk.post(
        reverse("aid_resident_consent", args=[res.pk]),
        {"decision": "given", "method": "phone", "note": "長女同席"},
    )
    record = ConsentRecord.objects.get(resident=res)
    assert (record.method, record.note, record.recorded_by) == ("phone", "長女同席", coordinator)
    assert record.wording.version == 1
    offer(desk, req, person)
    assert Offer.objects.filter(request=req, volunteer=person).exists()


def test_withdrawal_stops_new_offers_and_closes_open_ones(desk, coordinator, district):
    res = resident(district)
    req = today_request(coordinator, res)
    person = helper(district)
    offer(desk, req, person)
    open_offer = Offer.objects.get(request=req)

    desk.post(
        reverse("aid_resident_consent", args=[res.pk]),
        {"decision": "withdrawn", "method": "phone"},
    )
    assert not consent_in_force(res)
    open_offer.refresh_from_db()
    assert open_offer.status == Offer.Status.WITHDRAWN
    history = desk.get(reverse("aid_resident", args=[res.pk])).content.decode()
    assert "同意の撤回" in history and "同意あり" in history  # both records, newest first

    other = helper(district)
    offer(desk, req, other)
    assert not Offer.objects.filter(request=req, volunteer=other).exists()


def test_intake_records_consent_given_on_the_phone(desk, district):
    res = resident(district, consent=False)
    url = reverse("aid_intake", args=[res.pk])
    form = desk.get(url).content.decode()
    assert 'name="consent"' in form
    assert Wording.objects.get(kind="consent", version=1).text[:20] in form
    day = timezone.localdate() + dt.timedelta(days=1)
    data = {"category": category().pk, "day": day, "starts": "10:00", "ends": "11:00"}
    desk.post(url, {**data, "channel": "phone", "consent": "on"})
    record = ConsentRecord.objects.get(resident=res)
    assert (record.decision, record.method) == ("given", "phone")
    assert 'name="consent"' not in desk.get(url).content.decode()  # in force: not asked again


def test_intake_without_the_tick_records_no_consent(desk, district):
    res = resident(district, consent=False)
    day = timezone.localdate() + dt.timedelta(days=1)
    desk.post(
        reverse("aid_intake", args=[res.pk]),
        {
            "category": category().pk,
            "day": day,
            "starts": "10:00",
            "ends": "11:00",
            "channel": "phone",
        },
    )
    assert HelpRequest.objects.filter(resident=res).exists()
    assert not ConsentRecord.objects.filter(resident=res).exists()


def test_a_volunteer_without_the_pledge_is_not_offered_until_they_accept(
    desk, coordinator, district
):
    req = today_request(coordinator, resident(district))
    person = helper(district, pledge=False)
    refused = offer(desk, req, person)
    errors = [str(m) for m in refused.context["messages"] if m.level_tag == "error"]
    assert person.full_name in errors[0] and "守秘義務誓約" in errors[0]
    assert not Offer.objects.filter(request=req).exists()

    client = Client()  # the volunteer's own browser
    client.force_login(person)
    home = client.get(reverse("my-home")).content.decode()
    assert reverse("my-pledge") in home
    pledge_page = client.get(reverse("my-pledge")).content.decode()
    assert Wording.objects.get(kind="pledge", version=1).text[:20] in pledge_page
    client.post(reverse("my-pledge"))
    assert pledge_current(person).method == PledgeRecord.Method.PAGE
    assert reverse("my-pledge") not in client.get(reverse("my-home")).content.decode()
    client.post(reverse("my-pledge"))  # a second tap: still one record
    assert PledgeRecord.objects.filter(volunteer=person).count() == 1

    offer(desk, req, person)
    assert Offer.objects.filter(request=req, volunteer=person).exists()


def test_a_new_pledge_wording_is_accepted_again_before_the_next_offer(desk, coordinator, district):
    req = today_request(coordinator, resident(district))
    person = helper(district)
    offer(desk, req, person)
    offered = Offer.objects.get(request=req, volunteer=person)

    wording_publish(
        kind=Wording.Kind.PLEDGE, text="新しい誓約文", actor=UserFactory(roles=["city_staff"])
    )
    assert pledge_current(person) is None
    client = Client()
    client.force_login(person)
    answer = client.post(reverse("my-offer-answer", args=[offered.pk, "accept"]), follow=True)
    assert PledgeMissing.default_message in [str(m) for m in answer.context["messages"]]
    client.post(reverse("my-pledge"))
    assert pledge_current(person).wording.version == 2
    client.post(reverse("my-offer-answer", args=[offered.pk, "accept"]))
    assert HelpRequest.objects.get(pk=req.pk).status == HelpRequest.Status.ASSIGNED


def test_a_coordinator_records_a_paper_pledge_and_others_cannot(desk, district):
    person = helper(district, pledge=False)
    url = reverse("aid_volunteer_pledge", args=[person.pk])
    assert (
        reverse("aid_volunteer_pledge", args=[person.pk])
        in desk.get(reverse("aid_volunteer", args=[person.pk])).content.decode()
    )
    desk.post(url)
    assert pledge_current(person).method == PledgeRecord.Method.PAPER

    other = helper(district, pledge=False)
    client = Client()
    client.force_login(person)  # a volunteer cannot record anyone's pledge
    assert client.post(reverse("aid_volunteer_pledge", args=[other.pk])).status_code in (302, 403)
    assert pledge_current(other) is None
    assert client.post(
        reverse("aid_resident_consent", args=[resident(district).pk]),
        {"decision": "given", "method": "phone"},
    ).status_code in (302, 403)


def test_only_city_staff_publish_a_wording(coordinator):
    from core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        wording_publish(kind=Wording.Kind.CONSENT, text="x", actor=coordinator)
    staff = UserFactory(roles=["city_staff"])
    assert wording_publish(kind=Wording.Kind.CONSENT, text="x", actor=staff).version == 2
    assert wording_publish(kind=Wording.Kind.CONSENT, text="y", actor=staff).version == 3


def test_city_staff_publish_a_new_pledge_on_the_wordings_page(client, coordinator):
    url = reverse("aid_wordings")
    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    page = staff.get(url).content.decode()
    assert Wording.objects.get(kind="pledge", version=1).text[:20] in page
    staff.post(url, {"kind": "pledge", "text": "第二版の誓約文"})
    assert Wording.objects.get(kind="pledge", version=2).text == "第二版の誓約文"
    assert "第二版の誓約文" in staff.get(url).content.decode()

    other = Client()
    signed_in_back_office(other, coordinator)
    assert other.post(url, {"kind": "pledge", "text": "x"}).status_code in (302, 403)
    assert not Wording.objects.filter(kind="pledge", version=3).exists()
