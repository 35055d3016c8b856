"""The ledger's interfaces: /me/points/, the API, the back office and the beat task."""

import csv
import datetime as dt
import io
import uuid

import openpyxl
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.celery import app as celery_app
from points.models import AccountKind, EarningRule, Transaction, TransactionKind
from points.selectors import wallet_balance
from points.services.accounts import system_account, wallet_for
from points.services.earning import points_award
from points.services.postings import points_adjust, transaction_reverse
from tests.factories import UserFactory
from tests.platform.totp import totp_now
from tests.points.support import new_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule():
    return EarningRule.objects.create(
        activity_kind="salon",
        name="サロン運営",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
        daily_cap=200,
    )


@pytest.fixture
def history(volunteer, rule):
    """Three awards: 200, then 100 held back by the 200-a-day limit on the same day,
    then 100 on the next day."""
    day = dt.date(2026, 10, 5)
    first = points_award(
        user=volunteer, rule=rule, activity_date=day, duration_minutes=120, idempotency_key="a"
    )
    points_award(
        user=volunteer, rule=rule, activity_date=day, duration_minutes=60, idempotency_key="b"
    )
    points_award(
        user=volunteer,
        rule=rule,
        activity_date=day + dt.timedelta(days=1),
        duration_minutes=90,
        idempotency_key="c",
    )
    return first


def signed_in_back_office(client, user):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client.post(
        "/accounts/login/", {"login": user.email, "password": "correct horse battery staple"}
    )
    client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    return client


