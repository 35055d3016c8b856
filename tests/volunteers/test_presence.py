"""Presence before points: a poster's token replayed from anywhere earns nothing until
presence is proven the way the place chose (a host confirms, the kiosk's code, the
volunteer's card scanned by host staff). Scans are idempotent both ways.

Everything here goes through the pages and the API, as a photographed poster would."""

import datetime as dt
import re
import uuid
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from points.models import EarningRule, Transaction
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office
from volunteers.exceptions import NotHost
from volunteers.models import Activity, Place
from volunteers.selectors.places import card_token, kiosk_code, place_token
from volunteers.services.activity import activities_confirm, activity_check_in
from volunteers.services.places import card_for
from volunteers.tasks import expire_unconfirmed_checkins

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()


def at(hour, minute=0, day=dt.date(2026, 11, 20)):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def rule(db):
    return EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )


def make_place(rule, presence, name="いきいきサロン"):
    place = Place.objects.create(
        name=name, kind=Place.Kind.SALON, earning_rule=rule, presence=presence
    )
    host = UserFactory(full_name=f"{name}の職員")
    place.hosts.add(host)
    return place, host


def scan(client, place, **body):
    """The poster's token, sent to the API from wherever the photo is."""
    return client.post(
        "/api/v1/scans/", {"token": place_token(place), **body}, content_type="application/json"
    )


def balance(client) -> int:
    return client.get("/api/v1/points/balance/").json()["balance"]


def nothing_credited():
    return not Transaction.objects.exists()


# --- Host confirmation --------------------------------------------------------------


def test_host_place_credits_a_replayed_poster_only_once_its_host_confirms(client, volunteer, rule):
    place, host = make_place(rule, Place.Presence.HOST)
    client.force_login(volunteer)
    with frozen(at(10)):
        assert scan(client, place).status_code == 201
    with frozen(at(12)):
        out = scan(client, place)
    assert out.status_code == 200 and out.json()["action"] == "check_out"
    assert out.json()["activity"]["status"] == "awaiting"
    assert out.json()["activity"]["points"] == 0
    assert balance(client) == 0 and nothing_credited()
    with frozen(at(12)):  # the page says why
        done = client.post(f"/scan/{place_token(place)}/").content.decode()
    assert "職員が来訪を確認すると、ポイントが付与されます。" in done

    host_client = type(client)()
    host_client.force_login(host)
    with frozen(at(12, 30)):
        page = host_client.get(f"/places/{place.pk}/checkins/").content.decode()
        assert volunteer.full_name in page and "11月20日(金) 10:00〜12:00" in page
        activity = Activity.objects.get()
        confirmed = host_client.post(
            f"/places/{place.pk}/checkins/", {"confirm": "selected", "activity": [activity.pk]}
        )
    assert confirmed.status_code == 302
    assert "1 件の来訪を確認しました" in host_client.get(confirmed["Location"]).content.decode()
    assert balance(client) == 200
    assert ">200</strong>" in client.get("/me/points/").content.decode()
    with frozen(at(12, 31)):  # the same POST again (a double tap, a reload): nothing more
        host_client.post(
            f"/places/{place.pk}/checkins/", {"confirm": "selected", "activity": [activity.pk]}
        )
        host_client.post(f"/places/{place.pk}/checkins/", {"confirm": "all"})
    assert Transaction.objects.count() == 1 and balance(client) == 200
    activity.refresh_from_db()
    assert (activity.status, activity.presence_confirmed_by) == ("credited", host)
    assert Transaction.objects.get().idempotency_key == f"activity:{activity.pk}"


def test_confirm_all_covers_open_check_ins_which_are_then_credited_at_check_out(client, rule):
    place, host = make_place(rule, Place.Presence.HOST)
    first, second = UserFactory(roles=["volunteer"]), UserFactory(roles=["volunteer"])
    for who in (first, second):
        client.force_login(who)
        with frozen(at(9)):
            scan(client, place)
    client.force_login(host)
    with frozen(at(10)):
        client.post(f"/places/{place.pk}/checkins/", {"confirm": "all"})
        assert "確認を待っているチェックインはありません" in (
            client.get(f"/places/{place.pk}/checkins/").content.decode()
        )
    for who in (first, second):
        client.force_login(who)
        with frozen(at(11)):
            out = scan(client, place)
        assert out.json()["activity"]["status"] == "credited"
        assert balance(client) == 200


