"""The agreement report: every coefficient per field, per-annotator figures, hard units.

:func:`agreement_report` reads the labels under one scheme (see :mod:`annotator.export.matrix`
for which labels count), computes each field's coefficients with bootstrap intervals
(:func:`annotator.agreement.field_agreement`), each annotator's throughput from the event log
(:mod:`annotator.store.timing`) and agreement with the others' majority, the confusion matrices
of every nominal field per annotator pair, and the most disagreed units.  With ``gold`` (unit id
-> labels, e.g. adjudicated labels) it adds each annotator's agreement with gold.

:func:`report_json`, :func:`render_markdown` and :func:`render_html` turn the :class:`Report`
into the three output formats.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from annotator.agreement import (
    MetricValue,
    bootstrap_ci,
    cohen_kappa,
    confusion_matrix,
    field_agreement,
)
from annotator.export.matrix import (
    BoolArray,
    FieldMatrix,
    IntArray,
    Matrices,
    ReportError,
    build_matrices,
    gold_codes,
    read_with,
)
from annotator.scheme import Scheme
from annotator.store.timing import UnitTiming, unit_timings

TOP_DISAGREEMENTS = 10
COEFFICIENTS = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement")


@dataclass(frozen=True)
class FieldReport:
    """One field: its coefficients, every pair's κ and % agreement, confusion matrices."""

    name: str
    kind: str
    categories: tuple[str, ...]
    krippendorff_alpha: MetricValue
    fleiss_kappa: MetricValue
    gwet_ac1: MetricValue
    percent_agreement: MetricValue
    cohen_kappa: dict[tuple[str, str], MetricValue]
    pair_percent: dict[tuple[str, str], MetricValue]
    n_units: int
    n_annotators: int
    prevalence: dict[str, float]
    warnings: list[str]
    confusion: dict[tuple[str, str], list[list[int]]]

    def metric(self, name: str) -> MetricValue:
        """One of :data:`COEFFICIENTS` by name."""
        value: MetricValue = getattr(self, name)
        return value


@dataclass(frozen=True)
class AnnotatorStats:
    """One annotator: units labelled, speed, agreement with the others' majority per field."""

    name: str
    units_labeled: int
    incomplete: int
    median_seconds: float | None
    timed_units: int
    majority_agreement: dict[str, MetricValue]


@dataclass(frozen=True)
class Disagreement:
    """A unit the annotators disagree on: its text and everyone's labels and notes."""

    unit_id: int
    article: str
    unit: int
    text: str
    agreement: float | None
    flag_disagreements: int
    labels: dict[str, dict[str, Any]]
    notes: dict[str, str]


@dataclass(frozen=True)
class GoldAgreement:
    """One annotator against gold on one field."""

    cohen_kappa: MetricValue
    percent_agreement: MetricValue
    n_units: int


@dataclass(frozen=True)
class Report:
    """Everything the renderers print; build it with :func:`agreement_report`."""

    scheme_ref: str
    scheme_hash: str
    session: str | None
    generated_at: str
    n_boot: int
    seed: int
    annotators: tuple[str, ...]
    n_units: int
    fields: dict[str, FieldReport]
    annotator_stats: dict[str, AnnotatorStats]
    disagreements: list[Disagreement]
    notes: list[str]
    groups: tuple[str, ...] = ()
    gold: dict[str, dict[str, GoldAgreement]] | None = None
    gold_units: int = 0


def pair_key(pair: tuple[str, str]) -> str:
    """``("alice", "bob")`` -> ``"alice|bob"``: how pairs are named in JSON."""
    return f"{pair[0]}|{pair[1]}"


def _pairs(names: tuple[str, ...]) -> list[tuple[int, int]]:
    return [(a, b) for a in range(len(names)) for b in range(a + 1, len(names))]


