"""``seed_city``'s people, places, ledger and mutual aid, in bulk SQL.

Order: users with their role groups and verified emails; volunteer profiles with the
matching index; shops, places and the ledger's accounts; ten fiscal years of
activities and their points, yearly voucher exchanges, redemptions at the shops and
the shops' monthly statements (paid ones with their settlement); help requests with
their assignments. The ledger is written as balanced pairs of entries and every
cached balance is then set from the sums of its entries in one UPDATE, so
``points_audit`` holds (and PostgreSQL's deferred zero-sum trigger checks each
transaction at COMMIT).

Points never expire in the generated city (its earning rules say so): the expiry job
finds nothing to expire, and no ``expire`` transactions are generated.
"""

# The SQL is built from model table names and constants of this module only; every
# value goes in as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

import random

from django.conf import settings
from django.db import connection

from accounts.models import District, Role, User
from accounts.services import role_groups_sync
from core.city import City, max_id, rnd, sequences_reset
from points import codes
from points.models import (
    Account,
    AccountKind,
    EarningRule,
    Entry,
    ExchangeSettings,
    SettlementStatement,
    Shop,
    ShopMembership,
    Transaction,
    Voucher,
)
from points.services.accounts import system_account
from volunteers.defaults import help_categories_ensure
from volunteers.models import (
    Activity,
    Assignment,
    HelpCategory,
    HelpRequest,
    MatchingSlot,
    Place,
    Resident,
    VolunteerProfile,
    WeeklyAvailability,
)

EMAIL_DOMAIN = "city.example.jp"
POINTS_PER_ACTIVITY = 200
ACTIVITIES_PER_YEAR = 10
VOUCHERS_PER_EXCHANGE = 3

SURNAMES = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
]
GIVEN = [
    ("花子", "ハナコ"),
    ("太郎", "タロウ"),
    ("美咲", "ミサキ"),
    ("健一", "ケンイチ"),
    ("由美", "ユミ"),
    ("誠", "マコト"),
    ("和子", "カズコ"),
    ("翔太", "ショウタ"),
    ("良子", "リョウコ"),
    ("浩", "ヒロシ"),
]
RULES = [
    {
        "activity_kind": "city-care-facility",
        "name": "介護施設でのボランティア",
        "basis": EarningRule.Basis.PER_VISIT,
        "points": POINTS_PER_ACTIVITY,
        "min_minutes": 30,
        "daily_cap": 200,
        "yearly_cap": 8000,
        "cap_group": "city-care-facility",
        "year_basis": EarningRule.YearBasis.FISCAL,
        "expiry": EarningRule.Expiry.NONE,
    },
    {
        "activity_kind": "city-salon",
        "name": "ふれあい・いきいきサロンの運営協力",
        "basis": EarningRule.Basis.PER_HOUR,
        "points": POINTS_PER_ACTIVITY // 2,
        "rounding_minutes": 30,
        "yearly_cap": 8000,
        "cap_group": "city-salon",
        "year_basis": EarningRule.YearBasis.FISCAL,
        "expiry": EarningRule.Expiry.NONE,
    },
]


def _t(model) -> str:
    return model._meta.db_table


def _m2m(model, name: str) -> str:
    return model._meta.get_field(name).remote_field.through._meta.db_table


def _names(n: str, salt: int) -> tuple[str, str]:
    """SQL for a full name and its kana, chosen from ``n``."""
    surnames = "ARRAY[" + ",".join(f"'{s}'" for s, _ in SURNAMES) + "]"
    surnames_kana = "ARRAY[" + ",".join(f"'{k}'" for _, k in SURNAMES) + "]"
    given = "ARRAY[" + ",".join(f"'{g}'" for g, _ in GIVEN) + "]"
    given_kana = "ARRAY[" + ",".join(f"'{k}'" for _, k in GIVEN) + "]"
    s, g = f"(1 + {rnd(n, salt)} %% 10)", f"(1 + {rnd(n, salt + 1)} %% 10)"
    return (
        f"({surnames})[{s}] || ' ' || ({given})[{g}]",
        f"({surnames_kana})[{s}] || ' ' || ({given_kana})[{g}]",
    )


