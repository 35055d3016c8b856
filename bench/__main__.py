"""Run every benchmark module in this package: ``python -m bench [name ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main(argv: list[str]) -> int:
    for path in (ROOT / "platform", ROOT):
        if str(path) not in sys.path:
            sys.path.append(str(path))
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_")
    )
    if not names:
        print("no benchmarks yet")
        return 0
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            module.main()
        except SystemExit as exc:  # one benchmark's failed check does not stop the rest
            if exc.code not in (None, 0):
                print(exc.code if isinstance(exc.code, str) else f"{name}: exit {exc.code}")
                failed.append(name)
        print(f"== {name}: {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