def _field_report(
    fm: FieldMatrix, names: tuple[str, ...], n_boot: int, seed: int
) -> tuple[FieldReport, dict[str, MetricValue]]:
    fa = field_agreement(fm.matrix, fm.categories, names, n_boot=n_boot, seed=seed)
    k = len(fm.categories)
    cohen: dict[tuple[str, str], MetricValue] = {}
    percent: dict[tuple[str, str], MetricValue] = {}
    confusion: dict[tuple[str, str], list[list[int]]] = {}
    for a, b in _pairs(names):
        pair = (names[a], names[b])
        cm = confusion_matrix(fm.matrix, a, b, k)
        shared = int(cm.sum())
        cohen[pair] = fa.cohen_kappa.get(
            pair, MetricValue(None, "the two annotators labelled fewer than 2 units in common")
        )
        percent[pair] = (
            MetricValue(float(np.trace(cm)) / shared)
            if shared
            else MetricValue(None, "the two annotators labelled no unit in common")
        )
        if fm.kind == "nominal":
            confusion[pair] = cm.tolist()
    return FieldReport(
        name=fm.name,
        kind=fm.kind,
        categories=fm.categories,
        krippendorff_alpha=fa.krippendorff_alpha,
        fleiss_kappa=fa.fleiss_kappa,
        gwet_ac1=fa.gwet_ac1,
        percent_agreement=fa.percent_agreement,
        cohen_kappa=cohen,
        pair_percent=percent,
        n_units=fa.n_units,
        n_annotators=fa.n_annotators,
        prevalence={str(c): v for c, v in fa.prevalence.items()},
        warnings=list(fa.warnings),
        confusion=confusion,
    ), fa.majority_agreement


def _unit_agreement(fm: FieldMatrix) -> tuple[IntArray, np.ndarray[Any, np.dtype[np.float64]]]:
    """Labels per unit and mean pairwise agreement per unit (NaN below two labels)."""
    counts = np.stack([(fm.matrix == c).sum(axis=1) for c in range(len(fm.categories))], axis=1)
    n = counts.sum(axis=1)
    p = np.full(n.shape, np.nan)
    np.divide((counts * counts).sum(axis=1) - n, n * (n - 1), out=p, where=n >= 2)
    return n, p


def _disagreements(m: Matrices, top: int) -> list[Disagreement]:
    """The ``top`` units with the lowest agreement on the nominal fields, then most flag splits."""
    if m.n_units == 0:
        return []
    nominal = [f for f in m.fields.values() if f.kind == "nominal"]
    binary = [f for f in m.fields.values() if f.kind == "binary"]
    if nominal:
        per_unit = np.stack([_unit_agreement(f)[1] for f in nominal], axis=1)
        defined: BoolArray = np.asarray(~np.isnan(per_unit).all(axis=1), dtype=bool)
        agreement = np.where(defined, np.nanmean(np.where(defined[:, None], per_unit, 0), 1), 1.0)
    else:
        defined, agreement = np.zeros(m.n_units, dtype=bool), np.ones(m.n_units)
    splits = np.zeros(m.n_units, dtype=np.int64)
    for f in binary:
        splits += ((f.matrix == 1).any(axis=1) & (f.matrix == 0).any(axis=1)).astype(np.int64)
    candidates = np.flatnonzero((agreement < 1.0) | (splits > 0))
    order = np.lexsort((candidates, -splits[candidates], agreement[candidates]))
    out = []
    for row in candidates[order][:top].tolist():
        cols = np.flatnonzero(m.present[row]).tolist()
        out.append(
            Disagreement(
                unit_id=int(m.unit_ids[row]),
                article=m.articles[row],
                unit=int(m.unit_idx[row]),
                text=m.texts[row],
                agreement=float(agreement[row]) if defined[row] else None,
                flag_disagreements=int(splits[row]),
                labels={m.annotators[c]: m.labels_at(row, c) or {} for c in cols},
                notes={m.annotators[c]: m.notes[row, c] for c in cols if (row, c) in m.notes},
            )
        )
    return out


def _gold(
    m: Matrices, gold: Mapping[int, Mapping[str, Any]], n_boot: int, seed: int
) -> tuple[dict[str, dict[str, GoldAgreement]], int]:
    columns = gold_codes(m, gold)
    kappa = functools.partial(cohen_kappa, i=0, j=1)
    out: dict[str, dict[str, GoldAgreement]] = {}
    for a, name in enumerate(m.annotators):
        out[name] = {}
        for fname, fm in m.fields.items():
            pair = np.stack([fm.matrix[:, a], columns[fname]], axis=1)
            shared = (pair >= 0).all(axis=1)
            n = int(shared.sum())
            value = cohen_kappa(pair, 0, 1)
            if value.value is not None:
                ci = bootstrap_ci(kappa, pair[shared], n_boot=n_boot, seed=seed)
                value = MetricValue(value.value, None, ci)
            same = float(np.mean(pair[shared, 0] == pair[shared, 1])) if n else None
            pct = MetricValue(
                same, None if n else "no unit has both this annotator's label and gold"
            )
            out[name][fname] = GoldAgreement(value, pct, n)
    gold_units = int((np.stack(list(columns.values()), axis=1) >= 0).any(axis=1).sum())
    return out, gold_units