def seed(city: City) -> None:
    role_groups_sync()
    help_categories_ensure()
    if User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists():
        from django.core.management.base import CommandError

        raise CommandError("this database already holds a generated city; use a fresh one")
    for order, (code, name, kana) in enumerate(_districts(), start=1):
        District.objects.update_or_create(
            code=code, defaults={"name": name, "name_kana": kana, "sort_order": order}
        )
    rules = []
    for values in RULES:
        rule, _ = EarningRule.objects.update_or_create(
            activity_kind=values["activity_kind"], defaults=values
        )
        rules.append(rule.pk)
    for kind in (AccountKind.ISSUANCE, AccountKind.VOUCHER_LIABILITY, AccountKind.EXPIRED):
        system_account(kind)
    city.facts.update(
        districts=list(District.objects.order_by("sort_order", "pk").values_list("pk", flat=True))[
            :13
        ],
        categories=list(
            HelpCategory.objects.order_by("sort_order", "pk").values_list("pk", flat=True)
        ),
        rules=rules,
        issuance=system_account(AccountKind.ISSUANCE).pk,
        liability=system_account(AccountKind.VOUCHER_LIABILITY).pk,
    )
    _people(city)
    _profiles(city)
    _shops_places_accounts(city)
    _ledger(city)
    _mutual_aid(city)


def _districts():
    from accounts.demo import DISTRICTS

    return DISTRICTS


def _people(city: City) -> None:
    r, v, s = city.count("residents"), city.count("volunteers"), city.count("shops")
    base = max_id(_t(User))
    city.facts.update(user_base=base, residents=r, volunteers=v, shops=s, coordinators=13)
    # n: 1..r residents, then volunteers, shop staff and one coordinator per district.
    ranges = [
        ("r", Role.RESIDENT, 0, r),
        ("v", Role.VOLUNTEER, r, v),
        ("s", Role.SHOP_STAFF, r + v, s),
        ("c", Role.COORDINATOR, r + v + s, 13),
    ]
    name, kana = _names("n", 1)
    for prefix, role, offset, count in ranges:
        city.run(
            f"users ({role.value})",
            f"""
INSERT INTO {_t(User)} (id, password, is_superuser, email, full_name, full_name_kana, phone,
    preferred_language, is_staff, is_active, date_joined, birth_date)
SELECT %(base)s + n, '!', false, '{prefix}' || (n - %(offset)s) || '@{EMAIL_DOMAIN}',
    {name}, {kana}, '', 'ja', false, true,
    %(now)s - ({rnd("n", 3)} %% 3650) * interval '1 day',
    DATE '1940-01-01' + ({rnd("n", 4)} %% 20000)::int
FROM generate_series(%(offset)s + 1, %(offset)s + %(count)s) AS n;

INSERT INTO {_m2m(User, "groups")} (user_id, group_id)
SELECT %(base)s + n, (SELECT id FROM auth_group WHERE name = %(role)s)
FROM generate_series(%(offset)s + 1, %(offset)s + %(count)s) AS n;

INSERT INTO account_emailaddress (user_id, email, verified, "primary")
SELECT %(base)s + n, '{prefix}' || (n - %(offset)s) || '@{EMAIL_DOMAIN}', true, true
FROM generate_series(%(offset)s + 1, %(offset)s + %(count)s) AS n""",
            base=base,
            offset=offset,
            count=count,
            role=role.value,
        )
    sequences_reset(_t(User), "account_emailaddress", _m2m(User, "groups"))


def _volunteer_uid(expr: str = "v") -> str:
    return f"(%(user_base)s + %(residents)s + {expr})"


