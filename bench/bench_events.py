"""The public event list with 1,000 events in a district, as a ratio to the same list
for a district with 25 events, measured side by side in the same run.

Set-up: database ``ikiiki_bench_cms`` on the local PostgreSQL (``BENCH_PG_URL``) is
dropped, recreated and migrated; the page tree gets 13 district associations. District
A gets 25 upcoming events (through Wagtail's ``add_child``), district B 1,000 (rows
written directly with Wagtail's tree paths, so set-up takes seconds, not minutes).

Requests run in-process through Django's test client (no HTTP server: what is compared
is the view's own work). Measured: ``GET /events/?district=B`` (a page of 20 events out
of 1,000); baseline: ``GET /events/?district=A`` (a page of 20 out of 25) — both render
a full page, so only the number of events behind it differs. The two are timed in
alternation, ``BENCH_EVENTS_ROUNDS`` (40) rounds after 3 warm-ups, so load from other
work on the machine hits both alike; the medians are compared. Informational: the
unfiltered index and the iCal feed of every event (which grows with the events, by
design), and the SQL query count of each request.

Target: the district list for 1,000 events within 1.5× of the one for 25, with the same
number of queries.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB = "ikiiki_bench_cms"
ROUNDS = int(os.environ.get("BENCH_EVENTS_ROUNDS", "30"))
TARGET = 1.5


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG_URL}/{DB}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _recreate_database() -> None:
    for sql in (f'DROP DATABASE IF EXISTS "{DB}"', f'CREATE DATABASE "{DB}"'):
        subprocess.run(
            ["psql", "-q", f"{PG_URL}/postgres", "-c", sql], check=True, capture_output=True
        )
    env = dict(os.environ, DATABASE_URL=f"{PG_URL}/{DB}")
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        check=True,
        cwd=ROOT,
        env=env,
    )


def _tree():
    from django.utils import timezone

    from accounts.models import District
    from cms.models import DistrictAssociationPage, DistrictIndexPage, EventIndexPage, EventPage
    from cms.services.site import site_home_ensure

    home = site_home_ensure()
    index = home.add_child(instance=DistrictIndexPage(title="地域協議会", slug="districts"))
    home.add_child(instance=EventIndexPage(title="イベント", slug="events"))
    associations = []
    for n in range(13):
        district = District.objects.create(
            code=f"d{n}", name=f"第{n}小学校区", name_kana="ダイ", sort_order=n
        )
        associations.append(
            index.add_child(
                instance=DistrictAssociationPage(
                    title=f"第{n}地域協議会", slug=f"d{n}", district=district
                )
            )
        )
    today = timezone.localdate()
    for n in range(25):
        start = timezone.make_aware(
            dt.datetime.combine(today + dt.timedelta(days=1 + n), dt.time(10))
        )
        associations[0].add_child(
            instance=EventPage(
                title=f"イベント{n}",
                slug=f"e{n}",
                start_at=start,
                end_at=start + dt.timedelta(hours=2),
                venue="公民館",
            )
        )
    return associations


def _add_events(associations, count: int) -> None:
    """``count`` more live events spread over the associations, written directly."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from wagtail.models import Page

    from cms.models import EventPage

    content_type = ContentType.objects.get_for_model(EventPage)
    today = timezone.localdate()
    for k, association in enumerate(associations):
        parent = Page.objects.get(pk=association.pk)
        last = parent.get_last_child()
        step = Page._str2int(last.path[-Page.steplen :]) if last else 0
        share = count if len(associations) == 1 else count // len(associations)
        pages = [
            Page(
                title=f"追加 {k}-{n}",
                draft_title=f"追加 {k}-{n}",
                slug=f"x{k}-{n}",
                content_type=content_type,
                path=Page._get_path(parent.path, parent.depth + 1, step + n),
                depth=parent.depth + 1,
                url_path=f"{parent.url_path}x{k}-{n}/",
                live=True,
                locale_id=parent.locale_id,
            )
            for n in range(1, share + 1)
        ]
        Page.objects.bulk_create(pages)
        for n, page in enumerate(pages):
            start = timezone.make_aware(
                dt.datetime.combine(today + dt.timedelta(days=1 + n % 60), dt.time(9 + n % 8))
            )
            EventPage(
                page_ptr_id=page.pk,
                district_id=association.district_id,
                start_at=start,
                end_at=start + dt.timedelta(hours=1),
                venue="会場",
            ).save_base(raw=True)
        Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + len(pages))


def _timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, url
    return elapsed


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def _alternating(client, urls: list[str]) -> list[float]:
    """Median time of each URL, timed in alternation."""
    for url in urls:
        for _ in range(3):
            _timed(client, url)
    samples: list[list[float]] = [[] for _ in urls]
    for _ in range(ROUNDS):
        for i, url in enumerate(urls):
            samples[i].append(_timed(client, url))
    return [statistics.median(s) for s in samples]


def main() -> None:
    _recreate_database()
    _setup_django()
    from django.test import Client

    from cms.models import EventPage

    associations = _tree()
    a, b = associations[0], associations[1]
    _add_events([b], 1000)
    assert EventPage.objects.live().filter(district=b.district).count() == 1000
    client = Client(HTTP_HOST="localhost")

    small_url, large_url = (
        f"/events/?district={a.district_id}",
        f"/events/?district={b.district_id}",
    )
    small, large = _alternating(client, [small_url, large_url])
    q_small, q_large = _queries(client, small_url), _queries(client, large_url)
    ratio = large / small
    print(f"district list, 25 events (baseline)   {small * 1000:7.1f} ms  {q_small} queries")
    print(f"district list, 1,000 events           {large * 1000:7.1f} ms  {q_large} queries")
    print(f"ratio 1,000 / 25: {ratio:.2f} (target <= {TARGET}, same queries)")

    index, feed = _alternating(client, ["/events/", "/events.ics"])
    print(
        f"informational: /events/ (1,025 events) {index * 1000:.1f} ms, "
        f"{_queries(client, '/events/')} queries; /events.ics (1,025 events) "
        f"{feed * 1000:.1f} ms, {_queries(client, '/events.ics')} queries"
    )
    if ratio > TARGET or q_small != q_large:
        raise SystemExit("the event list grows with the number of events")


if __name__ == "__main__":
    main()
