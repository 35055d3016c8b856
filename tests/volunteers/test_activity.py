"""QR check-in: tokens, check-in/out, crediting exactly once, review, paper entry.

The place here proves presence with its kiosk's code (each self scan carries it,
``kiosk()``); the three ways of proving presence are tested in test_presence.py."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.errors import NotPermitted
from points import codes
from points.models import EarningRule, Transaction
from points.selectors import audit_ledger, wallet_balance
from qr import tokens
from tests.factories import UserFactory
from tests.points.support import run_concurrently
from volunteers.exceptions import (
    AlreadyCheckedIn,
    InvalidActivityTimes,
    InvalidScan,
    NotHost,
    NotVolunteer,
)
from volunteers.models import Activity, Place
from volunteers.selectors.places import card_token, kiosk_code, place_token
from volunteers.services import activity as services
from volunteers.services.activity import (
    activities_close_forgotten,
    activity_approve,
    activity_check_in,
    activity_check_out,
    activity_record,
    activity_reject,
    scan_toggle,
)
from volunteers.services.places import card_for, card_reissue, place_reprint

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()


@pytest.fixture
def rule(db):
    return EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )


@pytest.fixture
def place(rule):
    return Place.objects.create(
        name="いきいきサロン",
        kind=Place.Kind.SALON,
        earning_rule=rule,
        closes_at=dt.time(16, 0),
        presence=Place.Presence.KIOSK,
    )


@pytest.fixture
def host(place):
    user = UserFactory()
    place.hosts.add(user)
    return user


def at(hour, minute=0, day=dt.date(2026, 11, 20)):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def kiosk(place, **body):
    """A self scan's body with the code the place's kiosk shows now."""
    return {"kiosk_code": kiosk_code(place), **body}


# --- Tokens and the scan page -------------------------------------------------------


def state():
    return (Activity.objects.count(), Transaction.objects.count())


@pytest.mark.parametrize("kind", ["tampered", "revoked", "voucher", "wrong_purpose"])
def test_bad_codes_are_refused_with_a_reason_and_nothing_written(client, volunteer, place, kind):
    token = place_token(place)
    if kind == "tampered":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif kind == "revoked":
        place_reprint(place=place)
    elif kind == "voucher":
        token = codes.display(codes.generate())
    else:  # a signed token for another purpose than any scan target
        token = tokens.signing.Signer(salt="ikiiki.qr.other").sign_object([place.pk, 1])
    client.force_login(volunteer)
    before = state()
    for method in (client.get, client.post):
        response = method(f"/scan/{token}/")
        assert response.status_code == 400
    assert state() == before
    api = client.post("/api/v1/scans/", {"token": token}, content_type="application/json")
    assert api.status_code == 400
    expected = "tampered" if kind == "wrong_purpose" else kind
    assert api.json()["code"] == "invalid_scan"
    assert api.json()["details"]["reason"] == expected
    assert state() == before


def test_a_card_token_is_not_a_poster_token():
    assert tokens.read(tokens.make("card", 5, 1), "card").object_id == 5
    with pytest.raises(tokens.BadToken) as excinfo:
        tokens.read(tokens.make("card", 5, 1), "place")
    assert excinfo.value.reason == "wrong_purpose"


def test_reissuing_a_card_revokes_the_old_one(volunteer, host, place, coordinator):
    old = card_token(card_for(volunteer))
    with pytest.raises(NotPermitted):
        card_reissue(user=volunteer, actor=host)
    card_reissue(user=volunteer, actor=coordinator)
    with pytest.raises(InvalidScan) as excinfo:
        scan_toggle(token=old, user=host)
    assert excinfo.value.reason == "revoked"
    action, _ = scan_toggle(token=card_token(card_for(volunteer)), user=host)
    assert action == "check_in"
    # Only volunteers carry cards: reissuing one for anyone else changes nothing.
    card = card_for(host)
    with pytest.raises(NotVolunteer):
        card_reissue(user=host, actor=coordinator)
    card.refresh_from_db()
    assert card.version == card_for(host).version == 1


def test_anonymous_scan_goes_to_sign_in_and_back(client, place):
    token = place_token(place)
    response = client.get(f"/scan/{token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/scan/{token}/"


# --- Self check-in/out --------------------------------------------------------------


def test_self_check_in_then_out_credits_points_once(client, volunteer, place):
    token = place_token(place)
    client.force_login(volunteer)
    with frozen(at(10)):
        page = client.get(f"/scan/{token}/").content.decode()
        assert '<button type="submit" class="big">チェックイン</button>' in page
        assert "チェックアウト</button>" not in page
        checked_in = client.post(f"/scan/{token}/", kiosk(place))
        assert checked_in.status_code == 200
        assert "<h1>チェックインしました</h1>" in checked_in.content.decode()
    assert Activity.objects.get().status == "open"
    with frozen(at(12, 5)):
        page = client.get(f"/scan/{token}/").content.decode()
        # minutes so far, and the points checking out now would earn
        assert "ここまで 125 分です。今チェックアウトすると 200 pt が付与されます。" in page, page
        assert '<button type="submit" class="big">チェックアウト</button>' in page
        done = client.post(f"/scan/{token}/", kiosk(place)).content.decode()
        assert "<h1>チェックアウトしました</h1>" in done and "200 pt を付与しました。" in done
    with frozen(at(12, 6)):  # the same scan again through the API: a replay, not a check-in
        replay = client.post(
            "/api/v1/scans/", kiosk(place, token=token), content_type="application/json"
        )
    assert replay.status_code == 200
    assert replay.json()["action"] == "check_out"
    assert replay.json()["activity"]["status"] == "credited"
    assert replay.json()["activity"]["points"] == 200
    activity = Activity.objects.get()
    assert (activity.status, activity.duration_minutes, activity.method) == (
        "credited",
        125,
        "self",
    )
    assert wallet_balance(volunteer) == 200
    assert Transaction.objects.get().idempotency_key == f"activity:{activity.pk}"
    html = client.get("/me/activity/").content.decode()
    assert "いきいきサロン" in html and "125" in html


def test_second_check_in_while_one_is_open_is_refused(volunteer, place, rule):
    other = Place.objects.create(name="別の会場", kind=Place.Kind.SALON, earning_rule=rule)
    activity_check_in(volunteer=volunteer, place=place, method="self", recorded_by=volunteer)
    with pytest.raises(AlreadyCheckedIn):
        activity_check_in(volunteer=volunteer, place=other, method="self", recorded_by=volunteer)
    with pytest.raises(AlreadyCheckedIn):
        scan_toggle(token=place_token(other), user=volunteer)
    assert Activity.objects.count() == 1


def test_api_scan_toggles_and_lists(client, volunteer, place):
    client.force_login(volunteer)
    token = place_token(place)
    with frozen(at(9)):
        first = client.post(
            "/api/v1/scans/", kiosk(place, token=token), content_type="application/json"
        )
    assert first.status_code == 201 and first.json()["action"] == "check_in"
    with frozen(at(10, 30)):
        second = client.post(
            "/api/v1/scans/", kiosk(place, token=token), content_type="application/json"
        )
    assert second.status_code == 200 and second.json()["action"] == "check_out"
    assert second.json()["activity"]["points"] == 100
    listed = client.get("/api/v1/activities/").json()["results"]
    assert [a["status"] for a in listed] == ["credited"]


# --- Staff check-in with the personal card ------------------------------------------


def test_host_staff_scan_a_card_to_check_a_volunteer_in_and_out(client, volunteer, host, place):
    token = card_token(card_for(volunteer))
    client.force_login(host)
    with frozen(at(13)):
        page = client.get(f"/scan/{token}/").content.decode()
        assert '<button type="submit" class="big">チェックイン</button>' in page
        done = client.post(f"/scan/{token}/", {"place": place.pk}).content.decode()
        assert "<h1>チェックインしました</h1>" in done
    with frozen(at(15)):
        page = client.get(f"/scan/{token}/").content.decode()
        assert '<button type="submit" class="big">チェックアウト</button>' in page
        done = client.post(f"/scan/{token}/", {"place": place.pk}).content.decode()
        assert "<h1>チェックアウトしました</h1>" in done and "200 pt を付与しました。" in done
    activity = Activity.objects.get()
    assert (activity.method, activity.recorded_by, activity.status) == ("staff", host, "credited")
    assert wallet_balance(volunteer) == 200


def test_host_sees_a_volunteer_checked_in_elsewhere_without_the_place_or_a_check_out(
    client, volunteer, host, place, rule
):
    """Decision: host staff learn that the volunteer is checked in somewhere else (so
    they know why the card does nothing), but not where, and get no button that could
    only fail."""
    other = Place.objects.create(name="ひみつの会場", kind=Place.Kind.SALON, earning_rule=rule)
    activity_check_in(volunteer=volunteer, place=other, method="self", recorded_by=volunteer)
    token = card_token(card_for(volunteer))
    client.force_login(host)
    page = client.get(f"/scan/{token}/").content.decode()
    assert "別の会場でチェックイン中です" in page
    assert "ひみつの会場" not in page
    assert "チェックアウト</button>" not in page and "チェックイン</button>" not in page
    refused = client.post(f"/scan/{token}/", {"place": place.pk})
    assert refused.status_code == 409 and "ひみつの会場" not in refused.content.decode()
    assert refused.content.decode().count("別の会場でチェックイン中です") == 1
    api = client.post(
        "/api/v1/scans/", {"token": token, "place": place.pk}, content_type="application/json"
    )
    assert api.status_code == 409 and api.json()["code"] == "already_checked_in"
    assert "ひみつの会場" not in api.content.decode()
    assert Activity.objects.get().place == other


def test_a_host_of_several_places_checks_out_where_the_volunteer_is(
    client, volunteer, host, place, rule
):
    second = Place.objects.create(name="第二会場", kind=Place.Kind.SALON, earning_rule=rule)
    second.hosts.add(host)
    activity_check_in(volunteer=volunteer, place=second, method="staff", recorded_by=host)
    client.force_login(host)
    page = client.get(f"/scan/{card_token(card_for(volunteer))}/").content.decode()
    assert f'<option value="{second.pk}" selected>第二会場</option>' in page
    assert f'<option value="{place.pk}">いきいきサロン</option>' in page
    assert '<button type="submit" class="big">チェックアウト</button>' in page


def test_only_host_staff_can_scan_cards(client, volunteer, place):
    stranger = UserFactory()
    token = card_token(card_for(volunteer))
    with pytest.raises(NotHost):
        scan_toggle(token=token, user=stranger)
    client.force_login(stranger)
    assert client.get(f"/scan/{token}/").status_code == 403
    assert Activity.objects.count() == 0


# --- Review: implausible and forgotten ----------------------------------------------


def test_too_long_and_overlapping_activities_wait_for_review(volunteer, place):
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(7)
    )
    long = activity_check_out(volunteer=volunteer, place=place, at=at(16, 30))
    assert (long.status, long.review_reason) == ("review", "too_long")
    coordinator = UserFactory(roles=["coordinator"])
    overlapping = activity_record(
        volunteer=volunteer, place=place, started_at=at(9), ended_at=at(10), recorded_by=coordinator
    )
    assert (overlapping.status, overlapping.review_reason) == ("review", "overlap")
    assert wallet_balance(volunteer) == 0

    activity_approve(activity=long, actor=coordinator, ended_at=at(11))
    activity_reject(activity=overlapping, actor=coordinator, reason="重複")
    long.refresh_from_db()
    assert (long.status, long.duration_minutes, long.reviewed_by) == ("credited", 240, coordinator)
    assert wallet_balance(volunteer) == 400
    assert audit_ledger().ok


def test_forgotten_check_out_is_closed_at_closing_time_and_flagged(volunteer, place):
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(13)
    )
    assert activities_close_forgotten(now=at(15, 59)) == 0
    assert activities_close_forgotten(now=at(18)) == 1
    assert activities_close_forgotten(now=at(18)) == 0
    activity = Activity.objects.get()
    assert (activity.status, activity.auto_closed, activity.ended_at) == ("review", True, at(16))
    assert wallet_balance(volunteer) == 0


def test_an_evening_check_in_is_not_closed_at_zero_minutes(volunteer, place):
    """Checked in after closing (16:00): forgotten only once the place's longest
    plausible activity (480 minutes) has passed, and closed at that time."""
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(18)
    )
    assert activities_close_forgotten(now=at(18, 15)) == 0
    assert activities_close_forgotten(now=at(23, 59)) == 0
    assert Activity.objects.get().status == "open"
    assert activities_close_forgotten(now=at(2, day=dt.date(2026, 11, 21))) == 1
    activity = Activity.objects.get()
    assert (activity.status, activity.review_reason) == ("review", "forgotten_checkout")
    assert activity.ended_at == at(2, day=dt.date(2026, 11, 21))


def test_a_place_without_closing_time_closes_after_the_longest_activity(volunteer, place):
    Place.objects.filter(pk=place.pk).update(closes_at=None, max_minutes=120)
    place.refresh_from_db()
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(10)
    )
    assert activities_close_forgotten(now=at(11, 59)) == 0
    assert activities_close_forgotten(now=at(12, 30)) == 1
    assert Activity.objects.get().ended_at == at(12)


def test_a_scan_after_the_automatic_closing_tells_and_does_not_check_in(client, volunteer, place):
    token = place_token(place)
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(13)
    )
    assert activities_close_forgotten(now=at(16, 5)) == 1
    client.force_login(volunteer)
    with frozen(at(16, 20)):  # the volunteer scans to check out, after the beat run
        api = client.post(
            "/api/v1/scans/", kiosk(place, token=token), content_type="application/json"
        )
    assert api.status_code == 200
    assert api.json()["action"] == "closed_for_review"
    assert api.json()["activity"]["status"] == "review"
    assert Activity.objects.count() == 1
    with frozen(at(16, 22)):  # a double tap on the page: the same answer
        page = client.post(f"/scan/{token}/", kiosk(place)).content.decode()
    assert "自動的に締め" in page and "<h1>再チェックインしていません</h1>" in page
    assert Activity.objects.count() == 1 and not Activity.objects.filter(status="open").exists()
    with frozen(at(16, 40)):  # told once; scanning again means a new activity
        again = client.post(
            "/api/v1/scans/", kiosk(place, token=token), content_type="application/json"
        )
    assert again.status_code == 201 and again.json()["action"] == "check_in"
    assert Activity.objects.filter(status="open").count() == 1


def test_coordinator_paper_entry_records_the_actor(volunteer, place):
    coordinator = UserFactory(roles=["coordinator"])
    activity = activity_record(
        volunteer=volunteer,
        place=place,
        started_at=at(10),
        ended_at=at(11, 30),
        recorded_by=coordinator,
    )
    assert (activity.method, activity.recorded_by, activity.status) == (
        "coordinator",
        coordinator,
        "credited",
    )
    assert activity.transaction.actor == coordinator
    assert wallet_balance(volunteer) == 100


def test_short_activity_earns_nothing_but_is_logged(volunteer, rule, place):
    rule.min_minutes = 30
    rule.save()
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(10)
    )
    activity = activity_check_out(volunteer=volunteer, place=place, at=at(10, 20))
    assert (activity.status, activity.review_reason) == ("no_points", "too_short")


@pytest.mark.parametrize(
    ("change", "reason", "shown"),
    [
        ({"min_minutes": 30}, "too_short", "活動時間が短いため"),
        (
            {"min_age": 18},
            "birth_date_unknown",
            '<a href="/me/profile/">ボランティアのプロフィール</a>',
        ),
        ({"active": False}, "inactive_rule", "現在ポイントを付与していません"),
    ],
)
def test_the_done_page_says_why_no_points(client, volunteer, rule, place, change, reason, shown):
    for name, value in change.items():
        setattr(rule, name, value)
    rule.save()
    token = place_token(place)
    client.force_login(volunteer)
    with frozen(at(10)):
        client.post(f"/scan/{token}/", kiosk(place))
    with frozen(at(10, 20) if reason == "too_short" else at(12)):
        done = client.post(f"/scan/{token}/", kiosk(place)).content.decode()
    assert Activity.objects.get().review_reason == reason
    assert shown in done
    if reason != "too_short":
        assert "活動時間が短いため" not in done


def test_approving_with_a_bad_end_time_is_refused_with_a_field(volunteer, place, coordinator):
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(7)
    )
    long = activity_check_out(volunteer=volunteer, place=place, at=at(16, 30))
    for ended_at in (
        at(6),  # before the check-in
        timezone.now() + dt.timedelta(days=1),  # in the future
        dt.datetime(9999, 12, 31, tzinfo=TOKYO),  # far future: would overflow the credit
        at(7) + dt.timedelta(minutes=place.max_minutes + 1),  # longer than plausible
    ):
        with pytest.raises(InvalidActivityTimes) as excinfo:
            activity_approve(activity=long, actor=coordinator, ended_at=ended_at)
        assert excinfo.value.field == "ended_at"
    long.refresh_from_db()
    assert long.status == "review" and wallet_balance(volunteer) == 0
    activity_approve(activity=long, actor=coordinator, ended_at=at(15))
    assert wallet_balance(volunteer) == 800


# --- Only volunteers are checked in -------------------------------------------------


@pytest.mark.parametrize("role", [None, "resident", "shop_staff", "city_staff"])
def test_only_volunteers_check_in_with_a_poster(client, place, role):
    user = UserFactory(roles=[role] if role else [])
    token = place_token(place)
    client.force_login(user)
    page = client.get(f"/scan/{token}/")
    assert page.status_code == 403
    assert "ボランティアとして登録された方だけ" in page.content.decode()
    assert client.post(f"/scan/{token}/").status_code == 403
    api = client.post("/api/v1/scans/", {"token": token}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "not_volunteer"
    with pytest.raises(NotVolunteer):
        scan_toggle(token=token, user=user)
    assert state() == (0, 0)


def test_hosts_cannot_check_themselves_in_and_non_volunteers_have_no_card(client, host, place):
    client.force_login(host)
    page = client.post(f"/scan/{place_token(place)}/")
    assert page.status_code == 403 and "チェックインできません" in page.content.decode()
    api = client.post(
        "/api/v1/scans/", {"token": place_token(place)}, content_type="application/json"
    )
    assert api.status_code == 403 and api.json()["code"] == "not_volunteer"
    assert client.get("/me/card/").status_code == 403
    assert not host.__class__.objects.filter(pk=host.pk, volunteer_card__isnull=False).exists()
    assert state() == (0, 0)


def test_a_card_of_a_non_volunteer_is_refused(client, host, place):
    resident = UserFactory(roles=["resident"])
    token = card_token(card_for(resident))  # e.g. printed before the role was removed
    client.force_login(host)
    page = client.get(f"/scan/{token}/")
    assert page.status_code == 403 and "このカードはボランティア" in page.content.decode()
    assert client.post(f"/scan/{token}/", {"place": place.pk}).status_code == 403
    api = client.post(
        "/api/v1/scans/", {"token": token, "place": place.pk}, content_type="application/json"
    )
    assert api.status_code == 403 and api.json()["code"] == "not_volunteer"
    assert state() == (0, 0)


# --- Races --------------------------------------------------------------------------


def test_check_in_retries_when_the_blocking_activity_closes_meanwhile(volunteer, place):
    """The open activity that made the INSERT fail is checked out before we look it
    up: the check-in is tried again instead of failing on a missing place."""
    blocking = activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(9)
    )
    real = services.open_activity

    def closed_meanwhile(who):
        Activity.objects.filter(pk=blocking.pk).update(status="credited", ended_at=at(10))
        return real(who)

    with mock.patch.object(services, "open_activity", side_effect=closed_meanwhile):
        activity = activity_check_in(
            volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(11)
        )
    assert activity.status == "open" and activity.pk != blocking.pk


# --- Concurrency (PostgreSQL) -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_check_outs_credit_once(postgres, reference_data, volunteer, place):
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=at(9)
    )
    outcomes = run_concurrently(
        [lambda: activity_check_out(volunteer=volunteer, place=place, at=at(11))] * 10, threads=10
    )
    assert all(isinstance(o, Activity) for o in outcomes), outcomes
    assert len({o.transaction_id for o in outcomes}) == 1
    assert Transaction.objects.count() == 1 and wallet_balance(volunteer) == 200
    call_command("points_audit")