def _profiles(city: City) -> None:
    """Volunteer profiles, their districts, skills and weekly slots, and the matching
    index rows derived from them as ``matching_slots_rebuild`` does."""
    f = city.facts
    params = dict(f, nd=len(f["districts"]), nc=len(f["categories"]))
    city.run(
        "volunteer profiles, districts, skills, slots, matching index",
        f"""
INSERT INTO {_t(VolunteerProfile)} (user_id, home_district_id, gender, has_car,
    insurance_valid_until, languages, active, left_reason)
SELECT {_volunteer_uid()}, (%(districts)s::bigint[])[1 + v %% %(nd)s],
    CASE WHEN {rnd("v", 10)} %% 2 = 0 THEN 'female' ELSE 'male' END, {rnd("v", 11)} %% 3 = 0,
    CASE WHEN {rnd("v", 12)} %% 20 = 0 THEN %(today)s::date - 30 ELSE %(today)s::date + 365 END,
    '日本語', true, ''
FROM generate_series(1, %(volunteers)s) AS v;

INSERT INTO {_m2m(VolunteerProfile, "districts")} (volunteerprofile_id, district_id)
SELECT {_volunteer_uid()}, (%(districts)s::bigint[])[1 + (v + k) %% %(nd)s]
FROM generate_series(1, %(volunteers)s) AS v CROSS JOIN generate_series(0, 1) AS k
WHERE k = 0 OR {rnd("v", 13)} %% 2 = 0;

INSERT INTO {_m2m(VolunteerProfile, "skills")} (volunteerprofile_id, helpcategory_id)
SELECT DISTINCT {_volunteer_uid()}, (%(categories)s::bigint[])[1 + ({rnd("v", 14)} + k) %% %(nc)s]
FROM generate_series(1, %(volunteers)s) AS v CROSS JOIN generate_series(0, 1) AS k
WHERE k = 0 OR {rnd("v", 15)} %% 2 = 0;

INSERT INTO {_t(WeeklyAvailability)} (profile_id, weekday, starts, ends)
SELECT {_volunteer_uid()}, ({rnd("v", 16)} + k * 2) %% 7, make_time(9 + (v + k) %% 4, 0, 0),
    make_time(9 + (v + k) %% 4 + 3 + v %% 2, 0, 0)
FROM generate_series(1, %(volunteers)s) AS v CROSS JOIN generate_series(0, 2) AS k;

INSERT INTO {_t(MatchingSlot)} (profile_id, district_id, category_id, day_key, starts, ends,
    home, gender, has_car)
SELECT p.user_id, pd.district_id, ps.helpcategory_id, w.weekday, w.starts, w.ends,
    pd.district_id IS NOT DISTINCT FROM p.home_district_id, p.gender, p.has_car
FROM {_t(VolunteerProfile)} p
JOIN {_m2m(VolunteerProfile, "districts")} pd ON pd.volunteerprofile_id = p.user_id
JOIN {_m2m(VolunteerProfile, "skills")} ps ON ps.volunteerprofile_id = p.user_id
JOIN {_t(WeeklyAvailability)} w ON w.profile_id = p.user_id
WHERE p.user_id > %(user_base)s + %(residents)s
  AND p.user_id <= %(user_base)s + %(residents)s + %(volunteers)s""",
        **params,
    )


