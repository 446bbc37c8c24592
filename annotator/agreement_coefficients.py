"""Inter-annotator agreement coefficients for one label field: pure, vectorised numpy functions.

A *label matrix* is an integer array of shape ``(n_units, n_annotators)`` holding category
codes (``0 .. K-1``) or ``MISSING`` (-1); :func:`encode` builds one from raw label values.
A unit is *pairable* when at least two annotators labelled it; every metric drops units with
fewer than two labels (Gwet's AC1 is the one documented exception: following Gwet, units with a
single label still inform its chance term).  A coefficient that is undefined for the data comes
back as ``MetricValue(value=None, reason=...)``, never as 1.0, nan, a warning or an exception.

Every coefficient is computed from per-unit category counts by a *kernel*: per-unit statistics
plus a function of their weighted sums. :mod:`annotator.agreement` reuses the kernels to
bootstrap every coefficient at once (a resample is just a matrix of unit weights).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

MISSING = -1
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# A kernel is per-unit statistics (s x n_units) plus a function turning their weighted sums
# (one row per resample) into coefficient values and reason codes (0 = defined).
Kernel = tuple[FloatArray, Callable[[FloatArray], tuple[FloatArray, IntArray]]]

OK = 0
"""The reason code of a defined value (any other code says why a value is undefined)."""
_NO_UNITS, _FEW_UNITS, _ONE_CATEGORY, _FEW_SHARED = 1, 2, 3, 4
_REASONS = {
    _NO_UNITS: "no unit was labelled by two or more annotators",
    _FEW_UNITS: "fewer than 2 units were labelled by two or more annotators",
    _ONE_CATEGORY: "every label is the same category, so chance agreement is total and a "
    "chance-corrected coefficient is undefined",
    _FEW_SHARED: "the two annotators labelled fewer than 2 units in common",
}


class AgreementError(ValueError):
    """Input that agreement metrics cannot work with; the message says what to fix."""


@dataclass(frozen=True)
class MetricValue:
    """One coefficient: ``value`` (None when undefined), why it is undefined, bootstrap CI."""

    value: float | None
    reason: str | None = None
    ci: tuple[float, float] | None = None


def encode(rows: Sequence[Sequence[Hashable | None]]) -> tuple[IntArray, list[Hashable]]:
    """Turn label values (``None`` = missing) into a label matrix and its category list.

    Categories are sorted by ``str`` (then type name) so the coding is deterministic.
    """
    width = {len(r) for r in rows}
    if len(width) > 1:
        raise AgreementError("every unit needs one entry per annotator (use None for missing)")
    values = {v for r in rows for v in r if v is not None}
    categories = sorted(values, key=lambda c: (str(c), type(c).__name__))
    code = {c: i for i, c in enumerate(categories)}
    out = np.full((len(rows), width.pop() if width else 0), MISSING, dtype=np.int64)
    for u, r in enumerate(rows):
        for a, v in enumerate(r):
            if v is not None:
                out[u, a] = code[v]
    return out, categories


def as_matrix(m: Any) -> IntArray:
    """Check ``m`` is a 2-D label matrix of integer codes and return it as int64."""
    arr = np.asarray(m)
    if arr.ndim != 2:
        raise AgreementError(f"label matrix must be 2-D (units x annotators), got {arr.ndim}-D")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise AgreementError("label matrix must hold integer codes; build it with encode()")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and int(arr.min()) < MISSING:
        raise AgreementError(f"category codes must be >= 0 (or {MISSING} for missing)")
    return arr


def _counts(m: IntArray) -> FloatArray:
    """Category counts per unit as a (K x n_units) array: one bincount, no loop over units.

    Units run along the last axis so that per-unit sums are contiguous vector operations.
    """
    k, units = (int(m.max()) + 1 if m.size else 0), m.shape[0]
    codes = np.where(m < 0, k, m)  # missing goes to an extra row that is dropped
    flat = codes * units + np.arange(units, dtype=np.int64)[:, None]
    c = np.bincount(flat.ravel(), minlength=(k + 1) * units)
    return c.reshape(k + 1, units)[:k].astype(np.float64)


def _div(a: FloatArray, b: FloatArray) -> FloatArray:
    out: FloatArray = np.full(np.broadcast(a, b).shape, np.nan)
    return np.divide(a, b, out=out, where=b != 0)


def _pair_stats(c: FloatArray) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Pairable mask, per-unit agreement P_u, and ``c`` zeroed (in place) on unpairable units."""
    n = c.sum(axis=0)
    pair = n >= 2
    p_u = np.zeros_like(n)
    np.divide((c * c).sum(axis=0) - n, n * (n - 1), out=p_u, where=pair)
    c *= pair
    return pair, p_u, c


