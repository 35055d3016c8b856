"""Every back-office page and host page can be reached from a menu (issue 13): the
cash pages from the admin menu, each place's host page from the places list, the
places a host serves from their "my pages"; and the kiosk is a bare screen."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from points.models import EarningRule
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(db):
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    host = UserFactory(full_name="渡辺 直子")
    made = {}
    for presence, name in (
        (Place.Presence.HOST, "いきいきサロン桜ヶ丘"),
        (Place.Presence.KIOSK, "特別養護老人ホーム みどりの里"),
        (Place.Presence.CARD, "ふれあいサロン緑町"),
    ):
        place = Place.objects.create(
            name=name, kind=Place.Kind.SALON, earning_rule=rule, presence=presence
        )
        place.hosts.add(host)
        made[presence] = place
    return host, made


def menu_urls(page: str) -> set[str]:
    """The URLs in the admin's sidebar (rendered as JSON for its script)."""
    data = re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', page, re.S).group(1)
    return set(re.findall(r'"url": "([^"]+)"', json.dumps(json.loads(data))))


def test_coordinators_reach_the_cash_pages_from_the_admin_menu(client, coordinator):
    urls = menu_urls(signed_in_back_office(client, coordinator).get("/admin/").content.decode())
    assert {"/admin/aid/owed/", "/admin/aid/payouts/"} <= urls


def test_city_staff_see_the_payouts_but_not_the_residents_debts(client):
    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    urls = menu_urls(staff.get("/admin/").content.decode())
    assert "/admin/aid/payouts/" in urls and "/admin/aid/owed/" not in urls


def test_the_places_list_links_each_place_to_its_host_page(client, coordinator, places):
    _host, made = places
    page = signed_in_back_office(client, coordinator).get("/admin/places/").content.decode()
    assert f'href="/places/{made[Place.Presence.HOST].pk}/checkins/"' in page
    assert f'href="/places/{made[Place.Presence.KIOSK].pk}/kiosk/"' in page
    assert f"/places/{made[Place.Presence.CARD].pk}/checkins/" not in page


def test_a_host_finds_the_places_they_host_in_my_pages(places):
    host, made = places
    client = Client()
    client.force_login(host)
    page = client.get("/me/places/").content.decode()
    assert page.count('data-testid="hosted-place"') == 3
    assert f'href="/places/{made[Place.Presence.HOST].pk}/checkins/"' in page
    assert f'href="/places/{made[Place.Presence.KIOSK].pk}/kiosk/"' in page
    checkins = client.get(f"/places/{made[Place.Presence.HOST].pk}/checkins/").content.decode()
    assert 'href="/me/places/" aria-current="page"' in checkins


def test_people_who_host_nothing_have_no_such_link(client, volunteer, places):
    client.force_login(volunteer)
    assert "/me/places/" not in client.get("/me/").content.decode()
    assert client.get("/me/places/").status_code == 403
    made = places[1]
    made[Place.Presence.HOST].hosts.add(volunteer)
    assert 'href="/me/places/"' in client.get("/me/").content.decode()


def test_the_kiosk_is_a_bare_screen_with_the_code_and_the_place(places):
    host, made = places
    client = Client()
    client.force_login(host)
    page = client.get(f"/places/{made[Place.Presence.KIOSK].pk}/kiosk/").content.decode()
    assert "特別養護老人ホーム みどりの里" in page and 'data-testid="kiosk-code"' in page
    for chrome in ("site-header", "/accounts/logout/", "<nav", "me-nav", 'class="lang"'):
        assert chrome not in page, chrome


def test_back_office_pages_are_headed_by_their_own_title(client, coordinator):
    """Wagtail's slim header shows the last breadcrumb as the page's visible title."""
    desk = signed_in_back_office(client, coordinator)
    for url, title in (
        ("/admin/aid/owed/", "利用者の未収金"),
        ("/admin/aid/payouts/", "ボランティアへの月次支払い"),
        ("/admin/points/exchange/", "ボランティアに代わって商品券に交換"),
    ):
        page = desk.get(url).content.decode()
        crumbs = re.search(r"<ol class=\"w-flex.*?</ol>", page, re.S).group(0)
        shown = crumbs.split("<li")[-1]
        assert title in shown and "ホーム" not in shown, url
