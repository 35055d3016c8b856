"""seed_demo builds the demo town and can be run again."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from accounts.models import District, Role, User
from tests.platform.totp import totp_now

pytestmark = pytest.mark.django_db


def run(capsys) -> str:
    call_command("seed_demo")
    return capsys.readouterr().out


def test_seed_demo_is_idempotent_and_prints_logins(capsys, client):
    first = run(capsys)
    counts = (District.objects.count(), User.objects.count(), Authenticator.objects.count())
    second = run(capsys)
    assert counts == (District.objects.count(), User.objects.count(), Authenticator.objects.count())
    assert counts[0] == 13
    assert re.findall(r"TOTP secret: (\w+)", first) == re.findall(r"TOTP secret: (\w+)", second)

    for district in District.objects.all():
        assert re.fullmatch(r"[\u30A1-\u30FCー ]+", district.name_kana), district
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role

    # The printed credentials work: password then the printed TOTP secret.
    password = re.search(r"password for all: (\S+)\)", first).group(1)
    line = next(line for line in first.splitlines() if "coordinator@" in line)
    email, secret = re.search(r"(\S+@\S+)\s+TOTP secret: (\w+)", line).groups()
    client.post("/accounts/login/", {"login": email, "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert client.get("/admin/").status_code == 200


def test_seed_demo_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