def _codes(units: FloatArray, cats: FloatArray, few: int = _FEW_UNITS) -> IntArray:
    """Reason codes per resample: too few pairable units, or a single category used."""
    codes = np.zeros(units.shape, dtype=np.int64)
    codes[(cats > 0).sum(axis=1) <= 1] = _ONE_CATEGORY
    codes[units < 2] = few
    codes[units == 0] = _NO_UNITS if few == _FEW_UNITS else few
    return codes


def alpha_kernel(m: IntArray) -> Kernel:
    """Krippendorff's alpha (nominal) as a kernel."""
    pair, p_u, cp = _pair_stats(_counts(m))
    n = cp.sum(axis=0)
    agree = p_u * n  # the unit's share of sum_c o_cc in the coincidence matrix

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        nc = s[:, 2:]
        tot = nc.sum(axis=1)
        value = 1.0 - (tot - 1.0) * _div(tot - s[:, 0], tot * tot - (nc * nc).sum(axis=1))
        return value, _codes(s[:, 1], nc)

    return np.vstack([agree, pair, cp]), finish


def fleiss_kernel(m: IntArray) -> Kernel:
    """Fleiss' kappa as a kernel."""
    pair, p_u, cp = _pair_stats(_counts(m))

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        nc = s[:, 2:]
        p_j = _div(nc, nc.sum(axis=1, keepdims=True))
        p_e = (p_j * p_j).sum(axis=1)
        return _div(_div(s[:, 0], s[:, 1]) - p_e, 1.0 - p_e), _codes(s[:, 1], nc)

    return np.vstack([p_u, pair, cp]), finish


def percent_kernel(m: IntArray) -> Kernel:
    """Percent agreement as a kernel."""
    pair, p_u, _ = _pair_stats(_counts(m))

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        codes = np.where(s[:, 1] == 0, _NO_UNITS, OK).astype(np.int64)
        return _div(s[:, 0], s[:, 1]), codes

    return np.vstack([p_u, pair]), finish


def ac1_kernel(m: IntArray, n_categories: int | None = None) -> Kernel:
    """Gwet's AC1 as a kernel; ``n_categories`` is its ``q`` (default: categories used)."""
    c = _counts(m)
    n = c.sum(axis=0)
    observed = int((c.sum(axis=1) > 0).sum())
    if n_categories is not None and n_categories < observed:
        raise AgreementError(f"n_categories={n_categories} but {observed} categories are used")
    q = float(n_categories if n_categories is not None else observed)
    share = np.divide(c, n, out=np.zeros_like(c), where=n > 0)
    pair, p_u, cp = _pair_stats(c)
    k = c.shape[0]

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        pi = _div(s[:, 3 : 3 + k], s[:, 2:3])
        p_e = (pi * (1.0 - pi)).sum(axis=1) / max(q - 1.0, 1.0)
        value = _div(_div(s[:, 0], s[:, 1]) - p_e, 1.0 - p_e)
        return value, _codes(s[:, 1], s[:, 3 + k :])

    return np.vstack([p_u, pair, n >= 1, share, cp]), finish


def cohen_kernel(m: IntArray, i: int, j: int) -> Kernel:
    """Cohen's kappa between annotator columns ``i`` and ``j`` as a kernel."""
    if not (0 <= i < m.shape[1] and 0 <= j < m.shape[1]) or i == j:
        raise AgreementError(f"need two different annotator columns in 0..{m.shape[1] - 1}")
    k = max(int(m.max()) + 1 if m.size else 1, 1)
    shared = (m[:, i] >= 0) & (m[:, j] >= 0)
    x = np.zeros((1 + k * k, m.shape[0]))
    x[0] = shared
    x[1 + m[shared, i] * k + m[shared, j], np.flatnonzero(shared)] = 1.0

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        units, cells = s[:, 0], s[:, 1:].reshape(-1, k, k)
        rows = _div(cells.sum(axis=2), units[:, None])
        cols = _div(cells.sum(axis=1), units[:, None])
        p_o = _div(np.trace(cells, axis1=1, axis2=2), units)
        p_e = (rows * cols).sum(axis=1)
        return _div(p_o - p_e, 1.0 - p_e), _codes(units, rows + cols, _FEW_SHARED)

    return x, finish


def point(kernel: Kernel) -> MetricValue:
    """The kernel's value on the data itself (every unit weighted once)."""
    x, finish = kernel
    value, code = finish(x.sum(axis=1)[None, :])
    if code[0] != OK:
        return MetricValue(None, _REASONS[int(code[0])])
    return MetricValue(float(value[0]))


