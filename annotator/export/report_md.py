"""The agreement report as GitHub-flavoured Markdown (:func:`markdown`).

Sections: what needs attention, summary table, prevalence, pairwise Cohen's κ (a matrix per
single-choice field, then every field by pair), annotators, confusion matrices, the most
disagreed units with everyone's labels and notes, agreement with gold (when given), and a
short note on how to read each coefficient.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotator.export.report import COEFFICIENTS, Report, pair_key
from annotator.export.report_text import (
    HOW_TO_READ,
    TITLES,
    findings,
    fmt,
    fmt_ci,
    fmt_pct,
    fmt_seconds,
    plural,
    reading_notes,
    session_text,
    verdict,
)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(head: list[str], rows: list[list[str]], align: str = "l") -> list[str]:
    marks = ["---"] + [("---:" if align == "r" else "---")] * (len(head) - 1)
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _labels_text(labels: Mapping[str, Any]) -> list[str]:
    return [(", ".join(v) or "—") if isinstance(v, list) else (v or "—") for v in labels.values()]


def _summary(report: Report) -> list[str]:
    head = ["field", "units", "annotators", *(TITLES[c] for c in COEFFICIENTS), "α reads as"]
    rows = [
        [f.name, str(f.n_units), str(f.n_annotators)]
        + [fmt_ci(f.metric(c)) for c in COEFFICIENTS]
        + [verdict(f.krippendorff_alpha)]
        for f in report.fields.values()
    ]
    out = ["## Summary", "", *_table(head, rows, "r")]
    notes = [f"- {fields}: {text}" for fields, text in reading_notes(report)]
    if notes:
        out += ["Undefined values and warnings:", "", *notes, ""]
    return out


def _pairwise(report: Report) -> list[str]:
    names = report.annotators
    out = ["## Pairwise Cohen's κ", ""]
    for f in report.fields.values():
        if f.kind != "nominal":
            continue
        out += [f"### {f.name}", ""]
        rows = []
        for a in names:
            row = [a]
            for b in names:
                pair = (a, b) if (a, b) in f.cohen_kappa else (b, a)
                row.append("—" if a == b else fmt_ci(f.cohen_kappa[pair]))
            rows.append(row)
        out += _table(["", *names], rows, "r")
    pairs = list(next(iter(report.fields.values())).cohen_kappa)
    head = ["pair", *(f"{f.name} κ / %" for f in report.fields.values())]
    rows = [
        [pair_key(p)]
        + [
            f"{fmt(f.cohen_kappa[p].value, 2)} / {fmt_pct(f.pair_percent[p].value)}"
            for f in report.fields.values()
        ]
        for p in pairs
    ]
    return [*out, "### Every field, by pair (κ / percent agreement)", "", *_table(head, rows)]


def _prevalence(report: Report) -> list[str]:
    rows = [
        [f.name, label, fmt_pct(share)]
        for f in report.fields.values()
        for label, share in f.prevalence.items()
    ]
    return [
        "## Label prevalence (share of labels on units with 2+ annotators)",
        "",
        *_table(["field", "label", "share"], rows, "r"),
    ]


def _annotators(report: Report) -> list[str]:
    fields = list(report.fields)
    head = [
        "annotator",
        "units labelled",
        "incomplete",
        "median s/unit",
        *(f"agrees with majority: {f}" for f in fields),
    ]
    rows = [
        [s.name, str(s.units_labeled), str(s.incomplete), fmt_seconds(s.median_seconds)]
        + [fmt_pct(s.majority_agreement[f].value) for f in fields]
        for s in report.annotator_stats.values()
    ]
    return [
        "## Annotators",
        "",
        *_table(head, rows, "r"),
        "Median seconds per unit come from the event log; gaps over 10 minutes count as "
        "breaks. Majority agreement is the share of units where the annotator matches the "
        "majority of the others (ties left out).",
        "",
    ]


def _confusions(report: Report) -> list[str]:
    out: list[str] = []
    for f in report.fields.values():
        if not f.confusion:
            continue
        out += [f"## Confusion matrices: {f.name}", ""]
        for (a, b), cm in f.confusion.items():
            out += [f"### {a} (rows) vs {b} (columns)", ""]
            rows = [[c, *map(str, r)] for c, r in zip(f.categories, cm, strict=True)]
            out += _table([f"{a} \\ {b}", *f.categories], rows, "r")
    return out


def _disagreements(report: Report) -> list[str]:
    out = ["## Most disagreed units", ""]
    if not report.disagreements:
        return [*out, "No unit has a disagreement.", ""]
    for i, d in enumerate(report.disagreements, 1):
        out += [
            f"### {i}. article {d.article}, unit {d.unit} (id {d.unit_id})",
            "",
            f"Agreement {fmt(d.agreement, 2)}, {d.flag_disagreements} flag disagreement(s).",
            "",
            f"> {_cell(d.text)}",
            "",
        ]
        rows = [[who, *_labels_text(lab), d.notes.get(who, "")] for who, lab in d.labels.items()]
        out += _table(["annotator", *report.groups, "note"], rows)
    return out


def _gold(report: Report) -> list[str]:
    if report.gold is None:
        return []
    out = ["## Each annotator against gold", "", f"{report.gold_units} units have gold labels.", ""]
    rows = [
        [who, f, fmt_ci(g.cohen_kappa), fmt_pct(g.percent_agreement.value), str(g.n_units)]
        for who, per in report.gold.items()
        for f, g in per.items()
    ]
    return out + _table(["annotator", "field", "Cohen's κ", "% agreement", "units"], rows)


def markdown(report: Report) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    session = session_text(report)
    out = [
        f"# Agreement report: {report.scheme_ref}",
        "",
        f"Scheme `{report.scheme_ref}`, {session}, generated {report.generated_at}. "
        f"{plural(len(report.annotators), 'annotator')} ({', '.join(report.annotators)}), "
        f"{report.n_units} labelled units. Intervals: 95% bootstrap, {report.n_boot} "
        f"resamples of units, seed {report.seed}.",
        "",
    ]
    out += [f"> Note: {n}" for n in report.notes] + ([""] if report.notes else [])
    out += ["## What needs attention", "", *(f"- {s}" for s in findings(report)), ""]
    out += _summary(report) + _prevalence(report) + _pairwise(report) + _annotators(report)
    out += _confusions(report) + _disagreements(report) + _gold(report)
    out += ["## How to read this", ""]
    out += [f"- **{TITLES.get(k, k)}**: {v}" for k, v in HOW_TO_READ.items()]
    return "\n".join(out).rstrip() + "\n"
