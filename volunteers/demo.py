"""Demo places with posters, a host-staff login and the demo volunteer's card.
Idempotent; prints a poster URL and a card URL to try the QR flow by hand."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import District, User
from points.models import EarningRule
from volunteers.models import Place
from volunteers.selectors.places import card_token, place_token
from volunteers.services.places import card_for

# One place for each way of proving presence (Place.Presence): the salon's host knows
# everyone and confirms the day's self check-ins; the care home has a tablet at its
# reception showing a code that changes every minute; the small salon's host scans the
# cards of volunteers without smartphones.
PLACES = [
    (
        "いきいきサロン桜ヶ丘",
        Place.Kind.SALON,
        "sakuragaoka",
        "salon",
        dt.time(16, 0),
        Place.Presence.HOST,
    ),
    (
        "特別養護老人ホーム みどりの里",
        Place.Kind.CARE_FACILITY,
        "midoricho",
        "care-facility",
        dt.time(17, 0),
        Place.Presence.KIOSK,
    ),
    (
        "ふれあいサロン緑町",
        Place.Kind.SALON,
        "midoricho",
        "salon",
        dt.time(15, 0),
        Place.Presence.CARD,
    ),
]
PRESENCE_HELP = {
    Place.Presence.HOST: "check-ins confirmed by host staff at",
    Place.Presence.KIOSK: "kiosk (tablet at the door, host signed in) at",
    Place.Presence.CARD: "host staff scan cards; self check-in refused",
}


@transaction.atomic
def seed(out) -> None:
    host, created = User.objects.get_or_create(
        email="host@demo.example.jp",
        defaults={"full_name": "渡辺 直子", "full_name_kana": "ワタナベ ナオコ"},
    )
    if created or not host.has_usable_password():
        host.set_password(DEMO_PASSWORD)
        host.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=host, email=host.email, defaults={"verified": True, "primary": True}
    )
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    for name, kind, district, rule, closes, presence in PLACES:
        place, _ = Place.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "district": District.objects.filter(code=district).first(),
                "earning_rule": EarningRule.objects.get(activity_kind=rule),
                "closes_at": closes,
                "presence": presence,
            },
        )
        place.hosts.add(host)
        out.write(f"place: {place.name}")
        out.write(f"  poster QR URL: {base}{reverse('scan', args=[place_token(place)])}")
        out.write(f"  printable poster: {base}{reverse('place-poster', args=[place.pk])}")
        page = {Place.Presence.HOST: "place-checkins", Place.Presence.KIOSK: "place-kiosk"}
        link = f" {base}{reverse(page[presence], args=[place.pk])}" if presence in page else ""
        out.write(f"  presence: {PRESENCE_HELP[presence]}{link}")
    out.write(
        f"host staff login: {host.email} (confirms check-ins, keeps the kiosk, scans "
        f"volunteers' cards; their places: {base}{reverse('my-places')})"
    )
    volunteer = User.objects.get(email="volunteer@demo.example.jp")
    card = card_for(volunteer)
    out.write(f"card of {volunteer.full_name}: {base}{reverse('scan', args=[card_token(card)])}")
    out.write(f"  printable card (signed in as the volunteer): {base}{reverse('my-card')}")


# --- The mutual-aid centre: a Monday morning -----------------------------------------

RESIDENTS = [
    # name, kana, gender, district, address, phone, living, same gender, familiar
    (
        "小林 トメ",
        "コバヤシ トメ",
        "female",
        "midoricho",
        "緑町3-2-1",
        "0312340001",
        "alone",
        True,
        True,
    ),
    (
        "山口 正雄",
        "ヤマグチ マサオ",
        "male",
        "midoricho",
        "緑町1-8-4",
        "0312340002",
        "elderly_only",
        False,
        False,
    ),
    (
        "松本 キヨ",
        "マツモト キヨ",
        "female",
        "sakuragaoka",
        "桜ヶ丘2-5-10",
        "0312340003",
        "alone",
        True,
        False,
    ),
    (
        "井上 シズ",
        "イノウエ シズ",
        "female",
        "chuo",
        "中央4-1-7",
        "0312340004",
        "alone",
        False,
        True,
    ),
    (
        "木下 勇",
        "キノシタ イサム",
        "male",
        "higashi",
        "東1-3-3",
        "0312340005",
        "elderly_only",
        False,
        False,
    ),
    ("林 ハル", "ハヤシ ハル", "female", "nishi", "西2-9-2", "0312340006", "alone", True, False),
    (
        "清水 幸子",
        "シミズ サチコ",
        "female",
        "sakuragaoka",
        "桜ヶ丘5-1-1",
        "0312340007",
        "elderly_only",
        False,
        False,
    ),
    ("森 一郎", "モリ イチロウ", "male", "chuo", "中央2-2-8", "0312340008", "alone", False, True),
]

# email (None: no smartphone), name, kana, gender, home, districts, skills, car, weekly hours
HELPERS = [
    (
        "volunteer@demo.example.jp",
        "佐藤 健一",
        "サトウ ケンイチ",
        "male",
        "midoricho",
        ["midoricho", "sakuragaoka", "chuo"],
        ["shopping", "trash", "escort", "other"],
        True,
        (9, 16),
    ),
    (
        "kimura@demo.example.jp",
        "木村 和子",
        "キムラ カズコ",
        "female",
        "midoricho",
        ["midoricho", "chuo"],
        ["shopping", "trash", "other"],
        False,
        (9, 13),
    ),
    (
        "nakamura@demo.example.jp",
        "中村 翔太",
        "ナカムラ ショウタ",
        "male",
        "sakuragaoka",
        ["sakuragaoka", "midoricho", "nishi"],
        ["trash", "escort", "other"],
        True,
        (8, 16),
    ),
    (
        "kobayashi@demo.example.jp",
        "小林 良子",
        "コバヤシ リョウコ",
        "female",
        "chuo",
        ["chuo", "higashi", "midoricho"],
        ["shopping", "escort"],
        False,
        (10, 16),
    ),
    (
        None,
        "斎藤 トシ子",
        "サイトウ トシコ",
        "female",
        "sakuragaoka",
        ["sakuragaoka", "midoricho"],
        ["shopping", "trash"],
        False,
        (9, 12),
    ),
    (
        None,
        "加藤 茂",
        "カトウ シゲル",
        "male",
        "higashi",
        ["higashi", "chuo", "nishi"],
        ["trash", "other", "escort"],
        True,
        (8, 15),
    ),
    (
        None,
        "吉田 恵美",
        "ヨシダ エミ",
        "female",
        "nishi",
        ["nishi", "chuo", "sakuragaoka"],
        ["shopping", "other"],
        False,
        (12, 16),
    ),
    (
        None,
        "山本 光男",
        "ヤマモト ミツオ",
        "male",
        "chuo",
        ["chuo", "midoricho", "higashi"],
        ["shopping", "trash", "escort"],
        True,
        (9, 16),
    ),
]

# resident index, category, day offset from today, start hour, minutes, state, helper index.
# Each helper can do the task in the resident's district within their weekly hours
# (as matching requires); the offered request goes to the best-ranked eligible ones.
REQUESTS = [
    (0, "shopping", 0, 10, 60, "requested", None),
    (2, "escort", 0, 13, 120, "requested", None),
    (5, "other", 1, 10, 30, "requested", None),
    (3, "shopping", 0, 11, 60, "offered", None),
    (1, "trash", 0, 9, 30, "assigned", 2),
    (6, "shopping", 0, 10, 60, "assigned", 4),
    (7, "escort", 0, 9, 90, "done", 0),
    (0, "shopping", -7, 10, 60, "confirmed", 1),
    (0, "shopping", -14, 10, 50, "confirmed", 1),
    (4, "escort", -6, 9, 120, "confirmed", 5),
    (2, "shopping", -5, 10, 45, "confirmed", 4),
    (3, "trash", -4, 9, 20, "confirmed", 7),
    (5, "other", -3, 14, 30, "cancelled", None),
]


# Cash that did not match the fee, by (resident index, day offset): the shortfall is
# owed (admin → 利用者の未収金) and shows on the month's payout summary.
CASH_SHORT = {(0, -7): (100, "手持ちが足りず、次回お支払い")}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@transaction.atomic
def seed_aid(out) -> None:
    """Residents, volunteers with availability, and the board of a Monday morning:
    requests waiting for a volunteer, offered, assigned, one done and waiting for
    confirmation, last weeks' confirmed history (so suggestions explain continuity
    and load) and a standing trash request. Idempotent: requests are added once."""
    from accounts.models import Role
    from accounts.services import user_grant_roles
    from volunteers.defaults import help_categories_ensure
    from volunteers.models import (
        CentreClosure,
        ConsentRecord,
        HelpCategory,
        HelpRequest,
        PledgeRecord,
        Resident,
        StandingRequest,
    )
    from volunteers.selectors.consent import consent_in_force
    from volunteers.selectors.profiles import ranked_volunteers
    from volunteers.services.consent import consent_record, pledge_accept
    from volunteers.services.help_requests import (
        assignment_confirm,
        assignment_finish,
        assignment_start,
        request_assign,
        request_cancel,
        request_offer,
        request_receive,
    )
    from volunteers.services.profiles import volunteer_profile_save
    from volunteers.services.standing import standing_requests_generate

    help_categories_ensure()
    categories = {c.code: c for c in HelpCategory.objects.all()}
    districts = {d.code: d for d in District.objects.all()}
    coordinator = User.objects.get(email="coordinator@demo.example.jp")
    residents = []
    for name, kana, gender, district, address, phone, living, same, familiar in RESIDENTS:
        resident, _ = Resident.objects.update_or_create(
            full_name=name,
            address=address,
            defaults={
                "full_name_kana": kana,
                "gender": gender,
                "district": districts[district],
                "phone": "+81" + phone[1:],
                "living": living,
                "prefers_same_gender": same,
                "prefers_familiar": familiar,
                "emergency_contact": "長女 " + name.split()[0] + " 様 090-0000-0000",
            },
        )
        residents.append(resident)
        if not consent_in_force(resident):
            consent_record(
                resident=resident,
                decision=ConsentRecord.Decision.GIVEN,
                method=ConsentRecord.Method.PHONE,
                actor=coordinator,
            )
    today = timezone.localdate()
    insured = dt.date(today.year + (today.month >= 4), 3, 31)
    helpers = []
    for email, name, kana, gender, home, served, skills, car, (start, end) in HELPERS:
        if email:
            user, _ = User.objects.get_or_create(
                email=email, defaults={"full_name": name, "full_name_kana": kana}
            )
        else:
            user = User.objects.filter(full_name=name, email__isnull=True).first()
            if user is None:
                user = User(full_name=name, full_name_kana=kana)
                user.set_unusable_password()
                user.save()
        user_grant_roles(user=user, roles=[Role.VOLUNTEER])
        volunteer_profile_save(
            user=user,
            actor=coordinator,
            districts=[districts[code] for code in served],
            skills=[categories[code] for code in skills],
            weekly=[(day, dt.time(start), dt.time(end)) for day in range(7)],
            home_district=districts[home],
            gender=gender,
            has_car=car,
            languages="日本語",
            insurance_valid_until=insured,
            manage_insurance=True,
        )
        if email:
            pledge_accept(volunteer=user, actor=user)
        else:  # no login: the signed paper, recorded by the coordinator
            pledge_accept(volunteer=user, actor=coordinator, method=PledgeRecord.Method.PAPER)
        helpers.append(user)
    if not HelpRequest.objects.filter(resident__in=residents, standing__isnull=True).exists():
        for index, code, offset, hour, minutes, state, helper in REQUESTS:
            day = today + dt.timedelta(days=offset)
            start = _at(day, hour)
            request = request_receive(
                actor=coordinator,
                resident=residents[index],
                category=categories[code],
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=max(minutes, 30)),
                channel="phone" if index % 3 else "visit",
                notes="玄関の鍵は開けておきます" if index == 0 else "",
            )
            if state == "offered":
                eligible = [p.user for p in ranked_volunteers(request)[:3]]
                request_offer(help_request=request, volunteers=eligible, actor=coordinator)
            elif state == "cancelled":
                request_cancel(help_request=request, actor=coordinator, reason="ご家族が対応")
            elif helper is not None:
                assignment = request_assign(
                    help_request=request, volunteer=helpers[helper], actor=coordinator
                )
                if state in ("done", "confirmed"):
                    assignment_start(assignment=assignment, actor=coordinator, at=start)
                    assignment_finish(
                        assignment=assignment,
                        actor=coordinator,
                        at=start + dt.timedelta(minutes=minutes),
                    )
                if state == "confirmed":
                    short, note = CASH_SHORT.get((index, offset), (0, ""))
                    assignment_confirm(
                        assignment=assignment,
                        actor=coordinator,
                        cash_received_yen=categories[code].fee_for(minutes) - short,
                        cash_note=note,
                    )
    standing, _ = StandingRequest.objects.get_or_create(
        resident=residents[1],
        category=categories["trash"],
        defaults={
            "weekdays": [1, 4],
            "starts": dt.time(9),
            "duration_minutes": 20,
            "first_date": today,
            "place": "集積所（自宅前）",
        },
    )
    standing_requests_generate(today=today, days=14)
    # The centre's calendar, entered after the board above: the demo's board is
    # "today" on whatever day it is run (intake refuses closed days). From here on,
    # beat generates nothing on these days and intake refuses them.
    CentreClosure.objects.get_or_create(kind=CentreClosure.Kind.PUBLIC_HOLIDAYS)
    CentreClosure.objects.get_or_create(
        kind=CentreClosure.Kind.YEARLY,
        name="年末年始",
        defaults={"first_date": dt.date(2026, 12, 29), "last_date": dt.date(2027, 1, 3)},
    )
    _seed_insurance_and_training(helpers, coordinator, today)
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    out.write(
        f"mutual-aid centre: {len(residents)} residents, {len(helpers)} volunteers, "
        f"{HelpRequest.objects.count()} requests"
    )
    out.write(f"  today's board (coordinator): {base}{reverse('aid_board')}")
    out.write(f"  money owed by residents: {base}{reverse('aid_owed')}")
    out.write(f"  monthly payouts to volunteers: {base}{reverse('aid_payouts')}")
    out.write(f"  offers for the demo volunteer: {base}{reverse('my-offers')}")
    out.write(f"  volunteer activity insurance: {base}{reverse('aid_insurance')}")


def _seed_insurance_and_training(helpers, coordinator, today: dt.date) -> None:
    """Every demo volunteer enrolled in the volunteer activity insurance last fiscal
    year and this one (their insurance date stays the end of this year), so the April
    renewal round for next year lists them all; a training session last month that
    most of them attended, and one next month. Idempotent."""
    from core.formats import fiscal_year
    from volunteers.models import InsuranceEnrolment, TrainingSession
    from volunteers.services.insurance import insurance_enrol, training_attendance_record

    this_year = fiscal_year(today)
    for year in (this_year - 1, this_year):
        for index, user in enumerate(helpers):
            insurance_enrol(
                volunteer=user,
                fiscal_year=year,
                actor=coordinator,
                enrolled_on=dt.date(year, 4, 1),
                plan="基本タイプ Aプラン" if index % 3 else "基本タイプ Bプラン",
                certificate_number=f"V{year}-{index + 1:04d}",
                address=f"いきいき市緑町{index + 1}-2-3",
                paid_by=(
                    InsuranceEnrolment.PaidBy.SELF if index == 5 else InsuranceEnrolment.PaidBy.CITY
                ),
            )
    last_month = _at(today.replace(day=1) - dt.timedelta(days=20), 13, 30)
    session, created = TrainingSession.objects.get_or_create(
        title="新任ボランティア研修（傾聴と見守り）",
        defaults={"starts_at": last_month, "place": "福祉センター 2階 研修室", "capacity": 20},
    )
    if created:
        training_attendance_record(
            session=session,
            shown_ids=[user.pk for user in helpers],
            attended_ids=[user.pk for user in helpers[:6]],
            actor=coordinator,
        )
    TrainingSession.objects.get_or_create(
        title="救命講習（AEDの使い方）",
        defaults={
            "starts_at": _at(today + dt.timedelta(days=30), 10),
            "place": "消防署 講堂",
            "capacity": 30,
        },
    )


#: Marks the requests :func:`seed_year` adds, so it adds them once.
YEAR_NOTE = "（デモ：今年度これまでの実績）"


def seed_year(out) -> None:
    """The months of this fiscal year before this one, so the annual report and its
    charts have a year to show: requests with their confirmed fees and cash, a few
    cancelled, and activities at the demo places credited through their earning rules
    (the ledger dates those postings today). Added once."""
    import random

    from core import formats
    from points.exceptions import RuleNotApplicable
    from points.services.earning import points_award
    from volunteers.models import Activity, HelpCategory, HelpRequest, Resident

    if HelpRequest.objects.filter(notes=YEAR_NOTE).exists():
        return
    rnd = random.Random(2026)
    zone = timezone.get_default_timezone()
    today = timezone.localdate()
    first = dt.date(formats.fiscal_year(today), 4, 1)
    coordinator = User.objects.get(email="coordinator@demo.example.jp")
    residents = list(Resident.objects.filter(active=True, anonymised_at__isnull=True))
    # Not the two volunteers whose points history the demo shows limit by limit.
    helpers = list(
        User.objects.filter(volunteer_profile__active=True)
        .exclude(email__in=["volunteer@demo.example.jp", "kimura@demo.example.jp"])
        .order_by("pk")
    )
    categories = list(HelpCategory.objects.filter(active=True))
    places = list(Place.objects.filter(active=True).select_related("earning_rule"))
    if not (residents and helpers and categories and places):
        return
    requests = activities = 0
    day = first
    with transaction.atomic():
        while day < today.replace(day=1):
            if day.weekday() < 5:
                for _ in range(rnd.choice([0, 1, 1, 2])):
                    requests += _demo_request(rnd, day, zone, residents, categories, coordinator)
                if rnd.random() < 0.6:
                    helper, place = rnd.choice(helpers), rnd.choice(places)
                    start = dt.datetime.combine(day, dt.time(rnd.choice([9, 10, 13])), tzinfo=zone)
                    minutes = rnd.choice([60, 90, 120, 150])
                    activity = Activity.objects.create(
                        volunteer=helper,
                        place=place,
                        method=Activity.Method.STAFF,
                        recorded_by=coordinator,
                        started_at=start,
                        ended_at=start + dt.timedelta(minutes=minutes),
                        status=Activity.Status.NO_POINTS,
                    )
                    try:
                        txn = points_award(
                            user=helper,
                            rule=place.earning_rule,
                            activity_date=day,
                            duration_minutes=minutes,
                            idempotency_key=f"demo-year:activity:{activity.pk}",
                            reference=f"activity:{activity.pk}",
                        )
                    except RuleNotApplicable:
                        pass
                    else:
                        activity.transaction, activity.status = txn, Activity.Status.CREDITED
                        activity.save(update_fields=["transaction", "status"])
                    activities += 1
            day += dt.timedelta(days=1)
    out.write(f"this fiscal year so far: {requests} requests, {activities} activities")


def _demo_request(rnd, day, zone, residents, categories, coordinator) -> int:
    """One past request; confirmed with a volunteer who serves its district, has the
    skill and is available then (as matching would have chosen), else cancelled."""
    from volunteers.models import Assignment, HelpRequest, VolunteerProfile

    who, category = rnd.choice(residents), rnd.choice(categories)
    start = dt.datetime.combine(day, dt.time(rnd.choice([9, 10, 11, 13, 14])), tzinfo=zone)
    minutes = rnd.choice([20, 30, 40, 60])
    end = start + dt.timedelta(minutes=minutes)
    fitting = list(
        VolunteerProfile.objects.filter(
            active=True,
            districts=who.district,
            skills=category,
            weekly__weekday=day.weekday(),
            weekly__starts__lte=start.time(),
            weekly__ends__gte=end.time(),
        )
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    cancelled = not fitting or rnd.random() < 0.1
    request = HelpRequest.objects.create(
        resident=who,
        category=category,
        district=who.district,
        starts_at=start,
        ends_at=end,
        notes=YEAR_NOTE,
        received_by=coordinator,
        status=HelpRequest.Status.CANCELLED if cancelled else HelpRequest.Status.CONFIRMED,
        cancel_reason="ご本人の都合" if cancelled else "",
    )
    if not cancelled:
        units = -(-minutes // category.fee_unit_minutes)
        fee = units * category.fee_yen
        Assignment.objects.create(
            request=request,
            volunteer_id=rnd.choice(fitting),
            status=Assignment.Status.CONFIRMED,
            starts_at=request.starts_at,
            ends_at=request.ends_at,
            assigned_by=coordinator,
            started_at=request.starts_at,
            finished_at=request.ends_at,
            minutes=minutes,
            fee_yen=fee,
            cash_received_yen=fee,
            confirmed_by=coordinator,
            confirmed_at=request.ends_at,
        )
    return 1
