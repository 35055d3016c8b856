"""The event index: upcoming only, filters by district and month, pagination, and a
query count that does not grow with the number of events."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import EventIndexPage, EventPage
from tests.cms import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def index():
    return support.event_index()


def titles(html: str, names) -> list[str]:
    return [name for name in names if name in html]


def test_lists_upcoming_events_across_districts_soonest_first(client, index):
    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    support.event(kita, support.in_days(9), title="北の防災訓練")
    support.event(chuo, support.in_days(2), title="中央の体操")
    support.event(chuo, support.in_days(-3), title="先週の会")
    html = client.get(index.url).content.decode()
    assert titles(html, ["北の防災訓練", "中央の体操", "先週の会"]) == [
        "北の防災訓練",
        "中央の体操",
    ]
    assert html.index("中央の体操") < html.index("北の防災訓練")


def test_filters_by_district_and_by_month(client, index):
    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    support.event(
        chuo, dt.datetime(2099, 1, 31, 23, 0, tzinfo=support.TOKYO), title="一月末", hours=0.5
    )
    support.event(chuo, dt.datetime(2099, 2, 1, 0, 30, tzinfo=support.TOKYO), title="二月一日")
    support.event(kita, dt.datetime(2099, 2, 10, 10, 0, tzinfo=support.TOKYO), title="北の二月")
    names = ["一月末", "二月一日", "北の二月"]

    by_district = client.get(index.url, {"district": chuo.district_id}).content.decode()
    assert titles(by_district, names) == ["一月末", "二月一日"]
    # Month boundaries are Tokyo's: 2099-02-01 00:30 JST is 2099-01-31 in UTC.
    february = client.get(index.url, {"month": "2099-02"}).content.decode()
    assert titles(february, names) == ["二月一日", "北の二月"]
    both = client.get(index.url, {"month": "2099-02", "district": kita.district_id})
    assert titles(both.content.decode(), names) == ["北の二月"]


def test_invalid_filters_are_reported_not_a_500(client, index):
    response = client.get(index.url, {"month": "2099-13", "district": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_month_error"' in html and 'id="id_district_error"' in html
    assert set(response.context["filter_form"].errors) == {"month", "district"}


def test_paginates_and_keeps_filters_in_page_links(client, index):
    chuo = support.association("chuo", "中央")
    for n in range(EventIndexPage.page_size + 3):
        support.event(chuo, support.in_days(1 + n), title=f"会{n:02d}")
    first = client.get(index.url, {"district": chuo.district_id}).content.decode()
    assert "会00" in first and f"会{EventIndexPage.page_size:02d}" not in first
    assert f"?district={chuo.district_id}&amp;page=2" in first
    second = client.get(index.url, {"district": chuo.district_id, "page": 2}).content.decode()
    assert f"会{EventIndexPage.page_size + 2:02d}" in second and "会00" not in second


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_same_number_of_queries_for_10_and_1000_events(client, index, django_db_blocker):
    associations = [support.association(f"d{n}", f"第{n}") for n in range(5)]
    for n in range(10):
        support.event(associations[n % 5], support.in_days(1 + n % 50), slug=f"a{n}")
    client.get(index.url)  # warm per-process caches (content types, site root paths)
    with_10 = _count_queries(client, index.url)
    with_10_filtered = _count_queries(client, f"{index.url}?district={associations[1].district_id}")

    for association in associations:
        support.bulk_events(association, [support.in_days(1 + n % 50) for n in range(198)])
    assert EventPage.objects.live().count() == 1000
    with_1000 = _count_queries(client, index.url)
    with_1000_filtered = _count_queries(
        client, f"{index.url}?district={associations[1].district_id}"
    )
    assert with_10 == with_1000
    assert with_10_filtered == with_1000_filtered
