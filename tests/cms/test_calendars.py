"""iCal feeds, parsed with an independent RFC 5545 parser (``ical``, not the
``icalendar`` library that writes them)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from ical.calendar_stream import IcsCalendarStream
from wagtail.models import Site

from tests.cms import support

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "max-age=300" in response["Cache-Control"]
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "\r\n" in text  # CRLF lines
    return IcsCalendarStream.calendar_from_ics(text)


@pytest.fixture
def events():
    chuo, kita = support.association("chuo", "中央"), support.association("kita", "北")
    # 09:30 in Tokyo is 00:30 UTC the same day; 08:00 JST on the 1st is the 31st in UTC.
    salon = support.event(
        chuo,
        dt.datetime(2099, 3, 1, 8, 0, tzinfo=support.TOKYO),
        title="朝のサロン",
        venue="中央公民館",
        address="中央1-2-3",
        contact="事務局 0120-000-101",
    )
    drill = support.event(
        kita, dt.datetime(2099, 3, 14, 9, 30, tzinfo=support.TOKYO), hours=3, title="防災訓練"
    )
    support.event(chuo, support.in_days(-60), title="ずっと前の会")
    return salon, drill


def test_all_events_feed_has_right_times_in_tokyo_and_stable_uids(client, events):
    salon, drill = events
    calendar = parse(client.get("/events.ics"))
    assert [tz.tz_id for tz in calendar.timezones] == ["Asia/Tokyo"]
    by_summary = {event.summary: event for event in calendar.events}
    assert set(by_summary) == {"朝のサロン", "防災訓練"}  # the old event is out of range

    morning = by_summary["朝のサロン"]
    assert morning.dtstart == dt.datetime(2099, 3, 1, 8, 0, tzinfo=TOKYO)
    assert morning.dtstart.tzinfo.key == "Asia/Tokyo"
    assert morning.dtend == dt.datetime(2099, 3, 1, 10, 0, tzinfo=TOKYO)
    assert morning.dtstart.astimezone(dt.UTC) == dt.datetime(2099, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert morning.location == "中央公民館 中央1-2-3"
    assert "0120-000-101" in morning.description
    assert morning.url.endswith(salon.url)
    assert by_summary["防災訓練"].dtend == dt.datetime(2099, 3, 14, 12, 30, tzinfo=TOKYO)

    host = Site.objects.get(is_default_site=True).hostname
    assert morning.uid == f"event-{salon.pk}@{host}"
    # Stable: the same UIDs on the next fetch and after the event is edited.
    salon.title = "朝のサロン（会場変更）"
    salon.save_revision().publish()
    again = {e.uid for e in parse(client.get("/events.ics")).events}
    assert again == {f"event-{salon.pk}@{host}", f"event-{drill.pk}@{host}"}


def test_district_feed_has_only_that_districts_events(client, events):
    calendar = parse(client.get("/districts/kita/events.ics"))
    assert [e.summary for e in calendar.events] == ["防災訓練"]
    assert client.get("/districts/nowhere/events.ics").status_code == 404


def test_single_event_file_for_add_to_calendar(client, events):
    salon, _ = events
    calendar = parse(client.get(f"/events/{salon.pk}.ics"))
    (event,) = calendar.events
    assert event.summary == "朝のサロン"
    assert event.dtstart == dt.datetime(2099, 3, 1, 8, 0, tzinfo=TOKYO)


def test_unpublished_events_are_not_in_feeds(client, events):
    salon, _ = events
    salon.unpublish()
    assert "朝のサロン" not in {e.summary for e in parse(client.get("/events.ics")).events}
    assert client.get(f"/events/{salon.pk}.ics").status_code == 404


def test_commas_semicolons_and_long_lines_follow_rfc_5545(client, events):
    chuo = events[0].get_parent().specific
    title = "体操, 歌; 茶話会\\予定"
    event = support.event(
        chuo,
        dt.datetime(2099, 4, 1, 10, 0, tzinfo=support.TOKYO),
        title=title,
        venue="公民館, 2階",
        description="<p>" + "長い説明です。" * 40 + "</p>",
    )
    response = client.get(f"/events/{event.pk}.ics")
    raw = response.content
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # folded, in octets
    unfolded = raw.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:体操\\, 歌\\; 茶話会\\\\予定" in unfolded
    assert "LOCATION:公民館\\, 2階" in unfolded
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo" in unfolded
    assert "DTSTART;TZID=Asia/Tokyo:20990401T100000" in unfolded
    assert "DTSTAMP:" in unfolded and unfolded.split("DTSTAMP:")[1][15] == "Z"
    (parsed,) = parse(response).events
    assert parsed.summary == title
    assert parsed.description.startswith("長い説明です。長い")
