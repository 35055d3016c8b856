"""The paper pledge's printable sheet: the wording in force, the volunteer's name and
lines to sign on, for coordinators only, linked from the paper pledge page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.test_consent_and_pledge import helper
from volunteers.models import Wording
from volunteers.services.consent import wording_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def district():
    return DistrictFactory()


def test_the_pledge_prints_the_wording_in_force_with_the_volunteers_name(client, district):
    person = helper(district, pledge=False)
    wording_publish(
        kind=Wording.Kind.PLEDGE,
        text="第二版の誓約文です。",
        actor=UserFactory(roles=["city_staff"]),
    )
    desk = signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    url = reverse("aid_volunteer_pledge_print", args=[person.pk])
    assert url in desk.get(reverse("aid_volunteer_pledge", args=[person.pk])).content.decode()

    page = desk.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "第二版の誓約文です。" in text and person.get_full_name() in text
    assert "署名" in text and "文面 第2版" in text
    assert "<aside" not in text and "sidebar" not in text  # a sheet, not the admin page


def test_only_coordinators_print_a_pledge(district):
    person = helper(district, pledge=False)
    url = reverse("aid_volunteer_pledge_print", args=[person.pk])
    other = Client()
    other.force_login(helper(district))
    assert other.get(url).status_code in (302, 403)
    staff = signed_in_back_office(Client(), UserFactory(roles=["city_staff"]))
    assert staff.get(url).status_code in (302, 403)
