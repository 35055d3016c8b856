"""Per-address limits behind the proxy: the client's address comes from
X-Forwarded-For, counted TRUSTED_PROXY_COUNT entries from the right, for allauth's
limits and the project's own; signed-in users are limited per user."""

import pytest
from django.test import Client
from django.utils import translation

from cms.models import VolunteerApplication, VolunteerSignupPage
from tests.cms import support
from tests.factories import DistrictFactory, UserFactory
from tests.platform.test_auth import login

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # every request reaches the web process from the proxy


def through_proxy(client_address: str, *, spoofed: str = "") -> Client:
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.fixture
def page():
    return support.home().add_child(instance=VolunteerSignupPage(title="登録", slug="v"))


def signup(client, page, email):
    return client.post(
        page.url,
        {
            "full_name": "新井 さくら",
            "full_name_kana": "あらい さくら",
            "email": email,
            "phone": "090-1234-5678",
            "district": DistrictFactory().pk,
            "website": "",
        },
    )


def test_signup_limit_is_per_client_behind_the_proxy(settings, page):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.VOLUNTEER_SIGNUP_LIMIT = 2
    first = through_proxy("198.51.100.7")
    assert signup(first, page, "a@example.jp").status_code == 200
    assert signup(first, page, "b@example.jp").status_code == 200
    assert signup(first, page, "c@example.jp").status_code == 429
    # What the client wrote itself, left of the proxy's entry, changes nothing.
    assert (
        signup(through_proxy("198.51.100.7", spoofed="1.2.3.4"), page, "d@example.jp").status_code
        == 429
    )
    # Another resident behind the same proxy is not blocked.
    assert signup(through_proxy("198.51.100.8"), page, "e@example.jp").status_code == 200
    assert VolunteerApplication.objects.count() == 3


def test_without_trusted_proxies_the_header_is_ignored(settings, page):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.VOLUNTEER_SIGNUP_LIMIT = 1
    assert signup(through_proxy("198.51.100.7"), page, "a@example.jp").status_code == 200
    # A client cannot escape the limit by writing a header: REMOTE_ADDR counts.
    assert signup(through_proxy("198.51.100.9"), page, "b@example.jp").status_code == 429


def test_two_proxies_take_the_second_entry_from_the_right(settings, page):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.VOLUNTEER_SIGNUP_LIMIT = 1
    a = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.1")
    b = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.8, 10.0.0.1")
    assert signup(a, page, "a@example.jp").status_code == 200
    assert signup(b, page, "b@example.jp").status_code == 200
    assert signup(a, page, "c@example.jp").status_code == 429


def test_failed_logins_block_one_client_not_the_city(settings):
    """allauth's "login_failed" limit (10/m per address) keys on the client."""
    settings.TRUSTED_PROXY_COUNT = 1
    guesser = through_proxy("198.51.100.66")
    with translation.override("ja"):
        limited = translation.gettext("Too many failed login attempts. Try again later.")
    resident = UserFactory()
    for i in range(12):
        response = login(guesser, f"nobody{i}@example.jp", "wrong")
    assert limited in response.content.decode()
    # The guesser's next try is refused even with a real account's password ...
    assert login(guesser, resident.email).status_code != 302
    # ... while a resident elsewhere in the city signs in.
    assert login(through_proxy("198.51.100.10"), resident.email).status_code == 302


def test_signed_in_users_are_limited_per_user(settings):
    """Proposal submissions: two users at one address each have their own limit."""
    from django.test import RequestFactory

    from cms.page_handlers import _client_keys

    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    request.user = UserFactory()
    assert _client_keys("proposal-submit", request) == [f"proposal-submit:user:{request.user.pk}"]
