"""The unit-level JSONL dataset: one record per labelled unit with every annotator's labels.

Each record carries the unit (ids, article title, offsets, role, text), every annotator's
labels and note, the aggregated label (gold when given, else the majority per field with a
tie flag), the unit's agreement (share of annotator pairs that agree, per field) and the
scheme ref. The same records are what ``--split`` writes to train/dev/test.

So that Hugging Face ``datasets`` (Arrow) infers the same schema from every file, values
never change type between rows: a single-choice group is a string (``""`` when nothing was
chosen), a multi-choice group is an object of booleans, one per choice, and a missing note
is ``""``. Only ``agreement`` values can be ``null`` (fewer than two annotators).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from sqlmodel import Session

from annotator.export.labels_io import format_time
from annotator.scheme import Scheme
from annotator.store import articles as aq
from annotator.store.dataset import AnnotationRow, iter_annotations

Gold = Mapping[int, Mapping[str, Any]]
"""Adjudicated labels: unit id -> labels in the stored form (group -> choice or list)."""


@dataclass(frozen=True)
class UnitRecord:
    """One dataset record and the ids a split needs to group it."""

    article_id: int
    unit_id: int
    data: dict[str, Any]


def dataset_labels(scheme: Scheme, labels: Mapping[str, Any]) -> dict[str, Any]:
    """Stored labels in dataset form: single group -> str (``""`` = none), multi -> {c: bool}."""
    norm = scheme.normalize_labels(labels)
    out: dict[str, Any] = {}
    for group in scheme.groups:
        value = norm[group.name]
        if group.kind == "single":
            out[group.name] = value or ""
        else:
            chosen = set(value or [])
            out[group.name] = {c.name: c.name in chosen for c in group.choices}
    return out


def has_label(scheme: Scheme, labels: Mapping[str, Any]) -> bool:
    """True when at least one choice of any group is set."""
    return any(
        bool(labels.get(g.name)) if g.kind == "multi" else labels.get(g.name) is not None
        for g in scheme.groups
    )


def pair_agreement(values: Sequence[object]) -> float | None:
    """Share of the pairs of ``values`` that are equal; None with fewer than two values."""
    k = len(values)
    if k < 2:
        return None
    agreeing = sum(n * (n - 1) // 2 for n in Counter(values).values())
    return round(agreeing / (k * (k - 1) // 2), 4)


def _majority(values: Sequence[str]) -> tuple[str, bool]:
    """Most frequent non-empty value and whether the first place is tied (value "" then)."""
    counts = Counter(v for v in values if v)
    if not counts:
        return "", False
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return "", True
    return ranked[0][0], False


def aggregate(
    scheme: Scheme, entries: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Majority label, tie flags and pairwise agreement for labels in dataset form.

    A single group's majority is over the annotators who chose something; a flag is set
    when more than half of the annotators set it (exactly half is a tie, left unset).
    """
    label: dict[str, Any] = {}
    tie: dict[str, Any] = {}
    agreement: dict[str, Any] = {}
    for group in scheme.groups:
        if group.kind == "single":
            values = [e[group.name] for e in entries]
            label[group.name], tie[group.name] = _majority(values)
            agreement[group.name] = pair_agreement([v for v in values if v])
            continue
        label[group.name], tie[group.name], agreement[group.name] = {}, {}, {}
        for choice in group.choices:
            votes = [bool(e[group.name][choice.name]) for e in entries]
            yes = sum(votes)
            label[group.name][choice.name] = 2 * yes > len(votes)
            tie[group.name][choice.name] = 2 * yes == len(votes)
            agreement[group.name][choice.name] = pair_agreement(votes)
    return label, tie, agreement


def _no_tie(scheme: Scheme) -> dict[str, Any]:
    return {
        g.name: False if g.kind == "single" else {c.name: False for c in g.choices}
        for g in scheme.groups
    }


def _by_unit(rows: Iterable[AnnotationRow]) -> Iterator[list[AnnotationRow]]:
    group: list[AnnotationRow] = []
    for row in rows:
        if group and row.unit_id != group[0].unit_id:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def unit_records(
    session: Session,
    scheme: Scheme,
    *,
    session_name: str | None = None,
    gold: Gold | None = None,
) -> Iterator[UnitRecord]:
    """Dataset records, in article and unit order, of every unit with at least one label.

    Annotations with nothing chosen (e.g. every change undone) are left out; ``gold`` labels,
    when given for a unit, become its ``label`` with ``label_source`` ``"gold"``.
    """
    titles = {a.id: a.title for a in aq.list_articles(session)}
    rows = iter_annotations(session, scheme_hash=scheme.hash, session_name=session_name)
    for group in _by_unit(rows):
        labelled = [r for r in group if has_label(scheme, r.labels)]
        if not labelled:
            continue
        first = labelled[0]
        annotations: list[dict[str, Any]] = [
            {
                "annotator": r.annotator,
                "session": r.session,
                "labels": dataset_labels(scheme, r.labels),
                "note": r.note or "",
                "updated_at": format_time(r.updated_at),
            }
            for r in labelled
        ]
        label, tie, agreement = aggregate(scheme, [a["labels"] for a in annotations])
        source = "majority"
        if gold is not None and first.unit_id in gold:
            label, tie, source = (
                dataset_labels(scheme, gold[first.unit_id]),
                _no_tie(scheme),
                "gold",
            )
        data = {
            "id": f"{first.article}:{first.unit}",
            "article": first.article,
            "title": titles.get(first.article_id, ""),
            "unit": first.unit,
            "start": first.start,
            "end": first.end,
            "role": first.role,
            "text": first.text,
            "annotations": annotations,
            "n_annotators": len(annotations),
            "label": label,
            "label_source": source,
            "tie": tie,
            "agreement": agreement,
            "scheme": scheme.ref,
        }
        yield UnitRecord(first.article_id, first.unit_id, data)


def dumps(record: Mapping[str, Any]) -> str:
    """One record as a JSONL line (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def write_units(
    session: Session,
    out: TextIO,
    scheme: Scheme,
    *,
    session_name: str | None = None,
    gold: Gold | None = None,
) -> int:
    """Write the dataset records to ``out``; return how many."""
    count = 0
    for record in unit_records(session, scheme, session_name=session_name, gold=gold):
        out.write(dumps(record.data))
        count += 1
    return count
