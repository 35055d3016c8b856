"""The iCal feed's lines as calendar apps read them (cms/calendars.py): the header
(VERSION, PRODID, X-WR-CALNAME, ...) and each event's properties, present exactly when
there is something to say. Built from plain objects: no database, no page tree."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.utils import timezone

from cms import calendars

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = dt.UTC


def event(pk=7, **fields):
    values = {
        "pk": pk,
        "title": "朝のサロン",
        "start_at": dt.datetime(2099, 3, 1, 8, 0, tzinfo=TOKYO),
        "end_at": dt.datetime(2099, 3, 1, 10, 0, tzinfo=TOKYO),
        "venue": "中央公民館",
        "address": "中央1-2-3",
        "description": "<p>お茶と<b>おしゃべり</b></p>",
        "contact": "事務局 0120-000-101",
        "last_published_at": dt.datetime(2099, 2, 1, 3, 4, 5, tzinfo=UTC),
    }
    values.update(fields)
    return SimpleNamespace(**values)


def lines(body: bytes) -> list[str]:
    """Unfolded content lines (RFC 5545 §3.1: a CRLF then a space continues a line)."""
    text = body.decode()
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def section(all_lines: list[str], name: str) -> list[str]:
    start = all_lines.index(f"BEGIN:{name}")
    return all_lines[start + 1 : all_lines.index(f"END:{name}", start)]


def test_the_header_names_the_calendar_and_the_producer():
    body = calendars.calendar_build([], host="example.jp", name="中央地区の行事")
    got = lines(body)
    assert got[0] == "BEGIN:VCALENDAR" and got[-1] == "END:VCALENDAR"
    header = set(got[1:-1])
    assert {
        "VERSION:2.0",
        "PRODID:-//ikiiki-platform//district events//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:中央地区の行事",
        "X-WR-TIMEZONE:Asia/Tokyo",
    } <= header
    assert "BEGIN:VEVENT" not in got


def test_an_event_carries_uid_times_in_tokyo_stamp_and_last_modified(monkeypatch):
    now = dt.datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    body = calendars.calendar_build(
        [event()], host="example.jp", name="行事", url_for=lambda e: f"https://x.jp/e/{e.pk}/"
    )
    got = lines(body)
    vevent = section(got, "VEVENT")
    assert "UID:event-7@example.jp" in vevent
    assert "DTSTAMP:20990102T030405Z" in vevent
    assert "DTSTART;TZID=Asia/Tokyo:20990301T080000" in vevent
    assert "DTEND;TZID=Asia/Tokyo:20990301T100000" in vevent
    assert "SUMMARY:朝のサロン" in vevent
    assert "LOCATION:中央公民館 中央1-2-3" in vevent
    assert "DESCRIPTION:お茶とおしゃべり\\n事務局 0120-000-101" in vevent
    assert "LAST-MODIFIED:20990201T030405Z" in vevent
    assert "URL:https://x.jp/e/7/" in vevent
    assert section(got, "VTIMEZONE")[0] == "TZID:Asia/Tokyo"


def test_times_given_in_utc_are_written_in_tokyo():
    start = dt.datetime(2099, 2, 28, 23, 0, tzinfo=UTC)  # 08:00 on 1 March in Tokyo
    got = lines(
        calendars.calendar_build(
            [event(start_at=start, end_at=start + dt.timedelta(hours=2))], host="h", name="n"
        )
    )
    vevent = section(got, "VEVENT")
    assert "DTSTART;TZID=Asia/Tokyo:20990301T080000" in vevent
    assert "DTEND;TZID=Asia/Tokyo:20990301T100000" in vevent


def test_empty_details_leave_their_lines_out():
    bare = event(venue="", address="", description="<p> </p>", contact="", last_published_at=None)
    vevent = section(lines(calendars.calendar_build([bare], host="h", name="n")), "VEVENT")
    names = {line.split(":", 1)[0].split(";", 1)[0] for line in vevent}
    assert names == {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"}


def test_one_part_of_a_location_or_description_stands_alone():
    only_address = event(venue="", address="北1-1", description="", contact="電話 1")
    vevent = section(lines(calendars.calendar_build([only_address], host="h", name="n")), "VEVENT")
    assert "LOCATION:北1-1" in vevent
    assert "DESCRIPTION:電話 1" in vevent


def test_each_event_is_its_own_vevent_in_order():
    got = lines(calendars.calendar_build([event(pk=1), event(pk=2)], host="h", name="n"))
    uids = [line for line in got if line.startswith("UID:")]
    assert uids == ["UID:event-1@h", "UID:event-2@h"]
    assert got.count("BEGIN:VTIMEZONE") == 1
