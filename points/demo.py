"""Demo data for the points ledger: two real-world earning rules and a believable
history for the demo volunteers. Idempotent (history is added once)."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_grant_roles
from points.models import EarningRule, Transaction
from points.selectors import wallet_balance
from points.services.earning import points_award
from points.services.postings import points_adjust

RULES = [
    {
        "activity_kind": "salon",
        "name": "ふれあい・いきいきサロンの運営協力",
        "basis": EarningRule.Basis.PER_HOUR,
        "points": 100,
        "rounding_minutes": 30,
        "min_age": 18,
        "yearly_cap": 8000,
        "cap_group": "salon",
        "year_basis": EarningRule.YearBasis.FISCAL,
    },
    {
        "activity_kind": "care-facility",
        "name": "介護施設でのボランティア",
        "basis": EarningRule.Basis.PER_VISIT,
        "points": 200,
        "min_minutes": 30,
        "daily_cap": 200,
        "yearly_cap": 8000,
        # Limits of its own: in the shared default group the morning's salon points
        # used up this rule's 200 a day, and every demo visit was credited 0.
        "cap_group": "care-facility",
        "year_basis": EarningRule.YearBasis.FISCAL,
    },
]

VOLUNTEERS = [
    ("volunteer@demo.example.jp", "佐藤 健一", "サトウ ケンイチ", dt.date(1956, 5, 12)),
    ("kimura@demo.example.jp", "木村 和子", "キムラ カズコ", dt.date(1951, 9, 3)),
    ("nakamura@demo.example.jp", "中村 翔太", "ナカムラ ショウタ", dt.date(1998, 2, 20)),
    ("kobayashi@demo.example.jp", "小林 良子", "コバヤシ リョウコ", dt.date(1960, 12, 1)),
]


@transaction.atomic
def seed(out) -> None:
    rules = {}
    for values in RULES:
        rule, _ = EarningRule.objects.update_or_create(
            activity_kind=values["activity_kind"], defaults=values
        )
        rules[rule.activity_kind] = rule
    out.write(f"earning rules: {', '.join(r.name for r in rules.values())}")

    volunteers = []
    for email, name, kana, born in VOLUNTEERS:
        user, created = User.objects.update_or_create(
            email=email,
            defaults={"full_name": name, "full_name_kana": kana, "birth_date": born},
        )
        if created:  # the extra volunteers are records only; they do not sign in
            user.set_unusable_password()
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        user_grant_roles(user=user, roles=[Role.VOLUNTEER])
        volunteers.append(user)

    if not Transaction.objects.filter(reference__startswith="demo:").exists():
        _history(volunteers, rules)
    for user in volunteers:
        out.write(f"  {user.full_name}: {wallet_balance(user):,} pt")


def _history(volunteers: list[User], rules: dict[str, EarningRule]) -> None:
    """About four months of weekly salon help and fortnightly care-facility visits."""
    today = timezone.localdate()
    city = User.objects.filter(groups__name=Role.CITY_STAFF).first()
    for number, user in enumerate(volunteers):
        for week in range(16, 0, -1):
            day = today - dt.timedelta(weeks=week, days=number)
            earned = points_award(
                user=user,
                rule=rules["salon"],
                activity_date=day,
                duration_minutes=120 + 30 * (week % 3),
                idempotency_key=f"demo:salon:{user.pk}:{day}",
                reference=f"demo:salon:{day}",
            )
            posted = [earned]
            if week % 2 == 0:
                for visit in range(2 if week % 4 == 0 else 1):
                    # A second visit on the same day shows the daily limit at work.
                    posted.append(
                        points_award(
                            user=user,
                            rule=rules["care-facility"],
                            activity_date=day,
                            duration_minutes=60,
                            idempotency_key=f"demo:care:{user.pk}:{day}:{visit}",
                            reference=f"demo:care:{day}",
                        )
                    )
            # Demo only: date each posting on its activity's day, as if credited then,
            # so that the monthly figures (dashboard, fiscal report) have four months.
            evening = timezone.make_aware(dt.datetime.combine(day, dt.time(17)))
            Transaction.objects.filter(pk__in=[t.pk for t in posted if t]).update(
                created_at=evening
            )
        if city is not None and number == 0:
            points_adjust(
                user=user,
                amount=300,
                reason="紙の記録用紙から転記（10月分）",
                actor=city,
                idempotency_key=f"demo:adjust:{user.pk}",
            )


SHOPS = [
    ("さくら青果店", "サクラセイカテン", "中央1-2-3", "chuo", "grocery", "野菜・果物・米"),
    (
        "喫茶こもれび",
        "キッサコモレビ",
        "桜ヶ丘2-5-1",
        "sakuragaoka",
        "restaurant",
        "コーヒー・軽食",
    ),
    ("みどり薬局", "ミドリヤッキョク", "緑町3-1-8", "midoricho", "pharmacy", "医薬品・日用品"),
    ("旭ベーカリー", "アサヒベーカリー", "旭1-10-2", "asahi", "grocery", "パン・焼き菓子"),
]


@transaction.atomic
def seed_shops(out) -> None:
    """Participating shops, the demo shop login as staff of two of them, and vouchers:
    some used last month (with statements), some used this month, some unused."""
    from accounts.models import District
    from points import codes
    from points.models import Shop, ShopMembership, Voucher
    from points.services.settlement import statement_generate
    from points.services.vouchers import voucher_exchange, voucher_redeem

    shops = []
    for name, kana, address, district, category, goods in SHOPS:
        shop, _ = Shop.objects.update_or_create(
            name=name,
            address=address,
            defaults={
                "name_kana": kana,
                "district": District.objects.filter(code=district).first(),
                "category": category,
                "goods": goods,
            },
        )
        shops.append(shop)
    staff = User.objects.get(email="shop@demo.example.jp")
    for shop in shops[:2]:
        ShopMembership.objects.get_or_create(user=staff, shop=shop)
    out.write(f"shops: {len(shops)}")
    # A clerk of two shops chooses the shop at the counter (redemption binds to it).
    out.write(
        f"  clerk of two shops: {staff.email} ({shops[0]}, {shops[1]}; "
        f"chooses the shop at {reverse('shop-redeem')})"
    )

    volunteer = User.objects.get(email="volunteer@demo.example.jp")
    _txn, vouchers = voucher_exchange(user=volunteer, count=4, idempotency_key="demo:exchange:1")
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    for voucher, shop, when in [
        (vouchers[0], shops[0], last_month),
        (vouchers[1], shops[1], last_month + dt.timedelta(days=3)),
        (vouchers[2], shops[0], None),
    ]:
        if voucher.status != Voucher.Status.ISSUED:
            continue
        used = voucher_redeem(typed_code=codes.unseal(voucher.code_sealed), shop=shop, staff=staff)
        if when is not None:
            # Demo only: move the redemption into last month so statements have content.
            moment = timezone.make_aware(dt.datetime.combine(when, dt.time(14, 30)))
            Voucher.objects.filter(pk=used.pk).update(redeemed_at=moment)
            Transaction.objects.filter(pk=used.settled_by_id).update(created_at=moment)
    for shop in shops[:2]:
        statement_generate(shop=shop, month=last_month)
    out.write(
        f"  {volunteer.full_name}: vouchers {Voucher.objects.filter(owner=volunteer).count()}"
    )
