"""The "my pages" menu and each role's landing page come from what the apps register
(core.navigation), so the platform layer names no app URL."""

import re

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from accounts.adapter import landing_url
from core import navigation
from tests.factories import UserFactory
from tests.platform.helpers import ROOT

pytestmark = pytest.mark.django_db

# The menu as core/templates/core/me_nav.html wrote it out before the registry.
MENU_BEFORE = """{% load i18n %}{% with here=request.resolver_match.url_name %}
<nav class="me-nav no-print" aria-label="{% translate 'My pages' %}">
  <ul class="nav">
    <li><a href="{% url 'my-home' %}"{% if here == "my-home" %} aria-current="page"{% endif %}>{% translate "My page" %}</a></li>
    <li><a href="{% url 'my-offers' %}"{% if here == "my-offers" %} aria-current="page"{% endif %}>{% translate "Requests offered to me" %}</a></li>
    <li><a href="{% url 'my-assignments' %}"{% if here == "my-assignments" or here == "my-assignment" %} aria-current="page"{% endif %}>{% translate "My assignments" %}</a></li>
    <li><a href="{% url 'my-profile' %}"{% if here == "my-profile" %} aria-current="page"{% endif %}>{% translate "My volunteer profile" %}</a></li>
    <li><a href="{% url 'my-points' %}"{% if here == "my-points" %} aria-current="page"{% endif %}>{% translate "My points" %}</a></li>
    <li><a href="{% url 'my-vouchers' %}"{% if here == "my-vouchers" %} aria-current="page"{% endif %}>{% translate "My vouchers" %}</a></li>
    <li><a href="{% url 'my-activity' %}"{% if here == "my-activity" %} aria-current="page"{% endif %}>{% translate "My activity" %}</a></li>
    <li><a href="{% url 'my-card' %}"{% if here == "my-card" %} aria-current="page"{% endif %}>{% translate "My check-in card" %}</a></li>
    <li><a href="{% url 'my-proposals' %}"{% if here == "my-proposals" %} aria-current="page"{% endif %}>{% translate "My proposals" %}</a></li>
  </ul>
</nav>{% endwith %}
"""  # noqa: E501


@pytest.fixture
def registry():
    """The registry as the apps filled it, restored after the test."""
    saved = (dict(navigation._me_links), dict(navigation._landings))
    yield navigation
    navigation._me_links.clear()
    navigation._me_links.update(saved[0])
    navigation._landings.clear()
    navigation._landings.update(saved[1])


def _request(path: str):
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    return request


def _menu(path: str) -> str:
    context = Context({"request": _request(path)})
    return Template('{% include "core/me_nav.html" %}').render(context)


def _links(html: str) -> list[tuple[str, str, bool]]:
    return [
        (href, label, bool(current))
        for href, current, label in re.findall(
            r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', html
        )
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(
    "path",
    ["/me/", "/me/offers/", "/me/assignments/", "/me/assignments/1/", "/me/points/", "/"],
)
def test_the_menu_the_apps_registered_is_the_menu_core_used_to_write_out(path, language):
    with translation.override(language):
        before = Template(MENU_BEFORE).render(Context({"request": _request(path)}))
        assert _menu(path) == before


def test_the_menu_is_what_is_registered_in_its_order(registry):
    registry.register_me_link("account_email", "Account", 55)
    registry.register_me_link("my-card", "Card", 5)  # the same name moves, not doubles
    registry.register_me_link("my-points", "Hidden", 50, visible=lambda request: False)
    with translation.override("en"):
        links = _links(_menu("/accounts/email/"))
    assert links == [
        ("/me/card/", "Card", False),
        ("/me/", "My page", False),
        ("/me/offers/", "Requests offered to me", False),
        ("/me/assignments/", "My assignments", False),
        ("/me/profile/", "My volunteer profile", False),
        ("/accounts/email/", "Account", True),
        ("/me/vouchers/", "My vouchers", False),
        ("/me/activity/", "My activity", False),
        ("/me/proposals/", "My proposals", False),
    ]


def test_a_volunteer_page_shows_the_registered_menu():
    client = Client()
    client.force_login(UserFactory(roles=["volunteer"]))
    page = client.get("/me/points/").content.decode()
    hrefs = [href for href, _, _ in _links(page.split('class="me-nav', 1)[1])]
    # Every registered link but "my requests" (shown only to a linked resident),
    # "places I host" (my-places, shown to host staff only) and "notices on LINE"
    # (shown once the city set LINE up).
    assert hrefs[: len(navigation._me_links) - 3] == [
        "/me/",
        "/me/offers/",
        "/me/assignments/",
        "/me/profile/",
        "/me/points/",
        "/me/vouchers/",
        "/me/activity/",
        "/me/card/",
        "/me/proposals/",
    ]
    assert "/me/requests/" not in hrefs and "/me/places/" not in hrefs
    assert 'href="/me/points/" aria-current="page"' in page


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (["volunteer"], "/me/"),
        (["shop_staff"], "/shop/redeem/"),
        (["shop_staff", "volunteer"], "/shop/redeem/"),
        (["resident"], "/"),
        (["city_staff", "volunteer"], "/admin/"),
    ],
)
def test_the_landing_is_the_registered_one_for_the_users_roles(roles, landing):
    assert landing_url(UserFactory(roles=roles)) == landing


def test_the_landing_follows_the_registry(registry):
    resident = UserFactory(roles=["resident", "volunteer"])
    registry.register_landing("resident", "search", priority=5)
    assert landing_url(resident) == "/me/"  # the volunteer's page has the higher priority
    registry.register_landing("resident", "search", priority=50)
    assert landing_url(resident) == "/search/"
    registry._landings.clear()
    assert landing_url(resident) == "/"


def _app_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                walk(pattern.url_patterns, f"{namespace}{inner}:" if inner else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                module = getattr(pattern.callback, "__module__", "") or ""
                if module.split(".")[0] in {"points", "volunteers", "cms"}:
                    names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_core_and_accounts_name_no_app_url():
    names = _app_url_names()
    assert {"my-home", "my-points", "my-proposals", "shop-redeem"} <= names
    alternatives = "|".join(map(re.escape, sorted(names)))
    quoted = re.compile(rf"""["']({alternatives})["']""")
    namespaced = re.compile(r"""["'](points|volunteers|cms):""")
    found = []
    for folder in ("core", "accounts"):
        for path in sorted((ROOT / "platform" / folder).rglob("*")):
            if path.suffix not in {".py", ".html", ".txt"} or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for match in (*quoted.finditer(text), *namespaced.finditer(text)):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert found == []
