"""Sign-in rules: mandatory verification, rate limits, MFA for the back office."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.utils import translation

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.platform.totp import totp_now

pytestmark = pytest.mark.django_db


def login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_signup_requires_email_verification_before_login(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.jp",
            "password1": "Kotoshi-mo-yoroshiku",
            "password2": "Kotoshi-mo-yoroshiku",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and "new@example.jp" in mail.outbox[0].to

    client.logout()
    response = login(client, "new@example.jp", "Kotoshi-mo-yoroshiku")
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    # Following the emailed link verifies the address; then sign-in works.
    link = re.search(r"https?://[^/]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    assert client.post(link.group(1)).status_code == 302
    response = login(client, "new@example.jp", "Kotoshi-mo-yoroshiku")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="new@example.jp").pk)


def test_twenty_wrong_passwords_are_rate_limited_not_an_error(client):
    user = UserFactory()
    with translation.override("ja"):
        limited = translation.gettext("Too many failed login attempts. Try again later.")
    statuses = []
    for _ in range(20):
        response = login(client, user.email, "wrong-password")
        statuses.append(response.status_code)
    assert set(statuses) <= {200, 429}, statuses
    assert limited in response.content.decode()
    # Once limited, even the right password is refused for now.
    response = login(client, user.email)
    assert response.status_code in {200, 429}
    assert "_auth_user_id" not in client.session


def test_volunteer_gets_a_clear_403_at_the_admin_not_a_login_loop(client, volunteer):
    client.force_login(volunteer)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "管理画面" in response.content.decode()


def test_anonymous_admin_visit_goes_to_the_allauth_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/admin/")
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/accounts/login/?next=/admin/"


def test_back_office_user_without_totp_is_sent_to_set_it_up(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_session_without_mfa_must_reauthenticate_with_totp(client, coordinator):
    TOTP.activate(coordinator, generate_totp_secret())
    client.force_login(coordinator)  # e.g. signed in by emailed code: no MFA record
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_password_then_totp_reaches_the_dashboard(client, coordinator):
    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    response = login(client, coordinator.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # password alone is not enough

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"  # staff land in the back office
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert "wagtail" in dashboard.content.decode().lower()


def test_login_by_emailed_code_is_offered(client, volunteer):
    response = client.post("/accounts/login/code/", {"email": volunteer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mail.outbox[0].body)
    assert code, mail.outbox[0].body
    response = client.post(response["Location"], {"code": code.group(1)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(volunteer.pk)


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (["volunteer"], "/me/"),
        (["shop_staff"], "/shop/redeem/"),
        (["shop_staff", "volunteer"], "/shop/redeem/"),
        (["resident"], "/"),
    ],
)
def test_each_role_lands_on_its_own_start_page(client, roles, landing):
    user = UserFactory(roles=roles)
    response = login(client, user.email)
    assert response.status_code == 302 and response["Location"] == landing
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_next_page_wins_over_the_landing_page(client, volunteer):
    response = client.post(
        "/accounts/login/?next=/me/points/", {"login": volunteer.email, "password": PASSWORD}
    )
    assert response["Location"] == "/me/points/"


@pytest.mark.django_db(transaction=True)  # allauth signals on commit, as in production
def test_first_sign_in_sets_up_totp_and_reaches_the_dashboard_without_a_third_code(
    client, coordinator
):
    """A new staff member: password, password again (allauth re-authenticates before an
    authenticator is added), a code from the new app, then the back office. Typing that
    code is the MFA of this session; it is not asked for again."""
    response = login(client, coordinator.email)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/totp/activate/")
    activate = "/accounts/2fa/totp/activate/?next=/admin/"
    assert client.get(activate)["Location"].startswith("/accounts/reauthenticate/")
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    page = client.get(activate).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="(\w+)"', page) or re.search(
        r'value="(\w+)"[^>]*id="authenticator_secret"', page
    )
    response = client.post(activate, {"code": totp_now(secret.group(1))})
    assert response.status_code == 302
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200

    client.logout()  # a later session still needs the code
    login(client, coordinator.email)
    assert "_auth_user_id" not in client.session
