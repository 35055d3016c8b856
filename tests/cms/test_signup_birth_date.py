"""The public volunteer sign-up asks for the date of birth and, when an earning rule
has a minimum age, a confirmation of it (issue 14, item 2); approval carries the date
into the account, so the first check-in is credited."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import User
from cms.models import VolunteerApplication, VolunteerSignupPage
from points.models import EarningRule
from tests.cms import support
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def page():
    return support.home().add_child(
        instance=VolunteerSignupPage(title="ボランティア登録", slug="volunteer")
    )


@pytest.fixture
def age_rule():
    return EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis="per_hour", points=100, min_age=18
    )


def years_ago(years: int, days: int = 0) -> str:
    today = dt.date.today()
    return (today.replace(year=today.year - years) + dt.timedelta(days=days)).isoformat()


def signup(client, page, **overrides):
    data = {
        "full_name": "新井 さくら",
        "full_name_kana": "あらい さくら",
        "email": "sakura@example.jp",
        "phone": "",
        "birth_date": "1990-06-01",
        "age_confirmed": "on",
        "message": "",
        "website": "",
    }
    data.update(overrides)
    return client.post(page.url, {k: v for k, v in data.items() if v is not None})


def test_under_age_or_unconfirmed_is_refused_with_field_errors(client, page, age_rule):
    form = client.get(page.url).content.decode()
    assert "18歳以上です" in form and 'name="birth_date"' in form
    cases = [
        ({"birth_date": years_ago(18, days=1)}, "birth_date", "18歳以上"),
        ({"age_confirmed": None}, "age_confirmed", "18歳以上であることを確認"),
        ({"birth_date": ""}, "birth_date", None),
        ({"birth_date": "1899-12-31"}, "birth_date", "1900年"),
        ({"birth_date": years_ago(-1)}, "birth_date", "未来"),
    ]
    for overrides, field, text in cases:
        response = signup(client, page, **overrides)
        assert response.status_code == 400, overrides
        assert field in response.context["form"].errors, overrides
        if text:
            assert text in response.content.decode(), overrides
    assert not VolunteerApplication.objects.exists()
    assert signup(client, page, birth_date=years_ago(18)).status_code == 200  # 18 today
    assert VolunteerApplication.objects.get().birth_date.isoformat() == years_ago(18)


def test_without_an_age_rule_the_birth_date_is_optional(client, page):
    assert "age_confirmed" not in client.get(page.url).content.decode()
    assert signup(client, page, birth_date="", age_confirmed=None).status_code == 200
    assert VolunteerApplication.objects.get().birth_date is None


def test_approval_carries_the_birth_date_into_the_account(client, page, age_rule):
    signup(client, page)
    application = VolunteerApplication.objects.get()
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    url = f"/admin/volunteer-applications/{application.pk}/decide/"
    assert client.post(url, {"decision": "approve"}).status_code == 302
    assert User.objects.get(email="sakura@example.jp").birth_date == dt.date(1990, 6, 1)
