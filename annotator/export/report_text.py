"""Text of the agreement report shared by every format: notes, number formatting, JSON.

Used by the Markdown and HTML renderers: :data:`HOW_TO_READ` (a short note per coefficient),
:func:`fmt` / :func:`fmt_ci` (numbers, intervals, "undefined"), :func:`verdict` (Krippendorff's
reliability bands) and :func:`findings` (the few sentences a project lead should act on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotator.agreement import MetricValue
from annotator.export.report import COEFFICIENTS, FieldReport, Report, pair_key

TITLES = {
    "krippendorff_alpha": "Krippendorff's α",
    "fleiss_kappa": "Fleiss' κ",
    "gwet_ac1": "Gwet's AC1",
    "percent_agreement": "% agreement",
    "cohen_kappa": "Cohen's κ",
    "ci": "Intervals",
    "undefined": "Undefined",
    "units": "Which units count",
}
HOW_TO_READ: dict[str, str] = {
    "krippendorff_alpha": "Agreement corrected for chance over all annotators at once, "
    "allowing missing labels. 1 = perfect, 0 = what chance alone gives, below 0 = systematic "
    "disagreement. Krippendorff's rule of thumb: at least 0.800 to rely on the labels, "
    "0.667-0.800 for tentative conclusions only, below 0.667 revise the guideline or training.",
    "fleiss_kappa": "Like α, chance-corrected over all annotators, with chance taken from the "
    "pooled label shares. Close to α when many units are labelled; read it on the same scale.",
    "cohen_kappa": "Chance-corrected agreement of one pair of annotators on the units both "
    "labelled. In the matrix, a row that is low against everyone points at the annotator who "
    "reads the guideline differently; a single low cell points at a pair to compare.",
    "gwet_ac1": "Chance-corrected too, but its chance term stays small when one label "
    "dominates. Kappa paradox: when one label is very common (see prevalence), κ and α can be "
    "low even though annotators almost always agree. When κ/α are low but AC1 and % agreement "
    "are high, check the prevalence before blaming the annotators.",
    "percent_agreement": "Share of annotator pairs that gave a unit the same label, averaged "
    "over units. Not corrected for chance: 90% means little if one label covers 90% of units.",
    "ci": "95% intervals are percentile bootstraps over units (resampled with replacement, with "
    "a fixed seed, so the report is reproducible). A wide interval means too few overlapping "
    "units: have more units labelled by two or more annotators.",
    "undefined": "'undefined' means the coefficient cannot be computed from these labels; the "
    "reason is given. When everyone always uses one label, chance agreement is total and "
    "chance-corrected coefficients are undefined, not 1.0.",
    "units": "A unit counts for a field when two or more annotators labelled it. For a "
    "claim-type field an annotator labelled the unit when they chose a value; for a flag field "
    "when their annotation is complete (every single-choice group set): a flag left off is "
    "then 'no', not missing.",
}


def _flat(name: str, value: MetricValue) -> dict[str, Any]:
    ci = list(value.ci) if value.ci is not None else None
    return {name: value.value, f"{name}_ci": ci, f"{name}_reason": value.reason}


def _by_pair(name: str, values: Mapping[tuple[str, str], MetricValue]) -> dict[str, Any]:
    return {
        name: {pair_key(p): v.value for p, v in values.items()},
        f"{name}_ci": {pair_key(p): list(v.ci) if v.ci else None for p, v in values.items()},
        f"{name}_reason": {pair_key(p): v.reason for p, v in values.items()},
    }


def _field_json(f: FieldReport) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": f.kind, "categories": list(f.categories)}
    for name in COEFFICIENTS:
        out |= _flat(name, f.metric(name))
    out |= _by_pair("cohen_kappa", f.cohen_kappa)
    out |= _by_pair("pair_percent_agreement", f.pair_percent)
    out |= {
        "n_units": f.n_units,
        "n_annotators": f.n_annotators,
        "prevalence": dict(f.prevalence),
        "warnings": list(f.warnings),
    }
    if f.confusion:
        out["confusion"] = {
            pair_key(p): {"rows": p[0], "columns": p[1], "matrix": cm}
            for p, cm in f.confusion.items()
        }
    return out


def as_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data.

    Every coefficient is flat: ``<name>`` (number or null), ``<name>_ci`` (``[low, high]`` or
    null) and ``<name>_reason`` (why it is null, else null).  Pairs are ``"alice|bob"``.
    """
    annotators = {}
    for name, st in report.annotator_stats.items():
        annotators[name] = {
            "units_labeled": st.units_labeled,
            "incomplete": st.incomplete,
            "median_seconds_per_unit": st.median_seconds,
            "timed_units": st.timed_units,
            "majority_agreement": {f: v.value for f, v in st.majority_agreement.items()},
            "majority_agreement_reason": {f: v.reason for f, v in st.majority_agreement.items()},
        }
    gold = None
    if report.gold is not None:
        gold = {
            "n_units": report.gold_units,
            "annotators": {
                who: {
                    f: _flat("cohen_kappa", g.cohen_kappa)
                    | _flat("percent_agreement", g.percent_agreement)
                    | {"n_units": g.n_units}
                    for f, g in per.items()
                }
                for who, per in report.gold.items()
            },
        }
    return {
        "scheme": report.scheme_ref,
        "scheme_hash": report.scheme_hash,
        "session": report.session,
        "generated_at": report.generated_at,
        "bootstrap": {"resamples": report.n_boot, "seed": report.seed, "level": 0.95},
        "n_units": report.n_units,
        "notes": list(report.notes),
        "fields": {name: _field_json(f) for name, f in report.fields.items()},
        "annotators": annotators,
        "disagreements": [
            {
                "unit_id": d.unit_id,
                "article": d.article,
                "unit": d.unit,
                "text": d.text,
                "agreement": d.agreement,
                "flag_disagreements": d.flag_disagreements,
                "labels": d.labels,
                "notes": d.notes,
            }
            for d in report.disagreements
        ],
        "gold": gold,
    }


