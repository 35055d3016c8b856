"""The go-live checklist on the back office's dashboard: on a database fresh from
``migrate`` every line is missing, each links to where it is set, and each turns done
once that thing is set through the back office. City staff and superusers only."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from cms.models import HomePage, VolunteerSignupPage
from points.models import ExchangeSettings
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import HelpCategory

pytestmark = pytest.mark.django_db

KEYS = [
    "districts",
    "centre_phone",
    "volunteer_signup",
    "help_categories",
    "earning_rules",
    "exchange_settings",
    "shops",
    "places",
    "staff_mfa",
]


def checklist(client) -> dict[str, dict]:
    """The panel's lines by key: the written status, the link, and the whole text."""
    html = client.get("/admin/").content.decode()
    panel = re.search(r'<ul class="go-live" data-testid="go-live">(.*?)</ul>', html, re.S)
    if panel is None:
        return {}
    lines = {}
    for key, body in re.findall(r'<li [^>]*data-key="([^"]+)">(.*?)</li>', panel.group(1), re.S):
        status = re.search(r'class="go-live__status">(.*?)</span>\s*<a', body, re.S).group(1)
        lines[key] = {
            "status": re.sub(r"<[^>]+>", "", status).replace("✓", "").replace("!", "").strip(),
            "url": re.search(r'<a href="([^"]+)"', body).group(1),
            "text": re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)),
        }
    return lines


@pytest.fixture
def city(client):
    return signed_in_back_office(client, UserFactory(roles=["city_staff"], full_name="市 職員"))