def _shops_places_accounts(city: City) -> None:
    f = city.facts
    places = city.count("places")
    f.update(
        places=places,
        shop_base=max_id(_t(Shop)),
        place_base=max_id(_t(Place)),
        account_base=max_id(_t(Account)),
        nd=len(f["districts"]),
    )
    categories = [c for c, _ in Shop.Category.choices]
    city.run(
        "shops, staff, places, wallets and shop accounts",
        f"""
INSERT INTO {_t(Shop)} (id, name, name_kana, address, district_id, category, goods,
    contact_name, phone, email, active, created_at)
SELECT %(shop_base)s + s, 'いきいき商店 ' || s, 'イキイキショウテン', '本町' || s || '-1',
    (%(districts)s::bigint[])[1 + s %% %(nd)s],
    (%(shop_categories)s::text[])[1 + s %% %(nshop_categories)s], '', '', '', '', true,
    %(now)s - interval '10 years'
FROM generate_series(1, %(shops)s) AS s;

INSERT INTO {_t(ShopMembership)} (user_id, shop_id, created_at)
SELECT %(user_base)s + %(residents)s + %(volunteers)s + s, %(shop_base)s + s,
    %(now)s - interval '10 years'
FROM generate_series(1, %(shops)s) AS s;

INSERT INTO {_t(Place)} (id, name, kind, address, district_id, earning_rule_id, max_minutes,
    qr_version, active, presence)
SELECT %(place_base)s + p, CASE WHEN p %% 2 = 0 THEN '介護施設 ' ELSE 'サロン ' END || p,
    CASE WHEN p %% 2 = 0 THEN 'care_facility' ELSE 'salon' END, '中央' || p,
    (%(districts)s::bigint[])[1 + p %% %(nd)s], (%(rules)s::bigint[])[1 + (p + 1) %% 2], 480, 1,
    true, 'host'
FROM generate_series(1, %(places)s) AS p;

INSERT INTO {_t(Account)} (id, kind, code, name, owner_id, balance, created_at)
SELECT %(account_base)s + v, 'wallet', 'wallet-' || {_volunteer_uid()},
    u.full_name || ' のポイント', u.id, 0, u.date_joined
FROM generate_series(1, %(volunteers)s) AS v JOIN {_t(User)} u ON u.id = {_volunteer_uid()};

INSERT INTO {_t(Account)} (id, kind, code, name, balance, created_at)
SELECT %(account_base)s + %(volunteers)s + 2 * s - 1 + k,
    CASE k WHEN 0 THEN 'shop_receivable' ELSE 'shop_settled' END,
    'shop-' || (%(shop_base)s + s) || CASE k WHEN 0 THEN '-receivable' ELSE '-settled' END,
    'いきいき商店 ' || s || CASE k WHEN 0 THEN ' 未精算' ELSE ' 精算済' END, 0, %(now)s
FROM generate_series(1, %(shops)s) AS s CROSS JOIN generate_series(0, 1) AS k""",
        **dict(f, shop_categories=categories, nshop_categories=len(categories)),
    )
    sequences_reset(_t(Shop), _t(ShopMembership), _t(Place), _t(Account))