def test_a_host_of_another_place_cannot_confirm(client, volunteer, rule):
    place, _host = make_place(rule, Place.Presence.HOST)
    _other, other_host = make_place(rule, Place.Presence.HOST, name="別の会場")
    client.force_login(volunteer)
    with frozen(at(10)):
        scan(client, place)
    with frozen(at(12)):
        scan(client, place)
    activity = Activity.objects.get()
    for who in (other_host, volunteer, UserFactory(roles=["coordinator"])):
        client.force_login(who)
        assert client.get(f"/places/{place.pk}/checkins/").status_code == 403
        refused = client.post(
            f"/places/{place.pk}/checkins/", {"confirm": "selected", "activity": [activity.pk]}
        )
        assert refused.status_code == 403
    client.force_login(other_host)  # their own place's page does not reach it either
    client.post(
        f"/places/{_other.pk}/checkins/", {"confirm": "selected", "activity": [activity.pk]}
    )
    client.post(f"/places/{_other.pk}/checkins/", {"confirm": "all"})
    activity.refresh_from_db()
    assert activity.status == "awaiting" and activity.presence_confirmed_by is None
    assert nothing_credited()


def test_an_unconfirmed_check_in_expires_to_the_review_queue(client, volunteer, rule):
    place, host = make_place(rule, Place.Presence.HOST)
    client.force_login(volunteer)
    with frozen(at(10)):
        scan(client, place)
    with frozen(at(12)):
        scan(client, place)
    with frozen(at(11, day=dt.date(2026, 11, 21))):  # 23 hours: still the host's to confirm
        assert expire_unconfirmed_checkins.delay().get() == 0
    with frozen(at(13, day=dt.date(2026, 11, 21))):
        assert expire_unconfirmed_checkins.delay().get() == 1
        assert expire_unconfirmed_checkins.delay().get() == 0
    activity = Activity.objects.get()
    assert (activity.status, activity.review_reason) == ("review", "unconfirmed")
    client.force_login(host)  # no longer on the host's list, and no longer theirs to confirm
    client.post(f"/places/{place.pk}/checkins/", {"confirm": "all"})
    assert Activity.objects.get().status == "review" and nothing_credited()

    coordinator = signed_in_back_office(type(client)(), UserFactory(roles=["coordinator"]))
    queue = coordinator.get("/admin/activities/review/").content.decode()
    assert volunteer.full_name in queue and "職員が確認しなかった本人のチェックイン" in queue
    approved = coordinator.post(
        f"/admin/activities/review/{activity.pk}/",
        {"decision": "approve", "ended_at": "", "note": ""},
    )
    assert approved.status_code == 302
    client.force_login(volunteer)
    assert balance(client) == 200


# --- The kiosk's rotating code ------------------------------------------------------


def kiosk_page_code(client, place) -> str:
    page = client.get(f"/places/{place.pk}/kiosk/")
    assert page.status_code == 200
    shown = re.search(r'data-testid="kiosk-code"[^>]*>([0-9 ]+)<', page.content.decode())
    return shown.group(1).replace(" ", "")


def test_kiosk_place_credits_only_with_the_code_the_kiosk_shows(client, volunteer, rule):
    place, host = make_place(rule, Place.Presence.KIOSK)
    host_client = type(client)()
    host_client.force_login(host)
    client.force_login(volunteer)
    with frozen(at(10)):
        for body, reason in (({}, "missing"), ({"kiosk_code": "000000"}, "wrong")):
            refused = scan(client, place, **body)
            assert refused.status_code == 400 and refused.json()["code"] == "invalid_kiosk_code"
            assert refused.json()["details"]["reason"] == reason
            assert "kiosk_code" in refused.json()["fields"]
        page = client.post(f"/scan/{place_token(place)}/", {"kiosk_code": "123"})
        assert page.status_code == 400 and "タブレットに今表示されている番号" in (
            page.content.decode()
        )
        assert not Activity.objects.exists()
        code = kiosk_page_code(host_client, place)
        assert scan(client, place, kiosk_code=code).status_code == 201
    with frozen(at(12)):
        stale = scan(client, place, kiosk_code=code)  # the code photographed at 10:00
        assert stale.status_code == 400 and stale.json()["details"]["reason"] == "wrong"
        assert Activity.objects.get().status == "open" and nothing_credited()
        # The kiosk's QR code carries the code: the scan page fills it in.
        form = client.get(f"/scan/{place_token(place)}/?code={kiosk_page_code(host_client, place)}")
        assert f'value="{kiosk_code(place)}"' in form.content.decode()
    with frozen(at(12, 0) + dt.timedelta(seconds=59)):  # the previous minute's code still works
        with frozen(at(12)):
            code = kiosk_page_code(host_client, place)
        out = scan(client, place, kiosk_code=code[:3] + " " + code[3:])
    assert out.status_code == 200 and out.json()["activity"]["status"] == "credited"
    assert balance(client) == 200


