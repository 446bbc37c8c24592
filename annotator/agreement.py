"""Inter-annotator agreement for one label field: pure, vectorised numpy functions.

A *label matrix* is an integer array of shape ``(n_units, n_annotators)`` holding category
codes (``0 .. K-1``) or ``MISSING`` (-1); :func:`encode` builds one from raw label values.
A unit is *pairable* when at least two annotators labelled it; every metric drops units with
fewer than two labels (Gwet's AC1 is the one documented exception: following Gwet, units with a
single label still inform its chance term).  A coefficient that is undefined for the data comes
back as ``MetricValue(value=None, reason=...)``, never as 1.0, nan, a warning or an exception.

Every coefficient is computed from per-unit category counts, so a bootstrap resample is just a
matrix of unit weights (how often each unit was drawn) multiplied into those per-unit statistics.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
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

_OK, _NO_UNITS, _FEW_UNITS, _ONE_CATEGORY, _FEW_SHARED = 0, 1, 2, 3, 4
_REASONS = {
    _NO_UNITS: "no unit was labelled by two or more annotators",
    _FEW_UNITS: "fewer than 2 units were labelled by two or more annotators",
    _ONE_CATEGORY: "every label is the same category, so chance agreement is total and a "
    "chance-corrected coefficient is undefined",
    _FEW_SHARED: "the two annotators labelled fewer than 2 units in common",
}
_CHUNK_ELEMENTS = 1 << 22  # weights held in memory at once during the bootstrap


class AgreementError(ValueError):
    """Input that agreement metrics cannot work with; the message says what to fix."""


@dataclass(frozen=True)
class MetricValue:
    """One coefficient: ``value`` (None when undefined), why it is undefined, bootstrap CI."""

    value: float | None
    reason: str | None = None
    ci: tuple[float, float] | None = None


@dataclass(frozen=True)
class FieldAgreement:
    """Agreement report for one label field (see :func:`field_agreement`)."""

    krippendorff_alpha: MetricValue
    fleiss_kappa: MetricValue
    gwet_ac1: MetricValue
    percent_agreement: MetricValue
    cohen_kappa: dict[tuple[str, str], MetricValue]
    n_units: int
    n_annotators: int
    prevalence: dict[Hashable, float]
    warnings: list[str] = field(default_factory=list)
    majority_agreement: dict[str, MetricValue] = field(default_factory=dict)


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


def _as_matrix(m: Any) -> IntArray:
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


def _alpha_kernel(m: IntArray) -> Kernel:
    pair, p_u, cp = _pair_stats(_counts(m))
    n = cp.sum(axis=0)
    agree = p_u * n  # the unit's share of sum_c o_cc in the coincidence matrix

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        nc = s[:, 2:]
        tot = nc.sum(axis=1)
        value = 1.0 - (tot - 1.0) * _div(tot - s[:, 0], tot * tot - (nc * nc).sum(axis=1))
        return value, _codes(s[:, 1], nc)

    return np.vstack([agree, pair, cp]), finish


def _fleiss_kernel(m: IntArray) -> Kernel:
    pair, p_u, cp = _pair_stats(_counts(m))

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        nc = s[:, 2:]
        p_j = _div(nc, nc.sum(axis=1, keepdims=True))
        p_e = (p_j * p_j).sum(axis=1)
        return _div(_div(s[:, 0], s[:, 1]) - p_e, 1.0 - p_e), _codes(s[:, 1], nc)

    return np.vstack([p_u, pair, cp]), finish


def _percent_kernel(m: IntArray) -> Kernel:
    pair, p_u, _ = _pair_stats(_counts(m))

    def finish(s: FloatArray) -> tuple[FloatArray, IntArray]:
        codes = np.where(s[:, 1] == 0, _NO_UNITS, _OK).astype(np.int64)
        return _div(s[:, 0], s[:, 1]), codes

    return np.vstack([p_u, pair]), finish


def _ac1_kernel(m: IntArray, n_categories: int | None = None) -> Kernel:
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


def _cohen_kernel(m: IntArray, i: int, j: int) -> Kernel:
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


def _point(kernel: Kernel) -> MetricValue:
    x, finish = kernel
    value, code = finish(x.sum(axis=1)[None, :])
    if code[0] != _OK:
        return MetricValue(None, _REASONS[int(code[0])])
    return MetricValue(float(value[0]))


def krippendorff_alpha_nominal(m: npt.ArrayLike) -> MetricValue:
    """Krippendorff's alpha for nominal data, from the coincidence matrix (Krippendorff 2011).

    Units with fewer than 2 labels are unpairable and dropped.  Undefined (None) with fewer than
    2 pairable units or when a single category is used (expected disagreement 0).
    """
    return _point(_alpha_kernel(_as_matrix(m)))


def fleiss_kappa(m: npt.ArrayLike) -> MetricValue:
    """Fleiss' kappa (1971), generalised to a varying number of raters per unit.

    Per pairable unit ``P_i = (sum_j n_ij**2 - n_i) / (n_i (n_i - 1))``; ``P_bar`` is their mean
    and ``p_j`` is category j's share of all labels on pairable units (pooled), so
    ``kappa = (P_bar - sum p_j**2) / (1 - sum p_j**2)``.  With the same number of raters on
    every unit this is exactly Fleiss 1971.  (irrCAC's ``fleiss.kappa.raw`` instead averages
    per-unit shares for ``p_j``; the two differ slightly on incomplete data.)  Units with fewer
    than 2 labels are dropped; undefined with < 2 pairable units or a single category.
    """
    return _point(_fleiss_kernel(_as_matrix(m)))


def percent_agreement(m: npt.ArrayLike) -> MetricValue:
    """Mean over pairable units of agreeing ordered label pairs / all ordered pairs.

    Units with fewer than 2 labels are dropped; defined whenever one unit is pairable.
    """
    return _point(_percent_kernel(_as_matrix(m)))


def gwet_ac1(m: npt.ArrayLike, n_categories: int | None = None) -> MetricValue:
    """Gwet's AC1 for several raters with missing labels (Gwet 2008; Handbook, 4th ed.).

    ``p_a`` is the mean pairwise agreement over units with >= 2 labels; following Gwet,
    ``pi_k`` averages each unit's share of category k over every unit with >= 1 label, and
    ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``.  ``q`` is ``n_categories`` (pass the full scheme
    size, as Gwet recommends) or, by default, the number of categories used.  Undefined with
    < 2 pairable units or when the pairable units use a single category.
    """
    return _point(_ac1_kernel(_as_matrix(m), n_categories))


def cohen_kappa(m: npt.ArrayLike, i: int, j: int) -> MetricValue:
    """Cohen's kappa between annotator columns ``i`` and ``j`` over units both labelled.

    Undefined with fewer than 2 shared units or when both used one and the same category.
    """
    return _point(_cohen_kernel(_as_matrix(m), i, j))


def confusion_matrix(m: npt.ArrayLike, i: int, j: int, n_categories: int) -> IntArray:
    """Counts of (label by ``i``, label by ``j``) over units both labelled; rows are ``i``."""
    arr = _as_matrix(m)
    if not (0 <= i < arr.shape[1] and 0 <= j < arr.shape[1]):
        raise AgreementError(f"annotator columns must be in 0..{arr.shape[1] - 1}")
    if arr.size and int(arr.max()) >= n_categories:
        raise AgreementError(f"a code is >= n_categories={n_categories}; pass the scheme size")
    both = (arr[:, i] >= 0) & (arr[:, j] >= 0)
    flat = np.bincount(arr[both, i] * n_categories + arr[both, j], minlength=n_categories**2)
    return flat.reshape(n_categories, n_categories).astype(np.int64)


def majority_labels(m: npt.ArrayLike) -> tuple[IntArray, BoolArray]:
    """Majority code per unit (``MISSING`` if unlabelled or tied) and a tie flag per unit."""
    c = _counts(_as_matrix(m))
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
    arr = _as_matrix(m)
    if not 0 <= i < arr.shape[1]:
        raise AgreementError(f"annotator column must be in 0..{arr.shape[1] - 1}")
    others = arr.copy()
    others[:, i] = MISSING
    majority, _ = majority_labels(others)
    usable = (arr[:, i] >= 0) & (majority >= 0)
    if not usable.any():
        return MetricValue(None, "no unit has both this annotator's label and an untied majority")
    return MetricValue(float(np.mean(arr[usable, i] == majority[usable])))


def _resample_weights(n_rows: int, n_boot: int, seed: int) -> Iterator[tuple[IntArray, FloatArray]]:
    """Yield (index chunk, weight chunk): which rows each resample drew and how often."""
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, _CHUNK_ELEMENTS // max(n_rows, 1)))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = rng.integers(0, n_rows, size=(b, n_rows))
        flat = (idx + (np.arange(b) * n_rows)[:, None]).ravel()
        w = np.bincount(flat, minlength=b * n_rows).reshape(b, n_rows).astype(np.float64)
        yield idx, w


def _bootstrap(kernels: list[Kernel], n_rows: int, n_boot: int, seed: int) -> list[FloatArray]:
    """Values of every kernel on the same resamples, with one matrix product per chunk."""
    x = np.vstack([k[0] for k in kernels])
    edges = np.cumsum([0] + [k[0].shape[0] for k in kernels])
    parts: list[list[FloatArray]] = [[] for _ in kernels]
    for _, w in _resample_weights(n_rows, n_boot, seed):
        s = (x @ w.T).T
        for n, (_, finish) in enumerate(kernels):
            value, codes = finish(s[:, edges[n] : edges[n + 1]])
            parts[n].append(np.where(codes == _OK, value, np.nan))
    return [np.concatenate(p) for p in parts]


def _interval(values: FloatArray, level: float) -> tuple[float, float] | None:
    ok = values[np.isfinite(values)]
    if ok.size == 0 or 2 * ok.size < values.size:
        return None
    lo, hi = np.percentile(ok, [50.0 * (1.0 - level), 50.0 * (1.0 + level)])
    return float(lo), float(hi)


def _check_boot(n_boot: int, level: float) -> None:
    if n_boot < 1 or not 0.0 < level < 1.0:
        raise AgreementError("bootstrap needs n_boot >= 1 and 0 < level < 1")


def _kernel_for(metric_fn: Callable[..., MetricValue], m: IntArray) -> Kernel | None:
    builders: dict[Callable[..., MetricValue], Callable[..., Kernel]] = {
        krippendorff_alpha_nominal: _alpha_kernel,
        fleiss_kappa: _fleiss_kernel,
        percent_agreement: _percent_kernel,
        gwet_ac1: _ac1_kernel,
        cohen_kappa: _cohen_kernel,
    }
    if metric_fn in builders:
        return builders[metric_fn](m)
    if isinstance(metric_fn, functools.partial) and not metric_fn.args:
        builder = builders.get(metric_fn.func)
        return builder(m, **metric_fn.keywords) if builder else None
    return None


def bootstrap_ci(
    metric_fn: Callable[[IntArray], MetricValue],
    m: npt.ArrayLike,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``metric_fn`` resampling units (rows) with replacement.

    Rows with no label at all are dropped first.  Undefined resamples are ignored; if more than
    half are undefined the result is None.  The metrics of this module (and
    ``functools.partial`` of them with keyword arguments) run vectorised over all resamples;
    any other function is called once per resample on the same resampled rows.
    """
    _check_boot(n_boot, level)
    arr = _as_matrix(m)
    arr = arr[(arr >= 0).any(axis=1)]
    if arr.shape[0] == 0:
        return None
    kernel = _kernel_for(metric_fn, arr)
    if kernel is not None:
        return _interval(_bootstrap([kernel], arr.shape[0], n_boot, seed)[0], level)
    values = [
        metric_fn(arr[row]).value
        for idx, _ in _resample_weights(arr.shape[0], n_boot, seed)
        for row in idx
    ]
    return _interval(np.array([np.nan if v is None else v for v in values]), level)


