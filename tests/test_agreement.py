"""Agreement metrics against published worked examples and reference implementations."""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from annotator.agreement import (
    MISSING,
    AgreementError,
    MetricValue,
    agreement_with_majority,
    bootstrap_ci,
    cohen_kappa,
    confusion_matrix,
    encode,
    field_agreement,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha_nominal,
    majority_labels,
    percent_agreement,
)

X = MISSING
CHANCE_CORRECTED = [krippendorff_alpha_nominal, fleiss_kappa, gwet_ac1]


def from_counts(table: list[list[int]]) -> np.ndarray:
    """Label matrix from a units x categories count table (rater order is irrelevant here)."""
    return np.array([[c for c, k in enumerate(row) for _ in range(k)] for row in table])


def from_contingency(table: list[list[int]]) -> np.ndarray:
    """Two-rater label matrix from a contingency table (rows: rater 1, columns: rater 2)."""
    rows = [[a, b] for a, line in enumerate(table) for b, k in enumerate(line) for _ in range(k)]
    return np.array(rows)


# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", example C: 4 observers x 12
# units with missing values, alpha_nominal = 0.743.  Rows here are units, columns observers A-D.
KRIPP_2011 = np.array(
    [
        [1, 1, X, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [X, 5, 5, 5],
        [X, X, 1, 1],
        [X, 3, X, X],
    ]
)
# Gwet's irrCAC dataset cac.raw4raters (Handbook of Inter-Rater Reliability, 4th ed., p.120):
# the same ratings, except that unit 12's single rating belongs to rater 3.
GWET_RAW4 = KRIPP_2011.copy()
GWET_RAW4[11] = [X, X, 3, X]
# Krippendorff (2011) example A: binary data, two observers, ten units, alpha = 0.095.
KRIPP_BINARY = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]).T
# Fleiss (1971) psychiatric diagnoses, 30 patients x 6 psychiatrists x 5 categories, as the
# `diagnoses` data of R's irr package (kappam.fleiss gives 0.4302445).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)
# Wikipedia "Fleiss' kappa" worked example: 10 subjects x 14 raters x 5 categories, 0.210.
WIKI_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
# irrCAC dataset distrib.6raters: 15 patients x 6 raters x 5 diagnoses (overview vignette).
GWET_DIST6 = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
]
# irrCAC contingency table cont3x3abstractors (two abstractors, 100 pregnancies).
GWET_ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


# ---------------------------------------------------------------- published worked examples


def test_krippendorff_2011_nominal_with_missing_data() -> None:
    assert krippendorff_alpha_nominal(KRIPP_2011).value == pytest.approx(0.743, abs=5e-4)
    # irrCAC's krippen.alpha.raw(cac.raw4raters) prints 0.74342.
    assert krippendorff_alpha_nominal(GWET_RAW4).value == pytest.approx(0.74342, abs=5e-6)


def test_krippendorff_2011_binary_two_observers() -> None:
    assert krippendorff_alpha_nominal(KRIPP_BINARY).value == pytest.approx(0.095, abs=5e-4)


def test_fleiss_1971_psychiatric_diagnoses() -> None:
    assert fleiss_kappa(FLEISS_1971).value == pytest.approx(0.430, abs=5e-4)
    assert fleiss_kappa(FLEISS_1971).value == pytest.approx(0.4302445, abs=5e-8)


def test_fleiss_wikipedia_example() -> None:
    assert fleiss_kappa(from_counts(WIKI_FLEISS)).value == pytest.approx(0.210, abs=5e-4)


def test_gwet_ac1_irrcac_raw4raters_with_missing_data() -> None:
    # gwet.ac1.raw(cac.raw4raters): pa = 0.8181818, pe = 0.1903212, AC1 = 0.77544.
    assert gwet_ac1(GWET_RAW4).value == pytest.approx(0.77544, abs=5e-6)
    assert gwet_ac1(GWET_RAW4, n_categories=5).value == pytest.approx(0.77544, abs=5e-6)
    assert percent_agreement(GWET_RAW4).value == pytest.approx(0.8181818, abs=5e-8)


def test_fleiss_on_incomplete_data_uses_pooled_category_shares() -> None:
    # 11 pairable units, pa = 9/11; the 40 labels on them split 9/13/10/5/3 over the five
    # categories, so pe = (81 + 169 + 100 + 25 + 9) / 1600 = 0.24 (irrCAC's fleiss.kappa.raw
    # averages per-unit shares instead and prints 0.76117).
    assert fleiss_kappa(GWET_RAW4).value == pytest.approx((9 / 11 - 0.24) / (1 - 0.24), abs=1e-12)


