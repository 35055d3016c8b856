"""Styled Japanese error pages that say what to do next, and a favicon."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.error_pages import server_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STYLESHEET = "/static/core/site.css"


def test_a_volunteer_at_the_shop_counter_pages_gets_a_styled_403_saying_where_to_go(
    client, volunteer
):
    client.force_login(volunteer)
    response = client.get("/shop/redeem/")
    html = response.content.decode()
    assert response.status_code == 403
    assert STYLESHEET in html and "Forbidden" not in html
    assert "<h1>このページは開けません</h1>" in html
    # the reason the view gave, and the way out: the volunteer's own pages
    assert "店舗スタッフとして登録されていません" in html
    assert 'href="/me/"' in html
    assert "お店のレジで" in html  # how a voucher is used instead


def test_an_anonymous_visitor_to_a_role_page_is_offered_to_sign_in(client):
    response = client.post("/shop/redeem/confirm/", {"code": "x"})
    assert response.status_code in (302, 403)
    if response.status_code == 403:
        assert "/accounts/login/?next=" in response.content.decode()


def test_a_signed_in_user_without_a_role_gets_the_styled_403_at_a_staff_page(client):
    client.force_login(UserFactory())
    response = client.get("/shop/statements/")
    assert response.status_code == 403
    html = response.content.decode()
    assert STYLESHEET in html and "ログアウトして" in html


def test_404_is_styled_with_search_and_home(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert STYLESHEET in html
    assert "<h1>ページが見つかりません</h1>" in html
    assert 'href="/"' in html and "検索" in html


def test_400_is_styled(client):
    response = client.get("/", HTTP_HOST="not-this-site.example")  # DisallowedHost
    html = response.content.decode()
    assert response.status_code == 400
    assert STYLESHEET in html and "<h1>リクエストを処理できませんでした</h1>" in html


def test_500_renders_without_the_database_or_context_processors(rf):
    request = rf.get("/")
    with CaptureQueriesContext(connection) as queries:
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500 and len(queries) == 0
    assert STYLESHEET in html and "<h1>システムで問題が起きました</h1>" in html
    assert "数分待ってから" in html and 'href="/"' in html


def test_a_broken_view_answers_with_the_static_500_page(client, monkeypatch):
    import cms.views

    def broken(query):
        raise RuntimeError("boom")

    monkeypatch.setattr(cms.views.selectors, "pages_search", broken)
    client.raise_request_exception = False
    response = client.get("/search/", {"q": "サロン"})
    assert response.status_code == 500
    assert "システムで問題が起きました" in response.content.decode()


def test_a_stale_form_gets_the_styled_csrf_page(volunteer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    html = response.content.decode()
    assert STYLESHEET in html and "<h1>フォームの有効期限が切れました</h1>" in html


def test_the_favicon_answers_and_is_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get("/search/").content.decode()
    assert 'rel="icon" href="/static/core/favicon.svg"' in html


def test_input_refused_before_any_view_gets_the_styled_page_too(client):
    """core.middleware.error_response (NUL characters, too large, unreadable
    parameters) renders without a request, in the same layout."""
    response = client.get("/search/", {"q": "a\x00b"}, HTTP_ACCEPT="text/html")
    if response.status_code != 400:
        pytest.fail(f"expected the bad-input guard to refuse NUL, got {response.status_code}")
    html = response.content.decode()
    assert STYLESHEET in html and "<h1>リクエストを処理できませんでした</h1>" in html
