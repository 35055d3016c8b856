"""core.pagination: back-office lists over tables that grow without end count at most
``count_cap`` rows, with one bounded query, and say when there are more."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.pagination import CappedCountPaginator
from points.services.accounts import wallet_for
from points.services.postings import points_adjust
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund, new_key
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db

NOTE = "フィルターで絞り込んでください"  # the capped list's note, in Japanese


class CapFive(CappedCountPaginator):
    count_cap = 5


def test_below_the_cap_it_counts_and_labels_like_wagtail():
    UserFactory.create_batch(3)
    paginator = CapFive(User.objects.order_by("pk"), 2)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (3, False, 2)
    assert paginator.items_count_label.startswith("3 ")


def test_at_the_cap_exactly_it_is_not_capped():
    UserFactory.create_batch(5)
    paginator = CapFive(User.objects.all(), 2)
    assert (paginator.count, paginator.capped) == (5, False)


def test_past_the_cap_it_stops_counting_and_says_so():
    UserFactory.create_batch(7)
    paginator = CapFive(User.objects.order_by("-pk"), 2)
    with CaptureQueriesContext(connection) as captured:
        assert (paginator.count, paginator.capped, paginator.num_pages) == (5, True, 3)
    assert len(captured) == 1
    sql = captured[0]["sql"].upper()
    assert "LIMIT 6" in sql and "ORDER BY" not in sql
    assert "5" in paginator.items_count_label and NOTE in paginator.items_count_label
    # The pages reach the cap, not the rows beyond it.
    assert len(paginator.page(3).object_list) == 1


def test_the_ledger_report_stops_counting_at_the_cap(client, monkeypatch):
    staff = UserFactory(roles=["city_staff"])
    for _ in range(3):  # six entries
        points_adjust(
            user=UserFactory(roles=["volunteer"]),
            amount=10,
            reason="bench",
            actor=staff,
            idempotency_key=new_key(),
        )
    signed_in_back_office(client, staff)
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 4)
    html = client.get("/admin/points/ledger/").content.decode()
    assert NOTE in html and "4" in html
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 6)
    html = client.get("/admin/points/ledger/").content.decode()
    assert NOTE not in html


def _voucher_for_someone_new(key: str) -> None:
    owner = UserFactory(roles=["volunteer"])
    fund(wallet_for(owner), 2000)
    voucher_exchange(user=owner, count=1, idempotency_key=key)


def test_the_voucher_list_reads_its_rows_in_queries_that_do_not_grow_and_caps_its_count(
    client, monkeypatch
):
    """Each row's owner and shop come with the rows (it was one query per row), and the
    count stops at the cap, as on the ledger."""
    staff = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, staff)
    _voucher_for_someone_new("v-0")
    client.get("/admin/vouchers/")  # once, for what is cached per process
    with CaptureQueriesContext(connection) as one:
        assert client.get("/admin/vouchers/").status_code == 200
    for n in range(1, 6):
        _voucher_for_someone_new(f"v-{n}")
    with CaptureQueriesContext(connection) as six:
        html = client.get("/admin/vouchers/").content.decode()
    assert len(six) == len(one)
    assert NOTE not in html
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 5)
    assert NOTE in client.get("/admin/vouchers/").content.decode()