def test_irrcac_distrib_6raters() -> None:
    m = from_counts(GWET_DIST6)
    assert gwet_ac1(m).value == pytest.approx(0.4448007, abs=5e-8)
    assert fleiss_kappa(m).value == pytest.approx(0.4139265, abs=5e-8)
    assert krippendorff_alpha_nominal(m).value == pytest.approx(0.4204384, abs=5e-8)
    assert percent_agreement(m).value == pytest.approx(0.5511111, abs=5e-8)


def test_irrcac_two_abstractors_table() -> None:
    m = from_contingency(GWET_ABSTRACTORS)
    assert cohen_kappa(m, 0, 1).value == pytest.approx(0.7964094, abs=5e-8)
    assert gwet_ac1(m).value == pytest.approx(0.8493305, abs=5e-8)
    assert krippendorff_alpha_nominal(m).value == pytest.approx(0.7972585, abs=5e-8)
    assert fleiss_kappa(m).value == pytest.approx(0.7962397, abs=5e-8)  # = Scott's pi
    assert percent_agreement(m).value == pytest.approx(0.89, abs=1e-12)


def test_cohen_kappa_wikipedia_fifty_proposals() -> None:
    # A and B both "yes" 20, A yes / B no 5, A no / B yes 10, both "no" 15 -> kappa = 0.4.
    m = from_contingency([[20, 5], [10, 15]])
    assert cohen_kappa(m, 0, 1).value == pytest.approx(0.4, abs=1e-12)
    assert cohen_kappa(m, 1, 0).value == pytest.approx(0.4, abs=1e-12)
    assert confusion_matrix(m, 0, 1, 2).tolist() == [[20, 5], [10, 15]]
    assert confusion_matrix(m, 1, 0, 3).tolist() == [[20, 10, 0], [5, 15, 0], [0, 0, 0]]


# ----------------------------------------------------------- reference implementations


def label_matrices(complete: bool = False, min_annotators: int = 2) -> st.SearchStrategy:
    @st.composite
    def build(draw: st.DrawFn) -> np.ndarray:
        units = draw(st.integers(1, 25))
        annotators = draw(st.integers(min_annotators, 5))
        k = draw(st.integers(1, 4))
        cells = st.integers(0, k - 1) if complete else st.integers(-1, k - 1)
        values = draw(st.lists(cells, min_size=units * annotators, max_size=units * annotators))
        return np.array(values, dtype=np.int64).reshape(units, annotators)

    return build()


def pairable_units(m: np.ndarray) -> int:
    return int(((m >= 0).sum(axis=1) >= 2).sum())


@settings(max_examples=150, deadline=None)
@given(label_matrices())
def test_alpha_matches_krippendorff_package(m: np.ndarray) -> None:
    ours = krippendorff_alpha_nominal(m)
    pairable = m[(m >= 0).sum(axis=1) >= 2]
    used = np.unique(pairable[pairable >= 0])
    if pairable.shape[0] < 2 or used.size < 2:
        assert ours.value is None and ours.reason
        return
    data = np.where(m >= 0, m, np.nan).astype(float).T
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours.value == pytest.approx(expected, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(label_matrices(), st.data())
def test_cohen_matches_sklearn(m: np.ndarray, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(m.shape[1])))
    i, j = order[0], order[1]
    ours = cohen_kappa(m, i, j)
    both = (m[:, i] >= 0) & (m[:, j] >= 0)
    a, b = m[both, i], m[both, j]
    if both.sum() < 2 or (np.unique(a).size == 1 and np.array_equal(np.unique(a), np.unique(b))):
        assert ours.value is None and ours.reason
        return
    assert ours.value == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(label_matrices(complete=True))
