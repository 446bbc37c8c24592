"""Helpers shared by the benchmarks: timing, rows of the results table, generated corpora."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Run ``fn`` ``repeat`` times; return the fastest wall time in seconds and its result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def percentile(samples: list[float], p: float) -> float:
    """The ``p``-th percentile of ``samples`` by nearest rank (p50 = the median sample)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def row(
    figure: str,
    ours: float,
    baseline: float,
    unit: str,
    target: str,
    met: bool,
    gap: str | None = None,
) -> dict[str, Any]:
    """One line of the results table; ``ratio`` is ours / baseline.

    ``gap`` says why the target is missed when it is (what the profiler found, what was
    tried, what remains); it is printed under the table only for a missed target.
    """
    ratio = ours / baseline if baseline else float("inf")
    return {
        "figure": figure,
        "ours": ours,
        "baseline": baseline,
        "unit": unit,
        "ratio": ratio,
        "target": target,
        "met": met,
        "gap": gap,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table, then why each missed target is missed."""
    lines = ["| figure | ours | baseline | ratio | target | met |", "|---|---:|---:|---:|---|---|"]
    for r in rows:
        base = "—" if r["baseline"] is None else f"{r['baseline']:,.2f} {r['unit']}"
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(
            f"| {r['figure']} | {r['ours']:,.2f} {r['unit']} | {base} | {ratio} | "
            f"{r['target']} | {'yes' if r['met'] else 'NO'} |"
        )
    missed = [r for r in rows if not r["met"]]
    if missed:
        lines += ["", "Targets missed in this run:", ""]
        for r in missed:
            why = r.get("gap") or "no explanation recorded"
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}, "
            lines.append(f"- **{r['figure']}** ({ratio}target {r['target']}): {why}")
    return "\n".join(lines)


def seed_sentences() -> list[str]:
    """Every line of the seed articles, the raw material of generated corpora."""
    lines: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines.extend(line for line in path.read_text(encoding="utf-8").splitlines() if line)
    return lines


def generated_articles(n: int, seed: int = 7) -> list[dict[str, str]]:
    """``n`` distinct articles built from seed lines with words swapped, deterministic.

    Every line is a seed line (headline, caption, quotation, dateline or sentence)
    with about one word in six replaced from the seeds' vocabulary, so the corpus has
    the seeds' shape but, like a real corpus, few identical sentences.
    """
    rng = random.Random(seed)
    lines = seed_sentences()
    vocab = sorted({w for line in lines for w in line.split() if w.isalpha() and len(w) > 3})
    articles = []
    for i in range(n):
        body = []
        for line in rng.sample(lines, k=min(len(lines), rng.randint(6, 14))):
            words = line.split(" ")
            for j in range(len(words)):
                if words[j].isalpha() and len(words[j]) > 3 and rng.random() < 0.17:
                    words[j] = rng.choice(vocab)
            body.append(" ".join(words))
        title = f"Generated story {i}: talks and refusals"
        text = title + "\n" + "\n\n".join(body) + f"\nStory number {i} ends here."
        articles.append({"id": f"gen-{i:06d}", "text": text})
    return articles


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    """Write records as JSONL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path
