#!/usr/bin/env python3
"""Mutation testing of the modules that guard money, access and identity (issue #21).

    .venv/bin/python .ci/mutation.py run [MODULE ...]     # `make mutation`: all of them
    .venv/bin/python .ci/mutation.py ratchet              # `.ci/mutation-ratchet` (CI)
    .venv/bin/python .ci/mutation.py survivors [MODULE]   # list what survived, with diffs

The modules, the tests that cover each and the score each has reached are in
``tests/mutation.json``; ``tests/MUTATION.md`` explains every survivor.

mutmut (>= 3.8) does the work: it copies the apps into ``mutants/``, rewrites every
function of the listed modules into a trampoline over its mutants, records which tests
call which function (the "stats" run), then runs, for each mutant, only the tests that
call the mutated function. The tests use a kept SQLite test database
(``--reuse-db``, see tests/conftest.py), so a mutant costs about a second, not the
half-minute of migrating a new one.

Why a wrapper and not ``mutmut run`` alone:

* mutmut names a mutant after its file's path from the repository root
  (``platform.qr.tokens.x_parse__mutmut_1``) but the running code knows the module by
  its import name (``qr.tokens``: platform/ is a folder on the path, not a package,
  DESIGN.md §3). The names never match, so every mutant under platform/ would be
  reported "no tests". The wrapper strips the leading ``platform.`` from mutmut's names.
* mutmut skips decorated functions; the wrapper lets it mutate those whose only
  decorator is ``@transaction.atomic`` (most services), see _patch_mutmut_atomic.
* The modules and their tests come from tests/mutation.json, so ``make mutation`` and
  the CI ratchet cannot drift apart, and the ratchet can mutate only what changed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "mutation.json"
MUTANTS = ROOT / "mutants"


def load_config() -> dict:
    return json.loads(CONFIG.read_text(encoding="utf-8"))


def _patch_mutmut_names() -> None:
    """Name mutants of platform/<pkg>/... as <pkg>.... (their import name)."""
    import mutmut.__main__ as main
    import mutmut.mutation.file_mutation as file_mutation
    from mutmut.utils import format_utils

    original = format_utils.get_mutant_name

    def get_mutant_name(relative_source_path, mutant_method_name):
        name = original(relative_source_path, mutant_method_name)
        return name.removeprefix("platform.")

    format_utils.get_mutant_name = get_mutant_name
    main.get_mutant_name = get_mutant_name
    file_mutation.get_mutant_name = get_mutant_name


def _is_atomic(decorator) -> bool:
    import libcst as cst

    return (
        isinstance(decorator, cst.Attribute)
        and decorator.attr.value == "atomic"
        and isinstance(decorator.value, cst.Name)
        and decorator.value.value == "transaction"
    )


def _patch_mutmut_atomic() -> None:
    """Mutate services decorated with ``@transaction.atomic`` too.

    mutmut skips every decorated function (a decorator may register the function, or
    break the trampoline), which would leave out most writes: voucher_exchange,
    role_grant, statement_generate. ``transaction.atomic`` is neither: it only wraps
    calls, and mutmut keeps it on the trampoline, so a mutant runs in the same atomic
    block (its own copy adds a savepoint, which changes no outcome). Other decorators
    (``functools.cache`` would hand a mutant the original's cached results) stay
    skipped."""
    import libcst as cst
    from mutmut.mutation import file_mutation

    visitor = file_mutation.MutationVisitor
    if getattr(visitor, "_ikiiki_atomic", False):
        return
    original = visitor._skip_node_and_children

    def skip(self, node):
        if (
            isinstance(node, cst.FunctionDef)
            and node.decorators
            and all(_is_atomic(d.decorator) for d in node.decorators)
        ):
            if original(self, node.with_changes(decorators=[])):
                return True
            position = self.get_metadata(file_mutation.PositionProvider, node, None)
            return bool(position and position.start.line in self._ignored_node_lines)
        return original(self, node)

    visitor._skip_node_and_children = skip
    visitor._ikiiki_atomic = True


def _configure_mutmut(modules: list[str], tests: list[str]) -> None:
    from mutmut import configuration

    configuration.reset_config()
    cfg = configuration.config()
    cfg.only_mutate = list(modules)
    cfg.pytest_add_cli_args_test_selection = list(tests)


def mutmut_run(
    modules: list[str], tests: list[str], max_children: int, names: list[str] | None = None
) -> None:
    """Run mutmut in this process (the name patch must be in the process that forks).
    ``names``: only these mutants (mutmut keeps every other result as it stands)."""
    os.chdir(ROOT)
    _patch_mutmut_names()
    _patch_mutmut_atomic()
    _configure_mutmut(modules, tests)
    from mutmut.__main__ import cli

    try:
        cli(["run", "--max-children", str(max_children), *(names or [])], standalone_mode=False)
    except SystemExit as exc:  # mutmut exits 1 when the clean run fails
        if exc.code not in (0, None):
            raise


def results(modules: list[str]) -> dict[str, dict]:
    """Per module: mutants, killed, survived (names), and other outcomes."""
    from mutmut.stats import status_by_exit_code

    out = {}
    for module in modules:
        meta = MUTANTS / (module + ".meta")
        counts = {"mutants": 0, "killed": 0, "survived": [], "other": {}}
        if meta.exists():
            data = json.loads(meta.read_text())
            for name, code in sorted(data["exit_code_by_key"].items()):
                status = status_by_exit_code[code]
                counts["mutants"] += 1
                if status in ("killed", "timeout", "caught by type check"):
                    counts["killed"] += 1
                elif status == "survived":
                    counts["survived"].append(name)
                else:
                    counts["other"].setdefault(status, []).append(name)
        out[module] = counts
    return out


def score(counts: dict, equivalent: list[str]) -> float:
    """Killed share of the mutants that are not known equivalents (100 when none)."""
    real = counts["mutants"] - len([n for n in equivalent if n in counts["survived"]])
    return 100.0 if real <= 0 else round(100.0 * counts["killed"] / real, 1)


def table(config: dict, res: dict[str, dict]) -> str:
    lines = [
        "| module | mutants | killed | survived | equivalent | other | score | floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for module, counts in res.items():
        entry = config["modules"][module]
        eq = [n for n in entry.get("equivalent", []) if n in counts["survived"]]
        other = sum(len(v) for v in counts["other"].values())
        lines.append(
            f"| `{module}` | {counts['mutants']} | {counts['killed']} | "
            f"{len(counts['survived'])} | {len(eq)} | {other} | "
            f"{score(counts, entry.get('equivalent', []))} % | {entry.get('floor', 0)} % |"
        )
    return "\n".join(lines)


def tests_for(config: dict, modules: list[str]) -> list[str]:
    tests: list[str] = []
    for module in modules:
        for t in config["modules"][module]["tests"]:
            if t not in tests:
                tests.append(t)
    return tests


def changed_modules(config: dict) -> tuple[list[str], str]:
    """The listed modules that differ from the base: ``git merge-base HEAD origin/main``
    when there is an origin/main, else HEAD~1 (the commit being tested)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    base = os.environ.get("MUTATION_BASE", "")
    if not base:
        try:
            base = git("merge-base", "HEAD", "origin/main")
        except subprocess.CalledProcessError:
            base = ""
        if not base or base == git("rev-parse", "HEAD"):
            try:
                base = git("rev-parse", "HEAD~1")
            except subprocess.CalledProcessError:
                return [], "(no parent commit)"
    changed = set(git("diff", "--name-only", base, "--").splitlines())
    # A module's score changes with the module and with the tests that cover it.
    picked = [
        module
        for module, entry in config["modules"].items()
        if module in changed or any(_covers(module, entry["tests"], c) for c in changed)
    ]
    return picked, base


def _covers(module: str, tests: list[str], changed: str) -> bool:
    """Is the changed file one of ``module``'s tests: listed by name, or under a listed
    folder and importing the module (``points.codes`` or ``from points import codes``)?"""
    if not (changed.startswith("tests/") and changed.endswith(".py")):
        return False
    if changed in tests:
        return True
    if not any(changed.startswith(t.rstrip("/") + "/") for t in tests if not t.endswith(".py")):
        return False
    path = ROOT / changed
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    dotted = module.removeprefix("platform/").removesuffix(".py").replace("/", ".")
    parent, _, leaf = dotted.rpartition(".")
    return dotted in text or (f"from {parent} import" in text and leaf in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="mutate the listed modules (all when none is given)")
    p_run.add_argument("modules", nargs="*")
    p_run.add_argument("--fresh", action="store_true", help="forget earlier results")
    p_run.add_argument("--check", action="store_true", help="fail below a module's floor")
    p_run.add_argument("--json", help="write the per-module results here")
    p_run.add_argument(
        "--mutants",
        nargs="+",
        metavar="NAME",
        help="re-run only these mutants (e.g. the survivors, after adding tests to files "
        "already in the selection: a changed selection makes mutmut start over)",
    )
    p_rat = sub.add_parser("ratchet", help="mutate the modules this change touched; check")
    p_rat.add_argument("--all", action="store_true", help="every module, not just changed")
    p_sur = sub.add_parser("survivors", help="show the surviving mutants' diffs")
    p_sur.add_argument("modules", nargs="*")
    args = parser.parse_args(argv)
    config = load_config()
    children = int(os.environ.get("MUTATION_CHILDREN", "2"))

    if args.command == "survivors":
        modules = args.modules or list(config["modules"])
        _patch_mutmut_names()
        from mutmut.__main__ import cli

        for module, counts in results(modules).items():
            eq = set(config["modules"][module].get("equivalent", []))
            for name in counts["survived"]:
                print(f"\n### {name}{'  (listed as equivalent)' if name in eq else ''}")
                with contextlib.suppress(SystemExit):
                    cli(["show", name], standalone_mode=False)
        return 0

    if args.command == "ratchet":
        if args.all:
            modules, base = list(config["modules"]), "(all)"
        else:
            modules, base = changed_modules(config)
        print(f"mutation ratchet: base {base}; modules changed: {modules or 'none'}")
        # Only a recorded figure can be fallen below: modules without one (floor 0)
        # wait for `make mutation`. At most MUTATION_RATCHET_MAX_MODULES (default 3),
        # in tests/mutation.json's order (the most guarded first), to fit CI's time.
        unrecorded = [m for m in modules if not config["modules"][m].get("floor")]
        modules = [m for m in modules if m not in unrecorded]
        limit = int(os.environ.get("MUTATION_RATCHET_MAX_MODULES", "3"))
        if unrecorded:
            print(f"  no recorded score yet (left to make mutation): {unrecorded}")
        if len(modules) > limit:
            print(f"  beyond the limit of {limit} (left to make mutation): {modules[limit:]}")
            modules = modules[:limit]
        if not modules:
            return 0
        args.fresh, args.check, args.json = True, True, None
    else:
        modules = args.modules or list(config["modules"])
        unknown = [m for m in modules if m not in config["modules"]]
        if unknown:
            parser.error(f"not in tests/mutation.json: {unknown}")

    names = getattr(args, "mutants", None)
    if names and args.fresh:
        parser.error("--mutants re-runs mutants of an earlier run: not with --fresh")
    if args.fresh and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    started = time.monotonic()
    MUTANTS.mkdir(exist_ok=True)
    log = MUTANTS / "run.log"
    print(f"mutating {len(modules)} module(s); mutmut's progress is in {log.relative_to(ROOT)}")
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # mutmut calls os._exit/exit in places: keep it out of this process
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            mutmut_run(modules, tests_for(config, modules), children, names)
        except BaseException as exc:  # reported, then a non-zero exit
            print(f"mutmut failed: {exc!r}", file=sys.stderr)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        tail = log.read_text(errors="replace")[-3000:]
        print(f"{tail}\nmutmut did not finish (log: {log})", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    res = results(modules)
    print(f"\nmutation results ({elapsed:.0f} s, {children} children):\n")
    print(table(config, res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    if not args.check:
        return 0
    failed = []
    for module, counts in res.items():
        entry = config["modules"][module]
        got = score(counts, entry.get("equivalent", []))
        if got < entry.get("floor", 0):
            failed.append(f"{module}: {got} % < recorded {entry['floor']} %")
            for name in counts["survived"]:
                if name not in entry.get("equivalent", []):
                    print(f"  survived: {name}")
    if failed:
        print("\nmutation ratchet FAILED:\n  " + "\n  ".join(failed), file=sys.stderr)
        print(
            "Show the surviving mutants with `.venv/bin/python .ci/mutation.py survivors`.",
            file=sys.stderr,
        )
        return 1
    print("\nmutation ratchet: every module at or above its recorded score")
    return 0


if __name__ == "__main__":
    sys.exit(main())