def _field_notes(
    counts: IntArray, categories: Sequence[Hashable], n_units: int
) -> tuple[dict[Hashable, float], list[str]]:
    """Prevalence per category and the reading warnings for a field report."""
    total = int(counts.sum())
    if total == 0:
        return {}, ["no unit was labelled by two or more annotators: there is nothing to measure"]
    shares = {categories[c]: float(counts[c] / total) for c in range(len(categories))}
    warnings: list[str] = []
    top = int(np.argmax(counts))
    if shares[categories[top]] >= 0.8:
        warnings.append(
            f"prevalence of '{categories[top]}' is {shares[categories[top]]:.2f}: kappa-type "
            "coefficients are depressed by skewed prevalence (kappa paradox); read AC1 and "
            "percent agreement beside them"
        )
    if n_units < 30:
        warnings.append(
            f"only {n_units} unit{'s were' if n_units > 1 else ' was'} labelled by two or more "
            "annotators: confidence intervals are wide; label more overlapping units before "
            "relying on these figures"
        )
    return shares, warnings


def field_agreement(
    m: npt.ArrayLike,
    categories: Sequence[Hashable],
    annotators: Sequence[str],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> FieldAgreement:
    """Every coefficient for one field with 95% bootstrap CIs sharing one set of resamples.

    Counts only pairable units (>= 2 labels).  ``categories[code]`` names each code; its
    length is the ``q`` of Gwet's AC1.  Cohen's kappa is given for every annotator pair with
    >= 2 shared units.  ``prevalence`` is each category's share of labels on pairable units.
    """
    arr = _as_matrix(m)
    if arr.shape[1] != len(annotators):
        raise AgreementError(f"{arr.shape[1]} annotator columns but {len(annotators)} names")
    if arr.size and int(arr.max()) >= len(categories):
        raise AgreementError(f"a code is >= {len(categories)}: the category list is too short")
    _check_boot(n_boot, 0.95)
    arr = arr[(arr >= 0).any(axis=1)]
    labelled = arr >= 0
    pairable = labelled.sum(axis=1) >= 2
    kernels: dict[str, Kernel] = {
        "alpha": _alpha_kernel(arr),
        "fleiss": _fleiss_kernel(arr),
        "ac1": _ac1_kernel(arr, len(categories)),
        "percent": _percent_kernel(arr),
    }
    pairs: dict[tuple[str, str], str] = {}
    for a in range(arr.shape[1]):
        for b in range(a + 1, arr.shape[1]):
            if int((labelled[:, a] & labelled[:, b]).sum()) >= 2:
                pairs[(annotators[a], annotators[b])] = f"cohen:{a}:{b}"
                kernels[f"cohen:{a}:{b}"] = _cohen_kernel(arr, a, b)
    names = list(kernels)
    samples = _bootstrap(list(kernels.values()), arr.shape[0], n_boot, seed) if arr.size else []
    out = {name: _point(kernels[name]) for name in names}
    for name, values in zip(names, samples, strict=False):
        if out[name].value is not None:
            out[name] = replace(out[name], ci=_interval(values, 0.95))
    n_units = int(pairable.sum())
    counts = np.bincount(arr[pairable][labelled[pairable]], minlength=len(categories))
    prevalence, warnings = _field_notes(counts, categories, n_units)
    return FieldAgreement(
        krippendorff_alpha=out["alpha"],
        fleiss_kappa=out["fleiss"],
        gwet_ac1=out["ac1"],
        percent_agreement=out["percent"],
        cohen_kappa={pair: out[name] for pair, name in pairs.items()},
        n_units=n_units,
        n_annotators=int((labelled[pairable].any(axis=0)).sum()),
        prevalence=prevalence,
        warnings=warnings,
        majority_agreement={
            name: agreement_with_majority(arr, a) for a, name in enumerate(annotators)
        },
    )
