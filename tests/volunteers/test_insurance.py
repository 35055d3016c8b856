"""Volunteer activity insurance (issue #17, item 2): one enrolment per volunteer and
fiscal year, the profile's insurance date (what matching filters on) kept equal to
the latest year enrolled, the April renewal round (idempotent), the insurer's export
(asks why, logged), the volunteer's own view and who may do what."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from core.errors import NotPermitted
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import DAY, at, category, help_request, resident, volunteer
from volunteers.models import InsuranceEnrolment, PersonalDataAccess, VolunteerProfile
from volunteers.selectors.profiles import eligible_volunteers
from volunteers.services.insurance import (
    insurance_cancel,
    insurance_enrol,
    insurance_renew,
    insurance_valid_until_refresh,
)
from volunteers.tasks import refresh_insurance_dates

pytestmark = pytest.mark.django_db
YEAR = 2030  # DAY (4 June 2030) is in 令和12年度
LIST = "/admin/aid/insurance/"
RENEWAL = "/admin/aid/insurance/renewal/"
ENROL = "/admin/aid/insurance/enrol/"


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture(autouse=True)
def today():
    """Today is DAY (in 令和12年度): the insurance date depends on the current year."""
    with frozen(at(12)):
        yield


@pytest.fixture
def district():
    return DistrictFactory()


@pytest.fixture
def desk(client):
    return signed_in_back_office(client, UserFactory(roles=["coordinator"]))


@pytest.fixture
def coordinator_user():
    return UserFactory(roles=["coordinator"])


def helper(district, name="佐藤 一郎", **fields):
    return volunteer(district, insurance=None, full_name=name, **fields)


def valid_until(user) -> dt.date | None:
    return VolunteerProfile.objects.get(user=user).insurance_valid_until


def eligible(req) -> set[int]:
    return set(eligible_volunteers(req).values_list("user_id", flat=True))


def enrol_form(user, year=YEAR, **extra):
    return {
        "volunteer": user.pk,
        "fiscal_year": year,
        "enrolled_on": f"{year}-04-01",
        "plan": "基本タイプ A",
        "certificate_number": "",
        "address": "緑町1-2-3",
        "paid_by": "city",
        **extra,
    }


def test_enrolling_on_the_page_makes_the_volunteer_matchable_and_cancelling_undoes_it(
    desk, district
):
    person = helper(district)
    req = help_request(UserFactory(roles=["coordinator"]), resident(district))
    assert person.pk not in eligible(req)  # no insurance: never offered

    response = desk.post(ENROL, enrol_form(person), follow=True)
    assert "佐藤 一郎さんの令和12年度の保険加入を登録しました。" in response.content.decode()
    assert valid_until(person) == dt.date(2031, 3, 31)
    assert person.pk in eligible(req)

    # The same enrolment again: no second row, the page says so.
    again = desk.post(ENROL, enrol_form(person, plan="別のプラン"), follow=True)
    assert "すでに加入しています" in again.content.decode()
    enrolment = InsuranceEnrolment.objects.get(volunteer=person)
    assert enrolment.plan == "基本タイプ A"

    cancel = f"/admin/aid/insurance/{enrolment.pk}/cancel/"
    assert desk.get(cancel).status_code == 200
    assert desk.post(cancel).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == "cancelled"
    assert valid_until(person) is None
    assert person.pk not in eligible(req)
    # Cancelling twice: refused with a message, nothing changes.
    page = desk.post(cancel, follow=True).content.decode()
    assert "すでに取り消されています" in page


def test_the_date_follows_the_latest_year_enrolled(coordinator_user, district):
    person = helper(district)
    last, _ = insurance_enrol(volunteer=person, fiscal_year=YEAR - 1, actor=coordinator_user)
    assert valid_until(person) == dt.date(2030, 3, 31)
    this, _ = insurance_enrol(volunteer=person, fiscal_year=YEAR, actor=coordinator_user)
    assert valid_until(person) == dt.date(2031, 3, 31)
    insurance_cancel(enrolment=this, actor=coordinator_user)
    assert valid_until(person) == dt.date(2030, 3, 31)
    # Enrolling again after a cancellation re-enrols the same row.
    again, created = insurance_enrol(
        volunteer=person, fiscal_year=YEAR, actor=coordinator_user, plan="B"
    )
    assert created and again.pk == this.pk and again.status == "enrolled" and again.plan == "B"
    assert valid_until(person) == dt.date(2031, 3, 31)
    assert last.pk != this.pk


def test_one_enrolment_per_volunteer_and_year_in_the_database(coordinator_user, district):
    person = helper(district)
    insurance_enrol(volunteer=person, fiscal_year=YEAR, actor=coordinator_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        InsuranceEnrolment.objects.create(
            volunteer=person, fiscal_year=YEAR, enrolled_on=DAY, recorded_by=coordinator_user
        )


def test_the_profile_form_no_longer_sets_the_date_once_enrolments_are_kept(desk, district):
    person = helper(district)
    desk.post(ENROL, enrol_form(person))
    form = {
        "skills": [str(category("shopping").pk)],
        "districts": [str(district.pk)],
        "insurance_valid_until": "2040-01-01",
        "active": "on",
    }
    page = desk.get(f"/admin/aid/volunteers/{person.pk}/").content.decode()
    assert "ボランティア活動保険の加入に従います" in page
    assert desk.post(f"/admin/aid/volunteers/{person.pk}/", form).status_code == 302
    assert valid_until(person) == dt.date(2031, 3, 31)


# --- The April renewal round -----------------------------------------------------------


@pytest.fixture
def last_year(coordinator_user, district):
    """Four volunteers enrolled last year: two to renew, one who stopped volunteering,
    one enrolled for the new year already; and one never enrolled."""
    people = {
        key: helper(district, name=name)
        for key, name in [
            ("a", "青木 一"),
            ("b", "井上 二"),
            ("stopped", "上田 三"),
            ("done", "遠藤 四"),
            ("never", "大野 五"),
        ]
    }
    for key in ("a", "b", "stopped", "done"):
        insurance_enrol(
            volunteer=people[key],
            fiscal_year=YEAR - 1,
            actor=coordinator_user,
            plan="Aプラン",
            address=f"{key}町1-1",
            paid_by="self" if key == "b" else "city",
        )
    insurance_enrol(volunteer=people["done"], fiscal_year=YEAR, actor=coordinator_user)
    VolunteerProfile.objects.filter(user=people["stopped"]).update(active=False)
    return people


def test_the_renewal_round_lists_enrols_the_chosen_and_never_twice(desk, last_year):
    a, b = last_year["a"], last_year["b"]
    page = desk.get(f"{RENEWAL}?fiscal_year={YEAR}").content.decode()
    assert "青木 一" in page and "井上 二" in page
    for absent in ("上田 三", "遠藤 四", "大野 五"):
        assert absent not in page
    assert 'data-w-bulk-target="all"' in page  # select all

    # Only the first ticked.
    response = desk.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": [a.pk]}, follow=True)
    assert "1人の令和12年度の保険加入を登録しました。" in response.content.decode()
    renewed = InsuranceEnrolment.objects.get(volunteer=a, fiscal_year=YEAR)
    assert (renewed.plan, renewed.address, renewed.paid_by) == ("Aプラン", "a町1-1", "city")
    assert valid_until(a) == dt.date(2031, 3, 31)
    page = desk.get(f"{RENEWAL}?fiscal_year={YEAR}").content.decode()
    assert "青木 一" not in page and "井上 二" in page

    # Then everyone, twice (a double submit): b is enrolled once, nobody twice.
    body = {"fiscal_year": YEAR, "volunteer": [a.pk, b.pk, last_year["done"].pk]}
    desk.post(RENEWAL, body)
    again = desk.post(RENEWAL, body, follow=True).content.decode()
    assert "加入した人はいません" in again
    assert InsuranceEnrolment.objects.filter(fiscal_year=YEAR).count() == 3  # a, b, done
    assert InsuranceEnrolment.objects.get(volunteer=b, fiscal_year=YEAR).paid_by == "self"
    assert not InsuranceEnrolment.objects.filter(
        volunteer__in=[last_year["stopped"], last_year["never"]], fiscal_year=YEAR
    ).exists()
    assert "更新する人はいません" in desk.get(f"{RENEWAL}?fiscal_year={YEAR}").content.decode()


def test_the_renewal_service_is_idempotent(coordinator_user, last_year):
    ids = [user.pk for user in last_year.values()]
    first = insurance_renew(fiscal_year=YEAR, volunteer_ids=ids, actor=coordinator_user)
    assert {e.volunteer_id for e in first} == {last_year["a"].pk, last_year["b"].pk}
    assert insurance_renew(fiscal_year=YEAR, volunteer_ids=ids, actor=coordinator_user) == []
    assert InsuranceEnrolment.objects.filter(fiscal_year=YEAR).count() == 3


def test_the_renewal_goes_through_the_profiles_in_their_primary_key_order(
    coordinator_user, last_year
):
    # The round locks profiles in the order it walks them (volunteers.locks): by
    # user id, which is the profiles' primary key.
    assert VolunteerProfile._meta.pk.name == "user"
    ids = [last_year["b"].pk, last_year["a"].pk]
    made = insurance_renew(fiscal_year=YEAR, volunteer_ids=ids, actor=coordinator_user)
    profiles = VolunteerProfile.objects.filter(user_id__in=ids).order_by("pk")
    assert [e.volunteer_id for e in made] == [p.pk for p in profiles]


# --- The insurer's export ----------------------------------------------------------------


def test_the_export_asks_why_and_logs_each_volunteer(desk, last_year):
    a = last_year["a"]
    a.birth_date = dt.date(1950, 5, 6)
    a.full_name_kana = "アオキ ハジメ"
    a.save()
    cancelled = InsuranceEnrolment.objects.get(volunteer=last_year["done"], fiscal_year=YEAR - 1)
    insurance_cancel(enrolment=cancelled, actor=UserFactory(roles=["coordinator"]))
    url = f"{LIST}?fiscal_year={YEAR - 1}&export=csv"
    asked = desk.get(url)
    assert asked.status_code == 200 and "理由" in asked.content.decode()
    assert not PersonalDataAccess.objects.exists()
    sent = desk.post(url, {"reason": "保険会社への加入者名簿"})
    assert sent["Content-Type"].startswith("text/csv")
    text = b"".join(sent.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("氏名,フリガナ,生年月日,住所")
    assert "青木 一,アオキ ハジメ,1950年5月6日(土),a町1-1" in text
    assert "井上 二" in text and "上田 三" in text
    assert "遠藤 四" not in text  # cancelled: not on the insurer's list
    logged = PersonalDataAccess.objects.filter(action="export")
    assert {entry.subject_id for entry in logged} == {
        last_year[k].pk for k in ("a", "b", "stopped")
    }
    assert {entry.reason for entry in logged} == {"保険会社への加入者名簿"}
    # The file says which fiscal year it lists.
    assert f'filename="insurance-enrolments-{YEAR - 1}.csv"' in sent["Content-Disposition"]
    xlsx = desk.post(url.replace("csv", "xlsx"), {"reason": "保険会社"})
    assert xlsx.status_code == 200
    assert "spreadsheetml" in xlsx["Content-Type"]
    assert f'filename="insurance-enrolments-{YEAR - 1}.xlsx"' in xlsx["Content-Disposition"]


def test_the_year_list_shows_the_chosen_year(desk, last_year):
    page = desk.get(f"{LIST}?fiscal_year={YEAR - 1}").content.decode()
    assert "加入を登録する" in page
    assert "令和11年度" in page and "青木 一" in page
    this_year = desk.get(f"{LIST}?fiscal_year={YEAR}").content.decode()
    assert "遠藤 四" in this_year and "青木 一" not in this_year


# --- The volunteer's own page, and who may do what --------------------------------------


def test_volunteers_see_their_own_insurance_on_their_page(client, coordinator_user, district):
    mine, other = helper(district), helper(district, name="他人 二郎")
    insurance_enrol(
        volunteer=mine, fiscal_year=YEAR, actor=coordinator_user, certificate_number="C-123"
    )
    insurance_enrol(
        volunteer=other, fiscal_year=YEAR, actor=coordinator_user, certificate_number="C-999"
    )
    client.force_login(mine)
    page = client.get("/me/").content.decode()
    assert "令和12年度に加入しています" in page and "C-123" in page
    # The card is in the page's body, not in its <title> (it once was).
    title = page[page.index("<title>") : page.index("</title>")]
    assert "C-123" not in title and "<section" not in title
    assert "C-999" not in page
    client.force_login(helper(district, name="未加入 三郎"))
    none = client.get("/me/").content.decode()
    assert "加入の記録がありません。支えあいセンターにお問い合わせください。" in none


@pytest.mark.parametrize("role", ["volunteer", "shop_staff"])
def test_volunteers_and_shop_staff_are_refused(client, role, last_year):
    client.force_login(UserFactory(roles=[role]))
    enrolment = InsuranceEnrolment.objects.filter(fiscal_year=YEAR - 1).first()
    for url in (LIST, RENEWAL, ENROL, f"{LIST}?export=csv", f"{LIST}{enrolment.pk}/cancel/"):
        assert client.get(url).status_code in (302, 403), url
    before = InsuranceEnrolment.objects.filter(status="enrolled").count()
    ids = [u.pk for u in last_year.values()]
    assert client.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": ids}).status_code in (302, 403)
    assert client.post(f"{LIST}{enrolment.pk}/cancel/").status_code in (302, 403)
    assert client.post(ENROL, enrol_form(last_year["never"])).status_code in (302, 403)
    assert InsuranceEnrolment.objects.filter(status="enrolled").count() == before
    with pytest.raises(NotPermitted):
        insurance_renew(fiscal_year=YEAR, volunteer_ids=ids, actor=UserFactory(roles=[role]))


def test_a_district_editor_in_the_back_office_is_refused(client, last_year):
    editor = signed_in_back_office(client, UserFactory(roles=["district_editor"]))
    ids = [u.pk for u in last_year.values()]
    # Refused (Wagtail sends a refused page back to the dashboard with a message).
    for response in (
        editor.get(RENEWAL),
        editor.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": ids}),
        editor.get(ENROL),
        editor.get(LIST),
    ):
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == "/admin/"
    assert (
        not InsuranceEnrolment.objects.filter(fiscal_year=YEAR)
        .exclude(volunteer=last_year["done"])
        .exists()
    )


def test_city_staff_keep_the_enrolments_too(client, last_year):
    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    assert staff.get(f"{LIST}?fiscal_year={YEAR - 1}").status_code == 200
    ids = [last_year["a"].pk]
    assert staff.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": ids}).status_code == 302
    assert InsuranceEnrolment.objects.filter(volunteer=last_year["a"], fiscal_year=YEAR).exists()


# --- Which years make a volunteer insured today ------------------------------------------


def test_enrolling_for_next_year_only_does_not_insure_today(desk, district):
    person = helper(district)
    req = help_request(UserFactory(roles=["coordinator"]), resident(district))
    response = desk.post(ENROL, enrol_form(person, year=YEAR + 1), follow=True)
    assert response.status_code == 200
    assert InsuranceEnrolment.objects.filter(volunteer=person, fiscal_year=YEAR + 1).exists()
    assert valid_until(person) is None
    assert person.pk not in eligible(req)
    # This year's enrolment too: insured through the run, next year included.
    desk.post(ENROL, enrol_form(person))
    assert valid_until(person) == dt.date(2032, 3, 31)
    assert person.pk in eligible(req)


def test_a_year_left_out_is_not_bridged(coordinator_user, district):
    person = helper(district)
    insurance_enrol(volunteer=person, fiscal_year=YEAR + 2, actor=coordinator_user)
    assert valid_until(person) is None
    insurance_enrol(volunteer=person, fiscal_year=YEAR - 2, actor=coordinator_user)
    assert valid_until(person) == dt.date(2029, 3, 31)  # past: not insured now
    insurance_enrol(volunteer=person, fiscal_year=YEAR, actor=coordinator_user)
    assert valid_until(person) == dt.date(2031, 3, 31)  # YEAR + 1 is missing
    insurance_enrol(volunteer=person, fiscal_year=YEAR + 1, actor=coordinator_user)
    assert valid_until(person) == dt.date(2033, 3, 31)


def test_the_nightly_refresh_insures_on_1_april_who_enrolled_for_the_new_year(
    coordinator_user, district
):
    renewed, new = helper(district), helper(district, name="新人 花子")
    for person in (renewed, new):
        insurance_enrol(volunteer=person, fiscal_year=YEAR + 1, actor=coordinator_user)
    insurance_enrol(volunteer=renewed, fiscal_year=YEAR, actor=coordinator_user)
    assert (valid_until(renewed), valid_until(new)) == (dt.date(2032, 3, 31), None)
    assert insurance_valid_until_refresh() == 0  # nothing changes within the year

    tuesday = dt.date(YEAR + 1, 4, 8)  # the volunteers' weekday
    with frozen(at(0, 5, day=dt.date(YEAR + 1, 4, 1))):
        assert refresh_insurance_dates() == 1
        assert refresh_insurance_dates() == 0  # idempotent
        assert (valid_until(renewed), valid_until(new)) == ((dt.date(2032, 3, 31),) * 2)
        req = help_request(
            UserFactory(roles=["coordinator"]),
            resident(district),
            start=at(10, day=tuesday),
            end=at(11, day=tuesday),
        )
        assert {renewed.pk, new.pk} <= eligible(req)


def test_the_refresh_runs_nightly_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["insurance-dates-refresh"]
    assert entry["task"] == "volunteers.refresh_insurance_dates"
    assert entry["schedule"].hour == {0}


# --- Crafted requests ---------------------------------------------------------------------


@pytest.mark.parametrize("crafted", ["²", "9" * 25])
def test_crafted_ids_are_refused_never_a_500(desk, last_year, crafted):
    a = last_year["a"]
    response = desk.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": [a.pk, crafted]})
    assert response.status_code == 400
    assert not InsuranceEnrolment.objects.filter(fiscal_year=YEAR, volunteer=a).exists()
    page = desk.post(ENROL, {**enrol_form(a), "volunteer": crafted})
    assert page.status_code == 200 and "error" in page.content.decode()
    assert not InsuranceEnrolment.objects.filter(fiscal_year=YEAR, volunteer=a).exists()


def test_a_long_renewal_round_goes_a_page_at_a_time(desk, last_year, settings, monkeypatch):
    from volunteers.admin import insurance as pages

    assert pages.LIST_PAGE_SIZE + 10 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    monkeypatch.setattr(pages, "LIST_PAGE_SIZE", 1)
    a, b = last_year["a"], last_year["b"]  # by kana: 青木 (a) before 井上 (b)
    page = desk.get(f"{RENEWAL}?fiscal_year={YEAR}").content.decode()
    assert "青木 一" in page and "井上 二" not in page and 'name="more_pages"' in page
    assert f"?fiscal_year={YEAR}&amp;page=2" in page
    # Enrolling the first page brings the coordinator back for the next one.
    response = desk.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": [a.pk], "more_pages": "1"})
    assert response["Location"] == f"{RENEWAL}?fiscal_year={YEAR}"
    page = desk.get(f"{RENEWAL}?fiscal_year={YEAR}").content.decode()
    assert "井上 二" in page and "青木 一" not in page and 'name="more_pages"' not in page
    response = desk.post(RENEWAL, {"fiscal_year": YEAR, "volunteer": [b.pk]})
    assert response["Location"] == f"/admin/aid/insurance/?fiscal_year={YEAR}"
