"""The one user model: email login, kana, phone, roles, users who cannot sign in."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.exceptions import EmailInUse
from accounts.kana import normalize_kana, validate_kana
from accounts.models import BACK_OFFICE_ROLES, Role, User
from accounts.services import user_attach_email, user_create_without_login, user_grant_roles
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("やまだ たろう", "ヤマダ タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
        ("ヤマダ\u3000\u3000タロウ ", "ヤマダ タロウ"),
        ("さとう ゆうこ", "サトウ ユウコ"),
    ],
)
def test_kana_is_stored_as_full_width_katakana(typed, stored):
    assert normalize_kana(typed) == stored
    user = UserFactory(full_name_kana=typed)
    user.refresh_from_db()
    assert user.full_name_kana == stored


@pytest.mark.parametrize("bad", ["Yamada", "山田", "ヤマダ1"])
def test_kana_rejects_anything_but_kana(bad):
    with pytest.raises(ValidationError) as excinfo:
        validate_kana(bad)
    assert excinfo.value.code == "invalid_kana"


def test_email_is_the_login_and_is_case_insensitive():
    user = UserFactory(email="Hanako.Yamada@Example.JP")
    assert user.email == "hanako.yamada@example.jp"
    assert authenticate(username="HANAKO.YAMADA@example.jp", password=PASSWORD) == user
    # Bypass save()'s normalisation: the database constraint still refuses it.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, email, full_name, full_name_kana, phone,"
            " preferred_language, is_staff, is_superuser, is_active, date_joined)"
            " VALUES ('', 'HANAKO.yamada@example.jp', '', '', '', 'ja', false, false,"
            " true, CURRENT_TIMESTAMP)"
        )


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("03-1234-5678", "+81312345678"),
        ("090 1234 5678", "+819012345678"),
        ("０１２０－１２３－４５６", "+81120123456"),
    ],
)
def test_phone_numbers_are_validated_and_stored_normalised(typed, e164):
    user = UserFactory.build(phone=typed, email="p@example.jp")
    user.full_clean(exclude=["password"])
    user.save()
    user.refresh_from_db()
    assert user.phone.as_e164 == e164


def test_invalid_phone_number_is_a_field_error():
    user = UserFactory.build(phone="12345", email="q@example.jp")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert "phone" in excinfo.value.message_dict


def test_role_groups_exist_and_only_back_office_roles_reach_the_admin():
    for role in Role:
        group = Group.objects.get(name=role.value)
        can_admin = group.permissions.filter(
            content_type__app_label="wagtailadmin", codename="access_admin"
        ).exists()
        assert can_admin is (role in BACK_OFFICE_ROLES)


def test_a_user_may_hold_several_roles():
    user = UserFactory()
    user_grant_roles(user=user, roles=[Role.VOLUNTEER, Role.SHOP_STAFF])
    user_grant_roles(user=user, roles=[Role.VOLUNTEER])
    user = User.objects.prefetch_related("groups").get(pk=user.pk)
    assert user.role_names == ["volunteer", "shop_staff"]
    assert user.has_role(Role.SHOP_STAFF) and not user.has_role(Role.COORDINATOR)


def test_resident_registered_by_coordinator_cannot_sign_in(client):
    resident = user_create_without_login(
        full_name="木村 ハル",
        full_name_kana="きむら はる",
        phone="0312345678",
        actor=UserFactory(roles=["coordinator"]),
    )
    assert resident.email is None and not resident.has_usable_password()
    assert not resident.can_sign_in
    assert resident.role_names == ["resident"]
    assert resident.full_name_kana == "キムラ ハル"

    address = user_attach_email(user=resident, email="Haru.Kimura@example.jp")
    assert (address.email, address.verified, address.primary) == (
        "haru.kimura@example.jp",
        False,
        True,
    )
    # Even with an email, there is no password to guess and the address is unverified.
    response = client.post("/accounts/login/", {"login": "haru.kimura@example.jp", "password": ""})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_attaching_an_email_in_use_is_a_conflict():
    UserFactory(email="taken@example.jp")
    resident = user_create_without_login(
        full_name="A", full_name_kana="エー", actor=UserFactory(roles=["coordinator"])
    )
    with pytest.raises(EmailInUse) as excinfo:
        user_attach_email(user=resident, email="TAKEN@example.jp")
    assert excinfo.value.code == "email_in_use" and excinfo.value.http_status == 409
    resident.refresh_from_db()
    assert resident.email is None
    assert not EmailAddress.objects.filter(user=resident).exists()


def test_acts_as_means_a_role_held_or_superuser():
    volunteer = UserFactory(roles=["volunteer"])
    assert volunteer.acts_as(Role.VOLUNTEER, Role.CITY_STAFF)
    assert not volunteer.acts_as(Role.CITY_STAFF, Role.COORDINATOR)
    assert UserFactory(is_superuser=True).acts_as(Role.CITY_STAFF)


@pytest.mark.django_db
def test_createsuperuser_can_sign_in_at_once_on_a_fresh_server(client, monkeypatch):
    """On the first day nobody can click a confirmation mail: the superuser made on the
    server's shell signs in straight away (and reaches the MFA set-up), while an
    existing unverified user stays unable to."""
    from django.core.management import call_command

    other = UserFactory(email="earlier@example.jp")
    EmailAddress.objects.update_or_create(
        user=other, email=other.email, defaults={"primary": True, "verified": False}
    )
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Kaishi-bi-2026")
    call_command("createsuperuser", "--noinput", email="Admin@City.example.jp", verbosity=0)

    address = EmailAddress.objects.get(user__email="admin@city.example.jp")
    assert (address.verified, address.primary) == (True, True)
    assert not EmailAddress.objects.get(user=other).verified
    response = client.post(
        "/accounts/login/", {"login": "admin@city.example.jp", "password": "Kaishi-bi-2026"}
    )
    assert response.status_code == 302
    assert "/confirm-email/" not in response.url
