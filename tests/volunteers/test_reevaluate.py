"""Points that waited for a birth date (issue 14, item 3): an activity that earned
nothing because the earning rule has a minimum age and the birth date was unknown is
listed in the coordinators' review queue once the date is recorded, re-evaluated with
one POST, credited exactly once and within the limits of its day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import NotPermitted
from points.models import EarningRule
from points.selectors import wallet_balance
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category
from volunteers.models import Activity, Place
from volunteers.services.activity import activity_reevaluate

pytestmark = pytest.mark.django_db
DAY = timezone.localdate() - dt.timedelta(days=1)
QUEUE = "/admin/activities/review/"


@pytest.fixture
def place():
    rule = EarningRule.objects.create(
        activity_kind="salon",
        name="サロン",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
        min_age=18,
        daily_cap=200,
    )
    return Place.objects.create(name="いきいきサロン", kind=Place.Kind.SALON, earning_rule=rule)


@pytest.fixture
def desk(client):
    return signed_in_back_office(client, UserFactory(roles=["coordinator"]))


@pytest.fixture
def volunteer():
    return UserFactory(roles=["volunteer"], full_name="石田 一郎", birth_date=None)


def enter(desk, volunteer, place, start: str, end: str) -> Activity:
    """A coordinator types in an activity from the paper sign-in sheet."""
    form = {
        "volunteer": volunteer.pk,
        "place": place.pk,
        "day": DAY.isoformat(),
        "start": start,
        "end": end,
    }
    assert desk.post("/admin/activities/enter/", form).status_code == 302
    return Activity.objects.latest("pk")


def record_birth_date(desk, volunteer, born: str) -> None:
    """The coordinator records the date on the volunteer's page (profile form)."""
    form = {
        "birth_date": born,
        "skills": [str(category("shopping").pk)],
        "districts": [str(DistrictFactory().pk)],
        "active": "on",
    }
    response = desk.post(f"/admin/aid/volunteers/{volunteer.pk}/", form)
    assert response.status_code == 302


def reevaluate(desk, activity):
    return desk.post(f"/admin/activities/review/{activity.pk}/reevaluate/", follow=True)


def test_credited_once_after_the_birth_date_is_entered(desk, volunteer, place):
    waiting = enter(desk, volunteer, place, "09:00", "10:00")
    assert (waiting.status, waiting.review_reason) == ("no_points", "birth_date_unknown")
    assert "石田 一郎" not in desk.get(QUEUE).content.decode()  # nothing to decide yet
    refused = reevaluate(desk, waiting)
    assert "生年月日" in refused.content.decode() and wallet_balance(volunteer) == 0

    record_birth_date(desk, volunteer, "1950-04-01")
    queue = desk.get(QUEUE).content.decode()
    assert "石田 一郎" in queue and "生年月日" in queue
    assert f"/admin/activities/review/{waiting.pk}/reevaluate/" in queue
    assert "歳" in desk.get(f"/admin/activities/review/{waiting.pk}/reevaluate/").content.decode()

    done = reevaluate(desk, waiting)
    assert "100" in done.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "credited" and wallet_balance(volunteer) == 100
    assert "石田 一郎" not in desk.get(QUEUE).content.decode()

    again = reevaluate(desk, waiting)  # a double POST, a retry after crediting
    assert "再評価を待つ活動ではありません" in again.content.decode()
    assert wallet_balance(volunteer) == 100


def test_the_idempotency_key_holds_even_if_the_activity_looks_waiting_again(desk, volunteer, place):
    waiting = enter(desk, volunteer, place, "09:00", "10:00")
    record_birth_date(desk, volunteer, "1950-04-01")
    reevaluate(desk, waiting)
    credit = Activity.objects.get(pk=waiting.pk).transaction_id
    # A stale row (say a restored backup) must not credit the same activity twice.
    Activity.objects.filter(pk=waiting.pk).update(
        status="no_points", review_reason="birth_date_unknown"
    )
    reevaluate(desk, waiting)
    assert wallet_balance(volunteer) == 100
    assert Activity.objects.get(pk=waiting.pk).transaction_id == credit


def test_the_daily_limit_applies_as_to_a_fresh_award(desk, volunteer, place):
    waiting = enter(desk, volunteer, place, "09:00", "11:00")  # 200 requested
    record_birth_date(desk, volunteer, "1950-04-01")
    later = enter(desk, volunteer, place, "13:00", "14:00")  # credited at once: 100
    assert later.status == "credited" and wallet_balance(volunteer) == 100
    reevaluate(desk, waiting)
    waiting.refresh_from_db()
    txn = waiting.transaction
    assert (txn.requested_points, txn.capped_points, txn.cap_reason) == (200, 100, "daily")
    assert wallet_balance(volunteer) == 200  # the day's limit, not 300


def test_under_age_on_the_day_earns_nothing_and_leaves_the_queue(desk, volunteer, place):
    waiting = enter(desk, volunteer, place, "09:00", "10:00")
    seventeen = DAY.replace(year=DAY.year - 17)
    record_birth_date(desk, volunteer, seventeen.isoformat())
    reevaluate(desk, waiting)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.review_reason) == ("no_points", "under_age")
    assert wallet_balance(volunteer) == 0
    assert "石田 一郎" not in desk.get(QUEUE).content.decode()


def test_only_coordinators_reevaluate(client, volunteer, place, desk):
    waiting = enter(desk, volunteer, place, "09:00", "10:00")
    record_birth_date(desk, volunteer, "1950-04-01")
    staff = signed_in_back_office(client.__class__(), UserFactory(roles=["district_editor"]))
    response = staff.post(f"/admin/activities/review/{waiting.pk}/reevaluate/")
    assert response.status_code in (302, 403) and wallet_balance(volunteer) == 0
    assert Activity.objects.get(pk=waiting.pk).status == "no_points"
    # The rule holds in the service too, whatever page calls it.
    with pytest.raises(NotPermitted):
        activity_reevaluate(activity=waiting, actor=UserFactory(roles=["city_staff"]))
    assert wallet_balance(volunteer) == 0
