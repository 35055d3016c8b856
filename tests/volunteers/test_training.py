"""Training sessions and attendance (issue #17, item 2), and an earning rule that
requires training before it credits: checked by the volunteers app before it asks
the ledger (points knows nothing of training), through the scan pages and the API."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import NotPermitted
from points.models import EarningRule, Transaction
from points.selectors import wallet_balance
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import volunteer
from volunteers.models import Activity, Place, TrainingAttendance, TrainingSession
from volunteers.selectors.places import kiosk_code, place_token
from volunteers.services.insurance import training_attendance_record

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()
SESSIONS = "/admin/aid_training/"
QUEUE = "/admin/activities/review/"


def at(hour, minute=0, day=dt.date(2026, 11, 20)):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def desk():
    """A coordinator's own browser (tests also sign the volunteer in with ``client``)."""
    return signed_in_back_office(Client(), UserFactory(roles=["coordinator"]))


@pytest.fixture
def district():
    return DistrictFactory()


@pytest.fixture
def session():
    return TrainingSession.objects.create(
        title="新任ボランティア研修", starts_at=at(13, day=dt.date(2026, 11, 1)), place="市役所"
    )


@pytest.fixture
def rule():
    return EarningRule.objects.create(
        activity_kind="salon",
        name="サロン",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
        requires_training=True,
    )


@pytest.fixture
def place(rule):
    return Place.objects.create(
        name="いきいきサロン",
        kind=Place.Kind.SALON,
        earning_rule=rule,
        presence=Place.Presence.KIOSK,
    )


def attendance_url(session) -> str:
    return f"/admin/aid/training/{session.pk}/attendance/"


def attended(session) -> set[int]:
    return set(
        TrainingAttendance.objects.filter(session=session, attended=True).values_list(
            "volunteer_id", flat=True
        )
    )


# --- Sessions and attendance in the back office ------------------------------------------


def test_a_coordinator_creates_a_session_and_ticks_who_came(desk, district):
    form = {
        "title": "傾聴研修",
        "starts_at": "2026-11-05 10:00",
        "place": "福祉センター 2階",
        "capacity": "20",
        "notes": "",
    }
    assert desk.post(f"{SESSIONS}new/", form).status_code == 302
    session = TrainingSession.objects.get(title="傾聴研修")
    assert timezone.localtime(session.starts_at).hour == 10
    assert "傾聴研修" in desk.get(SESSIONS).content.decode()

    a = volunteer(district, full_name="青木 一")
    b = volunteer(district, full_name="井上 二")
    page = desk.get(attendance_url(session)).content.decode()
    assert "青木 一" in page and "井上 二" in page and "定員 20 人" in page

    body = {"shown": [a.pk, b.pk], "attended": [a.pk]}
    response = desk.post(attendance_url(session), body, follow=True)
    assert "変更 1 人" in response.content.decode()
    assert attended(session) == {a.pk}
    # The same POST again changes nothing.
    assert "変更 0 人" in desk.post(attendance_url(session), body, follow=True).content.decode()

    # Searching narrows the list; saving it leaves the people not shown alone.
    desk.post(attendance_url(session), {"shown": [b.pk], "attended": [b.pk]})
    assert attended(session) == {a.pk, b.pk}
    desk.post(attendance_url(session), {"shown": [a.pk], "attended": []})
    assert attended(session) == {b.pk}
    assert TrainingAttendance.objects.get(session=session, volunteer=b).recorded_by.has_role(
        "coordinator"
    )


def test_the_name_search_finds_by_kana_in_any_script(desk, district, session):
    person = volunteer(district, full_name="井上 二")
    person.full_name_kana = "イノウエ ジ"
    person.save()
    volunteer(district, full_name="青木 一")
    page = desk.get(attendance_url(session), {"q": "いのうえ"}).content.decode()
    assert "井上 二" in page and "青木 一" not in page


def test_people_without_a_volunteer_profile_are_not_recorded(coordinator, session):
    outsider = UserFactory(roles=["shop_staff"])
    changed = training_attendance_record(
        session=session, shown_ids=[outsider.pk], attended_ids=[outsider.pk], actor=coordinator
    )
    assert changed == 0 and not TrainingAttendance.objects.exists()


