"""Train/dev/test splits of the unit dataset, by article, with a dataset card.

Articles are never divided: all units of an article go to one split, and articles linked as
near-duplicates (``Article.duplicate_of``, followed transitively with union-find) form one
group that goes to one split, so no text leaks from training into evaluation. Groups are
assigned greedily, largest first (equal sizes in a seeded random order): each goes to the
split furthest below its target share of units and of each majority label of the first
single-choice group (``claim_type``), so label proportions stay close across splits.
The result depends only on the data, the ratios and the seed.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotator.agreement import MetricValue, encode, krippendorff_alpha_nominal, percent_agreement
from annotator.domain import ArticleInfo
from annotator.export import jsonl
from annotator.export.safe import ExportError, check_targets, inside, prepare_folder, write_text
from annotator.scheme import Scheme
from annotator.service import Service
from annotator.store import articles as aq

_SPLIT_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")
NONE_LABEL = "(none)"
TIE_LABEL = "(tie)"


def parse_split(text: str) -> list[tuple[str, float]]:
    """``"train=0.8,dev=0.1,test=0.1"`` -> ``[("train", 0.8), ...]``; ratios must sum to 1."""
    fix = "write e.g. --split train=0.8,dev=0.1,test=0.1"
    out: list[tuple[str, float]] = []
    for part in text.split(","):
        name, sep, ratio = part.strip().partition("=")
        if not sep or not _SPLIT_NAME.match(name.strip()):
            raise ExportError(f"split {part.strip()!r} is not NAME=RATIO with a plain name; {fix}")
        try:
            value = float(ratio)
        except ValueError:
            raise ExportError(f"split ratio {ratio.strip()!r} is not a number; {fix}") from None
        if not 0 < value <= 1:
            raise ExportError(
                f"split ratio {value} of {name.strip()} must be above 0 and at most 1; {fix}"
            )
        if name.strip() in {n for n, _ in out}:
            raise ExportError(f"split {name.strip()} is named twice; {fix}")
        out.append((name.strip(), value))
    total = sum(r for _, r in out)
    if abs(total - 1) > 1e-6:
        raise ExportError(f"split ratios add up to {total:g}, not 1; {fix}")
    return out


def duplicate_groups(articles: Iterable[ArticleInfo]) -> dict[str, str]:
    """External id -> id of its group's first article, joining near-duplicate links."""
    infos = list(articles)
    parent = {a.external_id: a.external_id for a in infos}
    order = {a.external_id: i for i, a in enumerate(infos)}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for info in infos:
        if info.duplicate_of is not None and info.duplicate_of in parent:
            a, b = find(info.external_id), find(info.duplicate_of)
            if a != b:
                first, second = sorted((a, b), key=order.__getitem__)
                parent[second] = first
    return {ext: find(ext) for ext in parent}


@dataclass
class Group:
    """Articles that must stay together, with their unit and majority-label counts."""

    key: str
    articles: list[str] = field(default_factory=list)
    units: int = 0
    labels: Counter[str] = field(default_factory=Counter)


def assign(
    groups: Sequence[Group], ratios: Sequence[tuple[str, float]], seed: int
) -> dict[str, str]:
    """Group key -> split name (see the module docstring for the rule).

    Every split gets at least one group when there are enough: once the groups left are as
    many as the empty splits, they go to those.
    """
    rng = random.Random(seed)
    order = sorted(groups, key=lambda g: g.key)
    rng.shuffle(order)
    order.sort(key=lambda g: -g.units)  # stable: equal sizes keep the seeded order
    total = sum(g.units for g in groups) or 1
    label_totals: Counter[str] = Counter()
    for g in groups:
        label_totals.update(g.labels)
    units = {name: 0 for name, _ in ratios}
    labels: dict[str, Counter[str]] = {name: Counter() for name, _ in ratios}
    candidates = [(name, ratio) for name, ratio in ratios if ratio > 0]
    out: dict[str, str] = {}

    def score(name: str, ratio: float, group: Group) -> float:
        value = (ratio * total - units[name]) / total
        for label, n in group.labels.items():
            weight = n / max(group.units, 1)
            value += (
                weight * (ratio * label_totals[label] - labels[name][label]) / label_totals[label]
            )
        return value

    for i, group in enumerate(order):
        empty = [c for c in candidates if units[c[0]] == 0]
        pool = empty if len(order) - i <= len(empty) else candidates  # none may stay empty
        best = max(pool, key=lambda c: score(c[0], c[1], group))[0]
        out[group.key] = best
        units[best] += group.units
        labels[best].update(group.labels)
    return out


