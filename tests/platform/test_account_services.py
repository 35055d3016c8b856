"""Writes on users (platform/accounts/services.py) at the edges the mutation run found
open: who may verify an address from the shell, which address ends up primary, the
field each refusal names (forms show the message there), a write that touches only
its own column, and the repair of the role groups on a flushed database."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from accounts.exceptions import EmailInUse
from accounts.models import BACK_OFFICE_ROLES, Role, User
from accounts.services import (
    role_groups_sync,
    superuser_email_verify,
    user_attach_email,
    user_birth_date_set,
    user_create_without_login,
    user_grant_roles,
)
from core.errors import NotPermitted
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def primary_addresses(user) -> list[str]:
    return list(
        EmailAddress.objects.filter(user=user, primary=True).values_list("email", flat=True)
    )


# --- The superuser made on the shell ----------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"is_superuser": False, "email": "staff@example.jp"}, {"is_superuser": True, "email": None}],
)
def test_only_a_superuser_with_an_address_is_verified_from_the_shell(fields):
    user = UserFactory(**fields, verified=False)
    with pytest.raises(ValueError, match=r"^Only a superuser with an email address is verified"):
        superuser_email_verify(user=user)
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()


def test_the_superusers_address_becomes_the_one_primary_address():
    admin = UserFactory(is_superuser=True, email="old@city.example.jp")  # primary
    admin.email = "admin@city.example.jp"
    admin.save()
    other = UserFactory(email="someone@example.jp")  # with its primary address
    address = superuser_email_verify(user=admin)
    assert (address.email, address.verified, address.primary) == (
        "admin@city.example.jp",
        True,
        True,
    )
    assert primary_addresses(admin) == ["admin@city.example.jp"]
    assert primary_addresses(other) == ["someone@example.jp"]  # nobody else's changes


# --- Attaching an address -----------------------------------------------------------


def test_an_attached_address_replaces_the_primary_one_of_that_user_only(coordinator):
    resident = user_create_without_login(
        full_name="木村 ハル", full_name_kana="キムラ ハル", actor=coordinator
    )
    EmailAddress.objects.create(user=resident, email="old@example.jp", primary=True)
    other = UserFactory(email="someone@example.jp")  # with its primary address
    user_attach_email(user=resident, email="haru@example.jp")
    assert primary_addresses(resident) == ["haru@example.jp"]
    assert primary_addresses(other) == ["someone@example.jp"]


def test_an_address_in_use_is_reported_on_the_email_field(coordinator):
    UserFactory(email="taken@example.jp")
    resident = user_create_without_login(full_name="A", full_name_kana="エー", actor=coordinator)
    with pytest.raises(EmailInUse) as excinfo:
        user_attach_email(user=resident, email="taken@example.jp")
    assert excinfo.value.field == "email"


def test_losing_the_race_for_an_address_is_reported_on_the_email_field(coordinator):
    """Two registrations of one address at once: the check passes for both, the unique
    index refuses the second save."""
    resident = user_create_without_login(full_name="A", full_name_kana="エー", actor=coordinator)
    with (
        mock.patch.object(User, "save", side_effect=IntegrityError("unique")),
        pytest.raises(EmailInUse) as excinfo,
    ):
        user_attach_email(user=resident, email="race@example.jp")
    assert excinfo.value.field == "email"
    assert not EmailAddress.objects.filter(user=resident).exists()


def test_attaching_an_address_writes_only_the_address(coordinator):
    resident = user_create_without_login(full_name="A", full_name_kana="エー", actor=coordinator)
    User.objects.filter(pk=resident.pk).update(full_name="木村 ハル")  # meanwhile, elsewhere
    user_attach_email(user=resident, email="haru@example.jp")
    assert User.objects.values_list("full_name", "email").get(pk=resident.pk) == (
        "木村 ハル",
        "haru@example.jp",
    )


# --- Registering without a login ----------------------------------------------------


def test_a_registration_keeps_the_phone_number(coordinator):
    resident = user_create_without_login(
        full_name="A", full_name_kana="エー", phone="0312345678", actor=coordinator
    )
    assert User.objects.get(pk=resident.pk).phone == "+81312345678"


def test_a_birth_date_in_the_future_is_refused_on_its_field(coordinator):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        user_create_without_login(
            full_name="A", full_name_kana="エー", birth_date=tomorrow, actor=coordinator
        )
    assert list(excinfo.value.message_dict) == ["birth_date"]
    assert not User.objects.filter(full_name="A").exists()


def test_a_refused_registration_names_the_role(coordinator):
    with pytest.raises(NotPermitted) as excinfo:
        user_create_without_login(
            full_name="A", full_name_kana="エー", roles=(Role.SHOP_STAFF,), actor=coordinator
        )
    assert excinfo.value.details == {"role": "shop_staff"}


# --- Dates of birth -----------------------------------------------------------------


def test_city_staff_record_a_birth_date_and_the_answer_says_if_it_changed():
    resident = UserFactory(roles=["resident"])
    city = UserFactory(roles=["city_staff"])
    assert user_birth_date_set(user=resident, birth_date=dt.date(1950, 1, 2), actor=city) is True
    assert User.objects.get(pk=resident.pk).birth_date == dt.date(1950, 1, 2)
    assert user_birth_date_set(user=resident, birth_date=dt.date(1950, 1, 2), actor=city) is False


def test_a_birth_date_refusal_names_its_field_and_a_future_date_is_refused():
    resident = UserFactory(roles=["resident"], birth_date=dt.date(1950, 1, 2))
    with pytest.raises(NotPermitted) as excinfo:
        user_birth_date_set(user=resident, birth_date=dt.date(1951, 1, 2), actor=resident)
    assert excinfo.value.field == "birth_date"
    city = UserFactory(roles=["city_staff"])
    with pytest.raises(ValidationError):
        user_birth_date_set(
            user=resident, birth_date=timezone.localdate() + dt.timedelta(days=1), actor=city
        )
    assert User.objects.get(pk=resident.pk).birth_date == dt.date(1950, 1, 2)


def test_recording_a_birth_date_writes_only_the_birth_date():
    resident = UserFactory(roles=["resident"])
    User.objects.filter(pk=resident.pk).update(full_name="木村 ハル")  # meanwhile, elsewhere
    user_birth_date_set(
        user=resident, birth_date=dt.date(1950, 1, 2), actor=UserFactory(roles=["coordinator"])
    )
    assert User.objects.values_list("full_name", "birth_date").get(pk=resident.pk) == (
        "木村 ハル",
        dt.date(1950, 1, 2),
    )


# --- Role groups --------------------------------------------------------------------


def test_granting_a_role_whose_group_is_missing_says_which():
    Group.objects.filter(name=Role.COORDINATOR.value).delete()
    with pytest.raises(ValueError) as excinfo:
        user_grant_roles(user=UserFactory(), roles=[Role.VOLUNTEER, Role.COORDINATOR])
    assert str(excinfo.value) == "Role groups missing (run migrate): ['coordinator']"


def test_a_flushed_database_gets_its_role_groups_back_with_admin_access_for_the_back_office():
    Group.objects.all().delete()
    role_groups_sync()
    role_groups_sync()  # idempotent
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for role in Role:
        permissions = list(Group.objects.get(name=role.value).permissions.all())
        assert permissions == ([access_admin] if role in BACK_OFFICE_ROLES else []), role


def test_anonymising_a_user_overwrites_them_and_removes_only_their_logins():
    """Name, kana, email and phone are overwritten, the account can do nothing any
    more, and its email addresses, MFA devices and LINE link (its user id and display
    name, often a real name) go; someone else's stay."""
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    from accounts.services import ANONYMISED_KANA, ANONYMISED_NAME, user_anonymise

    gone = UserFactory(
        full_name="山田 花子",
        full_name_kana="ヤマダ ハナコ",
        phone="090-1234-5678",
        is_staff=True,
        is_superuser=True,
    )
    stays = UserFactory()
    for user, uid in ((gone, "U" + "1" * 32), (stays, "U" + "2" * 32)):
        SocialAccount.objects.create(
            user=user, provider="line", uid=uid, extra_data={"displayName": "山田"}
        )
        EmailAddress.objects.get_or_create(user=user, email=user.email)
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
    user_anonymise(user=gone)
    gone.refresh_from_db()
    assert (gone.full_name, gone.full_name_kana) == (
        ANONYMISED_NAME.format(pk=gone.pk),
        ANONYMISED_KANA,
    )
    assert gone.email is None and gone.phone == ""
    assert (gone.is_active, gone.is_staff, gone.is_superuser) == (False, False, False)
    assert not gone.has_usable_password()
    for model in (SocialAccount, EmailAddress, Authenticator):
        assert list(model.objects.values_list("user_id", flat=True)) == [stays.pk], model
