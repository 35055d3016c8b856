"""MFA for every staff-only resource, not only /admin/ (accounts.mfa): whoever is
admitted through a back-office role must have passed MFA in this session. Pages
redirect to the MFA step; the API answers 403 ``mfa_required``, for browser sessions
and allauth headless X-Session-Token sessions alike. Host staff are not a back-office
role: their poster needs no MFA."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import BackOfficeRole
from accounts.models import Role
from config import urls as project_urls
from points.models import EarningRule
from tests.factories import PASSWORD, UserFactory
from tests.platform.totp import totp_now
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import Place

pytestmark = pytest.mark.django_db


class CityStaffOnly(APIView):
    """Stands for any /api/v1/ view for city staff (none exists yet)."""

    permission_classes = [BackOfficeRole.of(Role.CITY_STAFF)]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/v1/staff-only/", CityStaffOnly.as_view()), *project_urls.urlpatterns]


@pytest.fixture
def place():
    rule = EarningRule.objects.create(
        activity_kind="care", name="介護施設", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(
        name="みどりの里", kind=Place.Kind.CARE_FACILITY, earning_rule=rule, max_minutes=240
    )


# --- Pages ----------------------------------------------------------------------------


def test_a_coordinator_without_totp_is_sent_to_set_it_up_before_printing_a_poster(client, place):
    coordinator = UserFactory(roles=["coordinator"])
    client.force_login(coordinator)  # no MFA record, no authenticator
    url = f"/places/{place.pk}/poster/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/totp/activate/?next={url}"


def test_a_coordinator_whose_session_skipped_mfa_must_enter_a_code_then_prints(client, place):
    coordinator = UserFactory(roles=["coordinator"])
    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    client.force_login(coordinator)  # e.g. signed in by emailed code
    url = f"/places/{place.pk}/poster/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/reauthenticate/?next={url}"
    assert place.name not in response.content.decode()

    answer = client.post(response["Location"], {"code": totp_now(secret)})
    assert answer.status_code == 302 and answer["Location"] == url
    poster = client.get(url)
    assert poster.status_code == 200 and place.name in poster.content.decode()


def test_host_staff_print_their_own_poster_without_mfa(client, place):
    host = UserFactory(roles=["volunteer"])
    place.hosts.add(host)
    client.force_login(host)
    assert client.get(f"/places/{place.pk}/poster/").status_code == 200


def test_a_coordinator_who_hosts_the_place_prints_it_as_host(client, place):
    coordinator = UserFactory(roles=["coordinator"])
    place.hosts.add(coordinator)
    client.force_login(coordinator)
    assert client.get(f"/places/{place.pk}/poster/").status_code == 200


# --- API ------------------------------------------------------------------------------


def headless_login(email: str, secret: str | None = None) -> str:
    """Sign in through allauth headless (the app API): password, then the TOTP
    stage when one is asked for. Returns the session token."""
    app = Client()
    response = app.post(
        "/_allauth/app/v1/auth/login",
        {"email": email, "password": PASSWORD},
        content_type="application/json",
    )
    body = response.json()
    token = body["meta"]["session_token"]
    if secret is not None and response.status_code == 401:
        assert [f["id"] for f in body["data"]["flows"] if f.get("is_pending")] == [
            "mfa_authenticate"
        ]
        response = app.post(
            "/_allauth/app/v1/auth/2fa/authenticate",
            {"code": totp_now(secret)},
            content_type="application/json",
            headers={"X-Session-Token": token},
        )
        assert response.status_code == 200, response.content
        token = response.json()["meta"].get("session_token", token)
    return token


@pytest.mark.urls("tests.platform.test_staff_mfa")
def test_the_api_refuses_a_browser_session_without_mfa_with_mfa_required(client):
    staff = UserFactory(roles=["city_staff"])
    client.force_login(staff)
    response = client.get("/api/v1/staff-only/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"

    client.logout()
    signed_in_back_office(client, staff)  # password, then the TOTP code
    assert client.get("/api/v1/staff-only/").json() == {"ok": True}


@pytest.mark.urls("tests.platform.test_staff_mfa")
def test_the_api_refuses_a_session_token_without_mfa_and_admits_one_with_it(client):
    staff = UserFactory(roles=["city_staff"])
    token = headless_login(staff.email)  # no authenticator: the password alone
    response = Client().get("/api/v1/staff-only/", headers={"X-Session-Token": token})
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"

    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    token = headless_login(staff.email, secret)
    response = Client().get("/api/v1/staff-only/", headers={"X-Session-Token": token})
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.urls("tests.platform.test_staff_mfa")
def test_the_api_refuses_other_roles_whatever_their_mfa(client):
    coordinator = UserFactory(roles=["coordinator"])
    signed_in_back_office(client, coordinator)
    response = client.get("/api/v1/staff-only/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
