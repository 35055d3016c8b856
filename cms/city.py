"""``seed_city``'s public site: the 13 district associations (Wagtail's ORM: few
pages), their events over the ten fiscal years (bulk SQL with the tree's own paths)
and one call for proposals per fiscal year with its proposals (bulk SQL).

Events are written straight into Wagtail's tables: ``path`` is the parent's path plus
the child's step in base 36 (``Page.steplen`` symbols of ``Page.alphabet``), ``depth``
one more than the parent's, and the parent's ``numchild`` is set afterwards, which is
what ``add_child`` would have done one page at a time. They are not in the search
index (``update_index`` adds them if needed).
"""

# The SQL is built from model table names and constants of this module only; every
# value goes in as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page

from accounts.models import District
from cms.models import (
    DistrictAssociationPage,
    DistrictIndexPage,
    EventIndexPage,
    EventPage,
    Proposal,
    ProposalCallPage,
    ProposalTrack,
)
from cms.services.site import site_home_ensure
from core.city import City, max_id, rnd, sequences_reset

EVENT_TITLES = [
    "ふれあい・いきいきサロン",
    "健康体操教室",
    "防災訓練",
    "地域清掃の日",
    "子ども食堂",
]


def _child(parent, model, slug: str, **fields):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = parent.add_child(instance=model(slug=slug, **fields))
    return page


def seed(city: City) -> None:
    home = site_home_ensure()
    index = _child(home, DistrictIndexPage, "districts", title="地域協議会")
    _child(home, EventIndexPage, "events", title="イベント一覧")
    associations = []
    for district in District.objects.order_by("sort_order", "pk")[:13]:
        page = DistrictAssociationPage.objects.filter(district=district).first()
        if page is None:
            page = index.add_child(
                instance=DistrictAssociationPage(
                    title=f"{district.name}地域協議会",
                    slug=f"city-{district.code}",
                    district=district,
                )
            )
        associations.append(page)
    _events(city, associations)
    _proposals(city, home)


def _step(expression: str) -> str:
    """SQL for ``expression`` (an integer) as a tree step of ``Page.steplen`` symbols."""
    digits = [
        f"substr('{Page.alphabet}', (({expression}) / {36**i})::int %% 36 + 1, 1)"
        for i in reversed(range(Page.steplen))
    ]
    return " || ".join(digits)


def _events(city: City, associations: list) -> None:
    total = city.count("events")
    content_type = ContentType.objects.get_for_model(EventPage).pk
    first = timezone.make_aware(dt.datetime(city.first_fiscal_year, 4, 1))
    span_days = (city.today - first.date()).days + 60  # two months ahead
    made = 0
    for k, association in enumerate(associations):
        parent = Page.objects.get(pk=association.pk)
        share = total // len(associations) + (1 if k < total % len(associations) else 0)
        last = parent.get_last_child()
        step = Page._str2int(last.path[-Page.steplen :]) if last else 0
        base = max_id(Page._meta.db_table)
        titles = "ARRAY[" + ",".join(f"'{t}'" for t in EVENT_TITLES) + "]"
        city.run(
            f"events of {association.title}",
            f"""
INSERT INTO {Page._meta.db_table} (id, path, depth, numchild, title, draft_title, slug, live,
    has_unpublished_changes, url_path, seo_title, show_in_menus, search_description, expired,
    content_type_id, locked, translation_key, locale_id, first_published_at,
    last_published_at)
SELECT %(base)s + n, %(parent_path)s || {_step("%(step)s + n")},
    %(depth)s, 0, t.title, t.title, 'event-' || %(k)s || '-' || n, true, false,
    %(parent_url)s || 'event-' || %(k)s || '-' || n || '/', '', false, '', false,
    %(content_type)s, false, md5('city-event:' || %(k)s || ':' || n || ':' || %(seed)s)::uuid,
    %(locale)s, t.start_at - interval '30 days', t.start_at - interval '30 days'
FROM generate_series(1, %(share)s) AS n
CROSS JOIN LATERAL (
    SELECT ({titles})[1 + {rnd("n * 100 + %(k)s", 40)} %% {len(EVENT_TITLES)}] AS title,
        %(first)s + ((n::bigint * 13 + %(k)s) * %(span_days)s / (%(share)s * 13 + 13))
            * interval '1 day' + (9 + n %% 8) * interval '1 hour' AS start_at
) AS t;

INSERT INTO {EventPage._meta.db_table} (page_ptr_id, start_at, end_at, venue, address,
    description, capacity, registration_required, contact, district_id)
SELECT %(base)s + n, t.start_at, t.start_at + interval '2 hours', '公民館', '', '',
    CASE WHEN n %% 3 = 0 THEN 30 END, n %% 3 = 0, '', %(district)s
FROM generate_series(1, %(share)s) AS n
CROSS JOIN LATERAL (
    SELECT %(first)s + ((n::bigint * 13 + %(k)s) * %(span_days)s / (%(share)s * 13 + 13))
        * interval '1 day' + (9 + n %% 8) * interval '1 hour' AS start_at
) AS t;

UPDATE {Page._meta.db_table} SET numchild = numchild + %(share)s WHERE id = %(parent)s""",
            base=base,
            parent_path=parent.path,
            step=step,
            depth=parent.depth + 1,
            k=k,
            parent_url=parent.url_path,
            content_type=content_type,
            locale=parent.locale_id,
            share=share,
            first=first,
            span_days=span_days,
            district=association.district_id,
            parent=parent.pk,
        )
        made += share
    sequences_reset(Page._meta.db_table)
    city.facts["events"] = made


def _proposals(city: City, home) -> None:
    calls = []
    for y in range(10):
        year = city.first_fiscal_year + y
        opens = timezone.make_aware(dt.datetime(year, 5, 1))
        calls.append(
            _child(
                home,
                ProposalCallPage,
                f"city-call-{year}",
                title=f"{year}年度 協働提案募集",
                track=ProposalTrack.CITIZEN if y % 2 == 0 else ProposalTrack.CITY,
                opens_at=opens,
                closes_at=opens + dt.timedelta(days=60),
            ).pk
        )
    f = city.facts
    city.run(
        "proposals",
        f"""
INSERT INTO {Proposal._meta.db_table} (group_name, representative, members_count, years_active,
    title, purpose, content, expected_effect, role_division, status, submitted_at, updated_at,
    applicant_id, call_id, contact, received_on_paper)
SELECT 'まちづくりの会 ' || n, '代表者 ' || n, 5 + n %% 20, 1 + n %% 10, '地域の提案 ' || n,
    '目的', '内容', '効果', '役割分担',
    (ARRAY['submitted', 'screening', 'hearing', 'accepted', 'declined'])[
        1 + {rnd("n", 41)} %% 5],
    c.opens_at + (n %% 50) * interval '1 day', c.opens_at + (n %% 50) * interval '1 day',
    %(user_base)s + 1 + {rnd("n", 42)} %% %(residents)s, c.page_ptr_id, '', false
FROM generate_series(1, %(proposals)s) AS n
JOIN {ProposalCallPage._meta.db_table} c ON c.page_ptr_id = (%(calls)s::int[])[1 + n %% 10]
ORDER BY n""",
        user_base=f["user_base"],
        residents=f["residents"],
        proposals=city.count("proposals"),
        calls=calls,
    )
    sequences_reset(Proposal._meta.db_table)
