"""Leaving, retention and erasure of residents' and volunteers' details (issue #19,
items 3 and 5), through the back office's pages: the person becomes anonymous while
requests, fees, activities and the points ledger keep every count and sum."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import User
from points.models import Account, EarningRule, Entry, Shop, Voucher
from points.selectors import wallet_balance
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import volunteer
from tests.volunteers.people import offered_request, person_with_history
from volunteers.models import (
    Activity,
    Assignment,
    HelpRequest,
    Offer,
    PersonalDataAccess,
    PersonalDataSettings,
    Resident,
    VolunteerProfile,
)
from volunteers.selectors.help_requests import monthly_counts
from volunteers.selectors.personal_data import add_months
from volunteers.services.personal_data import retention_run
from volunteers.tasks import personal_data_retention

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule():
    return EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )


@pytest.fixture
def shop():
    return Shop.objects.create(name="みどり商店", address="緑町9-9", district=DistrictFactory())


@pytest.fixture
def people(coordinator, shop, rule):
    return (
        person_with_history(coordinator, "甲", shop=shop, rule=rule),
        person_with_history(coordinator, "乙", shop=shop, rule=rule),
    )


@pytest.fixture
def desk(coordinator):
    return signed_in_back_office(Client(), coordinator)


@pytest.fixture
def city():
    return signed_in_back_office(Client(), UserFactory(roles=["city_staff"]))


def audit() -> str:
    out = io.StringIO()
    call_command("points_audit", stdout=out)  # exits non-zero (raises) on any breach
    return out.getvalue()


def figures(desk) -> dict:
    """Every total the reports show, read independently of the people in them."""
    months = {timezone.localdate().replace(day=1), add_months(timezone.localdate(), -1)}
    payouts = {}
    for month in sorted(months):
        page = desk.get(f"/admin/aid/payouts/?month={month:%Y-%m}").content.decode()
        parts = page.split('data-testid="payout-total"')
        payouts[month] = parts[1].split("</section>")[0] if len(parts) > 1 else ""
    assert any("円" in total for total in payouts.values())
    return {
        "balances": dict(Account.objects.values_list("pk", "balance")),
        "entries": Entry.objects.aggregate(n=Count("pk"), total=Sum("amount")),
        "by_account": dict(
            Entry.objects.values("account").annotate(s=Sum("amount")).values_list("account", "s")
        ),
        "requests": Counter(HelpRequest.objects.values_list("status", "category", "district")),
        "fees": Assignment.objects.aggregate(
            n=Count("pk"), fee=Sum("fee_yen"), cash=Sum("cash_received_yen"), m=Sum("minutes")
        ),
        "activities": Counter(Activity.objects.values_list("status", "place")),
        "vouchers": Counter(Voucher.objects.values_list("status", "face_value_yen", "shop")),
        "monthly": [monthly_counts(month) for month in sorted(months)],
        "payouts": payouts,
        "assignments_csv_rows": desk.post("/admin/aid/assignments/?export=csv", {"reason": "監査"})
        .content.decode("utf-8-sig")
        .count("\n"),
    }


def leave(desk, url, on, reason="moved"):
    return desk.post(url, {"on": on.isoformat(), "reason": reason})


def test_leaving_retention_and_anonymisation_keep_every_total(
    desk, city, coordinator, people, rule
):
    gone, stays = people
    res, helper = gone.resident, gone.helper
    old_email = helper.email
    # The volunteer could sign in before.
    browser = Client()
    browser.post(
        "/accounts/login/", {"login": old_email, "password": "correct horse battery staple"}
    )
    assert browser.session.get("_auth_user_id") == str(helper.pk)
    # An offer still open for the resident: leaving is refused until it is settled.
    pending = offered_request(coordinator, gone, volunteer(DistrictFactory()))
    today = timezone.localdate()
    refused = leave(desk, f"/admin/aid/residents/{res.pk}/leave/", today)
    assert refused.status_code == 200 and "処理中の依頼が 1 件" in refused.content.decode()
    assert Resident.objects.get(pk=res.pk).left_on is None
    desk.post(f"/admin/aid/requests/{pending.pk}/cancel/", {"reason": "入院"})

    # A future date is refused; the day itself is accepted.
    future = leave(desk, f"/admin/aid/residents/{res.pk}/leave/", today + dt.timedelta(days=1))
    assert future.status_code == 200 and Resident.objects.get(pk=res.pk).left_on is None
    left_on = today - dt.timedelta(days=3)
    assert (
        leave(desk, f"/admin/aid/residents/{res.pk}/leave/", left_on, "deceased").status_code == 302
    )
    res.refresh_from_db()
    assert (res.left_on, res.left_reason, res.active) == (left_on, "deceased", False)
    # The request nobody had been offered is cancelled; the done ones are untouched.
    unoffered = HelpRequest.objects.get(pk=gone.requests[-1].pk)
    assert unoffered.status == "cancelled"
    page = desk.get(f"/admin/aid/residents/{res.pk}/").content.decode()
    assert "利用を終了しました" in page and f"/admin/aid/residents/{res.pk}/return/" in page
    # No new request is taken for them.
    intake = desk.post(
        f"/admin/aid/residents/{res.pk}/intake/",
        {
            "category": unoffered.category_id,
            "day": (today + dt.timedelta(days=2)).isoformat(),
            "starts": "10:00",
            "ends": "11:00",
            "channel": "phone",
        },
    )
    assert "利用を終了" in intake.content.decode()
    assert HelpRequest.objects.filter(resident=res).count() == len(gone.requests) + 1

    assert (
        leave(desk, f"/admin/aid/volunteers/{helper.pk}/leave/", left_on, "ended").status_code
        == 302
    )
    profile = VolunteerProfile.objects.get(user=helper)
    assert (profile.left_on, profile.active) == (left_on, False)

    # City staff set the period (coordinators cannot); a month after leaving it ends.
    settings_url = city.get("/admin/settings/volunteers/personaldatasettings/", follow=True)
    settings_url = settings_url.redirect_chain[-1][0] if settings_url.redirect_chain else ""
    assert settings_url.startswith("/admin/settings/volunteers/personaldatasettings/")
    assert desk.get(settings_url).status_code in (302, 403)
    saved = city.post(
        settings_url, {"resident_retention_months": "1", "volunteer_retention_months": "2"}
    )
    assert saved.status_code == 302
    config = PersonalDataSettings.load()
    assert (config.resident_retention_months, config.volunteer_retention_months) == (1, 2)

    # Money still owed (left possible, erasure not): the job keeps them until it is paid.
    assert retention_run(today=add_months(left_on, 1)).held == [
        f"resident {res.pk}: 未収の利用料が 1 件あります。先に精算を記録してください。"
    ]
    desk.post("/admin/aid/owed/", {"settle": str(gone.assignments[1].pk)})

    before, balance, audit_before = figures(desk), wallet_balance(helper), audit()
    day_before = add_months(left_on, 1) - dt.timedelta(days=1)
    assert retention_run(today=day_before).residents == 0
    assert Resident.objects.get(pk=res.pk).anonymised_at is None

    ran = retention_run(today=add_months(left_on, 1))
    assert (ran.residents, ran.volunteers, ran.held) == (1, 0, [])
    again = retention_run(today=add_months(left_on, 1))
    assert (again.residents, again.volunteers) == (0, 0)  # exactly once
    assert retention_run(today=add_months(left_on, 2)).volunteers == 1

    res.refresh_from_db()
    assert res.anonymised_at is not None and res.full_name == f"削除済み No.{res.pk}"
    assert (res.address, str(res.phone), res.emergency_contact, res.notes) == ("", "", "", "")
    # Free text about them is gone from their requests and fees.
    assert not HelpRequest.objects.filter(resident=res).exclude(notes="", place="").exists()
    assert not Assignment.objects.filter(request__resident=res).exclude(cash_note="").exists()
    helper.refresh_from_db()
    assert helper.full_name == f"削除済み No.{helper.pk}" and helper.email is None
    assert (str(helper.phone), helper.birth_date, helper.is_active) == ("", None, False)
    assert not helper.has_usable_password() and not helper.groups.exists()

    # Every count and sum the reports show is unchanged, and the books still balance.
    after = figures(desk)
    assert after == before
    assert wallet_balance(helper) == balance > 0
    assert audit() == audit_before
    # Nobody else changed.
    stays.resident.refresh_from_db()
    assert stays.resident.full_name == "乙田 花子" and stays.resident.anonymised_at is None
    assert User.objects.get(pk=stays.helper.pk).full_name == "乙山 一郎"

    # The anonymous volunteer cannot sign in: their old address finds nobody.
    browser = Client()
    browser.post(
        "/accounts/login/", {"login": old_email, "password": "correct horse battery staple"}
    )
    assert "_auth_user_id" not in browser.session
    page = desk.get(f"/admin/aid/residents/{res.pk}/").content.decode()
    assert "消去しました" in page and "甲町" not in page
    assert desk.get(f"/admin/aid_residents/edit/{res.pk}/").status_code == 404


def test_the_nightly_task_is_scheduled_and_holds_people_still_needed(coordinator, people, desk):
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "volunteers.personal_data_retention" in scheduled
    gone, _ = people
    # Left long ago, but a fee is still owed: kept, and tried again the next night.
    Resident.objects.filter(pk=gone.resident.pk).update(
        left_on=timezone.localdate() - dt.timedelta(days=4000)
    )
    Assignment.objects.filter(pk=gone.assignments[1].pk).update(owed_settled_at=None)
    assert personal_data_retention.delay().get() == 0
    assert Resident.objects.get(pk=gone.resident.pk).anonymised_at is None
    desk.post("/admin/aid/owed/", {"settle": str(gone.assignments[1].pk)})
    HelpRequest.objects.filter(pk=gone.requests[-1].pk).update(status="cancelled")
    assert personal_data_retention.delay().get() == 1
    assert Resident.objects.get(pk=gone.resident.pk).anonymised_at is not None


def test_a_volunteer_with_an_unconfirmed_assignment_cannot_leave(desk, coordinator, people):
    gone, _ = people
    Assignment.objects.filter(pk=gone.assignments[0].pk).update(status="done")
    page = leave(desk, f"/admin/aid/volunteers/{gone.helper.pk}/leave/", timezone.localdate())
    assert "確認されていない担当が 1 件" in page.content.decode()
    assert VolunteerProfile.objects.get(user=gone.helper).left_on is None


def test_leaving_withdraws_open_offers_and_return_undoes_it(desk, coordinator, people):
    gone, stays = people
    req = offered_request(coordinator, stays, gone.helper)
    assert (
        leave(
            desk, f"/admin/aid/volunteers/{gone.helper.pk}/leave/", timezone.localdate()
        ).status_code
        == 302
    )
    assert Offer.objects.get(request=req, volunteer=gone.helper).status == "withdrawn"
    back = desk.post(f"/admin/aid/volunteers/{gone.helper.pk}/return/")
    assert back.status_code == 302
    profile = VolunteerProfile.objects.get(user=gone.helper)
    assert (profile.left_on, profile.active) == (None, True)
    # The resident's request is still being handled (offered, answer withdrawn): their
    # leaving waits until a coordinator cancels it.
    url = f"/admin/aid/residents/{stays.resident.pk}/leave/"
    assert "処理中の依頼が 1 件" in leave(desk, url, timezone.localdate()).content.decode()
    assert Resident.objects.get(pk=stays.resident.pk).left_on is None
    desk.post(f"/admin/aid/requests/{req.pk}/cancel/", {"reason": "不要"})
    assert leave(desk, url, timezone.localdate()).status_code == 302
    assert Resident.objects.get(pk=stays.resident.pk).left_on == timezone.localdate()
    desk.post(f"/admin/aid/residents/{stays.resident.pk}/return/")
    assert Resident.objects.get(pk=stays.resident.pk).left_on is None


def test_erasure_on_request_is_refused_while_needed_then_done_and_logged(
    city, desk, coordinator, people
):
    gone, stays = people
    pending = offered_request(coordinator, gone, volunteer(DistrictFactory()))
    url = f"/admin/aid/personal-data/residents/{gone.resident.pk}/erase/"
    page = city.get(url).content.decode()
    assert "まだ消去できません" in page and "処理中の依頼が 1 件" in page
    refused = city.post(url, {"reference": "消去請求 第3号", "confirm": "on"})
    assert refused.status_code == 200 and "処理中の依頼が 1 件" in refused.content.decode()
    assert Resident.objects.get(pk=gone.resident.pk).anonymised_at is None
    unconfirmed = city.post(url, {"reference": "消去請求 第3号"})
    assert unconfirmed.status_code == 200

    HelpRequest.objects.filter(pk=pending.pk).update(status="cancelled")
    Offer.objects.filter(request=pending).update(status="withdrawn")
    # Money still owed for the last visit holds it up too, until it is recorded paid.
    owed = city.post(url, {"reference": "消去請求 第3号", "confirm": "on"}).content.decode()
    assert "未収の利用料が 1 件" in owed and "処理中の依頼" not in owed
    desk.post("/admin/aid/owed/", {"settle": str(gone.assignments[1].pk)})
    done = city.post(url, {"reference": "消去請求 第3号", "confirm": "on"})
    assert done.status_code == 302
    erased = Resident.objects.get(pk=gone.resident.pk)
    assert erased.anonymised_at and erased.left_reason == "erasure"
    entry = PersonalDataAccess.objects.get(resident=erased, action="erase")
    assert entry.reason == "消去請求 第3号"
    # Once erased there is nothing left to erase or disclose.
    assert city.get(url).status_code == 404

    vurl = f"/admin/aid/personal-data/volunteers/{gone.helper.pk}/erase/"
    # The volunteer had linked LINE: its user id and display name (often a real name).
    SocialAccount.objects.create(
        user=gone.helper, provider="line", uid="U" + "4" * 32, extra_data={"displayName": "山田"}
    )
    assert city.post(vurl, {"reference": "消去請求 第4号", "confirm": "on"}).status_code == 302
    assert User.objects.get(pk=gone.helper.pk).is_active is False
    assert not SocialAccount.objects.filter(user=gone.helper).exists()
    assert PersonalDataAccess.objects.filter(subject=gone.helper, action="erase").exists()
    assert Resident.objects.get(pk=stays.resident.pk).anonymised_at is None


@pytest.mark.parametrize("roles", [["coordinator"], ["volunteer"], ["district_editor"]])
def test_disclosure_and_erasure_are_for_city_staff_only(roles, coordinator, people):
    gone, _ = people
    outsider = signed_in_back_office(Client(), UserFactory(roles=roles))
    for url in (
        "/admin/aid/personal-data/",
        f"/admin/aid/personal-data/residents/{gone.resident.pk}/",
        f"/admin/aid/personal-data/residents/{gone.resident.pk}/erase/",
        f"/admin/aid/personal-data/volunteers/{gone.helper.pk}/",
        f"/admin/aid/personal-data/volunteers/{gone.helper.pk}/erase/",
    ):
        assert outsider.get(url).status_code in (302, 403), url
        posted = outsider.post(
            url, {"reference": "x", "confirm": "on", "output": "page", "q": "甲田"}
        )
        assert posted.status_code in (302, 403), url
    assert Resident.objects.get(pk=gone.resident.pk).anonymised_at is None
    assert not PersonalDataAccess.objects.filter(action__in=["disclose", "erase"]).exists()


def test_leaving_is_for_coordinators(city, people):
    gone, _ = people
    for url in (
        f"/admin/aid/residents/{gone.resident.pk}/leave/",
        f"/admin/aid/volunteers/{gone.helper.pk}/leave/",
    ):
        refused = city.post(url, {"on": timezone.localdate().isoformat(), "reason": "moved"})
        assert refused.status_code in (302, 403) and refused.get("Location", "/admin/") == "/admin/"
    assert Resident.objects.get(pk=gone.resident.pk).left_on is None