def _ledger(city: City) -> None:
    f = city.facts
    config = ExchangeSettings.load()
    per_exchange = VOUCHERS_PER_EXCHANGE * config.voucher_points
    # Exchanges come after the first nine activities of the year (1,800 points).
    if per_exchange > (ACTIVITIES_PER_YEAR - 1) * POINTS_PER_ACTIVITY:
        per_exchange = 0
    f.update(
        activity_base=max_id(_t(Activity)),
        voucher_base=max_id(_t(Voucher)),
        statement_base=max_id(_t(SettlementStatement)),
        txn_base=max_id(_t(Transaction)),
        first_year=city.first_fiscal_year,
        years=10,
        per_year=ACTIVITIES_PER_YEAR,
        activity_points=POINTS_PER_ACTIVITY,
        vouchers_per_exchange=VOUCHERS_PER_EXCHANGE if per_exchange else 0,
        voucher_points=config.voucher_points,
        yen_per_point=config.yen_per_point,
        valid_days=config.valid_days,
        tz=settings.TIME_ZONE,
        coordinator=f["user_base"] + f["residents"] + f["volunteers"] + f["shops"] + 1,
    )
    fy = "make_date(%(first_year)s + y, 4, 1)"
    city.run(
        "plan: activities, exchanges, vouchers, statements",
        f"""
CREATE TEMP TABLE city_activity ON COMMIT DROP AS
SELECT %(activity_base)s + row_number() OVER (ORDER BY v, y, k) AS aid, v,
    {_volunteer_uid()} AS uid, %(account_base)s + v AS wallet, y, started_at,
    started_at + interval '2 hours' AS ended_at, %(place_base)s + place AS place_id,
    (%(rules)s::bigint[])[1 + (place + 1) %% 2] AS rule_id,
    (started_at AT TIME ZONE %(tz)s)::date AS day
FROM (
    SELECT v, y, k, 1 + {rnd("v * 1000 + y * 20 + k", 20)} %% %(places)s AS place,
        (({fy} + k * 36 + ({rnd("v * 1000 + y * 20 + k", 21)} %% 20)::int)
            + time '10:00') AT TIME ZONE %(tz)s AS started_at
    FROM generate_series(1, %(volunteers)s) AS v
    CROSS JOIN generate_series(0, %(years)s - 1) AS y
    CROSS JOIN generate_series(0, %(per_year)s - 1) AS k
) AS planned
WHERE started_at + interval '2 hours' < %(now)s;

CREATE TEMP TABLE city_exchange ON COMMIT DROP AS
SELECT v, {_volunteer_uid()} AS uid, %(account_base)s + v AS wallet, y, at
FROM (
    SELECT v, y, (({fy} + 330 + ({rnd("v * 100 + y", 22)} %% 10)::int) + time '15:00')
        AT TIME ZONE %(tz)s AS at
    FROM generate_series(1, %(volunteers)s) AS v
    CROSS JOIN generate_series(0, %(years)s - 1) AS y
) AS planned
WHERE at < %(now)s AND %(vouchers_per_exchange)s > 0;

CREATE TEMP TABLE city_voucher ON COMMIT DROP AS
SELECT %(voucher_base)s + row_number() OVER (ORDER BY e.v, e.y, j) AS vid,
    row_number() OVER (ORDER BY e.v, e.y, j) AS code_no, e.uid, e.v, e.y, e.at AS issued_at,
    'city:exchange:' || e.uid || ':' || e.y AS exchange_key, redeem.at AS redeemed_at,
    CASE WHEN redeem.at < %(now)s AND NOT (e.y = %(years)s - 1
        AND {rnd("e.v * 100 + e.y * 10 + j", 23)} %% 4 = 0) THEN redeem.shop END AS shop
FROM city_exchange e
CROSS JOIN generate_series(0, %(vouchers_per_exchange)s - 1) AS j
CROSS JOIN LATERAL (
    SELECT e.at + (3 + j * 7 + {rnd("e.v * 100 + e.y * 10 + j", 24)} %% 5) * interval '1 day'
            + interval '2 hours' AS at,
        1 + {rnd("e.v * 100 + e.y * 10 + j", 25)} %% %(shops)s AS shop
) AS redeem;

CREATE TEMP TABLE city_statement ON COMMIT DROP AS
SELECT %(statement_base)s + row_number() OVER (ORDER BY month, shop) AS sid, *,
    CASE WHEN paid_at < %(now)s THEN 'paid' ELSE 'open' END AS status
FROM (
    SELECT *, (month + interval '1 month 9 days 10 hours') AT TIME ZONE %(tz)s AS paid_at
    FROM (
        SELECT shop, date_trunc('month', redeemed_at AT TIME ZONE %(tz)s)::date AS month,
            count(*) AS vouchers, count(*) * %(voucher_points)s AS points
        FROM city_voucher WHERE shop IS NOT NULL
        GROUP BY 1, 2
    ) AS grouped
) AS months
WHERE month < date_trunc('month', %(today)s::date)""",
        **f,
    )
    receivable = "%(account_base)s + %(volunteers)s + 2 * {shop} - 1"
    city.run(
        "plan: transactions",
        f"""
CREATE TEMP TABLE city_txn_plan ON COMMIT DROP AS
SELECT 'earn' AS kind, 'activity:' || aid AS key, 'activity:' || aid AS reference,
    ended_at AS created_at, rule_id, day AS activity_date, %(activity_points)s AS requested,
    %(issuance)s::bigint AS debit, wallet AS credit, %(activity_points)s::bigint AS amount
FROM city_activity
UNION ALL
SELECT 'exchange', 'city:exchange:' || uid || ':' || y, 'exchange:' || uid, at, NULL, NULL,
    NULL, wallet, %(liability)s,
    %(vouchers_per_exchange)s * %(voucher_points)s
FROM city_exchange
UNION ALL
SELECT 'redeem', 'voucher:' || vid || ':close', 'voucher:' || vid, redeemed_at, NULL, NULL,
    NULL, %(liability)s, {receivable.format(shop="shop")}, %(voucher_points)s
FROM city_voucher WHERE shop IS NOT NULL
UNION ALL
SELECT 'settle', 'statement:' || sid || ':paid', 'statement:' || sid, paid_at, NULL, NULL,
    NULL, {receivable.format(shop="shop")}, {receivable.format(shop="shop")} + 1, points
FROM city_statement WHERE status = 'paid';

CREATE TEMP TABLE city_txn ON COMMIT DROP AS
SELECT %(txn_base)s + row_number() OVER (ORDER BY created_at, key) AS tid, *
FROM city_txn_plan;

CREATE UNIQUE INDEX ON city_txn (key)""",
        **f,
    )
    _voucher_codes(city)
    city.run(
        "ledger: transactions and balanced entries",
        f"""
INSERT INTO {_t(Transaction)} (id, kind, idempotency_key, fingerprint, reference, actor_id,
    created_at, memo, rule_id, activity_date, requested_points, capped_points, cap_reason)
SELECT tid, kind, key, md5(key), reference, NULL, created_at, '', rule_id, activity_date,
    requested, 0, ''
FROM city_txn ORDER BY tid;

INSERT INTO {_t(Entry)} (transaction_id, account_id, amount)
SELECT tid, CASE leg WHEN 0 THEN debit ELSE credit END,
    CASE leg WHEN 0 THEN -amount ELSE amount END
FROM city_txn CROSS JOIN generate_series(0, 1) AS leg
ORDER BY tid, leg;

UPDATE {_t(Account)} AS a SET balance = s.total
FROM (SELECT account_id, SUM(amount) AS total FROM {_t(Entry)} GROUP BY account_id) AS s
WHERE a.id = s.account_id AND a.balance <> s.total""",
        **f,
    )
    city.run(
        "activities, vouchers, statements",
        f"""
INSERT INTO {_t(Activity)} (id, method, started_at, ended_at, status, review_reason,
    auto_closed, recorded_by_id, transaction_id, volunteer_id, place_id)
SELECT a.aid, 'self', a.started_at, a.ended_at, 'credited', '', false, a.uid, t.tid, a.uid,
    a.place_id
FROM city_activity a JOIN city_txn t ON t.key = 'activity:' || a.aid
ORDER BY a.aid;

INSERT INTO {_t(Voucher)} (id, code_digest, code_sealed, points, face_value_yen, status,
    issued_at, expires_on, redeemed_at, void_reason, exchange_id, owner_id, redeemed_by_id,
    settled_by_id, shop_id)
SELECT v.vid, c.digest, c.sealed, %(voucher_points)s, %(voucher_points)s * %(yen_per_point)s,
    CASE WHEN v.shop IS NULL THEN 'issued' ELSE 'redeemed' END, v.issued_at,
    (v.issued_at AT TIME ZONE %(tz)s)::date + %(valid_days)s,
    CASE WHEN v.shop IS NOT NULL THEN v.redeemed_at END, '', x.tid, v.uid,
    %(user_base)s + %(residents)s + %(volunteers)s + v.shop, r.tid, %(shop_base)s + v.shop
FROM city_voucher v
JOIN city_code c ON c.n = v.code_no
JOIN city_txn x ON x.key = v.exchange_key
LEFT JOIN city_txn r ON r.key = 'voucher:' || v.vid || ':close'
ORDER BY v.vid;

INSERT INTO {_t(SettlementStatement)} (id, shop_id, month, voucher_count, total_points,
    total_yen, status, generated_at, paid_at, paid_by_id, payment_id)
SELECT s.sid, %(shop_base)s + s.shop, s.month, s.vouchers, s.points,
    s.points * %(yen_per_point)s, s.status,
    ((s.month + interval '1 month 1 day 6 hours') AT TIME ZONE %(tz)s),
    CASE WHEN s.status = 'paid' THEN s.paid_at END,
    CASE WHEN s.status = 'paid' THEN %(coordinator)s END, t.tid
FROM city_statement s LEFT JOIN city_txn t ON t.key = 'statement:' || s.sid || ':paid'
ORDER BY s.sid""",
        **f,
    )
    sequences_reset(_t(Transaction), _t(Entry), _t(Activity), _t(Voucher), _t(SettlementStatement))


