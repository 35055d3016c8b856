"""Odd query strings and form values on the public site's views: never a 500."""

import pytest

from tests.cms import support

pytestmark = pytest.mark.django_db

ODD = [
    "",
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "\x00",
    "%00",
    "9999-12",
    "0000-01",
    "2026-13",
    "🙂" * 50,
    "' OR 1=1 --",
    "a" * 5000,
]


@pytest.fixture
def site(db):
    chuo = support.association("chuo", "中央")
    event = support.event(chuo, support.in_days(3), title="体操")
    support.news(chuo)
    return {
        "index": support.event_index(),
        "call": support.call(),
        "association": chuo,
        "event": event,
    }


@pytest.mark.parametrize("value", ODD)
def test_public_views_never_500_on_odd_query_strings(client, site, value):
    urls = [
        site["index"].url,
        site["association"].url,
        site["event"].url,
        "/",
        "/search/",
        "/events.ics",
        "/api/cms/v2/pages/",
    ]
    for url in urls:
        for name in ("district", "month", "page", "q", "type", "search", "offset", "limit"):
            response = client.get(url, {name: value})
            assert response.status_code < 500, (url, name, value, response.status_code)
    for name in ("id", "child_of", "descendant_of", "fields", "order", "start_at", "district"):
        response = client.get("/api/cms/v2/pages/", {"type": "cms.EventPage", name: value})
        assert response.status_code < 500, (name, value, response.status_code)


def test_api_refuses_an_absurd_offset_with_400(client, site):
    response = client.get("/api/cms/v2/pages/", {"offset": "99999999999999999999"})
    assert response.status_code == 400
    assert "offset" in response.json()["message"]
    assert client.get("/api/cms/v2/pages/", {"offset": "1"}).status_code == 200


def test_search_refuses_nul_characters_with_a_japanese_400(client, site):
    # Refused before any view (core.middleware.BadInputMiddleware, issue #15).
    response = client.get("/search/", {"q": "体\x00操"})
    assert response.status_code == 400
    assert "使用できない文字が含まれています" in response.content.decode()


def test_month_9999_12_is_a_field_error_and_the_district_filter_still_applies(client, site):
    kita = support.association("kita", "北")
    support.event(kita, support.in_days(4), title="北の防災訓練")
    response = client.get(
        site["index"].url, {"month": "9999-12", "district": site["association"].district_id}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "体操" in html and "北の防災訓練" not in html
    assert response.context["filter_form"].errors["month"]


def test_api_refuses_nul_characters_with_400(client, site):
    response = client.get("/api/cms/v2/pages/", {"search": "体\x00操"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"


def test_api_field_filters_with_bad_values_are_400(client, site):
    for params in (
        {"type": "cms.EventPage", "start_at": "abc"},
        {"type": "cms.EventPage", "capacity": "99999999999999999999"},
        {"id": "99999999999999999999"},
    ):
        response = client.get("/api/cms/v2/pages/", params)
        assert response.status_code == 400, params
        assert "field filter error" in response.json()["message"]
    start = site["event"].start_at.isoformat()
    response = client.get("/api/cms/v2/pages/", {"type": "cms.EventPage", "start_at": start})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [site["event"].pk]
