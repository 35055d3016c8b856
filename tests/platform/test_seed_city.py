"""``seed_city``: the generated city keeps the ledger's invariants, is the same for the
same seed, and never runs in production (or on SQLite, which it cannot write)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

pytestmark = pytest.mark.django_db

FINGERPRINT = """
SELECT
    (SELECT count(*) FROM accounts_user),
    (SELECT count(*) FROM accounts_user_groups),
    (SELECT count(*) FROM volunteers_volunteerprofile),
    (SELECT count(*) FROM volunteers_matchingslot),
    (SELECT count(*) FROM points_transaction),
    (SELECT count(*) FROM points_entry),
    (SELECT count(*) FROM volunteers_activity),
    (SELECT count(*) FROM points_voucher),
    (SELECT count(*) FROM points_settlementstatement),
    (SELECT count(*) FROM volunteers_assignment),
    (SELECT count(*) FROM cms_eventpage),
    (SELECT count(*) FROM cms_proposal),
    (SELECT md5(string_agg(idempotency_key || created_at::text || kind, ',' ORDER BY id))
       FROM points_transaction),
    (SELECT md5(string_agg(e.transaction_id || ':' || a.code || ':' || e.amount, ','
       ORDER BY e.transaction_id, e.amount))
       FROM points_entry e JOIN points_account a ON a.id = e.account_id),
    (SELECT md5(string_agg(code || balance, ',' ORDER BY id)) FROM points_account),
    (SELECT md5(string_agg(code_digest || status || coalesce(shop_id, 0), ',' ORDER BY id))
       FROM points_voucher),
    (SELECT md5(string_agg(path || start_at::text, ',' ORDER BY path))
       FROM cms_eventpage JOIN wagtailcore_page ON id = page_ptr_id),
    -- The matching index's copies of what the ranking weighs, against the profile.
    (SELECT count(*) FILTER (WHERE s.home) FROM volunteers_matchingslot s),
    (SELECT count(*) FROM volunteers_matchingslot s
       JOIN volunteers_volunteerprofile p ON p.user_id = s.profile_id
       WHERE s.home IS DISTINCT FROM (s.district_id = p.home_district_id)
          OR s.gender <> p.gender OR s.has_car <> p.has_car)
"""


class Rollback(Exception):
    pass


def _city(seed: int) -> tuple:
    """Generate a city at scale 0.001 in a savepoint, audit it, fingerprint it, and roll
    it back (a fresh database for the next run; sequences are not rolled back, so rows
    made by the ORM, such as the scheme's accounts, are compared by code, not id)."""
    audit = io.StringIO()
    try:
        with transaction.atomic():
            call_command("seed_city", scale=0.001, seed=seed, stdout=io.StringIO())
            call_command("points_audit", stdout=audit)
            with connection.cursor() as cursor:
                cursor.execute(FINGERPRINT)
                found = cursor.fetchone()
            raise Rollback
    except Rollback:
        pass
    assert "points ledger audit passed" in audit.getvalue()
    return found, audit.getvalue()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_same_seed_same_city_and_the_books_balance():
    first, audit = _city(seed=7)
    again, _ = _city(seed=7)
    other, _ = _city(seed=8)
    assert first == again
    users, grouped, profiles, slots, transactions, entries, activities = first[:7]
    assert users == 150 + 20 + 1 + 13 and grouped == users
    assert profiles == 20 and slots > 0
    home_rows, copies_wrong = first[-2:]
    assert 0 < home_rows < slots and copies_wrong == 0
    assert entries == 2 * transactions and activities > 20 * 9 * 9
    vouchers, statements, assignments, events, proposals = first[7:12]
    assert vouchers > 0 and statements > 0 and assignments > 0
    assert (events, proposals) == (10, 2)
    # Another seed: the same sizes, other choices.
    assert other[:2] == first[:2] and other[12:] != first[12:]
    assert "every transaction sums to zero: ok" in audit


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_events_are_pages_of_their_association():
    from wagtail.models import Page

    from cms.models import DistrictAssociationPage, EventPage

    try:
        with transaction.atomic():
            call_command("seed_city", scale=0.001, seed=1, stdout=io.StringIO())
            assert Page.find_problems() == ([], [], [], [], [])
            event = EventPage.objects.live().first()
            parent = event.get_parent().specific
            assert isinstance(parent, DistrictAssociationPage)
            assert event.district_id == parent.district_id
            assert event.url_path.startswith(parent.url_path)
            raise Rollback
    except Rollback:
        pass


def test_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never runs in production"):
        call_command("seed_city", scale=0.001, stdout=io.StringIO())


@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_says_it_needs_postgresql():
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_city", scale=0.001, stdout=io.StringIO())