def test_fresh_database_lists_everything_missing_then_each_line_turns_done(city):
    lines = checklist(city)
    assert list(lines) == KEYS
    assert {line["status"] for line in lines.values()} == {"未設定"}
    home = HomePage.objects.get()
    assert lines["districts"]["url"] == "/admin/districts/"
    assert lines["centre_phone"]["url"] == f"/admin/pages/{home.pk}/edit/"
    assert lines["help_categories"]["url"] == "/admin/aid_categories/"
    assert lines["earning_rules"]["url"] == "/admin/earning_rules/"
    assert lines["exchange_settings"]["url"] == "/admin/settings/points/exchangesettings/"
    assert lines["shops"]["url"] == "/admin/shops/"
    assert lines["places"]["url"] == "/admin/places/"
    assert lines["staff_mfa"]["url"] == "/admin/users/"
    # migrate's four categories are there, but their fees wait for a review.
    assert (
        "件数: 4" in lines["help_categories"]["text"]
        and "買物支援 10 分ごと 100 円" in lines["help_categories"]["text"]
    )
    assert "コーディネーター" in lines["staff_mfa"]["text"]

    def done(key):
        line = checklist(city)[key]
        return line["status"] == "完了"

    assert (
        city.post(
            "/admin/districts/new/",
            {
                "code": "minami",
                "name": "南小学校区",
                "name_kana": "ミナミ",
                "sort_order": 1,
                "is_active": "on",
            },
        ).status_code
        == 302
    )
    assert done("districts")

    HomePage.objects.filter(pk=home.pk).update(mutual_aid_phone="0120-000-000")
    assert done("centre_phone") and "0120-000-000" in checklist(city)["centre_phone"]["text"]

    shopping = HelpCategory.objects.get(code="shopping")
    assert (
        city.post(
            f"/admin/aid_categories/edit/{shopping.pk}/",
            {
                "name": "買い物",
                "code": "shopping",
                "fee_yen": 200,
                "fee_unit_minutes": 30,
                "service_starts": "09:00",
                "service_ends": "17:00",
                "sort_order": 0,
                "active": "on",
            },
        ).status_code
        == 302
    )
    assert done("help_categories")
    assert "200" in checklist(city)["help_categories"]["text"]

    assert (
        city.post(
            "/admin/earning_rules/new/",
            {
                "name": "サロン運営",
                "activity_kind": "salon",
                "basis": "per_visit",
                "points": 100,
                "rounding_minutes": 60,
                "min_minutes": 0,
                "min_age": 65,
                "cap_group": "default",
                "year_basis": "fiscal",
                "expiry": "following_year",
                "active": "on",
            },
        ).status_code
        == 302
    )
    assert done("earning_rules")

    config = ExchangeSettings.load()  # what the settings page itself does first
    assert not done("exchange_settings")  # the row alone is not a decision
    assert (
        city.post(
            f"/admin/settings/points/exchangesettings/{config.pk}/",
            {
                "voucher_points": 500,
                "yen_per_point": 1,
                "exchange_months": "4,5",
                "yearly_limit_points": "",
                "valid_days": 180,
                "expiry_notice_weeks": 4,
            },
        ).status_code
        == 302
    )
    assert done("exchange_settings")

    district = DistrictFactory(code="kita")
    assert (
        city.post(
            "/admin/shops/new/",
            {
                "name": "みどり商店",
                "name_kana": "ミドリショウテン",
                "address": "本町1",
                "district": district.pk,
                "category": "other",
                "contact_name": "",
                "phone": "",
                "email": "",
                "active": "on",
            },
        ).status_code
        == 302
    )
    assert done("shops")

    from points.models import EarningRule

    assert (
        city.post(
            "/admin/places/new/",
            {
                "name": "いこいサロン",
                "kind": "salon",
                "district": district.pk,
                "address": "",
                "earning_rule": EarningRule.objects.get().pk,
                "presence": "host",
                "closes_at": "17:00",
                "max_minutes": 480,
                "active": "on",
            },
        ).status_code
        == 302
    )
    assert done("places")

    # Staff: a coordinator with TOTP is needed; anyone in the back office without it
    # is named until they set it up.
    coordinator = UserFactory(roles=["coordinator"], full_name="調整 花子")
    editor = UserFactory(roles=["district_editor"], full_name="編集 次郎")
    TOTP.activate(coordinator, generate_totp_secret())
    staff = checklist(city)["staff_mfa"]
    assert staff["status"] == "未設定" and "編集 次郎" in staff["text"]
    assert "調整 花子" not in staff["text"] and "件数: 2" in staff["text"]
    TOTP.activate(editor, generate_totp_secret())
    assert done("staff_mfa")
    assert "件数: 3" in checklist(city)["staff_mfa"]["text"]

    home.refresh_from_db()
    home.add_child(instance=VolunteerSignupPage(title="ボランティア登録"))
    assert {line["status"] for line in checklist(city).values()} == {"完了"}


def test_every_link_opens_for_a_superuser(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    signed_in_back_office(client, admin)
    lines = checklist(client)
    assert list(lines) == KEYS
    for key, line in lines.items():
        response = client.get(line["url"], follow=True)
        assert response.status_code == 200, key
        assert response.redirect_chain == [] or "/admin/" in response.redirect_chain[-1][0], key


def test_not_shown_to_a_coordinator(client, coordinator):
    signed_in_back_office(client, coordinator)
    assert client.get("/admin/").status_code == 200
    assert checklist(client) == {}
    assert "go-live" not in client.get("/admin/").content.decode()


def test_the_volunteer_sign_up_page_is_a_line_until_it_is_published(city):
    """Without it the home page has no sign-up link: residents cannot apply."""
    home = HomePage.objects.get()
    line = checklist(city)["volunteer_signup"]
    assert line["status"] == "未設定"
    assert line["url"] == f"/admin/pages/add/cms/volunteersignuppage/{home.pk}/"
    signup = home.add_child(instance=VolunteerSignupPage(title="ボランティア登録", live=False))
    assert checklist(city)["volunteer_signup"]["status"] == "未設定"  # a draft is not enough
    signup.save_revision().publish()
    assert checklist(city)["volunteer_signup"]["status"] == "完了"
    assert "ボランティアに登録する" in city.get("/").content.decode()
