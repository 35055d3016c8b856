"""Site search (Wagtail search) and Wagtail's content API exposing events."""

import datetime as dt

import pytest

from cms.models import EventPage
from tests.cms import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    chuo = support.association("chuo", "中央")
    salon = support.event(
        chuo, dt.datetime(2099, 4, 1, 10, 0, tzinfo=support.TOKYO), title="グラウンドゴルフ大会"
    )
    support.news(chuo, title="防犯パトロールのお知らせ")
    draft = support.event(chuo, support.in_days(3), title="グラウンド整備の下書き")
    draft.unpublish()
    return chuo, salon


def test_search_finds_live_pages_only(client, content):
    html = client.get("/search/", {"q": "グラウンド"}).content.decode()
    assert "グラウンドゴルフ大会" in html
    assert "下書き" not in html
    assert "防犯パトロール" in client.get("/search/", {"q": "防犯"}).content.decode()
    # Part of a Japanese title (no spaces to split on) is still found.
    middle = client.get("/search/", {"q": "ゴルフ"}).content.decode()
    assert "グラウンドゴルフ大会" in middle and "下書き" not in middle
    assert client.get("/search/").status_code == 200


def test_api_lists_events_with_their_fields(client, content):
    _, salon = content
    response = client.get(
        "/api/cms/v2/pages/",
        {"type": "cms.EventPage", "fields": "start_at,end_at,venue,district_name"},
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["title"] for item in items] == ["グラウンドゴルフ大会"]
    item = items[0]
    assert item["id"] == salon.pk
    assert dt.datetime.fromisoformat(item["start_at"]) == dt.datetime(
        2099, 4, 1, 1, 0, tzinfo=dt.UTC
    )
    assert item["venue"] == "公民館" and item["district_name"] == "中央"
    detail = client.get(f"/api/cms/v2/pages/{salon.pk}/").json()
    assert detail["meta"]["type"] == "cms.EventPage"
    assert EventPage.objects.count() == 2  # the draft exists but is not exposed


def test_api_gives_the_event_image_as_the_pages_rendition(client, content, settings, tmp_path):
    import io

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), "#0b5a8c").save(buffer, "PNG")
    image = get_image_model().objects.create(
        title="会場の写真", file=ImageFile(buffer, name="hall.png")
    )
    chuo, salon = content
    salon.image = image
    salon.save_revision().publish()
    plain = support.event(chuo, support.in_days(5), title="写真なしの会")

    items = client.get("/api/cms/v2/pages/", {"type": "cms.EventPage", "fields": "image"}).json()[
        "items"
    ]
    by_title = {item["title"]: item["image"] for item in items}
    assert by_title["写真なしの会"] is None
    shown = by_title["グラウンドゴルフ大会"]
    assert (shown["width"], shown["height"]) == (800, 450)  # width-800, as on the page
    assert shown["url"].startswith("/media/images/") and ".width-800." in shown["url"]
    assert shown["alt"] == "会場の写真"
    assert (tmp_path / shown["url"].removeprefix("/media/")).is_file()
    detail = client.get(f"/api/cms/v2/pages/{salon.pk}/").json()
    assert detail["image"]["url"] == shown["url"]
    assert client.get(f"/api/cms/v2/pages/{plain.pk}/").json()["image"] is None


def test_api_is_not_in_the_openapi_schema(client, settings):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["paths"]
    assert not [path for path in schema["paths"] if "/cms/" in path or "pages" in path]


def test_a_private_association_stays_out_of_lists_feeds_search_and_api(client):
    from wagtail.models import PageViewRestriction

    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    support.event(chuo, support.in_days(2), title="公開の体操")
    hidden = support.event(kita, support.in_days(2), title="内部の打合せ")
    PageViewRestriction.objects.create(
        page=kita, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    listing = client.get(support.district_index().url).content.decode()
    assert "中央小学校区地域協議会" in listing and "北小学校区地域協議会" not in listing
    feed = client.get("/events.ics").content.decode()
    assert "公開の体操" in feed and "内部の打合せ" not in feed
    assert client.get(f"/events/{hidden.pk}.ics").status_code == 404
    assert client.get("/districts/kita/events.ics").status_code == 404
    assert "内部の打合せ" not in client.get("/search/", {"q": "打合せ"}).content.decode()
    api = client.get("/api/cms/v2/pages/", {"type": "cms.EventPage"}).json()
    assert [item["title"] for item in api["items"]] == ["公開の体操"]
