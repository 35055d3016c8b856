"""Building the public site's page tree in tests."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.utils import timezone

from cms.models import (
    DistrictAssociationPage,
    DistrictIndexPage,
    EventIndexPage,
    EventPage,
    HomePage,
    NewsPage,
    ProposalCallPage,
    ProposalTrack,
)
from cms.services.site import site_home_ensure
from tests.factories import DistrictFactory

TOKYO = dt.timezone(dt.timedelta(hours=9))


def home() -> HomePage:
    return site_home_ensure()


def district_index() -> DistrictIndexPage:
    page = DistrictIndexPage.objects.first()
    return page or home().add_child(
        instance=DistrictIndexPage(title="地域協議会", slug="districts")
    )


def event_index() -> EventIndexPage:
    page = EventIndexPage.objects.first()
    return page or home().add_child(instance=EventIndexPage(title="イベント", slug="events"))


def association(code: str, name: str | None = None) -> DistrictAssociationPage:
    district = DistrictFactory(code=code, name=name or code, name_kana="チク")
    existing = DistrictAssociationPage.objects.filter(district=district).first()
    if existing:
        return existing
    return district_index().add_child(
        instance=DistrictAssociationPage(
            title=f"{district.name}小学校区地域協議会", slug=code, district=district
        )
    )


def event(parent: DistrictAssociationPage, start: dt.datetime, *, hours=2, title="サロン", **kw):
    return parent.add_child(
        instance=EventPage(
            title=title,
            slug=kw.pop("slug", None) or f"e-{EventPage.objects.count() + 1}",
            start_at=start,
            end_at=start + dt.timedelta(hours=hours),
            venue=kw.pop("venue", "公民館"),
            **kw,
        )
    )


def news(parent: DistrictAssociationPage, title="お知らせ", **kw) -> NewsPage:
    return parent.add_child(
        instance=NewsPage(title=title, slug=f"n-{NewsPage.objects.count() + 1}", **kw)
    )


def call(track=ProposalTrack.CITIZEN, *, opens=-7, closes=30, slug=None) -> ProposalCallPage:
    now = timezone.now()
    return home().add_child(
        instance=ProposalCallPage(
            title=f"協働提案の募集 {track}",
            slug=slug or f"call-{track}-{ProposalCallPage.objects.count()}",
            track=track,
            opens_at=now + dt.timedelta(days=opens),
            closes_at=now + dt.timedelta(days=closes),
        )
    )


def in_days(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)


# --- Files ----------------------------------------------------------------------


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    """A minimal OOXML word-processing package (what Word writes, trimmed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Override PartName="/word/document.xml" ContentType="'
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            '"/></Types>',
        )
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    """A real workbook written by openpyxl."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "予算"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def bulk_events(parent: DistrictAssociationPage, starts, *, prefix="bulk") -> int:
    """Many live events under ``parent`` quickly: tree paths computed here, one INSERT
    per table row instead of Wagtail's ~30 queries per ``add_child`` (which makes a
    thousand events take minutes). Not for behaviour tests of page creation itself."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page

    parent = Page.objects.get(pk=parent.pk).specific
    content_type = ContentType.objects.get_for_model(EventPage)
    last = parent.get_last_child()
    step = Page._str2int(last.path[-Page.steplen :]) if last else 0
    pages = []
    for n in range(1, len(starts) + 1):
        slug = f"{prefix}-{step + n}"
        pages.append(
            Page(
                title=f"{prefix} {step + n}",
                draft_title=f"{prefix} {step + n}",
                slug=slug,
                content_type=content_type,
                path=Page._get_path(parent.path, parent.depth + 1, step + n),
                depth=parent.depth + 1,
                numchild=0,
                url_path=f"{parent.url_path}{slug}/",
                live=True,
                locale_id=parent.locale_id,
            )
        )
    Page.objects.bulk_create(pages)
    for page, start in zip(pages, starts, strict=True):
        EventPage(
            page_ptr_id=page.pk,
            district_id=parent.district_id,
            start_at=start,
            end_at=start + dt.timedelta(hours=2),
            venue="会場",
        ).save_base(raw=True)
    Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + len(pages))
    return len(pages)
