"""Inter-annotator agreement for one label field: coefficients, bootstrap CIs, the field report.

The coefficients themselves (Krippendorff's alpha, Fleiss' kappa, Gwet's AC1, Cohen's kappa,
percent agreement, majority agreement) are pure numpy functions in
:mod:`annotator.agreement_coefficients`, re-exported here: this module is the public import
path. It adds the percentile bootstrap (:func:`bootstrap_ci`) and :func:`field_agreement`,
which reports every coefficient for one field with CIs drawn from one shared set of resamples.

Every coefficient is computed from per-unit category counts, so a bootstrap resample is just a
matrix of unit weights (how often each unit was drawn) multiplied into those per-unit statistics.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from annotator.agreement_coefficients import (
    MISSING,
    OK,
    AgreementError,
    BoolArray,
    FloatArray,
    IntArray,
    Kernel,
    MetricValue,
    ac1_kernel,
    agreement_with_majority,
    alpha_kernel,
    as_matrix,
    cohen_kappa,
    cohen_kernel,
    confusion_matrix,
    encode,
    fleiss_kappa,
    fleiss_kernel,
    gwet_ac1,
    krippendorff_alpha_nominal,
    majority_labels,
    percent_agreement,
    percent_kernel,
    point,
)

__all__ = [
    "MISSING",
    "AgreementError",
    "BoolArray",
    "FieldAgreement",
    "FloatArray",
    "IntArray",
    "MetricValue",
    "agreement_with_majority",
    "bootstrap_ci",
    "cohen_kappa",
    "confusion_matrix",
    "encode",
    "field_agreement",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha_nominal",
    "majority_labels",
    "percent_agreement",
]

_CHUNK_ELEMENTS = 1 << 22  # weights held in memory at once during the bootstrap


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
            parts[n].append(np.where(codes == OK, value, np.nan))
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
        krippendorff_alpha_nominal: alpha_kernel,
        fleiss_kappa: fleiss_kernel,
        percent_agreement: percent_kernel,
        gwet_ac1: ac1_kernel,
        cohen_kappa: cohen_kernel,
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
    arr = as_matrix(m)
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
    arr = as_matrix(m)
    if arr.shape[1] != len(annotators):
        raise AgreementError(f"{arr.shape[1]} annotator columns but {len(annotators)} names")
    if arr.size and int(arr.max()) >= len(categories):
        raise AgreementError(f"a code is >= {len(categories)}: the category list is too short")
    _check_boot(n_boot, 0.95)
    arr = arr[(arr >= 0).any(axis=1)]
    labelled = arr >= 0
    pairable = labelled.sum(axis=1) >= 2
    kernels: dict[str, Kernel] = {
        "alpha": alpha_kernel(arr),
        "fleiss": fleiss_kernel(arr),
        "ac1": ac1_kernel(arr, len(categories)),
        "percent": percent_kernel(arr),
    }
    pairs: dict[tuple[str, str], str] = {}
    for a in range(arr.shape[1]):
        for b in range(a + 1, arr.shape[1]):
            if int((labelled[:, a] & labelled[:, b]).sum()) >= 2:
                pairs[(annotators[a], annotators[b])] = f"cohen:{a}:{b}"
                kernels[f"cohen:{a}:{b}"] = cohen_kernel(arr, a, b)
    names = list(kernels)
    samples = _bootstrap(list(kernels.values()), arr.shape[0], n_boot, seed) if arr.size else []
    out = {name: point(kernels[name]) for name in names}
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
