"""The back office reads Japanese for every role (issue 16, items 1-2).

Each role signs in through the pages (password, then TOTP), opens every link of the
rendered sidebar (main menu, submenus, account menu), and from each listing the first
"add" and "edit" page; every page must show no English word outside the allow list in
``admin_words`` (proper names, units, formats) and the data the city typed.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD, totp_secret_for
from accounts.models import User
from tests.browser.admin_words import data_words, english_words, page_english, walk_admin
from tests.browser.signin import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

#: Pages whose English comes from data no catalogue reaches, with the reason.
KNOWN_ENGLISH = {
    # Django stores permission names ("Can add voucher") in English in auth_permission
    # at migrate time; Wagtail's group form lists the custom ones by that name.
    "/admin/groups/edit/": "permission names",
}


@pytest.fixture
def logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    secrets = dict(re.findall(r"(\S+@\S+)\s+TOTP secret: (\w+)", out))
    root = User.objects.create_superuser(
        email="root@demo.example.jp", password=DEMO_PASSWORD, full_name="管理 太郎"
    )
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=root, email=root.email, verified=True, primary=True)
    secrets[root.email] = totp_secret_for(root)
    return secrets


@pytest.mark.parametrize(
    ("email", "least_pages"),
    [
        ("root@demo.example.jp", 30),
        ("city@demo.example.jp", 25),
        ("coordinator@demo.example.jp", 10),
        ("editor@demo.example.jp", 3),
    ],
)
def test_every_admin_page_of_the_role_reads_japanese(desk_page, logins, email, least_pages):
    sign_in(desk_page, email, DEMO_PASSWORD, secret=logins[email], start="/admin/")
    allowed_data = data_words() | role_group_names()
    found: dict[str, list[str]] = {}
    visited = []
    for path, words in walk_admin(desk_page, allowed_data):
        visited.append(path)
        if words and not path.startswith(tuple(KNOWN_ENGLISH)):
            found[path] = sorted(set(words))
    assert len(visited) >= least_pages, visited
    assert found == {}
    # The Help menu leads to the project's guide, not to Wagtail's English one.
    desk_page.goto("/admin/")
    hrefs = desk_page.eval_on_selector_all("aside a[href]", "els => els.map(e => e.href)")
    assert any(href.endswith("/admin/guide/") for href in hrefs)
    assert not any("wagtail.org" in href for href in hrefs)


def role_group_names() -> frozenset[str]:
    """The role groups' names are the codes the code looks them up by (Role values,
    association-<district>): identifiers shown in the superuser's group list."""
    from django.contrib.auth.models import Group

    words = set()
    for name in Group.objects.values_list("name", flat=True):
        words.update(re.split(r"[-\s]", name.lower()))
    return frozenset(words)


def test_a_shop_clerk_is_told_in_japanese_that_the_admin_is_not_theirs(phone_page, logins):
    sign_in(phone_page, "shop@demo.example.jp", DEMO_PASSWORD, start="/admin/")
    assert phone_page.get_by_role("heading", name="管理画面へのアクセス権がありません").is_visible()
    assert page_english(phone_page, frozenset()) == []


def test_the_word_finder_sees_english_and_lets_names_and_data_through():
    text = "保存 Save 状態 True QR コード CSV 2026年 A4 sakura@example.jp /admin/x/ Go back"
    assert english_words(text, frozenset()) == ["Save", "True", "Go", "back"]
    assert english_words("地区 sakuragaoka", frozenset({"sakuragaoka"})) == []
