"""Label matrices per agreement field, built from the annotations in the database.

Fields.  Each ``single`` group of the scheme is a *nominal* field named after the group
(``claim_type``) whose categories are the group's choices in scheme order.  Each flag of a
``multi`` group is a *binary* field ``group.flag`` (``flags.framing``) with categories
``("no", "yes")``.

Who labelled what (the rule agreement is computed under):

* a single field counts an annotator on a unit when their annotation gives that group a value;
* the flag fields count an annotator on a unit when their annotation is *complete* (every
  single group has a value).  A flag they left off is then a "no", not a missing label.  An
  incomplete annotation (say, a flag pressed but no claim type yet) is missing for every flag
  field: the annotator has not finished the unit, so an absent flag says nothing.

Only annotations under one scheme hash are read (annotations under other hashes are counted in
``Matrices.other_schemes`` and never mixed in).  With ``session_name=None`` every session
counts; if one annotator labelled the same unit in several sessions, the most recently updated
annotation is used and the others are counted in ``Matrices.superseded``.

Rows are streamed in column batches (:func:`annotator.store.agreement_rows.iter_label_batches`:
ids and the stored label JSON text, each distinct text decoded once) and scattered into numpy
matrices, so a million annotations build in a few seconds; the rows are the same as
:func:`annotator.store.dataset.iter_annotations` gives (a test checks this).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from sqlmodel import Session

from annotator.agreement import MISSING
from annotator.scheme import Scheme
from annotator.store.agreement_rows import annotator_names, iter_label_batches, unit_details
from annotator.store.dataset import scheme_hashes

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
NO, YES = "no", "yes"
T = TypeVar("T")


class ReportError(ValueError):
    """Nothing to report, or input the report cannot use; ``str()`` is one line with the fix."""


@dataclass(frozen=True)
class FieldMatrix:
    """One agreement field: its label matrix (units x annotators) and category names."""

    name: str
    group: str
    kind: Literal["nominal", "binary"]
    categories: tuple[str, ...]
    matrix: IntArray


@dataclass(frozen=True)
class Matrices:
    """Every field's label matrix under one scheme, with the units and annotators they index.

    Row ``r`` of every matrix is unit ``unit_ids[r]`` (article ``articles[r]``, index
    ``unit_idx[r]``, text ``texts[r]``); column ``c`` is annotator ``annotators[c]`` (sorted by
    name).  ``present`` marks an annotation row, ``complete`` a complete one.
    """

    scheme: Scheme
    session_name: str | None
    annotators: tuple[str, ...]
    unit_ids: IntArray
    articles: list[str]
    unit_idx: IntArray
    texts: list[str]
    present: BoolArray
    complete: BoolArray
    fields: dict[str, FieldMatrix]
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    partial_labels: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    superseded: int = 0
    invalid: int = 0
    other_schemes: dict[str, int] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        """Units with at least one annotation under the scheme."""
        return len(self.unit_ids)

    def row_of(self, unit_id: int) -> int | None:
        """The matrix row of a unit id, or None when nobody labelled it."""
        hits = np.flatnonzero(self.unit_ids == unit_id)
        return int(hits[0]) if hits.size else None

    def labels_at(self, row: int, col: int) -> dict[str, Any] | None:
        """The labels annotator ``col`` gave unit ``row`` (None without an annotation).

        Rebuilt from the matrices for complete annotations; incomplete ones are kept verbatim.
        """
        if not self.present[row, col]:
            return None
        if (row, col) in self.partial_labels:
            partial = self.partial_labels[row, col]
            return {g.name: partial.get(g.name) for g in self.scheme.groups}
        out: dict[str, Any] = {}
        for group in self.scheme.groups:
            if group.kind == "single":
                fm = self.fields[group.name]
                code = int(fm.matrix[row, col])
                out[group.name] = fm.categories[code] if code >= 0 else None
            else:
                out[group.name] = [
                    c.name
                    for c in group.choices
                    if self.fields[f"{group.name}.{c.name}"].matrix[row, col] == 1
                ]
        return out


def field_specs(
    scheme: Scheme,
) -> list[tuple[str, str, Literal["nominal", "binary"], tuple[str, ...]]]:
    """``(field name, group, kind, categories)`` of every agreement field, in scheme order."""
    out: list[tuple[str, str, Literal["nominal", "binary"], tuple[str, ...]]] = []
    for group in scheme.groups:
        if group.kind == "single":
            out.append((group.name, group.name, "nominal", tuple(c.name for c in group.choices)))
        else:
            for choice in group.choices:
                out.append((f"{group.name}.{choice.name}", group.name, "binary", (NO, YES)))
    return out


class _Coder:
    """Turns one labels dict into one code per field (MISSING where not labelled)."""

    def __init__(self, scheme: Scheme) -> None:
        self.groups: list[tuple[str, bool, dict[str, int]]] = [
            (g.name, g.kind == "single", {c.name: i for i, c in enumerate(g.choices)})
            for g in scheme.groups
        ]

    def codes(self, labels: Mapping[str, Any]) -> tuple[list[int], bool, bool]:
        """Codes in :func:`field_specs` order, whether complete, whether a value was invalid."""
        singles: dict[str, int] = {}
        invalid = False
        for name, single, index in self.groups:
            if single:
                value = labels.get(name)
                code = index.get(value, MISSING) if isinstance(value, str) else MISSING
                invalid |= value is not None and code == MISSING
                singles[name] = code
        complete = all(code >= 0 for code in singles.values())
        out: list[int] = []
        for name, single, index in self.groups:
            if single:
                out.append(singles[name])
                continue
            value = labels.get(name)
            chosen = set(value) if isinstance(value, list) else set()
            invalid |= not isinstance(value, list | None) or not chosen <= index.keys()
            out.extend((int(c in chosen) if complete else MISSING) for c in index)
        return out, complete, invalid


class _Decoded:
    """Distinct stored label texts, decoded once each, as rows of code tables."""

    def __init__(self, scheme: Scheme) -> None:
        self.coder = _Coder(scheme)
        self.index: dict[str | None, int] = {}
        self.codes: list[list[int]] = []
        self.complete: list[bool] = []
        self.invalid: list[bool] = []
        self.labels: list[dict[str, Any]] = []

    def add(self, text: str | None) -> int:
        """Decode a label text not seen before; return its number."""
        try:
            labels = json.loads(text) if text else {}
        except ValueError:
            labels = None
        if not isinstance(labels, dict):
            labels, bad = {}, True
        else:
            bad = False
        codes, complete, invalid = self.coder.codes(labels)
        self.index[text] = len(self.codes)
        self.codes.append(codes)
        self.complete.append(complete)
        self.invalid.append(invalid or bad)
        self.labels.append(labels)
        return len(self.codes) - 1

    def numbers(self, texts: tuple[str | None, ...]) -> IntArray:
        """The number of every text of a batch (decoding the new ones)."""
        index, add = self.index, self.add
        return np.fromiter(
            (index[t] if t in index else add(t) for t in texts), np.int64, len(texts)
        )


def _positions(keys: IntArray, values: IntArray) -> IntArray:
    """Where each of ``values`` sits in ``keys`` (every value must occur in ``keys``)."""
    sorter = np.argsort(keys, kind="stable")
    found = sorter[np.searchsorted(keys, values, sorter=sorter)]
    if values.size and not np.array_equal(keys[found], values):
        raise ReportError("labels changed while the report was read; run the command again")
    return found.astype(np.int64)


def _collect(session: Session, scheme: Scheme, session_name: str | None) -> Matrices:
    decoded = _Decoded(scheme)
    unit_parts, ann_parts, val_parts = [], [], []
    note_at: dict[int, str] = {}
    offset = 0
    for batch in iter_label_batches(session, scheme_hash=scheme.hash, session_name=session_name):
        size = len(batch.unit_ids)
        unit_parts.append(np.fromiter(batch.unit_ids, np.int64, size))
        ann_parts.append(np.fromiter(batch.annotator_ids, np.int64, size))
        val_parts.append(decoded.numbers(batch.labels))
        note_at.update((offset + i, n) for i, n in enumerate(batch.notes) if n)
        offset += size
    units = np.concatenate(unit_parts) if unit_parts else np.zeros(0, np.int64)
    anns = np.concatenate(ann_parts) if ann_parts else np.zeros(0, np.int64)
    vals = np.concatenate(val_parts) if val_parts else np.zeros(0, np.int64)
    # several sessions: rows come by unit, annotator, then time, so the last one is the latest
    keep = np.ones(units.size, dtype=bool)
    keep[:-1] = (units[1:] != units[:-1]) | (anns[1:] != anns[:-1])
    new_position = np.cumsum(keep) - 1
    units, anns, vals = units[keep], anns[keep], vals[keep]
    details = unit_details(session, scheme_hash=scheme.hash, session_name=session_name)
    ids = {i: n for i, n in annotator_names(session).items() if i in set(anns.tolist())}
    names = sorted(ids.values())
    ann_keys = np.asarray(sorted(ids, key=lambda i: ids[i]), dtype=np.int64)
    unit_keys = np.asarray([d[0] for d in details], dtype=np.int64)
    r, c = _positions(unit_keys, units), _positions(ann_keys, anns)
    shape = (len(details), len(names))
    width = len(field_specs(scheme))
    table = np.asarray(decoded.codes, dtype=np.int64).reshape(-1, width)
    complete_of = np.asarray(decoded.complete, dtype=bool)
    present = np.zeros(shape, dtype=bool)
    present[r, c] = True
    complete = np.zeros(shape, dtype=bool)
    complete[r, c] = complete_of[vals]
    fields: dict[str, FieldMatrix] = {}
    for k, (name, group, kind, cats) in enumerate(field_specs(scheme)):
        m = np.full(shape, MISSING, dtype=np.int64)
        m[r, c] = table[vals, k]
        fields[name] = FieldMatrix(name, group, kind, cats, m)
    notes = {}
    for pos, note in note_at.items():
        if keep[pos]:
            p = int(new_position[pos])
            notes[int(r[p]), int(c[p])] = note
    partial = {
        (int(r[p]), int(c[p])): decoded.labels[int(vals[p])]
        for p in np.flatnonzero(~complete_of[vals]).tolist()
    }
    others = {h: n for h, n in scheme_hashes(session, session_name).items() if h != scheme.hash}
    return Matrices(
        scheme=scheme,
        session_name=session_name,
        annotators=tuple(names),
        unit_ids=unit_keys,
        articles=[d[1] for d in details],
        unit_idx=np.asarray([d[2] for d in details], dtype=np.int64),
        texts=[d[3] for d in details],
        present=present,
        complete=complete,
        fields=fields,
        notes=notes,
        partial_labels=partial,
        superseded=int((~keep).sum()),
        invalid=int(np.asarray(decoded.invalid, dtype=bool)[vals].sum()),
        other_schemes=others,
    )


def read_with(source: Any, fn: Callable[[Session], T]) -> T:
    """Run ``fn`` in a read transaction of a ``Service``, ``Store`` or an open DB session."""
    if isinstance(source, Session):
        return fn(source)
    if hasattr(source, "read"):  # a Service
        result: T = source.read(fn)
        return result
    if hasattr(source, "session") and hasattr(source, "engine"):  # a Store
        with source.session(write=False) as s:
            return fn(s)
    raise TypeError(f"need a Service, Store or Session, got {type(source).__name__}")


def build_matrices(source: Any, scheme: Scheme, *, session_name: str | None = None) -> Matrices:
    """Label matrices of every field of ``scheme`` from a ``Service``, ``Store`` or DB session.

    ``session_name``: None reads every annotation session, ``""`` only labels made outside
    sessions, any other string that session only.
    """
    return read_with(source, lambda s: _collect(s, scheme, session_name))


def gold_codes(matrices: Matrices, gold: Mapping[int, Mapping[str, Any]]) -> dict[str, IntArray]:
    """Gold labels (unit id -> labels) as one code column per field, aligned with the rows.

    Gold labels follow the same rule as an annotator's: flags count only when every single
    group has a value.  Gold on units nobody labelled is ignored.  Invalid labels raise
    :class:`~annotator.scheme.SchemeError`.
    """
    coder = _Coder(matrices.scheme)
    specs = field_specs(matrices.scheme)
    out = {name: np.full(matrices.n_units, MISSING, dtype=np.int64) for name, *_ in specs}
    row_of = {int(u): i for i, u in enumerate(matrices.unit_ids)}
    for unit_id, labels in gold.items():
        row = row_of.get(int(unit_id))
        if row is None:
            continue
        codes, _, _ = coder.codes(matrices.scheme.normalize_labels(labels))
        for k, (name, *_) in enumerate(specs):
            out[name][row] = codes[k]
    return out
