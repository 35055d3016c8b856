"""Issue 16, items 1-2: one meaning per word, and Wagtail's own screens in Japanese.

Wagtail 8.0.1's Japanese catalogue misses about 900 of its messages; the project's
catalogue (``LOCALE_PATHS``, which wins over the apps') supplies them. These tests read
Wagtail's ``en`` catalogues (every message it has) and check that each one has Japanese
somewhere, and that the project's catalogue never gives one of Wagtail's words another
meaning (the project's "Page" once turned Wagtail's pages into 画面).
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import polib
import pytest
import wagtail
from django.test import Client
from django.utils import translation

from cms.models import VolunteerApplication
from points.models import EarningRule, Shop
from tests.factories import UserFactory
from tests.platform.helpers import ROOT
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import HelpRequest, StandingRequest

WAGTAIL = Path(wagtail.__file__).parent
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
PROJECT = ROOT / "locale" / "ja" / "LC_MESSAGES"
#: Wagtail apps the project installs (contrib apps it does not use are left out).
APPS = ["", "admin", "users", "snippets", "documents", "images", "sites", "embeds", "search"]
APPS += ["contrib/forms", "contrib/redirects", "contrib/settings"]

#: Words where the project deliberately uses its own, consistent style for the same
#: meaning (する-forms on buttons, ログイン, 状態) rather than Wagtail's.
SAME_MEANING = {
    "Save",
    "Add",
    "Submit",
    "Sign in",
    "Status",
    "status",
    "name",
    "owner",
    "created at",
    "Download CSV",
    "preferred language",
    "English",
    "ID",
    "Language",
    "Never",
    "Cancelled",
    "Submitted",
    "Profile",
    "Rejected",
    "Time",
    "Generate",
    "Skip to main content",
    "content",
    "entry",
    "Number",
    "Not used",
    "Cancel",
    "user",
}


def _entries(domain: str, language: str):
    for app in APPS:
        path = WAGTAIL / app / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            yield from polib.pofile(str(path))


def _translated(entries) -> dict[tuple[str | None, str], str]:
    return {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
        for e in entries
        if e.translated() and not e.obsolete
    }


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_wagtail_message_has_japanese(domain):
    japanese = _translated(_entries(domain, "ja"))
    japanese |= _translated(polib.pofile(str(PROJECT / f"{domain}.po")))
    if domain == "django":  # Django's own catalogue answers Wagtail's generic words
        django_ja = glob.glob(
            str(Path(translation.__file__).parents[2] / "conf/locale/ja/*/django.po")
        )
        for path in django_ja:
            japanese |= _translated(polib.pofile(path))
    missing = [
        e.msgid
        for e in _entries(domain, "en")
        if not e.obsolete and (e.msgctxt, e.msgid) not in japanese
    ]
    assert missing == []


def test_the_project_never_gives_a_wagtail_word_another_meaning():
    wagtail_ja = _translated(_entries("django", "ja"))
    wagtail_en = {(e.msgctxt, e.msgid) for e in _entries("django", "en")}
    clashes = []
    for entry in polib.pofile(str(PROJECT / "django.po")):
        key = (entry.msgctxt, entry.msgid)
        if key not in wagtail_en or entry.msgid in SAME_MEANING:
            continue
        if key in wagtail_ja and wagtail_ja[key] != entry.msgstr:
            clashes.append((entry.msgid, entry.msgstr, wagtail_ja[key]))
    assert clashes == []


def test_one_english_word_with_several_meanings_reads_right_in_each_place():
    with translation.override("ja"):
        assert str(HelpRequest.Channel.PHONE.label) == "電話"
        assert str(HelpRequest._meta.get_field("category").verbose_name) == "支援の種類"
        assert str(StandingRequest._meta.get_field("category").verbose_name) == "支援の種類"
        assert str(Shop._meta.get_field("category").verbose_name) == "業種"
        assert str(VolunteerApplication._meta.get_field("user").verbose_name) == "アカウント"
        # Wagtail's own words keep Wagtail's meaning.
        assert translation.gettext("Page") == "ページ"
        assert translation.gettext("Task") == "タスク"
        assert translation.gettext("Go to the first error") == "最初のエラーへ移動"
        assert translation.gettext("New: %(model_name)s") % {"model_name": "利用者"} == (
            "利用者の新規作成"
        )


@pytest.mark.django_db
def test_list_columns_read_yes_no_and_a_dash_for_empty_values():
    client = signed_in_back_office(Client(), UserFactory(roles=["city_staff"]))
    EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    page = client.get("/admin/earning_rules/").content.decode()
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in CELL.findall(page)]
    assert "True" not in cells and "False" not in cells and "None" not in cells
    assert "はい" in cells  # active
    assert any(cell.startswith("—") for cell in cells)  # no daily cap


@pytest.mark.django_db
def test_the_help_menu_leads_to_the_projects_guide():
    client = signed_in_back_office(Client(), UserFactory(roles=["coordinator"]))
    dashboard = client.get("/admin/").content.decode()
    assert "/admin/guide/" in dashboard
    assert "guide.wagtail.org" not in dashboard
    guide = client.get("/admin/guide/")
    assert guide.status_code == 200
    assert "管理画面の使い方" in guide.content.decode()


@pytest.mark.django_db
def test_groups_read_as_roles_and_association_editors():
    from django.contrib.auth.models import Group

    from accounts.selectors import group_display_name
    from tests.factories import DistrictFactory

    district = DistrictFactory(code="chuo", name="中央")
    with translation.override("ja"):
        assert group_display_name(Group(name="coordinator")) == "コーディネーター"
        assert group_display_name(Group(name=f"association-{district.code}")) == (
            "中央の地域協議会編集者"
        )
        assert group_display_name(Group(name="広報担当")) == "広報担当"
    client = signed_in_back_office(Client(), UserFactory(is_superuser=True))
    Group.objects.get_or_create(name="coordinator")
    listing = client.get("/admin/groups/").content.decode()
    assert "コーディネーター" in listing and ">coordinator<" not in listing
