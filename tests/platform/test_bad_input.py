"""Bad input is a 400/413 with a stable code, never a 500: NULs (PostgreSQL refuses
them in text), JSON nested too deep (Python's parser recursed into a RecursionError),
bodies over the application's cap (refused from Content-Length, before reading)."""

import json

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


def api_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["code"] == code and body["detail"]


def page_error(response, status):
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="ja">' in html and "リクエストを処理できませんでした" in html


def test_nul_in_the_cms_api_query_is_a_400(client):
    response = client.get("/api/cms/v2/pages/find/?html_path=/a%00b/")
    api_error(response, 400, "invalid_characters")


def test_nul_in_a_page_query_or_form_is_a_japanese_400(client):
    page_error(client.get("/search/?q=%E5%B1%B1%00"), 400)
    response = client.post("/accounts/login/", {"login": "a\x00@example.jp", "password": "x"})
    page_error(response, 400)
    response = client.post(
        "/accounts/login/",
        "login=a%00%40example.jp&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    page_error(response, 400)


def test_deep_json_to_the_headless_login_is_a_400(client):
    response = client.post("/_allauth/browser/v1/auth/login", DEEP, content_type="application/json")
    api_error(response, 400, "json_too_deep")


def test_deep_json_and_nul_to_the_api_are_400s(client):
    client.force_login(UserFactory(roles=["volunteer"]))
    response = client.post("/api/v1/vouchers/exchange/", DEEP, content_type="application/json")
    api_error(response, 400, "json_too_deep")
    response = client.post(
        "/api/v1/vouchers/exchange/",
        json.dumps({"points": "1\x00"}),
        content_type="application/json",
    )
    api_error(response, 400, "invalid_characters")


def test_moderate_nesting_passes_through_to_the_view(client):
    client.force_login(UserFactory(roles=["volunteer"]))
    body = "[" * 30 + "]" * 30
    response = client.post("/api/v1/vouchers/exchange/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] != "json_too_deep"


def test_the_api_parser_refuses_deep_json_itself(rf, settings):
    """The DRF parser holds the same limit for bodies no middleware looked at."""
    from io import BytesIO

    from rest_framework.exceptions import ParseError

    from core.badinput import JSONParser

    settings.JSON_MAX_DEPTH = 3
    with pytest.raises(ParseError) as raised:
        JSONParser().parse(BytesIO(b'{"a": [[[1]]]}'))
    assert raised.value.get_codes() == "json_too_deep"
    assert JSONParser().parse(BytesIO(b'{"a": [[1]]}')) == {"a": [[1]]}


def test_oversized_bodies_are_413_before_reading(settings):
    client = Client(raise_request_exception=False)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    # The Content-Length says more than the cap: refused without reading a byte.
    response = client.post(
        "/api/v1/vouchers/exchange/",
        "{}",
        content_type="application/json",
        CONTENT_LENGTH="50000000",
    )
    api_error(response, 413, "request_too_large")
    response = client.post(
        "/accounts/login/",
        f"login={'x' * 2000}&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    page_error(response, 413)


def test_uploads_have_their_own_larger_cap(settings):
    client = Client(raise_request_exception=False)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.UPLOAD_REQUEST_MAX_SIZE = 100_000
    boundary = "BoUnDaRy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-{'x' * 5000}\r\n--{boundary}--\r\n"
    )
    ctype = f"multipart/form-data; boundary={boundary}"
    fits = client.post("/accounts/login/", body, content_type=ctype)
    assert fits.status_code != 413
    too_big = client.post("/accounts/login/", body, content_type=ctype, CONTENT_LENGTH="200000")
    page_error(too_big, 413)