def _voucher_codes(city: City) -> None:
    """One code per planned voucher, drawn from the seed (the sealed form carries a
    random nonce, so it differs between runs; the digest does not)."""
    draw = random.Random(city.seed)
    count = city.scalar("SELECT count(*) FROM city_voucher")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE city_code (n bigint, digest text, sealed text) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY city_code (n, digest, sealed) FROM STDIN") as copy:
            for n in range(1, count + 1):
                body = "".join(draw.choice(codes.ALPHABET) for _ in range(codes.RANDOM_SYMBOLS))
                code = body + codes._check_symbol(body)
                copy.write_row((n, codes.digest(code), codes.seal(code)))
    city.out.write(f"  voucher codes: {count:,}")


def _mutual_aid(city: City) -> None:
    f = city.facts
    f.update(
        recipients=city.count("aid_recipients"),
        requests=city.count("help_requests"),
        resident_base=max_id(_t(Resident)),
        request_base=max_id(_t(HelpRequest)),
        nc=len(f["categories"]),
        span_days=(
            city.today - city.today.replace(year=city.first_fiscal_year, month=4, day=1)
        ).days
        + 14,
    )
    name, kana = _names("r", 30)
    city.run(
        "residents helped, help requests, assignments",
        f"""
INSERT INTO {_t(Resident)} (id, full_name, full_name_kana, gender, address, phone,
    emergency_contact, living, prefers_same_gender, prefers_familiar, notes, active,
    created_at, district_id, left_reason)
SELECT %(resident_base)s + r, {name}, {kana},
    CASE WHEN r %% 3 = 0 THEN 'male' ELSE 'female' END, '中央' || r, '', '',
    (ARRAY['alone', 'elderly_only', 'with_family'])[1 + r %% 3], r %% 4 = 0, r %% 5 = 0, '',
    true, %(now)s - interval '10 years', (%(districts)s::bigint[])[1 + r %% %(nd)s], ''
FROM generate_series(1, %(recipients)s) AS r;

CREATE TEMP TABLE city_request ON COMMIT DROP AS
SELECT %(request_base)s + n AS id, 1 + n %% %(recipients)s AS r, n,
    ((make_date(%(first_year)s, 4, 1) + (n::bigint * %(span_days)s / %(requests)s)::int)
        + make_time(9 + n %% 8, 0, 0)) AT TIME ZONE %(tz)s AS starts_at,
    {rnd("n", 31)} %% 10 = 0 AS cancelled
FROM generate_series(1, %(requests)s) AS n;

INSERT INTO {_t(HelpRequest)} (id, starts_at, ends_at, place, notes, channel, status,
    created_at, cancel_reason, category_id, district_id, received_by_id, resident_id)
SELECT q.id, q.starts_at, q.starts_at + interval '1 hour', '', '', 'phone',
    CASE WHEN q.starts_at >= %(now)s THEN 'requested' WHEN q.cancelled THEN 'cancelled'
        ELSE 'confirmed' END, q.starts_at - interval '5 days',
    CASE WHEN q.cancelled AND q.starts_at < %(now)s THEN '都合により取消' ELSE '' END,
    (%(categories)s::bigint[])[1 + q.n %% %(nc)s], (%(districts)s::bigint[])[1 + q.r %% %(nd)s],
    %(coordinator)s + q.r %% 13, %(resident_base)s + q.r
FROM city_request q ORDER BY q.id;

INSERT INTO {_t(Assignment)} (request_id, volunteer_id, status, starts_at, ends_at,
    assigned_at, started_at, finished_at, minutes, confirmed_at, assigned_by_id,
    confirmed_by_id, cash_note)
SELECT q.id, {_volunteer_uid("1 + " + rnd("q.n", 32) + " %% %(volunteers)s")}, 'confirmed',
    q.starts_at, q.starts_at + interval '1 hour', q.starts_at - interval '3 days', q.starts_at,
    q.starts_at + interval '1 hour', 60, q.starts_at + interval '1 day',
    %(coordinator)s + q.r %% 13, %(coordinator)s + q.r %% 13, ''
FROM city_request q WHERE NOT q.cancelled AND q.starts_at < %(now)s ORDER BY q.id""",
        **f,
    )
    sequences_reset(_t(Resident), _t(HelpRequest), _t(Assignment))
