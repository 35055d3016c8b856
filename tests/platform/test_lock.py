"""The lock files (requirements/*.txt, installed by `make`) agree with pyproject.toml:
every dependency it names is pinned, at a version its lower bound allows, with hashes.
A dependency added to pyproject.toml without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pyproject_requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    for extra in extras:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


def locked(path: Path) -> dict[str, tuple[Version, list[str]]]:
    """{canonical name: (version, hashes)} from a pip-style lock with hashes."""
    pins: dict[str, tuple[Version, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), [])
        elif current and line.strip().startswith("--hash=sha256:"):
            pins[current][1].append(line.strip().removesuffix("\\").strip())
        elif not line.startswith(" "):
            current = None
    return pins


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("requirements/lock.txt", ("dev",)), ("requirements/lock-bench.txt", ("dev", "bench"))],
)
def test_every_pyproject_dependency_is_locked_within_its_bounds(lock, extras):
    pins = locked(ROOT / lock)
    assert pins, f"{lock} pins nothing"
    problems = []
    for requirement in pyproject_requirements(*extras):
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is not in {lock}")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement.name}=={pins[name][0]} breaks '{requirement}'")
    assert not problems, "; ".join(problems) + " (run `make lock`)"


@pytest.mark.parametrize("lock", ["requirements/lock.txt", "requirements/lock-bench.txt"])
def test_every_locked_package_has_hashes(lock):
    unhashed = [name for name, (_, hashes) in locked(ROOT / lock).items() if not hashes]
    assert not unhashed, f"pinned without --hash in {lock}: {unhashed}"


def test_the_bench_lock_agrees_with_the_main_lock():
    main = locked(ROOT / "requirements/lock.txt")
    bench = locked(ROOT / "requirements/lock-bench.txt")
    differ = {n: (main[n][0], bench[n][0]) for n in main if bench.get(n, main[n])[0] != main[n][0]}
    assert not differ and main.keys() <= bench.keys()


def test_make_installs_from_the_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes" in makefile and "-r $(LOCK)" in makefile
    assert "--no-deps -e ." in makefile
