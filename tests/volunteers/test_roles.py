"""Roles are granted, never taken (issue 13, item 2): a user without the volunteer
role cannot become one by any page or API; each granting path (approving an
application, registering or importing in the back office, registering an existing
account) works for its rightful actor and is refused for everyone else."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Role, User
from accounts.services import role_grant, user_create_without_login
from core.errors import NotPermitted
from points.models import EarningRule
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category
from volunteers.models import Activity, Place, VolunteerProfile
from volunteers.selectors.places import place_token

pytestmark = pytest.mark.django_db

#: Who may not take the role: a self-signed-up account (no role), a clerk, a resident.
OUTSIDERS = [[], ["shop_staff"], ["resident"]]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def profile_form(district) -> dict:
    return {
        "skills": [str(category("shopping").pk)],
        "districts": [str(district.pk)],
        "day1_starts": "09:00",
        "day1_ends": "12:00",
    }


@pytest.fixture
def place():
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(name="いきいきサロン", kind=Place.Kind.SALON, earning_rule=rule)


def holds_volunteer(user) -> bool:
    return User.objects.get(pk=user.pk).groups.filter(name=Role.VOLUNTEER).exists()


@pytest.mark.parametrize("roles", OUTSIDERS, ids=["self_signed_up", "shop_staff", "resident"])
def test_no_page_or_api_makes_an_outsider_a_volunteer(roles, place):
    user = UserFactory(roles=roles)
    client = signed_in(user)
    page = client.get("/me/profile/")
    assert page.status_code == 403
    assert "ボランティアとして登録された方" in page.content.decode()
    saved = client.post("/me/profile/", profile_form(DistrictFactory()))
    assert saved.status_code == 403
    assert client.post("/me/profile/away/", {"date": "2030-06-04"}).status_code == 403
    assert client.post("/me/profile/away/1/remove/").status_code == 403
    assert not holds_volunteer(user)
    assert not VolunteerProfile.objects.filter(user=user).exists()
    # … and so cannot check in, by the API or the scan page.
    token = place_token(place)
    api = client.post("/api/v1/scans/", {"token": token}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "not_volunteer"
    assert client.post(f"/scan/{token}/").status_code == 403
    assert not Activity.objects.filter(volunteer=user).exists()


def test_a_volunteer_still_saves_their_profile():
    user = UserFactory(roles=["volunteer"])
    response = signed_in(user).post("/me/profile/", profile_form(DistrictFactory()))
    assert response.status_code == 302
    assert VolunteerProfile.objects.filter(user=user).exists()


def test_the_service_never_grants_the_role(coordinator):
    from volunteers.exceptions import VolunteerRoleRequired
    from volunteers.services.profiles import volunteer_profile_save

    user = UserFactory()
    for actor in (user, coordinator):
        with pytest.raises(VolunteerRoleRequired) as refused:
            volunteer_profile_save(user=user, actor=actor, districts=[], skills=[], weekly=[])
        assert refused.value.code == "not_volunteer" and refused.value.http_status == 403
    assert not holds_volunteer(user)


@pytest.mark.parametrize(
    ("actor_roles", "allowed"),
    [
        (["coordinator"], True),
        (["city_staff"], True),
        (["volunteer"], False),
        (["shop_staff"], False),
        (["district_editor"], False),
        ([], False),
    ],
)
def test_role_grant_refuses_who_may_not_grant(actor_roles, allowed):
    actor, user = UserFactory(roles=actor_roles), UserFactory(roles=["resident"])
    if allowed:
        assert role_grant(user=user, role=Role.VOLUNTEER, actor=actor) is True
        assert role_grant(user=user, role=Role.VOLUNTEER, actor=actor) is False  # idempotent
    else:
        with pytest.raises(NotPermitted):
            role_grant(user=user, role=Role.VOLUNTEER, actor=actor)
    assert holds_volunteer(user) is allowed


def test_nobody_grants_a_role_to_themselves_unless_they_may_grant_it():
    clerk = UserFactory(roles=["shop_staff"])
    with pytest.raises(NotPermitted):
        role_grant(user=clerk, role=Role.VOLUNTEER, actor=clerk)
    coordinator = UserFactory(roles=["coordinator"])
    with pytest.raises(NotPermitted):  # only city staff make coordinators
        role_grant(user=coordinator, role=Role.CITY_STAFF, actor=coordinator)
    with pytest.raises(NotPermitted):
        user_create_without_login(
            full_name="木村 ハル",
            full_name_kana="キムラ ハル",
            actor=clerk,
            roles=(Role.VOLUNTEER,),
        )
    assert not User.objects.filter(full_name="木村 ハル").exists()


# --- The back-office paths -----------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [(["coordinator"], True), (["city_staff"], True), (["district_editor"], False)],
)
def test_registering_an_existing_account_as_a_volunteer(client, roles, allowed):
    clerk = UserFactory(roles=["shop_staff"])
    desk = signed_in_back_office(client, UserFactory(roles=roles))
    url = f"/admin/aid/volunteers/{clerk.pk}/grant/"
    response = desk.post(url)
    assert holds_volunteer(clerk) is allowed
    if allowed:
        assert response.status_code == 302 and response.url == f"/admin/aid/volunteers/{clerk.pk}/"
    else:
        assert response.status_code in (302, 403) and not response.url.endswith(
            f"/aid/volunteers/{clerk.pk}/"
        )


def test_the_volunteer_page_offers_registration_and_saving_alone_does_not_grant(
    client, coordinator
):
    resident = UserFactory(roles=["resident"])
    desk = signed_in_back_office(client, coordinator)
    url = f"/admin/aid/volunteers/{resident.pk}/"
    page = desk.get(url).content.decode()
    assert f"/admin/aid/volunteers/{resident.pk}/grant/" in page
    refused = desk.post(url, {**profile_form(DistrictFactory()), "active": "on"})
    assert (
        refused.status_code == 200 and "ボランティアとして登録された方" in refused.content.decode()
    )
    assert not holds_volunteer(resident)
    desk.post(f"{url}grant/")
    saved = desk.post(url, {**profile_form(DistrictFactory()), "active": "on"})
    assert saved.status_code == 302 and VolunteerProfile.objects.filter(user=resident).exists()


@pytest.mark.parametrize(("roles", "allowed"), [(["coordinator"], True), (["city_staff"], False)])
def test_registering_a_volunteer_without_a_smartphone(client, roles, allowed):
    desk = signed_in_back_office(client, UserFactory(roles=roles))
    desk.post(
        "/admin/aid/volunteers/register/",
        {"full_name": "小川 隆", "full_name_kana": "オガワ タカシ", "phone": ""},
    )
    created = User.objects.filter(full_name="小川 隆").first()
    assert (created is not None and holds_volunteer(created)) is allowed


ROWS = (
    "full_name,full_name_kana,phone,email,home_district,districts,skills,has_car,"
    "insurance_valid_until,languages,weekly\n"
    "中村 陽子,ナカムラ ヨウコ,,{email},{d},{d},shopping,はい,2031-03-31,,mon 09:00-12:00\n"
)


@pytest.mark.parametrize(("roles", "allowed"), [(["coordinator"], True), (["city_staff"], False)])
def test_importing_volunteers(client, roles, allowed):
    clerk = UserFactory(roles=["shop_staff"], email="yoko@example.jp")
    district = DistrictFactory()
    rows = ROWS.format(email=clerk.email, d=district.code)
    desk = signed_in_back_office(client, UserFactory(roles=roles))
    upload = SimpleUploadedFile("v.csv", rows.encode("utf-8-sig"))
    desk.post("/admin/aid/volunteers/import/", {"file": upload, "confirm": "on"})
    assert holds_volunteer(clerk) is allowed
    assert VolunteerProfile.objects.filter(user=clerk).exists() is allowed


def test_approving_an_application_grants_only_for_coordinators(client):
    from cms.models import VolunteerApplication

    resident = UserFactory(roles=["resident"], email="sakura@example.jp")
    application = VolunteerApplication.objects.create(
        full_name="新井 さくら", full_name_kana="アライ サクラ", email=resident.email
    )
    url = f"/admin/volunteer-applications/{application.pk}/decide/"
    for roles in (["district_editor"], ["city_staff"]):
        other = signed_in_back_office(Client(), UserFactory(roles=roles))
        assert other.post(url, {"decision": "approve"}).status_code in (302, 403)
        assert not holds_volunteer(resident)
    desk = signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    assert desk.post(url, {"decision": "approve"}).status_code == 302
    assert holds_volunteer(resident)


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (["coordinator"], True),
        (["city_staff"], True),  # the city usually pays the premium
        (["volunteer"], False),
        (["shop_staff"], False),
        (["district_editor"], False),
    ],
)
def test_insurance_and_training_are_kept_by_coordinators_and_city_staff(roles, allowed):
    from volunteers.rules import insurance_and_training_check

    actor = UserFactory(roles=roles)
    if allowed:
        insurance_and_training_check(actor)
    else:
        with pytest.raises(NotPermitted):
            insurance_and_training_check(actor)
