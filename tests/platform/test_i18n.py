"""The Japanese catalogue is complete, compiled, and covers every marked string."""

import os
import shutil
import subprocess
import sys

import polib
from django.core.management import call_command

from tests.conftest import need_service
from tests.platform.helpers import ROOT

CATALOGUE = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["platform", "points", "volunteers", "cms", "locale"]


def test_catalogue_is_complete_and_compiles(capsys):
    call_command("compile_catalogues", "--check")
    assert "compiled" in capsys.readouterr().out
    assert CATALOGUE.with_suffix(".mo").exists()
    po = polib.pofile(str(CATALOGUE))
    assert len(po) > 20
    assert po.percent_translated() == 100


def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """Extract strings from a copy of the sources with Django's makemessages and check
    that nothing comes out untranslated (new string) or obsolete (dropped string)."""
    if shutil.which("xgettext") is None:
        need_service("GNU gettext (xgettext) is needed to extract strings")
    for name in SOURCE_DIRS:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path / 'platform'}{os.pathsep}{tmp_path}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    extracted = polib.pofile(str(tmp_path / "locale/ja/LC_MESSAGES/django.po"))
    assert [e.msgid for e in extracted.untranslated_entries()] == []
    assert [e.msgid for e in extracted.obsolete_entries()] == []
    assert [e.msgid for e in extracted.fuzzy_entries()] == []