def download(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- Volunteer page -----------------------------------------------------------------


def test_my_points_page_shows_balance_running_balance_and_capped_reason(client, volunteer, history):
    client.force_login(volunteer)
    html = client.get("/me/points/").content.decode()
    assert '<strong data-testid="balance">300</strong>' in html
    # Newest first with running balances 300, 200, 200.
    assert html.index(">300</td>") < html.index(">200</td>")
    assert "100 pt は付与されませんでした" in html and "1日の上限" in html
    assert "サロン運営" in html


def test_my_points_page_requires_sign_in(client):
    response = client.get("/me/points/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_my_points_page_is_paginated(client, volunteer, rule):
    for day in range(25):
        points_award(
            user=volunteer,
            rule=EarningRule.objects.get(pk=rule.pk),
            activity_date=dt.date(2026, 4, 1) + dt.timedelta(days=day),
            duration_minutes=60,
            idempotency_key=f"p{day}",
        )
    client.force_login(volunteer)
    first = client.get("/me/points/").content.decode()
    second = client.get("/me/points/?page=2").content.decode()
    assert first.count('<td class="num">+100</td>') == 20
    assert second.count('<td class="num">+100</td>') == 5
    # The oldest entry, at the bottom of page 2, leaves a running balance of 100.
    assert second.rstrip().rfind(">100</td>") > second.rfind(">200</td>")


# --- API ----------------------------------------------------------------------------


def test_api_balance_and_entries_with_running_balance(client, volunteer, history):
    client.force_login(volunteer)
    assert client.get("/api/v1/points/balance/").json() == {"balance": 300}
    body = client.get("/api/v1/points/entries/?page_size=2").json()
    assert [e["points"] for e in body["results"]] == [100, 0]
    assert [e["running_balance"] for e in body["results"]] == [300, 200]
    capped = body["results"][1]
    assert (capped["capped_points"], capped["cap_reason"], capped["points_before_limits"]) == (
        100,
        "daily",
        100,
    )
    following = client.get(body["next"]).json()
    assert [e["running_balance"] for e in following["results"]] == [200]
    previous = client.get(following["previous"]).json()
    assert [e["running_balance"] for e in previous["results"]] == [300, 200]


def test_api_shows_only_the_callers_own_wallet(client, volunteer, history):
    other = UserFactory(roles=["volunteer"])
    client.force_login(other)
    assert client.get("/api/v1/points/balance/").json() == {"balance": 0}
    assert client.get("/api/v1/points/entries/").json()["results"] == []


def test_api_requires_authentication(client):
    for url in ("/api/v1/points/balance/", "/api/v1/points/entries/"):
        response = client.get(url)
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# --- Back office --------------------------------------------------------------------


def test_ledger_report_is_for_city_staff_and_exports(client, history):
    city = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, city)
    page = client.get("/admin/points/ledger/")
    assert page.status_code == 200
    assert "サロン運営" in page.content.decode()

    rows = list(csv.reader(io.StringIO(download(client, "/admin/points/ledger/?export=csv"))))
    assert len(rows) == 1 + 2 * Transaction.objects.count()
    xlsx = client.get("/admin/points/ledger/?export=xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.active.max_row == len(rows)

    filtered = download(client, "/admin/points/ledger/?export=csv&account_kind=wallet")
    assert len(list(csv.reader(io.StringIO(filtered)))) == 1 + Transaction.objects.count()


def test_ledger_report_filters_by_transaction_kind_date_and_person(client, history, volunteer):
    """Each filter of the ledger narrows the export to what it names (the account-kind
    filter is checked above)."""
    city = UserFactory(roles=["city_staff"])
    other = UserFactory(email="tanaka@example.jp", full_name_kana="タナカ ハナコ")
    adjustment = points_adjust(
        user=other, amount=50, reason="記録用紙から転記", actor=city, idempotency_key=new_key()
    )
    tokyo = dt.timezone(dt.timedelta(hours=9))
    Transaction.objects.filter(pk=history.pk).update(
        created_at=dt.datetime(2026, 9, 30, 23, 30, tzinfo=tokyo)
    )
    Transaction.objects.filter(pk=adjustment.pk).update(
        created_at=dt.datetime(2026, 10, 1, 0, 30, tzinfo=tokyo)
    )
    signed_in_back_office(client, city)
    with translation.override("ja"):
        transaction_heading, account_heading = (
            str(_("Transaction")),
            str(pgettext("points ledger", "Account")),
        )

    def export(query: str) -> list[tuple[int, str]]:
        """(transaction id, account name) of each exported entry."""
        csv_text = download(client, f"/admin/points/ledger/?export=csv&{query}")
        rows = csv.DictReader(io.StringIO(csv_text))
        return sorted((int(row[transaction_heading]), row[account_heading]) for row in rows)

    wallet, issuance = wallet_for(other).name, system_account(AccountKind.ISSUANCE).name
    adjusted = [(adjustment.pk, issuance), (adjustment.pk, wallet)]
    assert sorted(export("kind=adjust")) == sorted(adjusted)
    # Days are Tokyo days: 23:30 on 30 September is not in October, 00:30 on 1 October is.
    assert sorted(export("recorded_from=2026-10-01&recorded_to=2026-10-31")) == sorted(adjusted)
    assert {pk for pk, _name in export("recorded_from=2026-09-30&recorded_to=2026-09-30")} == {
        history.pk
    }
    # An owner by email (any case) or by kana: their wallet's entries only.
    for person in ("TANAKA@example", "タナカ"):
        assert export(f"person={person}") == [(adjustment.pk, wallet)]
    awards = Transaction.objects.filter(kind=TransactionKind.EARN).values_list("pk", flat=True)
    mine = export(f"person={volunteer.email}")
    assert {pk for pk, _name in mine} == set(awards) and len(mine) == len(awards)


def test_ledger_csv_neutralises_formulas_but_keeps_amounts_numeric(client):
    """A self-registered name reaches the CSV as the wallet's name ("<name> のポイント"),
    a memo as the reason: neither may run as a formula in Excel; -100 stays a number."""
    evil = UserFactory(full_name='=HYPERLINK("https://evil.example/","x")')
    city = UserFactory(roles=["city_staff"], full_name="-2+3")
    points_adjust(
        user=evil, amount=100, reason="+SUM(1,2)", actor=city, idempotency_key="evil-credit"
    )
    points_adjust(
        user=evil, amount=-100, reason="@cmd|' /C calc'!A0", actor=city, idempotency_key="debit"
    )
    signed_in_back_office(client, city)
    rows = list(csv.DictReader(io.StringIO(download(client, "/admin/points/ledger/?export=csv"))))
    names = {row["口座"] for row in rows}
    assert "'" + str(wallet_for(evil).name) in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    cells = [value for row in rows for value in row.values()]
    assert not any(value.startswith(("=", "+", "@", "\t", "\r")) for value in cells)
    assert not any(value.startswith("-") for value in cells if value != "-100")
    assert {row["記録者"] for row in rows} == {"'-2+3"}
    assert sorted(int(row["ポイント"]) for row in rows) == [-100, -100, 100, 100]


def assert_refused_by_wagtail(response, client):
    """Wagtail's refusal to a signed-in user without the permission: back to the
    dashboard with its "no permission" message (not the sign-in or MFA page)."""
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    assert "アクセス権がありません。" in [str(m).strip() for m in dashboard.context["messages"]]


def test_ledger_report_is_refused_to_coordinators(client, history, volunteer):
    coordinator = UserFactory(roles=["coordinator"])
    signed_in_back_office(client, coordinator)
    assert client.get("/admin/").status_code == 200  # signed in, MFA passed
    assert_refused_by_wagtail(client.get("/admin/points/ledger/"), client)
    assert_refused_by_wagtail(client.get("/admin/points/ledger/?export=csv"), client)
    assert_refused_by_wagtail(client.get("/admin/points/adjust/"), client)
    before = Transaction.objects.count()
    form = {"user": volunteer.pk, "amount": 250, "reason": "不正", "request_id": str(uuid.uuid4())}
    assert_refused_by_wagtail(client.post("/admin/points/adjust/", form), client)
    assert Transaction.objects.count() == before


def test_adjustment_by_city_staff_needs_a_reason_and_posts_once(client, volunteer):
    city = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, city)
    request_id = str(uuid.uuid4())
    form = {"user": volunteer.pk, "amount": 250, "reason": "", "request_id": request_id}
    response = client.post("/admin/points/adjust/", form)
    assert response.status_code == 200 and wallet_balance(volunteer) == 0

    form["reason"] = "紙の記録から転記"
    assert client.post("/admin/points/adjust/", form).status_code == 302
    assert client.post("/admin/points/adjust/", form).status_code == 302  # double submit
    adjustment = Transaction.objects.get(kind=TransactionKind.ADJUST)
    assert (adjustment.actor, adjustment.memo) == (city, "紙の記録から転記")
    assert wallet_balance(volunteer) == 250


def test_earning_rules_are_editable_in_the_admin(client, rule, volunteer):
    """City staff change a rule's points and daily limit in the admin, and the next
    award follows the new values."""
    city = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, city)
    assert client.get("/admin/earning_rules/").status_code == 200
    assert client.get(f"/admin/earning_rules/edit/{rule.pk}/").status_code == 200
    form = {
        "name": rule.name,
        "activity_kind": rule.activity_kind,
        "basis": rule.basis,
        "points": "150",
        "rounding_minutes": str(rule.rounding_minutes),
        "min_minutes": str(rule.min_minutes),
        "min_age": "",
        "daily_cap": "300",
        "yearly_cap": "",
        "cap_group": rule.cap_group,
        "year_basis": rule.year_basis,
        "expiry": rule.expiry,
        "active": "on",
    }
    response = client.post(f"/admin/earning_rules/edit/{rule.pk}/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert (rule.points, rule.daily_cap) == (150, 300)

    award = points_award(
        user=volunteer,
        rule=rule,
        activity_date=dt.date(2026, 10, 5),
        duration_minutes=180,
        idempotency_key=new_key(),
    )
    assert (award.requested_points, award.capped_points, award.cap_reason) == (
        450,
        150,
        "daily",
    )
    assert wallet_balance(volunteer) == 300


# --- Beat task ----------------------------------------------------------------------


def test_expiry_task_is_scheduled_and_idempotent(settings, volunteer, rule, history):
    assert settings.CELERY_BEAT_SCHEDULE["points-expire"]["task"] == "points.expire_points"
    transaction_reverse(original=history)  # 200 reversed: 100 left, valid to 2028-03-31
    celery_app.loader.import_default_modules()  # what a worker does at start
    task = celery_app.tasks["points.expire_points"]
    assert task.delay("2028-03-31").get() == 0
    assert task.delay("2028-04-01").get() == 1
    assert task.delay("2028-04-01").get() == 0
    assert wallet_balance(volunteer) == 0
