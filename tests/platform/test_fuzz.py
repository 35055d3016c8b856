"""Every page and API URL, with hostile input, never answers 5xx.

The URLs come from the resolver (``get_resolver()``), path parameters filled with
the demo town's first objects (``seed_demo``) or dummy ids, plus every live CMS page.
Each is sent, anonymously and as a signed-in superuser past MFA: a NUL in the query
and in a form field, JSON 100,000 deep, a NUL in JSON, a body over the cap, and
ordinary-but-odd input that reaches the views (a query of wrong types, an empty JSON
object, JSON of the wrong shape).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from wagtail.models import Page

from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db

FILL = {"int": "1", "str": "1", "slug": "demo", "path": "x", "uuid": str(uuid.UUID(int=1))}
# Paths that do something other than answer: signing out ends the session the rest of
# the run needs; the dev server's media and static views only exist with DEBUG.
SKIP = re.compile(r"^/(accounts/logout/|_allauth/\w+/v1/auth/session|media/|static/)")

ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")


def _fill(pattern) -> str | None:
    text = str(pattern)
    if text.startswith("^") or "(?P" in text or text.endswith("$"):
        text = REGEX_GROUP.sub("1", text).lstrip("^").rstrip("$").replace("\\", "")
        if re.search(r"[()\[\]*+?{}|^$]", text):
            return None
        return text
    return ROUTE_PARAM.sub(lambda m: FILL.get(m.group(1) or "str", "1"), text)


def all_urls() -> list[str]:
    urls: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            part = _fill(pattern.pattern)
            if part is None:
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + part)
            elif isinstance(pattern, URLPattern):
                urls.add("/" + prefix + part)

    walk(get_resolver().url_patterns, "")
    for page in Page.objects.live().specific():
        url = page.get_url()
        if url:
            urls.add(url)
    resolvable = []
    for url in sorted(urls):
        if SKIP.match(url):
            continue
        try:
            resolve(url.split("?")[0])
        except Resolver404:
            continue
        resolvable.append(url)
    return resolvable


#: What issue #15 found 5xx with: refused by core.middleware before any view.
HOSTILE = [
    ("get", "?q=%00&code=a%00b&page=%00&html_path=/a%00/", None, None),
    ("post", "", "application/x-www-form-urlencoded", "q=%00&code=%00&name=a%00"),
    ("post", "", "application/json", "[" * 100_000 + "]" * 100_000),
    ("post", "", "application/json", json.dumps({"code": "a\x00", "q": ["\x00"]})),
]
#: Ordinary input of the wrong shape, which reaches the views.
ODD = [
    ("get", "?q=%F0%9F%98%80%27%22%3C&page=-1&id=abc&date=2026-13-45&status=[]", None, None),
    ("post", "", "application/json", "{}"),
    ("post", "", "application/json", json.dumps([{"code": {"a": [1]}, "points": "many"}])),
    ("post", "", "application/x-www-form-urlencoded", "code=%EF%BC%91&points=-5&shop=x"),
]
#: Wagtail's deliberate error page: the one URL allowed a 500 for odd input.
KNOWN_ODD_5XX = re.compile(r"^/admin/failwhale/")


def send(client: Client, url: str, method: str, query: str, ctype, body):
    if method == "get":
        return client.get(url + query)
    return client.generic("POST", url, body.encode(), content_type=ctype, HTTP_ACCEPT="text/html")


def fuzz(client: Client, urls: list[str]) -> list[str]:
    failures = []
    for url in urls:
        for inputs, known in ((HOSTILE, None), (ODD, KNOWN_ODD_5XX)):
            for method, query, ctype, body in inputs:
                response = send(client, url, method, query, ctype, body)
                if response.status_code >= 500 and not (known and known.match(url)):
                    failures.append(
                        f"{response.status_code} {method.upper()} {url}{query} {body!s:.40}"
                    )
        huge = client.generic(
            "POST", url, b"{}", content_type="application/json", CONTENT_LENGTH="500000000"
        )
        if huge.status_code != 413:
            failures.append(f"{huge.status_code} (not 413) huge POST {url}")
    return failures


@pytest.fixture
def town():
    call_command("seed_demo", verbosity=0)


def test_no_url_answers_5xx_to_hostile_input(town, capsys):
    urls = all_urls()
    assert len(urls) > 300  # the admin, the API, the pages: the resolver was walked
    anonymous = Client(raise_request_exception=False)
    failures = fuzz(anonymous, urls)
    staff = Client(raise_request_exception=False)
    signed_in_back_office(staff, UserFactory(is_superuser=True, is_staff=True))
    assert staff.get("/admin/").status_code == 200  # past MFA
    failures += fuzz(staff, urls)
    assert not failures, "\n".join(failures)