@pytest.mark.parametrize("role", ["volunteer", "shop_staff"])
def test_volunteers_and_shop_staff_cannot_record_attendance(client, district, session, role):
    person = volunteer(district)
    user = person if role == "volunteer" else UserFactory(roles=[role])
    client.force_login(user)
    url = attendance_url(session)
    assert client.get(url).status_code in (302, 403)
    assert client.get(SESSIONS).status_code in (302, 403)
    response = client.post(url, {"shown": [person.pk], "attended": [person.pk]})
    assert response.status_code in (302, 403)
    assert not TrainingAttendance.objects.exists()
    with pytest.raises(NotPermitted):
        training_attendance_record(
            session=session, shown_ids=[person.pk], attended_ids=[person.pk], actor=user
        )


def test_city_staff_record_attendance_too(client, district, session):
    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    person = volunteer(district)
    assert staff.get(SESSIONS).status_code == 200
    staff.post(attendance_url(session), {"shown": [person.pk], "attended": [person.pk]})
    assert attended(session) == {person.pk}


def test_volunteers_see_the_training_they_attended(client, coordinator, district, session):
    person, other = volunteer(district), volunteer(district, full_name="他人 二郎")
    client.force_login(person)
    assert "まだ研修に出席していません" in client.get("/me/").content.decode()
    TrainingSession.objects.create(title="他の人だけの研修", starts_at=at(9))
    training_attendance_record(
        session=session, shown_ids=[person.pk], attended_ids=[person.pk], actor=coordinator
    )
    other_session = TrainingSession.objects.get(title="他の人だけの研修")
    training_attendance_record(
        session=other_session, shown_ids=[other.pk], attended_ids=[other.pk], actor=coordinator
    )
    page = client.get("/me/").content.decode()
    assert "新任ボランティア研修" in page and "他の人だけの研修" not in page


# --- An earning rule that requires training -------------------------------------------


def scan(client, place, moment, *, api=False):
    token = place_token(place)
    with frozen(moment):
        if api:
            return client.post(
                "/api/v1/scans/",
                {"token": token, "kiosk_code": kiosk_code(place)},
                content_type="application/json",
            )
        return client.post(f"/scan/{token}/", {"kiosk_code": kiosk_code(place)})


def test_without_training_an_activity_earns_nothing_and_says_why(
    client, desk, district, place, session, coordinator
):
    person = volunteer(district, full_name="石田 一郎")
    client.force_login(person)
    scan(client, place, at(10))
    done = scan(client, place, at(12)).content.decode()
    assert "<h1>チェックアウトしました</h1>" in done
    assert "研修の受講が条件です" in done and "pt を付与しました" not in done
    waiting = Activity.objects.get()
    assert (waiting.status, waiting.review_reason) == ("no_points", "training_required")
    assert wallet_balance(person) == 0 and not Transaction.objects.exists()
    assert "研修の受講が必要です" in client.get("/me/activity/").content.decode()

    # The API says the same: no points, and the activity's status.
    scan(client, place, at(13), api=True)
    out = scan(client, place, at(14), api=True)
    assert out.status_code == 200
    assert out.json()["activity"]["status"] == "no_points"
    assert out.json()["activity"]["points"] == 0

    # The coordinator cannot credit it before the training …
    assert "石田 一郎" not in desk.get(QUEUE).content.decode()
    refused = desk.post(f"{QUEUE}{waiting.pk}/reevaluate/", follow=True).content.decode()
    assert "まだ研修に出席していません" in refused and wallet_balance(person) == 0

    # … and once it is recorded, the activity is in the queue to credit, once.
    desk.post(attendance_url(session), {"shown": [person.pk], "attended": [person.pk]})
    queue = desk.get(QUEUE).content.decode()
    assert "石田 一郎" in queue and "研修未受講のためポイントなし（その後、研修に出席）" in queue
    page = desk.get(f"{QUEUE}{waiting.pk}/reevaluate/").content.decode()
    assert "新任ボランティア研修" in page
    desk.post(f"{QUEUE}{waiting.pk}/reevaluate/")
    desk.post(f"{QUEUE}{waiting.pk}/reevaluate/")  # a double POST
    waiting.refresh_from_db()
    assert waiting.status == "credited" and wallet_balance(person) == 200