@dataclass
class SplitResult:
    """What :func:`write_splits` wrote."""

    paths: list[Path]
    counts: dict[str, int]
    articles: dict[str, int]


def _fmt(metric: MetricValue) -> str:
    return "—" if metric.value is None else f"{metric.value:.3f}"


def _agreement_rows(records: Sequence[Mapping[str, Any]], scheme: Scheme) -> list[str]:
    """Markdown table rows: per field, pairable units, percent agreement and alpha."""
    names = sorted({a["annotator"] for r in records for a in r["annotations"]})
    fields: list[tuple[str, Any]] = []
    for g in scheme.groups:
        if g.kind == "single":
            fields.append((g.name, lambda labels, g=g.name: labels[g] or None))
        else:
            for c in g.choices:
                fields.append(
                    (f"{g.name}.{c.name}", lambda labels, g=g.name, c=c.name: labels[g][c])
                )
    rows = []
    for name, get in fields:
        matrix_rows = []
        for r in records:
            by = {a["annotator"]: get(a["labels"]) for a in r["annotations"]}
            matrix_rows.append([by.get(n) for n in names])
        m, _ = encode(matrix_rows)
        pairable = int(((m >= 0).sum(axis=1) >= 2).sum()) if m.size else 0
        pa, alpha = percent_agreement(m), krippendorff_alpha_nominal(m)
        rows.append(f"| {name} | {pairable} | {_fmt(pa)} | {_fmt(alpha)} |")
    return rows


