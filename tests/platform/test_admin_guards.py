"""The back office answers input that Wagtail's and allauth's own views would meet
with a 500: deleting a record others still refer to, the generic create form of
volunteers, ids that are not numbers, a chooser POST without its form."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Page

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category, help_request, resident
from volunteers.models import HelpCategory, Resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    return signed_in_back_office(client, UserFactory(is_superuser=True, is_staff=True))


def test_a_category_in_use_is_not_deleted_and_the_page_says_why(admin_client, coordinator):
    shopping = category("shopping")
    help_request(coordinator, resident(DistrictFactory()))
    url = reverse("aid_categories:delete", args=[shopping.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "依頼: 1件" in text  # what refers to it, counted
    assert "有効" in text  # and what to do instead
    assert 'class="button serious"' not in text  # no delete button

    refused = admin_client.post(url, follow=True)
    assert refused.status_code == 200
    assert "削除できません" in refused.content.decode()
    assert HelpCategory.objects.filter(pk=shopping.pk).exists()


def test_a_record_nobody_refers_to_is_still_deleted(admin_client):
    nobody = resident(DistrictFactory())
    url = reverse("aid_residents:delete", args=[nobody.pk])
    assert 'class="button serious"' in admin_client.get(url).content.decode()
    assert admin_client.post(url).status_code == 302
    assert not Resident.objects.filter(pk=nobody.pk).exists()


def test_a_resident_with_requests_is_kept(admin_client, coordinator):
    kept = resident(DistrictFactory())
    help_request(coordinator, kept)
    response = admin_client.post(reverse("aid_residents:delete", args=[kept.pk]))
    assert response.status_code == 302
    assert Resident.objects.filter(pk=kept.pk).exists()


def test_the_generic_volunteer_form_leads_to_registration(admin_client):
    for method in (admin_client.get, admin_client.post):
        response = method(reverse("aid_volunteers:add"))
        assert response.status_code == 302
        assert response["Location"] == reverse("aid_volunteer_register")


@pytest.mark.parametrize(
    "url",
    [
        "/api/cms/v2/pages/find/?id=abc",
        "/admin/api/main/pages/find/?id=1x",
        "/admin/choose-page/chosen-multiple/?id=1&id=abc",
        "/admin/images/chooser/chosen-multiple/?id=%EF%BC%91",  # a full-width digit
    ],
)
def test_ids_that_are_not_numbers_are_refused_with_a_code(admin_client, url):
    response = admin_client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"


def test_numeric_ids_still_reach_the_view(admin_client):
    home = Page.objects.get(depth=2)
    response = admin_client.get(f"/admin/choose-page/chosen-multiple/?id={home.pk}")
    assert response.status_code == 200
    assert f'"id": {home.pk}' in response.content.decode()


def test_the_external_link_chooser_needs_its_form(admin_client):
    response = admin_client.post("/admin/choose-external-link/", {"x": "1"})
    assert response.status_code == 400
    ok = admin_client.post(
        "/admin/choose-external-link/",
        {"external-link-chooser-url": "https://example.jp/", "external-link-chooser-link_text": ""},
    )
    assert ok.status_code == 200


def test_phone_sign_in_is_not_offered(admin_client):
    response = admin_client.post("/_allauth/browser/v1/account/phone", {}, "application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_admin_lists_find_every_word_in_any_kana_or_width(admin_client):
    from points.models import EarningRule
    from volunteers.models import Place

    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_VISIT, points=100
    )
    Place.objects.create(
        name="ふれあいサロン 港", kind="salon", address="港町1-2", earning_rule=rule
    )
    Place.objects.create(name="港町介護センター", kind="care_facility", earning_rule=rule)

    def found(query):
        response = admin_client.get(reverse("places:index"), {"q": query})
        assert response.status_code == 200
        return sorted(place.name for place in response.context["object_list"])

    assert found("サロン") == found("ｻﾛﾝ") == found("さろん") == ["ふれあいサロン 港"]
    assert found("フレアイ") == ["ふれあいサロン 港"]
    assert found("港 サロン") == ["ふれあいサロン 港"]  # every word, not the whole string
    assert found("港") == ["ふれあいサロン 港", "港町介護センター"]
    assert found("港 病院") == []