BANDS = ((0.800, "good"), (0.667, "tentative"), (float("-inf"), "low"))
"""Krippendorff's bands for α: rely on the labels, tentative conclusions only, revise."""


def plural(n: int, word: str) -> str:
    """``"1 annotator"``, ``"3 annotators"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt(value: float | None, digits: int = 3) -> str:
    """A coefficient as text: fixed decimals, or "undefined"."""
    return "undefined" if value is None else f"{value:.{digits}f}"


def fmt_ci(value: MetricValue, digits: int = 2) -> str:
    """``"0.61 [0.40, 0.78]"``; the interval is left out when it could not be estimated."""
    if value.value is None:
        return "undefined"
    if value.ci is None:
        return f"{value.value:.{digits}f}"
    return f"{value.value:.{digits}f} [{value.ci[0]:.{digits}f}, {value.ci[1]:.{digits}f}]"


def fmt_pct(value: float | None) -> str:
    """A share as a percentage, or an em dash."""
    return "—" if value is None else f"{100 * value:.0f}%"


def fmt_seconds(value: float | None) -> str:
    """Seconds with one decimal, or an em dash when there is no timed unit."""
    return "—" if value is None else f"{value:.1f}"


def verdict(alpha: MetricValue) -> str:
    """ "good", "tentative" or "low" by Krippendorff's bands, "undefined" without a value."""
    if alpha.value is None:
        return "undefined"
    return next(name for edge, name in BANDS if alpha.value >= edge)


def session_text(report: Report) -> str:
    """How the report's session filter reads in a heading."""
    if report.session is None:
        return "all sessions"
    return "labels outside sessions" if report.session == "" else f"session {report.session!r}"


def reading_notes(report: Report) -> list[tuple[str, str]]:
    """``(fields, text)``: undefined coefficients and warnings, each said once for all the
    fields it applies to."""
    groups: dict[str, list[str]] = {}
    for f in report.fields.values():
        by_reason: dict[str, list[str]] = {}
        for c in COEFFICIENTS:
            value = f.metric(c)
            if value.value is None:
                by_reason.setdefault(str(value.reason), []).append(TITLES[c])
        for reason, titles in by_reason.items():
            groups.setdefault(f"{', '.join(titles)} undefined: {reason}", []).append(f.name)
        for warning in f.warnings:
            groups.setdefault(warning, []).append(f.name)
    return [(", ".join(fields), text) for text, fields in groups.items()]


def _main_field(report: Report) -> FieldReport | None:
    return next((f for f in report.fields.values() if f.kind == "nominal"), None)


def findings(report: Report) -> list[str]:
    """Plain sentences on what needs attention, most important first."""
    if all(f.n_units == 0 for f in report.fields.values()):
        who = ", ".join(report.annotators)
        return [
            f"No unit was labelled by two or more annotators (labels so far: {who}): agreement "
            "needs the same units labelled by at least two people; assign overlapping units."
        ]
    out: list[str] = []
    for f in report.fields.values():
        v = verdict(f.krippendorff_alpha)
        if v == "undefined":
            out.append(f"{f.name}: α is undefined ({f.krippendorff_alpha.reason}).")
        elif v != "good":
            ac1 = f.gwet_ac1.value
            paradox = ac1 is not None and ac1 >= 0.8 and any("prevalence" in w for w in f.warnings)
            extra = (
                " AC1 is high and one label dominates: likely the kappa paradox, not real "
                "disagreement."
                if paradox
                else " Review the most disagreed units below and sharpen the guideline."
            )
            out.append(f"{f.name}: α = {fmt(f.krippendorff_alpha.value)} is {v}.{extra}")
    main = _main_field(report)
    if main is not None and len(report.annotators) >= 3:
        scores = {
            n: s.majority_agreement[main.name].value
            for n, s in report.annotator_stats.items()
            if s.majority_agreement.get(main.name)
            and s.majority_agreement[main.name].value is not None
        }
        if len(scores) >= 3:
            worst = min(scores, key=lambda n: scores[n] or 0.0)
            rest = [v for n, v in scores.items() if n != worst and v is not None]
            low = scores[worst] or 0.0
            if rest and low < min(rest) - 0.1:
                out.append(
                    f"{worst} matches the others' majority on {main.name} in {fmt_pct(low)} of "
                    f"units (others {fmt_pct(min(rest))}-{fmt_pct(max(rest))}): compare "
                    f"{worst}'s labels with the guideline."
                )
    small = [f.name for f in report.fields.values() if 0 < f.n_units < 30]
    if small:
        out.append(
            f"Only {min(report.fields[n].n_units for n in small)} units were labelled by two or "
            "more annotators: intervals are wide; assign more overlapping units."
        )
    if not out:
        out.append("Every field reaches α ≥ 0.800: agreement is good.")
    return out
