"""Journey: a demo coordinator signs in with TOTP and reaches the Wagtail dashboard."""

import re

import pytest
from django.core.management import call_command

from tests.platform.totp import totp_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def demo_logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = re.search(r"password for all: (\S+)\)", out).group(1)
    secrets = dict(re.findall(r"(\S+@\S+)\s+TOTP secret: (\w+)", out))
    return password, secrets


def sign_in(page, email, password):
    page.goto("/admin/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Eメール").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_coordinator_signs_in_with_totp_and_reaches_the_dashboard(desk_page, demo_logins):
    password, secrets = demo_logins
    email = "coordinator@demo.example.jp"
    sign_in(desk_page, email, password)

    desk_page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    desk_page.get_by_label("コード").fill(totp_now(secrets[email]))
    desk_page.get_by_role("button", name=re.compile("ログイン|サインイン")).click()

    desk_page.wait_for_url(re.compile(r"/admin/$"))
    assert desk_page.locator("html").get_attribute("lang") == "ja"
    # Wagtail's dashboard greets the signed-in user by name.
    assert desk_page.get_by_text("鈴木 美咲").first.is_visible()


def test_volunteer_cannot_reach_the_admin(phone_page, demo_logins):
    password, _ = demo_logins
    sign_in(phone_page, "volunteer@demo.example.jp", password)
    phone_page.wait_for_load_state()
    assert phone_page.get_by_role("heading", name="管理画面へのアクセス権がありません").is_visible()
    response = phone_page.goto("/admin/pages/")
    assert response.status == 403