def _card(
    scheme: Scheme,
    ratios: Sequence[tuple[str, float]],
    by_split: Mapping[str, list[Mapping[str, Any]]],
    articles: Mapping[str, int],
    seed: int,
    command: str,
) -> str:
    names = [n for n, _ in ratios]
    all_records = [r for n in names for r in by_split[n]]
    total = len(all_records) or 1
    front = ["---", "configs:", "- config_name: default", "  data_files:"]
    for n in names:
        front += [f"  - split: {n}", f"    path: {n}.jsonl"]
    lines = [*front, "---", "", f"# Claim labels dataset ({scheme.ref})", ""]
    lines += [
        f"Made with `{command}` on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        f"Scheme: `{scheme.ref}`. Seed: {seed}.",
        "",
        "## How it was made",
        "",
        "One record per sentence-level unit that at least one annotator labelled (fields: "
        "docs/export-format.md, section *Unit records*). Articles are never split; "
        "near-duplicate articles are kept in the same split. Article groups were assigned "
        "largest first to the split furthest below its target share of units and of the "
        "majority labels of the first single-choice group. `label` is the gold label when "
        "adjudicated, else the majority of the annotators per field (`tie` marks ties).",
        "",
        "## Splits",
        "",
        "| split | target | articles | units | share of units |",
        "|---|---:|---:|---:|---:|",
    ]
    for n, ratio in ratios:
        k = len(by_split[n])
        lines.append(f"| {n} | {ratio:.3f} | {articles[n]} | {k} | {k / total:.3f} |")
    lines += ["", "## Label counts (aggregated label per unit)", ""]
    lines += [
        "| label | " + " | ".join(names) + " | all |",
        "|---" + "|---:" * (len(names) + 1) + "|",
    ]
    for g in scheme.groups:
        values: list[tuple[str, Any]] = []
        if g.kind == "single":
            values = [
                (f"{g.name}={c.name}", lambda lab, t, g=g.name, c=c.name: lab[g] == c)
                for c in g.choices
            ]
            values.append((f"{g.name}={TIE_LABEL}", lambda lab, t, g=g.name: t[g]))
            values.append(
                (f"{g.name}={NONE_LABEL}", lambda lab, t, g=g.name: lab[g] == "" and not t[g])
            )
        else:
            values = [
                (f"{g.name}.{c.name}", lambda lab, t, g=g.name, c=c.name: lab[g][c])
                for c in g.choices
            ]
        for label, test in values:
            counts = [sum(1 for r in by_split[n] if test(r["label"], r["tie"])) for n in names]
            lines.append(f"| {label} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    lines += [
        "",
        "## Agreement (all splits, annotations as given)",
        "",
        "| field | units with ≥ 2 annotators | percent agreement | Krippendorff's alpha |",
        "|---|---:|---:|---:|",
    ]
    lines += _agreement_rows(all_records, scheme)
    lines += [
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("json", data_files={'
        + ", ".join(f'"{n}": "{n}.jsonl"' for n in names)
        + "})",
        "```",
        "",
    ]
    return "\n".join(lines)


def write_splits(
    service: Service,
    folder: Path,
    scheme: Scheme,
    ratios: Sequence[tuple[str, float]],
    *,
    seed: int = 0,
    session_name: str | None = None,
    gold: jsonl.Gold | None = None,
    force: bool = False,
    command: str = "annotator export --split",
) -> SplitResult:
    """Write ``NAME.jsonl`` per split and ``README.md`` (the dataset card) into ``folder``."""
    paths = [inside(folder, f"{n}.jsonl") for n, _ in ratios] + [inside(folder, "README.md")]
    check_targets(paths, force=force)

    def read(session: Any) -> tuple[list[jsonl.UnitRecord], list[ArticleInfo]]:
        records = list(jsonl.unit_records(session, scheme, session_name=session_name, gold=gold))
        return records, aq.list_articles(session)

    records, infos = service.read(read)
    root = duplicate_groups(infos)
    ext_of = {a.id: a.external_id for a in infos}
    strat = next((g.name for g in scheme.groups if g.kind == "single"), None)
    groups: dict[str, Group] = {}
    for record in records:
        ext = ext_of[record.article_id]
        group = groups.setdefault(root[ext], Group(root[ext]))
        if not group.articles or group.articles[-1] != ext:
            group.articles.append(ext)
        group.units += 1
        if strat is not None:
            group.labels[record.data["label"][strat] or NONE_LABEL] += 1
    if len(groups) < len(ratios):
        raise ExportError(
            f"only {len(groups)} labelled article groups (near-duplicates count as one) for "
            f"{len(ratios)} splits; every split needs one; label more articles or use fewer splits"
        )
    chosen = assign(list(groups.values()), ratios, seed)
    by_split: dict[str, list[Mapping[str, Any]]] = {n: [] for n, _ in ratios}
    split_articles: dict[str, set[str]] = {n: set() for n, _ in ratios}
    for record in records:
        ext = ext_of[record.article_id]
        name = chosen[root[ext]]
        by_split[name].append(record.data)
        split_articles[name].add(ext)
    prepare_folder(folder)
    for (name, _), path in zip(ratios, paths, strict=False):
        write_text(path, "".join(jsonl.dumps(r) for r in by_split[name]), force=force)
    counts = {n: len(v) for n, v in by_split.items()}
    n_articles = {n: len(v) for n, v in split_articles.items()}
    write_text(paths[-1], _card(scheme, ratios, by_split, n_articles, seed, command), force=force)
    return SplitResult(paths=paths, counts=counts, articles=n_articles)
