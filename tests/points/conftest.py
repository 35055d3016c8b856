"""Fixtures for the points ledger tests (helpers live in ``tests.points.support``)."""

from __future__ import annotations

import pytest

from points.models import AccountKind
from points.services.accounts import system_account, wallet_for
from tests.factories import UserFactory
from tests.points.support import EarningRuleFactory


@pytest.fixture
def rule_factory(db):
    return EarningRuleFactory


@pytest.fixture
def issuance(db):
    return system_account(AccountKind.ISSUANCE)


@pytest.fixture
def liability(db):
    return system_account(AccountKind.VOUCHER_LIABILITY)


@pytest.fixture
def payee(db):
    """Another volunteer's wallet, to spend into where a test audits the books.

    Not the voucher-liability account: the audit requires that account to hold exactly
    the points of unused vouchers, so a plain transfer into it is a breach by design
    (points reach it through ``voucher_exchange``)."""
    return wallet_for(UserFactory(full_name="受取 花子"))


@pytest.fixture
def expired_account(db):
    return system_account(AccountKind.EXPIRED)


@pytest.fixture
def wallet(volunteer):
    """The ``volunteer`` fixture's (empty) wallet."""
    return wallet_for(volunteer)


@pytest.fixture
def city_staff(db):
    return UserFactory(roles=["city_staff"])
