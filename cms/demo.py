"""Demo content for the public site: the page tree with 13 district associations,
events over the next two months, news, one open call per track, a volunteer sign-up
page, a few submitted proposals, and the association editors' groups.

Idempotent and quick: pages are found by slug, events and news are only added to an
association that has none, proposals only when none exist.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import District, User
from cms.models import (
    DistrictAssociationPage,
    DistrictIndexPage,
    EventIndexPage,
    EventPage,
    NewsPage,
    Proposal,
    ProposalCallPage,
    ProposalCriterion,
    ProposalHearing,
    ProposalTrack,
    VolunteerSignupPage,
)
from cms.selectors import association_group_name
from cms.services.associations import association_groups_sync
from cms.services.proposals import BudgetLine, proposal_submit
from cms.services.site import site_home_ensure

DEMO_PHONE = "0120-000-000"
DEMO_EDITOR = "editor@demo.example.jp"
DEMO_APPLICANT = "resident@demo.example.jp"

EVENT_KINDS = [
    ("ふれあい・いきいきサロン", "公民館 和室", 10, 12, 20, False),
    ("健康体操教室", "小学校 体育館", 14, 15, 30, True),
    ("防災訓練", "小学校 グラウンド", 9, 11, None, False),
    ("地域清掃の日", "集会所前 集合", 8, 9, None, False),
    ("子ども食堂", "地区センター 調理室", 17, 19, 40, True),
    ("スマホ相談会", "地区センター 会議室", 13, 15, 12, True),
]
NEWS_TITLES = ["ボランティア募集のお知らせ", "秋のサロン活動報告", "見守り活動にご協力ください"]


def _child(parent, model, slug: str, **fields):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = parent.add_child(instance=model(slug=slug, **fields))
    return page


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@transaction.atomic
def seed(out) -> None:
    home = site_home_ensure()
    home.mutual_aid_phone = DEMO_PHONE
    home.volunteer_intro = (
        "<p>18歳以上の方なら、どなたでも登録できます。ゴミ出しや買い物の手伝いなど、"
        "できることから始めましょう。活動するといきいきポイントがたまります。</p>"
    )
    home.save(update_fields=["mutual_aid_phone", "volunteer_intro"])

    index = _child(
        home,
        DistrictIndexPage,
        "districts",
        title="地域協議会",
        intro="<p>小学校区ごとの地域協議会の活動を紹介します。</p>",
    )
    _child(home, EventIndexPage, "events", title="イベント一覧")
    _child(
        home,
        VolunteerSignupPage,
        "volunteer",
        title="ボランティア登録",
        intro="<p>お名前と連絡先をお知らせください。コーディネーターからご連絡します。</p>",
    )

    today = timezone.localdate()
    events = news = 0
    for number, district in enumerate(District.objects.order_by("sort_order"), start=1):
        association = DistrictAssociationPage.objects.filter(district=district).first()
        if association is None:
            association = index.add_child(
                instance=DistrictAssociationPage(
                    title=f"{district.name}小学校区地域協議会",
                    slug=district.code,
                    district=district,
                    area=f"{district.name}一丁目〜{district.name}五丁目",
                    body=[
                        (
                            "paragraph",
                            f"<p>{district.name}小学校区の自治会・民生委員・PTA・老人クラブが"
                            "協力して、見守りやサロン活動を行っています。</p>",
                        )
                    ],
                    contacts=[
                        (
                            "contact",
                            {
                                "name": "事務局",
                                "phone": f"0120-000-{100 + number:03d}",
                                "email": f"{district.code}@demo.example.jp",
                                "hours": "平日 9:00〜16:00",
                            },
                        )
                    ],
                )
            )
        if not EventPage.objects.child_of(association).exists():
            for k in range(2):
                title, venue, start, end, capacity, registration = EVENT_KINDS[
                    (number + k) % len(EVENT_KINDS)
                ]
                day = today + dt.timedelta(days=(number * 3 + k * 29) % 58 + 1)
                association.add_child(
                    instance=EventPage(
                        title=f"{district.name}地区 {title}",
                        slug=f"event-{number}-{k}",
                        start_at=_at(day, start),
                        end_at=_at(day, end),
                        venue=f"{district.name}{venue}",
                        address=f"{district.name}二丁目",
                        description=f"<p>{district.name}地区の{title}です。どなたでも参加できます。</p>",
                        capacity=capacity,
                        registration_required=registration,
                        contact=f"{association.title} 事務局",
                    )
                )
                events += 1
        if not NewsPage.objects.child_of(association).exists():
            association.add_child(
                instance=NewsPage(
                    title=NEWS_TITLES[number % len(NEWS_TITLES)],
                    slug="news-1",
                    date=today - dt.timedelta(days=number),
                    intro=f"{association.title}からのお知らせです。",
                )
            )
            news += 1

    now = timezone.now()
    calls = {
        ProposalTrack.CITIZEN: _child(
            home,
            ProposalCallPage,
            "proposals-citizen",
            title="協働提案事業（市民提案型）の募集",
            track=ProposalTrack.CITIZEN,
            eligibility="<p>市内で活動し、会則のある3人以上の市民活動団体。</p>",
            opens_at=now - dt.timedelta(days=14),
            closes_at=now + dt.timedelta(days=35),
            guidelines="<p>提案書・予算書・団体概要を提出してください。書類審査の後、公開プレゼンテーションを行います。</p>",
        ),
        ProposalTrack.CITY: _child(
            home,
            ProposalCallPage,
            "proposals-city",
            title="協働提案事業（行政提案型）の募集",
            track=ProposalTrack.CITY,
            theme="高齢者の買い物支援の仕組みづくり",
            eligibility="<p>市内で活動し、会則のある3人以上の市民活動団体。</p>",
            opens_at=now - dt.timedelta(days=14),
            closes_at=now + dt.timedelta(days=35),
            guidelines="<p>市が示すテーマに対する事業案を募集します。</p>",
        ),
    }

    groups = association_groups_sync()
    editor = User.objects.filter(email=DEMO_EDITOR).first()
    first = DistrictAssociationPage.objects.select_related("district").order_by("path").first()
    if editor and first:
        editor.groups.add(Group.objects.get(name=association_group_name(first)))

    applicant = User.objects.filter(email=DEMO_APPLICANT).first()
    if applicant and not Proposal.objects.exists():
        for track, title, group in [
            (ProposalTrack.CITIZEN, "高齢者の見守り散歩", "みどり見守り隊"),
            (ProposalTrack.CITIZEN, "多世代交流の昼食会", "桜ヶ丘まちづくりの会"),
            (ProposalTrack.CITY, "移動販売車と連携した買い物支援", "港町商店会ボランティア"),
        ]:
            proposal_submit(
                call=calls[track],
                applicant=applicant,
                fields={
                    "group_name": group,
                    "representative": applicant.full_name,
                    "members_count": 8,
                    "years_active": 3,
                    "title": title,
                    "purpose": "地域の高齢者の孤立を防ぐため。",
                    "content": "月2回、地域で活動します。",
                    "expected_effect": "参加者の外出機会が増え、見守りの輪が広がります。",
                    "role_division": "団体が運営し、市は広報と会場の調整を担います。",
                },
                budget_lines=[
                    BudgetLine(item="消耗品費", amount_yen=30000),
                    BudgetLine(item="会場使用料", amount_yen=24000),
                ],
                attachments=[
                    SimpleUploadedFile(
                        "団体概要.pdf", b"%PDF-1.4\n% demo\n", content_type="application/pdf"
                    )
                ],
            )

    # The criteria the citizen-track proposals are scored on and its public hearing
    # (both can be added in the back office: 審査項目, ヒアリング・審査会).
    citizen_call = calls[ProposalTrack.CITIZEN]
    for position, (name, description) in enumerate(
        [
            ("公益性", "地域の課題に応え、多くの市民に効果が及ぶか。"),
            ("実現性", "団体の体制・予算・スケジュールで実施できるか。"),
            ("協働の効果", "市と団体が役割を分担することで効果が高まるか。"),
        ],
        start=1,
    ):
        ProposalCriterion.objects.get_or_create(
            call=citizen_call,
            name=name,
            defaults={"description": description, "position": position},
        )
    if not ProposalHearing.objects.filter(call=citizen_call).exists():
        hearing_day = timezone.localtime(citizen_call.closes_at) + dt.timedelta(days=14)
        ProposalHearing.objects.create(
            call=citizen_call,
            title="公開プレゼンテーション審査会",
            starts_at=hearing_day.replace(hour=13, minute=30, second=0, microsecond=0),
            ends_at=hearing_day.replace(hour=16, minute=30, second=0, microsecond=0),
            place="市役所本庁舎 3階 第1会議室",
            notes="どなたでも傍聴できます（先着20名、申込不要）。",
        )

    out.write(
        f"public site: {DistrictAssociationPage.objects.count()} associations, "
        f"{EventPage.objects.count()} events (+{events}), {NewsPage.objects.count()} news "
        f"(+{news}), {ProposalCallPage.objects.count()} calls, "
        f"{Proposal.objects.count()} proposals, {len(groups)} editor groups"
    )
    if editor and first:
        out.write(f"  association editor: {DEMO_EDITOR} edits {first.title}")