def _notes(m: Matrices) -> list[str]:
    notes = []
    if m.other_schemes:
        total = sum(m.other_schemes.values())
        parts = ", ".join(f"{h[:12]}: {n}" for h, n in sorted(m.other_schemes.items()))
        verb = "are" if total != 1 else "is"
        notes.append(
            f"{total} annotation{'s' if total != 1 else ''} under {len(m.other_schemes)} other "
            f"scheme version{'s' if len(m.other_schemes) != 1 else ''} ({parts}) {verb} not "
            "compared here; pass that scheme file with --scheme to report on them"
        )
    if m.superseded:
        notes.append(
            f"{m.superseded} annotation(s) were set aside because the same annotator labelled "
            "the unit again in another session (the latest counts); use --session NAME to "
            "report on one session"
        )
    incomplete = int((m.present & ~m.complete).sum())
    if incomplete:
        notes.append(
            f"{incomplete} annotation(s) are incomplete (a single-choice group left empty): "
            "they count only for the groups that have a value and never for the flags"
        )
    if m.invalid:
        notes.append(
            f"{m.invalid} annotation(s) hold a value that is not in the scheme; it was ignored"
        )
    return notes


def agreement_report(
    service: Any,
    scheme: Scheme,
    *,
    session_name: str | None = None,
    gold: Mapping[int, Mapping[str, Any]] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> Report:
    """Build the full agreement report of the labels under ``scheme`` (and session).

    ``service`` is a ``Service``, ``Store`` or DB session.  Raises :class:`ReportError` when
    there is no label under the scheme.
    """
    m = build_matrices(service, scheme, session_name=session_name)
    if m.n_units == 0:
        where = "" if session_name is None else f" in session {session_name!r}"
        hint = f" ({sum(m.other_schemes.values())} are under other versions)" * bool(
            m.other_schemes
        )
        raise ReportError(
            f"no labels under scheme {scheme.ref}{where}{hint}; label some units first"
        )
    timings: dict[str, UnitTiming] = read_with(
        service, lambda s: unit_timings(s, scheme_hash=scheme.hash, session_name=session_name)
    )
    fields: dict[str, FieldReport] = {}
    majority: dict[str, dict[str, MetricValue]] = {n: {} for n in m.annotators}
    for name, fm in m.fields.items():
        fields[name], per_annotator = _field_report(fm, m.annotators, n_boot, seed)
        for who, value in per_annotator.items():
            majority[who][name] = value
    stats = {
        name: AnnotatorStats(
            name=name,
            units_labeled=int(m.complete[:, c].sum()),
            incomplete=int((m.present[:, c] & ~m.complete[:, c]).sum()),
            median_seconds=timings.get(name, UnitTiming(None, 0)).median_seconds,
            timed_units=timings.get(name, UnitTiming(None, 0)).timed_units,
            majority_agreement=majority[name],
        )
        for c, name in enumerate(m.annotators)
    }
    gold_report, gold_units = _gold(m, gold, n_boot, seed) if gold is not None else (None, 0)
    return Report(
        scheme_ref=scheme.ref,
        scheme_hash=scheme.hash,
        session=session_name,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        n_boot=n_boot,
        seed=seed,
        annotators=m.annotators,
        n_units=m.n_units,
        fields=fields,
        annotator_stats=stats,
        disagreements=_disagreements(m, TOP_DISAGREEMENTS),
        notes=_notes(m),
        groups=tuple(g.name for g in scheme.groups),
        gold=gold_report,
        gold_units=gold_units,
    )


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (layout: :func:`annotator.export.report_text.as_json`)."""
    from annotator.export.report_text import as_json

    return as_json(report)


def render_markdown(report: Report) -> str:
    """The report as Markdown (see :mod:`annotator.export.report_md`)."""
    from annotator.export.report_md import markdown

    return markdown(report)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (see :mod:`annotator.export.report_html`)."""
    from annotator.export.report_html import html_page

    return html_page(report)