def krippendorff_alpha_nominal(m: npt.ArrayLike) -> MetricValue:
    """Krippendorff's alpha for nominal data, from the coincidence matrix (Krippendorff 2011).

    Units with fewer than 2 labels are unpairable and dropped.  Undefined (None) with fewer than
    2 pairable units or when a single category is used (expected disagreement 0).
    """
    return point(alpha_kernel(as_matrix(m)))


def fleiss_kappa(m: npt.ArrayLike) -> MetricValue:
    """Fleiss' kappa (1971), generalised to a varying number of raters per unit.

    Per pairable unit ``P_i = (sum_j n_ij**2 - n_i) / (n_i (n_i - 1))``; ``P_bar`` is their mean
    and ``p_j`` is category j's share of all labels on pairable units (pooled), so
    ``kappa = (P_bar - sum p_j**2) / (1 - sum p_j**2)``.  With the same number of raters on
    every unit this is exactly Fleiss 1971.  (irrCAC's ``fleiss.kappa.raw`` instead averages
    per-unit shares for ``p_j``; the two differ slightly on incomplete data.)  Units with fewer
    than 2 labels are dropped; undefined with < 2 pairable units or a single category.
    """
    return point(fleiss_kernel(as_matrix(m)))


def percent_agreement(m: npt.ArrayLike) -> MetricValue:
    """Mean over pairable units of agreeing ordered label pairs / all ordered pairs.

    Units with fewer than 2 labels are dropped; defined whenever one unit is pairable.
    """
    return point(percent_kernel(as_matrix(m)))


def gwet_ac1(m: npt.ArrayLike, n_categories: int | None = None) -> MetricValue:
    """Gwet's AC1 for several raters with missing labels (Gwet 2008; Handbook, 4th ed.).

    ``p_a`` is the mean pairwise agreement over units with >= 2 labels; following Gwet,
    ``pi_k`` averages each unit's share of category k over every unit with >= 1 label, and
    ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``.  ``q`` is ``n_categories`` (pass the full scheme
    size, as Gwet recommends) or, by default, the number of categories used.  Undefined with
    < 2 pairable units or when the pairable units use a single category.
    """
    return point(ac1_kernel(as_matrix(m), n_categories))


def cohen_kappa(m: npt.ArrayLike, i: int, j: int) -> MetricValue:
    """Cohen's kappa between annotator columns ``i`` and ``j`` over units both labelled.

    Undefined with fewer than 2 shared units or when both used one and the same category.
    """
    return point(cohen_kernel(as_matrix(m), i, j))


def confusion_matrix(m: npt.ArrayLike, i: int, j: int, n_categories: int) -> IntArray:
    """Counts of (label by ``i``, label by ``j``) over units both labelled; rows are ``i``."""
    arr = as_matrix(m)
    if not (0 <= i < arr.shape[1] and 0 <= j < arr.shape[1]):
        raise AgreementError(f"annotator columns must be in 0..{arr.shape[1] - 1}")
    if arr.size and int(arr.max()) >= n_categories:
        raise AgreementError(f"a code is >= n_categories={n_categories}; pass the scheme size")
    both = (arr[:, i] >= 0) & (arr[:, j] >= 0)
    flat = np.bincount(arr[both, i] * n_categories + arr[both, j], minlength=n_categories**2)
    return flat.reshape(n_categories, n_categories).astype(np.int64)


def majority_labels(m: npt.ArrayLike) -> tuple[IntArray, BoolArray]:
    """Majority code per unit (``MISSING`` if unlabelled or tied) and a tie flag per unit."""
    c = _counts(as_matrix(m))
    if c.shape[0] == 0:
        return np.full(c.shape[1], MISSING, dtype=np.int64), np.zeros(c.shape[1], dtype=bool)
    top = c.max(axis=0)
    tie = ((c == top).sum(axis=0) > 1) & (top > 0)
    codes = np.where((top > 0) & ~tie, c.argmax(axis=0), MISSING).astype(np.int64)
    return codes, tie


def agreement_with_majority(m: npt.ArrayLike, i: int) -> MetricValue:
    """Share of units where annotator ``i`` matches the majority of the *other* annotators.

    Only units that ``i`` labelled and the others labelled without a tie for first place count.
    """
    arr = as_matrix(m)
    if not 0 <= i < arr.shape[1]:
        raise AgreementError(f"annotator column must be in 0..{arr.shape[1] - 1}")
    others = arr.copy()
    others[:, i] = MISSING
    majority, _ = majority_labels(others)
    usable = (arr[:, i] >= 0) & (majority >= 0)
    if not usable.any():
        return MetricValue(None, "no unit has both this annotator's label and an untied majority")
    return MetricValue(float(np.mean(arr[usable, i] == majority[usable])))
