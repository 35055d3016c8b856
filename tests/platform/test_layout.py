"""platform/ is a plain folder whose children are importable by their own names."""

import importlib.util
import platform
import sysconfig
import tomllib
import uuid
from pathlib import Path

from tests.platform.helpers import ROOT, manage


def test_platform_folder_is_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()
    for name in ("config", "accounts", "core"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and Path(spec.origin).parent == ROOT / "platform" / name


def test_standard_library_platform_and_uuid_win_in_this_process():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    assert Path(platform.__file__).parent == stdlib
    assert platform.system() in {"Linux", "Darwin", "Windows"}
    assert uuid.uuid4().version == 4


def test_standard_library_platform_inside_manage_py_process():
    result = manage(
        "shell",
        "-c",
        "import platform, uuid, django; "
        "print(platform.system(), platform.__file__, uuid.uuid4().version, django.VERSION[0])",
    )
    assert result.returncode == 0, result.stderr
    system, path, uuid_version, django_major = result.stdout.strip().splitlines()[-1].split()
    assert system == platform.system()
    assert Path(path).parent == Path(sysconfig.get_paths()["stdlib"])
    assert (uuid_version, django_major) == ("4", "5")


def test_package_discovery_lists_children_of_platform_never_platform_itself():
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = config["tool"]["setuptools"]["packages"]["find"]
    found = set()
    for where in find["where"]:
        found |= set(
            find_packages(where=str(ROOT / where), include=find["include"], exclude=["tests*"])
        )
    assert {"config", "accounts", "core", "points", "volunteers", "cms"} <= found
    assert not any(name == "platform" or name.startswith("platform.") for name in found)
