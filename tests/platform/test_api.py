"""The REST API: authentication, the error body, /api/v1/me/ and the OpenAPI schema."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_without_credentials_is_401_with_a_json_error(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["detail"]


def test_me_returns_the_user_and_roles_with_a_browser_session(client, user_factory):
    user = user_factory(roles=["volunteer", "shop_staff"], phone="090-1234-5678")
    client.force_login(user)
    body = client.get("/api/v1/me/").json()
    assert body == {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "full_name_kana": user.full_name_kana,
        "phone": "+819012345678",
        "preferred_language": "ja",
        "roles": ["volunteer", "shop_staff"],
    }


def test_me_with_an_allauth_headless_session_token(client, volunteer):
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": volunteer.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["meta"]["session_token"]
    api = client.__class__()
    body = api.get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token).json()
    assert body["id"] == volunteer.pk and body["roles"] == ["volunteer"]
    bad = api.get("/api/v1/me/", HTTP_X_SESSION_TOKEN="not-a-token")
    assert bad.status_code in {401, 403} and "code" in bad.json()


def test_schema_documents_api_v1_only_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    import yaml

    schema = yaml.safe_load(out.read_text())
    assert schema["paths"], "schema has no paths"
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert "/api/v1/me/" in schema["paths"]


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in docs.content.decode()


def test_a_session_token_costs_one_query_for_the_session(client, volunteer):
    """The token strategy loads the session in one query (allauth's stock one asks
    whether it exists first); a missing, expired or logged-out session is still 401."""
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": volunteer.email, "password": PASSWORD},
        content_type="application/json",
    )
    token = response.json()["meta"]["session_token"]
    api = client.__class__(headers={"X-Session-Token": token})
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/me/").json()["id"] == volunteer.pk
    assert [q["sql"] for q in queries if "django_session" in q["sql"]] == [
        AnyStartingWith('SELECT "django_session"."session_key", "django_session"."session_data"')
    ]

    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=token).update(expire_date="2000-01-01T00:00:00Z")
    assert api.get("/api/v1/me/").status_code == 401
    Session.objects.filter(session_key=token).delete()
    assert api.get("/api/v1/me/").status_code == 401
    assert not Session.objects.filter(session_key=token).exists()  # nothing recreated


class AnyStartingWith(str):
    def __eq__(self, other):
        return isinstance(other, str) and other.startswith(self)

    __hash__ = str.__hash__
