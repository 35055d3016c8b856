"""The back office's user pages (issue 14, item 2): Wagtail 8's user forms keep the
full name, kana, phone, date of birth and language; roles go through the grant rule,
so only city staff (or a superuser) can give the staff roles."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


def back_office(roles, **extra) -> tuple[Client, User]:
    user = UserFactory(roles=roles, **extra)
    return signed_in_back_office(Client(), user), user


def refused(response) -> bool:
    """Wagtail answers a refused admin page with a redirect to the dashboard."""
    return (response.status_code, response.get("Location")) in ((403, None), (302, "/admin/"))


def person(**overrides) -> dict:
    form = {
        "email": "Hanako.Sato@Example.JP",
        "full_name": "佐藤 花子",
        "full_name_kana": "さとう ﾊﾅｺ",
        "phone": "090-1234-5678",
        "birth_date": "1950-04-01",
        "preferred_language": "ja",
        "password1": "",
        "password2": "",
        "roles": ["volunteer"],
    }
    form.update(overrides)
    return form


def test_create_keeps_name_kana_phone_birth_date_and_grants_the_role():
    client, _ = back_office(["city_staff"])
    page = client.get("/admin/users/new/").content.decode()
    assert 'name="full_name"' in page and 'name="birth_date"' in page
    assert 'name="first_name"' not in page
    response = client.post("/admin/users/new/", person())
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="hanako.sato@example.jp")
    assert (user.full_name, user.full_name_kana) == ("佐藤 花子", "サトウ ハナコ")
    assert user.phone == "+819012345678"
    assert user.birth_date == dt.date(1950, 4, 1)
    assert user.role_names == ["volunteer"]
    assert not user.has_usable_password()  # signs in by emailed code, address proven
    assert EmailAddress.objects.filter(user=user, verified=False, primary=True).exists()
    listing = client.get("/admin/users/?q=ハナコ").content.decode()
    assert "佐藤 花子" in listing


def test_edit_keeps_the_fields_and_refuses_bad_kana_and_birth_dates():
    client, _ = back_office(["coordinator"])
    user = UserFactory(roles=["volunteer"], full_name="山田 太郎")
    url = f"/admin/users/edit/{user.pk}/"
    assert "山田 太郎" in client.get(url).content.decode()
    form = person(email=user.email, full_name="山田 次郎", full_name_kana="やまだ じろう")
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    for bad, field in (
        ({"birth_date": future}, "birth_date"),
        ({"birth_date": "1899-12-31"}, "birth_date"),
        ({"full_name_kana": "Yamada"}, "full_name_kana"),
    ):
        refused = client.post(url, {**form, "is_active": "on", **bad})
        assert refused.status_code == 200
        assert field in refused.context["form"].errors
    response = client.post(url, {**form, "is_active": "on", "birth_date": "1948-02-29"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.full_name_kana) == ("山田 次郎", "ヤマダ ジロウ")
    assert user.birth_date == dt.date(1948, 2, 29)
    assert user.role_names == ["volunteer"]


@pytest.mark.parametrize("role", ["city_staff", "coordinator", "district_editor"])
def test_a_coordinator_cannot_grant_a_staff_role(role):
    client, _ = back_office(["coordinator"])
    page = client.get("/admin/users/new/").content.decode()
    assert f'value="{role}"' not in page
    refused = client.post("/admin/users/new/", person(roles=["volunteer", role]))
    assert refused.status_code == 200 and "roles" in refused.context["form"].errors
    assert not User.objects.filter(email="hanako.sato@example.jp").exists()
    user = UserFactory(roles=["volunteer"])
    form = person(email=user.email, roles=["volunteer", role], is_active="on")
    assert client.post(f"/admin/users/edit/{user.pk}/", form).status_code == 200
    assert user.role_names == ["volunteer"]


def test_city_staff_grant_and_take_back_staff_roles():
    client, _ = back_office(["city_staff"])
    response = client.post("/admin/users/new/", person(roles=["city_staff", "coordinator"]))
    assert response.status_code == 302
    user = User.objects.get(email="hanako.sato@example.jp")
    assert user.role_names == ["coordinator", "city_staff"]
    form = person(email=user.email, roles=["district_editor"], is_active="on")
    assert client.post(f"/admin/users/edit/{user.pk}/", form).status_code == 302
    assert User.objects.get(pk=user.pk).role_names == ["district_editor"]


def test_a_coordinator_cannot_edit_city_staff_or_superusers():
    client, coordinator = back_office(["coordinator"])
    for target in (UserFactory(roles=["city_staff"]), UserFactory(is_superuser=True)):
        assert refused(client.get(f"/admin/users/edit/{target.pk}/"))
        form = person(email="taken@example.jp", password1="x" * 12, password2="x" * 12)
        assert refused(client.post(f"/admin/users/edit/{target.pk}/", form))
        target.refresh_from_db()
        assert target.email != "taken@example.jp"
    # Their own account, yes, but not their own roles.
    own = client.get(f"/admin/users/edit/{coordinator.pk}/")
    assert own.status_code == 200 and own.context["form"].fields["roles"].disabled


def test_nobody_sets_another_persons_password():
    client, _ = back_office(["city_staff"])
    page = client.get("/admin/users/new/").content.decode()
    assert 'name="password1"' not in page
    client.post("/admin/users/new/", person(password1="x" * 14, password2="x" * 14))
    assert not User.objects.get(email="hanako.sato@example.jp").has_usable_password()


def test_only_a_superuser_makes_superusers():
    client, _ = back_office(["city_staff"])
    assert 'name="is_superuser"' not in client.get("/admin/users/new/").content.decode()
    client.post("/admin/users/new/", person(is_superuser="on"))
    assert User.objects.get(email="hanako.sato@example.jp").is_superuser is False


def test_bulk_actions_obey_the_same_rules():
    from django.contrib.auth.models import Group

    client, _ = back_office(["coordinator"])
    volunteer = UserFactory(roles=["volunteer"])
    city = Group.objects.get(name="city_staff")
    url = f"/admin/bulk/accounts/user/assign_role/?id={volunteer.pk}"
    assert refused(client.post(url, {"role": city.pk}))
    assert User.objects.get(pk=volunteer.pk).role_names == ["volunteer"]
    staff = UserFactory(roles=["city_staff"])
    url = f"/admin/bulk/accounts/user/set_active_state/?id={staff.pk}&id={volunteer.pk}"
    assert refused(client.post(url, {"mark_as_active": "False"}))
    assert User.objects.get(pk=staff.pk).is_active
    # A volunteer's account, which the coordinator may edit, can be deactivated.
    url = f"/admin/bulk/accounts/user/set_active_state/?id={volunteer.pk}"
    assert client.post(url, {"mark_as_active": "False"}).status_code == 302
    assert not User.objects.get(pk=volunteer.pk).is_active