def test_fleiss_matches_statsmodels_on_complete_data(m: np.ndarray) -> None:
    ours = fleiss_kappa(m)
    if m.shape[0] < 2 or np.unique(m).size < 2:
        assert ours.value is None and ours.reason
        return
    table, _ = inter_rater.aggregate_raters(m)
    assert ours.value == pytest.approx(inter_rater.fleiss_kappa(table), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(label_matrices())
def test_percent_agreement_counts_agreeing_ordered_pairs(m: np.ndarray) -> None:
    shares = []
    for row in m:
        labels = row[row >= 0].tolist()
        pairs = [(a, b) for x, a in enumerate(labels) for y, b in enumerate(labels) if x != y]
        if pairs:
            shares.append(sum(a == b for a, b in pairs) / len(pairs))
    ours = percent_agreement(m)
    assert (ours.value is None) == (not shares)
    if shares:
        assert ours.value == pytest.approx(sum(shares) / len(shares), abs=1e-12)


# ----------------------------------------------------------------------- undefined cases

UNDEFINED = {
    "constant labels": np.zeros((6, 3), dtype=np.int64),
    "single unit": np.array([[0, 1, 1]]),
    "one annotator": np.array([[0], [1], [1]]),
    "all missing": np.full((4, 3), MISSING),
    "no units": np.zeros((0, 3), dtype=np.int64),
    "one shared unit": np.array([[0, 1], [1, X], [X, 0]]),
}


@pytest.mark.parametrize("name", list(UNDEFINED))
def test_undefined_coefficients_are_none_with_a_reason(name: str) -> None:
    m = UNDEFINED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [f(m) for f in CHANCE_CORRECTED]
        values.append(cohen_kappa(m, 0, 1) if m.shape[1] > 1 else MetricValue(None, "n/a"))
        report = field_agreement(m, ["a", "b"], [f"r{i}" for i in range(m.shape[1])], n_boot=50)
    for v in values:
        assert v.value is None and v.reason
    for v in (report.krippendorff_alpha, report.fleiss_kappa, report.gwet_ac1):
        assert v.value is None and v.reason and v.ci is None


def test_percent_agreement_defined_when_one_unit_is_pairable() -> None:
    assert percent_agreement(UNDEFINED["constant labels"]).value == 1.0
    assert percent_agreement(UNDEFINED["single unit"]).value == pytest.approx(1 / 3)
    assert percent_agreement(UNDEFINED["all missing"]) == MetricValue(
        None, "no unit was labelled by two or more annotators"
    )


def test_constant_labels_are_never_reported_as_perfect() -> None:
    m = np.ones((10, 2), dtype=np.int64)  # code 0 exists in the scheme but nobody used it
    assert gwet_ac1(m, n_categories=2).value is None
    assert cohen_kappa(m, 0, 1).value is None
    assert cohen_kappa(np.array([[0, 1], [0, 1], [0, 1]]), 0, 1).value == 0.0


# ---------------------------------------------------------------------------- bootstrap

Metric = Callable[[np.ndarray], MetricValue]
METRICS: list[Metric] = [
    krippendorff_alpha_nominal,
    fleiss_kappa,
    gwet_ac1,
    percent_agreement,
    functools.partial(cohen_kappa, i=0, j=2),
]


def noisy_labels(units: int = 200, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=units)
    m = np.where(rng.random((units, 4)) < 0.8, truth[:, None], rng.integers(0, 3, (units, 4)))
    m[rng.random(m.shape) < 0.15] = MISSING
    return m


@pytest.mark.parametrize("metric", METRICS)
def test_bootstrap_is_deterministic_and_brackets_the_estimate(metric: Metric) -> None:
    m = noisy_labels()
    ci = bootstrap_ci(metric, m, n_boot=500, seed=3)
    assert ci == bootstrap_ci(metric, m, n_boot=500, seed=3)
    assert ci != bootstrap_ci(metric, m, n_boot=500, seed=4)
    assert ci is not None
    point = metric(m).value
    assert point is not None and ci[0] < point < ci[1]


@pytest.mark.parametrize("metric", METRICS)
def test_vectorised_bootstrap_equals_one_call_per_resample(metric: Metric) -> None:
    m = noisy_labels(units=40, seed=11)
    fast = bootstrap_ci(metric, m, n_boot=200, seed=5)
    slow = bootstrap_ci(lambda x: metric(x), m, n_boot=200, seed=5)
    assert fast is not None and slow is not None
    assert fast == pytest.approx(slow, abs=1e-12)


def test_bootstrap_gives_up_when_most_resamples_are_undefined() -> None:
    m = noisy_labels(units=30)
    assert bootstrap_ci(lambda x: MetricValue(None, "never"), m, n_boot=50) is None
    assert bootstrap_ci(lambda x: MetricValue(0.5), m, n_boot=50) == (0.5, 0.5)

    distinct = np.column_stack([np.arange(25), np.arange(25)])

    def needs_first_row_twice(x: np.ndarray) -> MetricValue:  # defined in ~26% of resamples
        twice = int((x[:, 0] == 0).sum()) >= 2
        return MetricValue(1.0 if twice else None, None if twice else "not drawn twice")

    assert bootstrap_ci(needs_first_row_twice, distinct, n_boot=400) is None


# ------------------------------------------------------------------------ field report


def test_field_report_on_the_krippendorff_example() -> None:
    report = field_agreement(KRIPP_2011 - (KRIPP_2011 > 0), list("abcde"), list("ABCD"), seed=1)
    assert report.krippendorff_alpha.value == pytest.approx(0.743, abs=5e-4)
    assert report.n_units == 11 and report.n_annotators == 4
    assert report.prevalence == pytest.approx(
        {"a": 9 / 40, "b": 13 / 40, "c": 10 / 40, "d": 5 / 40, "e": 3 / 40}
    )
    assert list(report.cohen_kappa) == [(a, b) for a, b in itertools.combinations("ABCD", 2)]
    shifted = KRIPP_2011 - (KRIPP_2011 > 0)
    assert report.krippendorff_alpha.ci == bootstrap_ci(krippendorff_alpha_nominal, shifted, seed=1)
    assert report.cohen_kappa[("A", "C")].ci == bootstrap_ci(
        functools.partial(cohen_kappa, i=0, j=2), shifted, seed=1
    )
    assert report.warnings == [
        "only 11 units were labelled by two or more annotators: confidence intervals are wide; "
        "label more overlapping units before relying on these figures"
    ]
    assert report.majority_agreement["C"].value == pytest.approx(7 / 9)


def test_field_report_warns_about_skewed_prevalence() -> None:
    rows = [["no", "no", "no"]] * 90 + [["yes", "no", "yes"]] * 3 + [["yes", "yes", "yes"]] * 7
    m, categories = encode(rows)
    report = field_agreement(m, categories, ["ann", "bob", "cy"], n_boot=100)
    assert report.warnings == [
        "prevalence of 'no' is 0.91: kappa-type coefficients are depressed by skewed prevalence "
        "(kappa paradox); read AC1 and percent agreement beside them"
    ]
    assert report.percent_agreement.value == pytest.approx(0.98)
    ac1, kappa = report.gwet_ac1.value, report.fleiss_kappa.value
    assert ac1 is not None and kappa is not None and ac1 > kappa


def test_cohen_pairs_need_two_shared_units() -> None:
    m = np.array([[0, 1, X], [1, 1, X], [0, X, 1], [1, 0, X]])
    report = field_agreement(m, ["x", "y"], ["a", "b", "c"], n_boot=20)
    assert list(report.cohen_kappa) == [("a", "b")]
    assert report.n_annotators == 3


# ---------------------------------------------------------------- helpers and bad input


def test_encode_sorts_categories_by_string() -> None:
    m, categories = encode([["no", "yes", None], [None, "maybe", "no"]])
    assert categories == ["maybe", "no", "yes"]
    assert m.tolist() == [[1, 2, X], [X, 0, 1]]


def test_majority_labels_and_agreement_with_majority() -> None:
    m = np.array([[0, 0, 1], [0, 1, X], [X, X, X], [2, 2, 2], [1, X, X]])
    codes, tie = majority_labels(m)
    assert codes.tolist() == [0, X, X, 2, 1]
    assert tie.tolist() == [False, True, False, False, False]
    # annotator 2 vs the others: unit 0 -> majority 0 (disagrees), unit 3 -> 2 (agrees)
    assert agreement_with_majority(m, 2).value == 0.5
    assert agreement_with_majority(np.array([[0, X], [1, X]]), 0).value is None


@pytest.mark.parametrize(
    "bad",
    [np.array([0, 1, 2]), np.array([[0.5, 1.0]]), np.array([[0, -2]]), [["a", "b"]]],
)
def test_bad_matrices_raise_agreement_error(bad: object) -> None:
    with pytest.raises(AgreementError):
        krippendorff_alpha_nominal(bad)  # type: ignore[arg-type]


def test_bad_arguments_raise_agreement_error() -> None:
    with pytest.raises(AgreementError):
        encode([["a", "b"], ["a"]])
    with pytest.raises(AgreementError):
        field_agreement(np.zeros((3, 2), dtype=np.int64), ["a"], ["only-one-name"])
    with pytest.raises(AgreementError):
        cohen_kappa(np.zeros((3, 2), dtype=np.int64), 0, 0)
    with pytest.raises(AgreementError):
        gwet_ac1(np.array([[0, 1], [2, 2]]), n_categories=2)
    with pytest.raises(AgreementError):
        bootstrap_ci(percent_agreement, np.zeros((3, 2), dtype=np.int64), level=1.5)