def test_a_code_two_minutes_old_and_a_wrong_code_earn_nothing(client, volunteer, rule):
    place, _host = make_place(rule, Place.Presence.KIOSK)
    client.force_login(volunteer)
    with frozen(at(10)):
        old = kiosk_code(place, at=at(10) - dt.timedelta(minutes=2))
        other_place, _ = make_place(rule, Place.Presence.KIOSK, name="別の会場")
        for code in (old, kiosk_code(other_place), "1234567"):
            assert scan(client, place, kiosk_code=code).status_code == 400
    assert not Activity.objects.exists() and balance(client) == 0


def test_guessing_kiosk_codes_is_stopped(client, volunteer, rule):
    place, _host = make_place(rule, Place.Presence.KIOSK)
    client.force_login(volunteer)
    with frozen(at(10)):
        right = kiosk_code(place)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for _ in range(10):
            assert scan(client, place, kiosk_code=wrong).json()["details"]["reason"] == "wrong"
        blocked = scan(client, place, kiosk_code=right)
    assert blocked.status_code == 400 and blocked.json()["details"]["reason"] == "too_many"
    assert not Activity.objects.exists()


def test_the_kiosk_page_is_for_the_place_s_host_staff_signed_in(client, volunteer, rule):
    place, host = make_place(rule, Place.Presence.KIOSK)
    host_place, other_host = make_place(rule, Place.Presence.HOST, name="別の会場")
    anonymous = client.get(f"/places/{place.pk}/kiosk/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for who in (volunteer, other_host):
        client.force_login(who)
        assert client.get(f"/places/{place.pk}/kiosk/").status_code == 403
    client.force_login(other_host)  # a place that does not use the kiosk has none
    assert client.get(f"/places/{host_place.pk}/kiosk/").status_code == 404
    client.force_login(host)
    page = client.get(f"/places/{place.pk}/kiosk/").content.decode()
    assert '<meta http-equiv="refresh" content="15">' in page and "<svg" in page


# --- Card scanned by host staff -----------------------------------------------------


def test_card_place_refuses_the_poster_and_credits_the_card_scanned_by_its_host(
    client, volunteer, rule
):
    place, host = make_place(rule, Place.Presence.CARD)
    client.force_login(volunteer)
    with frozen(at(10)):
        api = scan(client, place)
        assert api.status_code == 403 and api.json()["code"] == "self_check_in_closed"
        for method in (client.get, client.post):
            page = method(f"/scan/{place_token(place)}/")
            assert page.status_code == 403 and "カードを読み取って" in page.content.decode()
    assert not Activity.objects.exists()
    card = card_token(card_for(volunteer))
    host_client = type(client)()
    host_client.force_login(host)
    with frozen(at(10)):
        assert host_client.post(f"/scan/{card}/", {"place": place.pk}).status_code == 200
    with frozen(at(13)):
        done = host_client.post(f"/scan/{card}/", {"place": place.pk}).content.decode()
    assert "300 pt を付与しました。" in done
    assert balance(client) == 300
    assert ">300</strong>" in client.get("/me/points/").content.decode()


# --- Idempotent scans ---------------------------------------------------------------


def test_a_double_tap_leaves_the_check_in_open(client, volunteer, rule):
    place, _host = make_place(rule, Place.Presence.HOST)
    client.force_login(volunteer)
    with frozen(at(10)):
        first = scan(client, place)
    with frozen(at(10) + dt.timedelta(seconds=1)):
        second = scan(client, place)
        page = client.post(f"/scan/{place_token(place)}/")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.json()["action"] == "check_in"
    assert "<h1>チェックインしました</h1>" in page.content.decode()
    activity = Activity.objects.get()
    assert (activity.status, activity.ended_at) == ("open", None)
    with frozen(at(10, 3)):  # past the window, the scan checks out as before
        assert scan(client, place).json()["action"] == "check_out"


def test_a_double_tap_of_a_card_leaves_the_check_in_open(client, volunteer, rule):
    place, host = make_place(rule, Place.Presence.CARD)
    card = card_token(card_for(volunteer))
    client.force_login(host)
    with frozen(at(10)):
        client.post(f"/scan/{card}/", {"place": place.pk})
    with frozen(at(10, 1)):
        again = client.post(f"/scan/{card}/", {"place": place.pk}).content.decode()
    assert "<h1>チェックインしました</h1>" in again
    assert Activity.objects.get().status == "open"


def test_a_retried_request_returns_the_first_answer(client, volunteer, rule):
    place, _host = make_place(rule, Place.Presence.HOST)
    client.force_login(volunteer)
    key = str(uuid.uuid4())
    with frozen(at(10)):
        first = scan(client, place, request_id=key)
    with frozen(at(10, 30)):  # the same request again, long after the repeat window
        retried = scan(client, place, request_id=key)
    assert retried.status_code == first.status_code == 201
    assert retried.json() == first.json() and retried.json()["action"] == "check_in"
    assert Activity.objects.get().status == "open"
    with frozen(at(10, 31)):
        reused = client.post(
            "/api/v1/scans/",
            {"token": card_token(card_for(volunteer)), "request_id": key},
            content_type="application/json",
        )
        assert reused.status_code == 409 and reused.json()["code"] == "request_id_reused"
        bad = scan(client, place, request_id="not-a-uuid")
        assert bad.status_code == 400
        out = scan(client, place, request_id=str(uuid.uuid4()))
    assert out.status_code == 200 and out.json()["action"] == "check_out"


def test_a_refused_request_can_be_retried_with_the_same_key(client, volunteer, rule):
    place, _host = make_place(rule, Place.Presence.KIOSK)
    client.force_login(volunteer)
    key = str(uuid.uuid4())
    with frozen(at(10)):
        assert scan(client, place, request_id=key, kiosk_code="000000").status_code == 400
        retried = scan(client, place, request_id=key, kiosk_code=kiosk_code(place))
    assert retried.status_code == 201 and Activity.objects.get().status == "open"


def test_the_demo_town_shows_each_way_of_proving_presence(capsys, client):
    call_command("seed_demo")
    out = capsys.readouterr().out
    places = dict(Place.objects.values_list("presence", "pk"))
    assert set(places) == {"host", "kiosk", "card"}
    assert f"/places/{places['kiosk']}/kiosk/" in out
    assert f"/places/{places['host']}/checkins/" in out
    client.force_login(UserFactory._meta.model.objects.get(email="host@demo.example.jp"))
    assert client.get(f"/places/{places['kiosk']}/kiosk/").status_code == 200
    assert client.get(f"/places/{places['host']}/checkins/").status_code == 200


def test_the_confirm_service_refuses_a_host_of_another_place(volunteer, rule):
    """The page refuses first (above); the service holds on its own too."""
    place, _host = make_place(rule, Place.Presence.HOST)
    _other, other_host = make_place(rule, Place.Presence.HOST, name="別の会場")
    activity_check_in(volunteer=volunteer, place=place, method="self", recorded_by=volunteer)
    with pytest.raises(NotHost):
        activities_confirm(place=place, host=other_host)
    assert Activity.objects.get().presence_confirmed_at is None


def test_scan_receipts_are_kept_a_day_for_retries_then_purged(client, volunteer, rule):
    """The beat task deletes the receipts older than the repeat window plus a day's
    margin, and keeps the recent ones (a retry with their key still gets the first
    answer)."""
    from volunteers.models import ScanReceipt
    from volunteers.tasks import purge_scan_receipts

    place, _host = make_place(rule, Place.Presence.HOST)
    client.force_login(volunteer)
    old, recent = str(uuid.uuid4()), str(uuid.uuid4())
    with frozen(at(10)):
        assert scan(client, place, request_id=old).status_code == 201
    next_day = at(10) + dt.timedelta(days=1)
    with frozen(next_day):
        assert scan(client, place, request_id=recent).status_code == 200  # check-out
    with frozen(next_day + dt.timedelta(minutes=3)):
        assert purge_scan_receipts.delay().get() == 1
        assert [str(r.request_id) for r in ScanReceipt.objects.all()] == [recent]
        retried = scan(client, place, request_id=recent)
    assert retried.status_code == 200 and retried.json()["action"] == "check_out"
    with frozen(next_day + dt.timedelta(minutes=1)):  # within the margin: nothing to do
        ScanReceipt.objects.create(
            user=volunteer, request_id=uuid.uuid4(), token_digest="x", action="check_in"
        )
        assert purge_scan_receipts.delay().get() == 0
