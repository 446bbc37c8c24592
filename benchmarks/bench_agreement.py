"""Benchmark: nominal Krippendorff's alpha, ours vs the ``krippendorff`` package.

Three seeded fields of 200,000 units x 5 annotators (3, 2 and 2 categories, ~10% missing) are
timed in the same run, best of 3 each; the values must agree to 1e-9.  ``run()`` returns rows
for the lead's table; ``python benchmarks/bench_agreement.py`` prints them as Markdown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.metadata import version

import krippendorff
import numpy as np

from annotator.agreement import MISSING, krippendorff_alpha_nominal

UNITS, ANNOTATORS, MISSING_SHARE, REPEATS = 200_000, 5, 0.10, 3
FIELDS = {"claim_type": 3, "checkable": 2, "needs_context": 2}


def _fields(seed: int = 20240501) -> dict[str, np.ndarray]:
    """Label matrices with real agreement: each annotator copies a hidden truth 70% of the time."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, k in FIELDS.items():
        truth = rng.integers(0, k, size=UNITS)
        noise = rng.integers(0, k, size=(UNITS, ANNOTATORS))
        m = np.where(rng.random((UNITS, ANNOTATORS)) < 0.7, truth[:, None], noise)
        m[rng.random(m.shape) < MISSING_SHARE] = MISSING
        out[name] = m.astype(np.int64)
    return out


def _best_of(fn: Callable[[], list[float]]) -> tuple[float, list[float]]:
    best, values = float("inf"), []
    for _ in range(REPEATS):
        start = time.perf_counter()
        values = fn()
        best = min(best, time.perf_counter() - start)
    return best, values


def run() -> list[dict[str, object]]:
    """Time both implementations over the three fields and check they agree."""
    fields = _fields()
    as_float = {n: np.where(m >= 0, m, np.nan).T for n, m in fields.items()}

    def ours() -> list[float]:
        values = [krippendorff_alpha_nominal(m).value for m in fields.values()]
        return [float("nan") if v is None else v for v in values]

    def baseline() -> list[float]:
        return [
            float(krippendorff.alpha(reliability_data=d, level_of_measurement="nominal"))
            for d in as_float.values()
        ]

    t_ours, v_ours = _best_of(ours)
    t_base, v_base = _best_of(baseline)
    for name, a, b in zip(FIELDS, v_ours, v_base, strict=True):
        assert abs(a - b) <= 1e-9, f"{name}: ours {a!r} != krippendorff {b!r}"
    ratio = t_ours / t_base
    return [
        {
            "figure": f"nominal alpha, 3 fields x {UNITS:,} units x {ANNOTATORS} annotators "
            f"(vs krippendorff {version('krippendorff')}, best of {REPEATS})",
            "ours": round(t_ours * 1000, 2),
            "baseline": round(t_base * 1000, 2),
            "unit": "ms",
            "ratio": round(ratio, 3),
            "target": "ratio <= 1.0",
            "met": ratio <= 1.0,
        }
    ]


def _markdown(rows: list[dict[str, object]]) -> str:
    keys = ["figure", "ours", "baseline", "unit", "ratio", "target", "met"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(_markdown(run()))