def test_with_training_attended_the_activity_earns(client, district, place, session, coordinator):
    person = volunteer(district)
    training_attendance_record(
        session=session, shown_ids=[person.pk], attended_ids=[person.pk], actor=coordinator
    )
    client.force_login(person)
    scan(client, place, at(10))
    done = scan(client, place, at(12)).content.decode()
    assert "200 pt を付与しました。" in done
    assert Activity.objects.get().status == "credited" and wallet_balance(person) == 200


def test_a_ticked_then_unticked_attendance_does_not_count(
    client, district, place, session, coordinator
):
    person = volunteer(district)
    for ticked in ([person.pk], []):
        training_attendance_record(
            session=session, shown_ids=[person.pk], attended_ids=ticked, actor=coordinator
        )
    client.force_login(person)
    scan(client, place, at(10))
    scan(client, place, at(12))
    assert Activity.objects.get().status == "no_points" and wallet_balance(person) == 0


def test_a_rule_without_the_requirement_credits_as_before(client, district, place, rule):
    rule.requires_training = False
    rule.save()
    person = volunteer(district)
    client.force_login(person)
    scan(client, place, at(10))
    assert "200 pt を付与しました。" in scan(client, place, at(12)).content.decode()


# --- A session still to come ------------------------------------------------------------


def test_attendance_of_a_session_not_started_yet_is_refused_on_the_page(desk, district):
    person = volunteer(district)
    later = TrainingSession.objects.create(
        title="来月の研修", starts_at=timezone.now() + dt.timedelta(days=30)
    )
    body = {"shown": [person.pk], "attended": [person.pk]}
    page = desk.post(attendance_url(later), body, follow=True).content.decode()
    assert "まだ始まっていない研修の出席は記録できません。" in page
    assert attended(later) == set()


def test_a_tick_on_a_session_still_to_come_unlocks_no_points(
    client, district, place, session, coordinator
):
    # Ticked once the session had started, then the session was moved to a later date:
    # the tick counts only from when the session starts.
    person = volunteer(district)
    training_attendance_record(
        session=session, shown_ids=[person.pk], attended_ids=[person.pk], actor=coordinator
    )
    TrainingSession.objects.filter(pk=session.pk).update(starts_at=at(15))
    client.force_login(person)
    scan(client, place, at(10))
    done = scan(client, place, at(12)).content.decode()
    assert "研修の受講が条件です" in done
    assert Activity.objects.get().status == "no_points" and wallet_balance(person) == 0


@pytest.mark.parametrize("crafted", ["²", "9" * 25, "-1", ""])
def test_crafted_ids_on_the_attendance_page_are_a_400_not_a_500(desk, district, session, crafted):
    person = volunteer(district)
    for body in (
        {"shown": [crafted], "attended": [crafted]},
        {"shown": [person.pk], "attended": [person.pk, crafted]},
    ):
        response = desk.post(attendance_url(session), body)
        assert response.status_code == 400
        assert "リクエストに正しくない値が含まれています" in response.content.decode()
    assert attended(session) == set()


def test_a_long_list_is_paged_and_each_page_saves_only_its_own_rows(
    desk, district, session, settings, monkeypatch
):
    """Each row posts two fields and Django refuses more than 1,000 in a request, so a
    city with hundreds of volunteers ticks them a page at a time."""
    from volunteers.admin import insurance as pages

    assert 2 * pages.LIST_PAGE_SIZE + 10 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    monkeypatch.setattr(pages, "LIST_PAGE_SIZE", 2)
    people = [volunteer(district, full_name=name) for name in ("青木 一", "井上 二", "上田 三")]
    for person, kana in zip(people, ("アオキ", "イノウエ", "ウエダ"), strict=True):
        person.full_name_kana = kana
        person.save(update_fields=["full_name_kana"])
    first = desk.get(attendance_url(session)).content.decode()
    assert "青木 一" in first and "井上 二" in first and "上田 三" not in first
    assert "2 ページ中 1 ページ目" in first and "?page=2" in first
    second = desk.get(attendance_url(session) + "?page=2").content.decode()
    assert "上田 三" in second and "青木 一" not in second and "?page=1" in second

    response = desk.post(
        attendance_url(session) + "?page=2", {"shown": [people[2].pk], "attended": [people[2].pk]}
    )
    assert response["Location"] == attendance_url(session) + "?page=2"  # back where it was
    assert attended(session) == {people[2].pk}
