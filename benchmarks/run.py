"""Run every ``benchmarks/bench_*.py`` and print one table; also write benchmarks/RESULTS.md.

Each benchmark module defines ``run() -> list[dict]`` with rows ``figure, ours,
baseline, unit, ratio, target, met``. A figure whose target is missed is marked NO.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import table

HERE = Path(__file__).resolve().parent


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1048576:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    """Run the benchmarks named in argv (default: all) and print the table."""
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    rows: list[dict[str, Any]] = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        rows.extend(module.run())
        print(f"  {name} took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    out = table(rows)
    print(out)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (HERE / "RESULTS.md").write_text(
        f"# Benchmark results\n\nMeasured {stamp} on {machine()} by `make bench`.\n\n{out}\n",
        encoding="utf-8",
    )
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
