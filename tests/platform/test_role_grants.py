"""Who may give whom which role (platform/accounts/services.py), as a whole table:
each role against each granting role, written out here again rather than read from
GRANTED_BY, so a change to the rule in one place fails here."""

from __future__ import annotations

import itertools

import pytest

from accounts.models import Role
from accounts.services import role_grant, role_may_grant, role_revoke
from core.errors import NotPermitted
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

#: role -> the roles that may grant it
MAY_GRANT = {
    "resident": {"coordinator", "city_staff"},
    "volunteer": {"coordinator", "city_staff"},
    "shop_staff": {"city_staff"},
    "district_editor": {"city_staff"},
    "coordinator": {"city_staff"},
    "city_staff": {"city_staff"},
}


def test_every_role_against_every_granting_role():
    assert set(MAY_GRANT) == {r.value for r in Role}
    actors = {role: UserFactory(roles=[role]) for role in MAY_GRANT}
    actors["none"] = UserFactory(roles=[])
    for (actor_role, actor), role in itertools.product(actors.items(), MAY_GRANT):
        expected = actor_role in MAY_GRANT[role]
        assert role_may_grant(actor=actor, role=role) is expected, (actor_role, role)
        assert role_may_grant(actor=actor, role=Role(role)) is expected


def test_a_superuser_may_grant_anything_and_an_inactive_actor_nothing():
    boss = UserFactory(roles=[], is_superuser=True)
    assert all(role_may_grant(actor=boss, role=role) for role in MAY_GRANT)
    gone = UserFactory(roles=["city_staff"], is_active=False)
    assert not any(role_may_grant(actor=gone, role=role) for role in MAY_GRANT)
    gone_boss = UserFactory(roles=[], is_superuser=True, is_active=False)
    assert not role_may_grant(actor=gone_boss, role="resident")


def test_a_grant_is_reported_once_and_kept_with_the_other_roles():
    city = UserFactory(roles=["city_staff"])
    user = UserFactory(roles=["volunteer"])
    assert role_grant(user=user, role=Role.SHOP_STAFF, actor=city) is True
    assert role_grant(user=user, role=Role.SHOP_STAFF, actor=city) is False
    assert set(user.groups.values_list("name", flat=True)) == {"volunteer", "shop_staff"}


def test_nobody_grants_themselves_what_they_may_not_grant():
    coordinator = UserFactory(roles=["coordinator"])
    with pytest.raises(NotPermitted) as refused:
        role_grant(user=coordinator, role=Role.CITY_STAFF, actor=coordinator)
    assert refused.value.details == {"role": "city_staff"}
    assert not coordinator.groups.filter(name="city_staff").exists()


def test_a_revoke_needs_the_right_to_grant_and_never_applies_to_oneself():
    city, other_city = UserFactory(roles=["city_staff"]), UserFactory(roles=["city_staff"])
    coordinator = UserFactory(roles=["coordinator"])
    shopkeeper = UserFactory(roles=["shop_staff", "volunteer"])
    with pytest.raises(NotPermitted):
        role_revoke(user=shopkeeper, role=Role.SHOP_STAFF, actor=coordinator)
    with pytest.raises(NotPermitted) as refused:
        role_revoke(user=city, role=Role.CITY_STAFF, actor=city)
    assert refused.value.details == {"role": "city_staff"}
    assert role_revoke(user=shopkeeper, role=Role.SHOP_STAFF, actor=city) is True
    assert role_revoke(user=shopkeeper, role=Role.SHOP_STAFF, actor=city) is False
    assert set(shopkeeper.groups.values_list("name", flat=True)) == {"volunteer"}
    assert role_revoke(user=city, role=Role.CITY_STAFF, actor=other_city) is True
