"""The agreement report and `annotator agreement`: numbers against reference implementations."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from sklearn.metrics import confusion_matrix as sk_confusion
from sqlmodel import select
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from annotator.cli import main
from annotator.export.matrix import ReportError
from annotator.export.report import (
    agreement_report,
    render_html,
    render_markdown,
    report_json,
)
from annotator.scheme import Scheme, load_scheme
from annotator.service import Context, Service
from annotator.store.models import AnnotationEvent, Annotator, Unit
from annotator.store.timing import seconds_per_unit
from tests.conftest import ROOT, SEEDS, env_without_user_settings

NAMES = ("alice", "bob", "carol")
CATS = ("attributed", "editorial", "no_claim")
A, E, N = CATS
# claim_type by alice, bob, carol on the first 12 sentences of the seeds
CLAIM_TYPE = [
    (A, A, A),
    (A, A, E),
    (E, E, E),
    (E, A, N),  # everyone differs
    (N, N, N),
    (A, A, A),
    (E, E, A),
    (A, E, A),
    (N, N, E),
    (E, E, E),
    (A, A, A),
    (E, E, E),
]
FRAMING = {
    (0, "alice"),
    (0, "bob"),
    (1, "alice"),
    (3, "carol"),
    (6, "alice"),
    (6, "bob"),
    (6, "carol"),
    (8, "bob"),
}
DISPUTED = {(3, "alice"), (3, "bob")}
NOTES = {(3, "carol"): "the speaker is only named two sentences later"}
N_BOOT = 200


def sentence_ids(service: Service, n: int) -> list[int]:
    """The first ``n`` sentence units, in article and position order."""
    query = select(Unit).where(Unit.role == "sentence").order_by(Unit.article_id, Unit.idx)  # type: ignore[arg-type]
    return service.read(lambda s: [u.id for u in s.exec(query).all()[:n]])  # type: ignore[misc]


def write_table(service: Service, scheme: Scheme) -> list[int]:
    """Write CLAIM_TYPE / FRAMING / DISPUTED / NOTES; return the unit ids."""
    units = sentence_ids(service, len(CLAIM_TYPE))
    for u, (unit, row) in enumerate(zip(units, CLAIM_TYPE, strict=True)):
        for who, ct in zip(NAMES, row, strict=True):
            flags = [f for f, s in (("framing", FRAMING), ("disputed", DISPUTED)) if (u, who) in s]
            service.set_labels(Context(who, scheme), unit, {"claim_type": ct, "flags": flags})
            if (u, who) in NOTES:
                service.set_note(Context(who, scheme), unit, NOTES[u, who])
    return units


@pytest.fixture
def labelled(seeded: Service, scheme: Scheme) -> tuple[Service, list[int]]:
    """The seeds with the 12-unit, 3-annotator label table."""
    return seeded, write_table(seeded, scheme)


@pytest.fixture
def data(labelled: tuple[Service, list[int]], scheme: Scheme) -> dict[str, Any]:
    """The JSON report of the label table."""
    service, _ = labelled
    out = report_json(agreement_report(service, scheme, n_boot=N_BOOT))
    json.dumps(out, allow_nan=False)  # valid JSON: no NaN anywhere
    return out


def codes(field: str) -> np.ndarray:
    """The label table of one field as a units x annotators integer array."""
    if field == "claim_type":
        return np.array([[CATS.index(v) for v in row] for row in CLAIM_TYPE])
    flag = FRAMING if field == "flags.framing" else DISPUTED
    return np.array([[int((u, w) in flag) for w in NAMES] for u in range(len(CLAIM_TYPE))])


def ac1(m: np.ndarray, q: int) -> float:
    """Gwet's AC1 for complete data, written out from Gwet (2008)."""
    r = m.shape[1]
    counts = np.stack([(m == k).sum(axis=1) for k in range(q)], axis=1)
    p_a = np.mean((counts * (counts - 1)).sum(axis=1) / (r * (r - 1)))
    pi = (counts / r).mean(axis=0)
    p_e = (pi * (1 - pi)).sum() / (q - 1)
    return float((p_a - p_e) / (1 - p_e))


@pytest.mark.parametrize("field", ["claim_type", "flags.framing"])
def test_coefficients_equal_reference_implementations(data: dict[str, Any], field: str) -> None:
    m = codes(field)
    got = data["fields"][field]
    alpha = krippendorff.alpha(reliability_data=m.T, level_of_measurement="nominal")
    assert got["krippendorff_alpha"] == pytest.approx(alpha, abs=1e-12)
    table, _ = aggregate_raters(m, n_cat=3 if field == "claim_type" else 2)
    assert got["fleiss_kappa"] == pytest.approx(sm_fleiss(table), abs=1e-12)
    assert got["gwet_ac1"] == pytest.approx(ac1(m, 3 if field == "claim_type" else 2), abs=1e-12)
    pairs = [np.mean(m[:, a] == m[:, b]) for a, b in itertools.combinations(range(3), 2)]
    assert got["percent_agreement"] == pytest.approx(np.mean(pairs), abs=1e-12)
    for a, b in itertools.combinations(range(3), 2):
        key = f"{NAMES[a]}|{NAMES[b]}"
        assert got["cohen_kappa"][key] == pytest.approx(cohen_kappa_score(m[:, a], m[:, b]))
        assert got["pair_percent_agreement"][key] == pytest.approx(np.mean(m[:, a] == m[:, b]))
    assert (got["n_units"], got["n_annotators"]) == (12, 3)


def test_every_value_has_its_interval_and_reason_beside_it(data: dict[str, Any]) -> None:
    ct = data["fields"]["claim_type"]
    for name in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement"):
        low, high = ct[f"{name}_ci"]
        assert low <= ct[name] <= high
        assert ct[f"{name}_reason"] is None
    assert set(ct["cohen_kappa"]) == {"alice|bob", "alice|carol", "bob|carol"}
    assert all(len(v) == 2 for v in ct["cohen_kappa_ci"].values())
    assert ct["prevalence"] == pytest.approx({A: 15 / 36, E: 15 / 36, N: 6 / 36})
    assert data["scheme"].startswith("claims@1+") and data["session"] is None
    assert data["bootstrap"] == {"resamples": N_BOOT, "seed": 0, "level": 0.95}
    datetime.fromisoformat(data["generated_at"])


def test_confusion_matrices_and_majority_agreement(data: dict[str, Any]) -> None:
    m = codes("claim_type")
    confusion = data["fields"]["claim_type"]["confusion"]["alice|carol"]
    assert (confusion["rows"], confusion["columns"]) == ("alice", "carol")
    assert confusion["matrix"] == sk_confusion(m[:, 0], m[:, 2], labels=[0, 1, 2]).tolist()
    # carol matches the (untied) majority of alice and bob on 7 of the 10 units where they agree
    assert data["annotators"]["carol"]["majority_agreement"]["claim_type"] == pytest.approx(0.7)
    assert data["annotators"]["alice"]["units_labeled"] == 12
    assert data["annotators"]["alice"]["incomplete"] == 0


def test_flag_left_off_is_no_not_missing(seeded: Service, scheme: Scheme) -> None:
    units = sentence_ids(seeded, 4)
    for unit in units:  # alice and bob each label every unit; only alice ever sets a flag
        seeded.set_labels(Context("alice", scheme), unit, {"claim_type": A, "flags": ["framing"]})
        seeded.set_labels(Context("bob", scheme), unit, {"claim_type": A})
    seeded.set_labels(
        Context("carol", scheme), units[0], {"claim_type": None, "flags": ["framing"]}
    )
    data = report_json(agreement_report(seeded, scheme, n_boot=N_BOOT))
    framing = data["fields"]["flags.framing"]
    assert framing["n_units"] == 4  # bob's missing flag counts as "no"; carol is incomplete
    assert framing["n_annotators"] == 2
    assert framing["percent_agreement"] == 0.0
    assert framing["prevalence"] == {"no": 0.5, "yes": 0.5}
    assert data["annotators"]["carol"]["incomplete"] == 1
    assert any("incomplete" in note for note in data["notes"])


def test_unanimous_single_label_is_undefined_not_one(seeded: Service, scheme: Scheme) -> None:
    for unit in sentence_ids(seeded, 5):
        for who in NAMES:
            seeded.set_labels(Context(who, scheme), unit, {"claim_type": E})
    report = agreement_report(seeded, scheme, n_boot=N_BOOT)
    ct = report_json(report)["fields"]["claim_type"]
    for name in ("krippendorff_alpha", "fleiss_kappa", "cohen_kappa"):
        values = ct[name].values() if name == "cohen_kappa" else [ct[name]]
        assert all(v is None for v in values)
    assert "same category" in ct["krippendorff_alpha_reason"]
    assert ct["krippendorff_alpha_ci"] is None
    assert ct["percent_agreement"] == 1.0
    assert any("kappa paradox" in w for w in ct["warnings"])
    assert (
        "- claim_type, flags.framing, flags.disputed: Krippendorff's α, Fleiss' κ, Gwet's AC1 "
        "undefined: every label is the same category" in render_markdown(report)
    )


def test_most_disagreed_units_in_order_with_labels_notes_and_text(
    labelled: tuple[Service, list[int]], data: dict[str, Any]
) -> None:
    service, units = labelled
    found = data["disagreements"]
    # 3-way split first; then one dissent with a flag split (units 1, 8), then without; then
    # full claim-type agreement with a flag split (unit 0)
    assert [units.index(d["unit_id"]) for d in found] == [3, 1, 8, 6, 7, 0]
    top = found[0]
    assert top["agreement"] == 0.0 and top["flag_disagreements"] == 2
    assert top["labels"]["alice"] == {"claim_type": E, "flags": ["disputed"]}
    assert top["labels"]["carol"] == {"claim_type": N, "flags": ["framing"]}
    assert top["notes"] == {"carol": NOTES[3, "carol"]}
    unit = service.read(lambda s: s.get(Unit, units[3]))
    assert top["text"] == unit.text and top["unit"] == unit.idx
    assert top["article"].startswith("0")


def test_gold_section_against_sklearn(labelled: tuple[Service, list[int]], scheme: Scheme) -> None:
    service, units = labelled
    gold_ct = [A, A, E, A, N, A, E, E, N, E, A, E]
    gold = {u: {"claim_type": c, "flags": []} for u, c in zip(units, gold_ct, strict=True)}
    del gold[units[11]]
    report = agreement_report(service, scheme, gold=gold, n_boot=N_BOOT)
    data = report_json(report)
    assert data["gold"]["n_units"] == 11
    truth = np.array([CATS.index(c) for c in gold_ct[:11]])
    m = codes("claim_type")[:11]
    for a, who in enumerate(NAMES):
        got = data["gold"]["annotators"][who]["claim_type"]
        assert got["cohen_kappa"] == pytest.approx(cohen_kappa_score(m[:, a], truth))
        assert got["percent_agreement"] == pytest.approx(np.mean(m[:, a] == truth))
        assert got["n_units"] == 11
    assert "Each annotator against gold" in render_markdown(report)
    assert "Each annotator against gold" in render_html(report)
    assert report_json(agreement_report(service, scheme, n_boot=N_BOOT))["gold"] is None


def test_other_scheme_versions_are_noted_not_mixed(
    labelled: tuple[Service, list[int]], scheme: Scheme, data: dict[str, Any]
) -> None:
    service, units = labelled
    tiny = load_scheme(ROOT / "tests" / "data" / "schemes" / "tiny.yaml")
    for unit in units[:2]:
        service.set_labels(Context("dave", tiny), unit, {"stance": "pro"})
    again = report_json(agreement_report(service, scheme, n_boot=N_BOOT))
    assert again["fields"] == data["fields"]  # same numbers, same seed
    assert list(again["annotators"]) == list(NAMES)
    assert any(
        f"2 annotations under 1 other scheme version ({tiny.hash[:12]}: 2)" in n
        for n in again["notes"]
    )


def test_session_filter(seeded: Service, scheme: Scheme) -> None:
    units = sentence_ids(seeded, 3)
    for unit in units:
        seeded.set_labels(Context("alice", scheme, "pilot"), unit, {"claim_type": A})
        seeded.set_labels(Context("bob", scheme, "pilot"), unit, {"claim_type": E})
        seeded.set_labels(Context("carol", scheme), unit, {"claim_type": A})
    data = report_json(agreement_report(seeded, scheme, session_name="pilot", n_boot=N_BOOT))
    assert data["session"] == "pilot" and list(data["annotators"]) == ["alice", "bob"]
    assert data["fields"]["claim_type"]["percent_agreement"] == 0.0
    with pytest.raises(ReportError, match=r"no labels under scheme .* in session 'x'"):
        agreement_report(seeded, scheme, session_name="x")


def set_times(service: Service, who: str, seconds: list[float]) -> None:
    """Give ``who``'s edit events, in the order they were made, these times."""
    t0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def run(s: Any) -> None:
        ann = s.exec(select(Annotator).where(Annotator.name == who)).one()
        events = s.exec(
            select(AnnotationEvent)
            .where(AnnotationEvent.annotator_id == ann.id)
            .order_by(AnnotationEvent.id)  # type: ignore[arg-type]
        ).all()
        assert len(events) == len(seconds)
        for event, sec in zip(events, seconds, strict=True):
            event.at = t0 + timedelta(seconds=sec)
            s.add(event)

    service.write(run)


def test_median_seconds_per_unit_from_the_event_log(seeded: Service, scheme: Scheme) -> None:
    u = sentence_ids(seeded, 6)
    alice = Context("alice", scheme)
    seeded.press(alice, u[0], "a")  # 0 s: first edit, nothing to time it from
    seeded.press(alice, u[1], "e")  # 10 s
    seeded.press(alice, u[1], "f")  # 14 s: same visit, unit 1 took 14 s
    seeded.press(alice, u[2], "a")  # 20 s: 6 s
    seeded.press(alice, u[3], "n")  # 720 s: after a 700 s break, left out
    seeded.press(alice, u[4], "a")  # 730 s: 10 s
    seeded.undo(alice)  # undo is not an edit
    set_times(seeded, "alice", [0, 10, 14, 20, 720, 730, 735])
    seeded.set_labels(Context("bob", scheme), u[0], {"claim_type": A})
    data = report_json(agreement_report(seeded, scheme, n_boot=N_BOOT))
    assert data["annotators"]["alice"]["median_seconds_per_unit"] == 10.0
    assert data["annotators"]["alice"]["timed_units"] == 3
    assert data["annotators"]["bob"]["median_seconds_per_unit"] is None


def test_seconds_per_unit_adds_up_revisits() -> None:
    t0 = datetime(2024, 5, 1, 9, 0)

    def events(rows: list[tuple[str, int, float]]) -> Iterator[tuple[str, int, datetime]]:
        return iter([(w, u, t0 + timedelta(seconds=s)) for w, u, s in rows])

    got = seconds_per_unit(
        events(
            [
                ("a", 1, 0),
                ("a", 2, 5),
                ("a", 3, 8),
                ("a", 2, 12),
                ("a", 4, 20),
                ("b", 7, 0),
                ("b", 8, 900),
            ]
        )
    )
    assert got["a"] == (8.0, 3)  # unit 2: 5 s + 4 s when revisited, unit 3: 3 s, unit 4: 8 s
    assert got["b"] == (None, 0)  # the only gap is a break


def test_html_is_self_contained_and_markdown_has_the_summary(
    labelled: tuple[Service, list[int]], scheme: Scheme
) -> None:
    report = agreement_report(labelled[0], scheme, n_boot=N_BOOT)
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert page.count("<svg") >= 1 + 3 + 3  # whiskers, prevalence per field, heatmap per field
    assert "kappa paradox" in page.lower() and "How to read this" in page
    md = render_markdown(report)
    assert "| field | units | annotators | Krippendorff's α | Fleiss' κ | Gwet's AC1 |" in md
    alpha = report.fields["claim_type"].krippendorff_alpha
    assert alpha.value is not None and alpha.ci is not None
    row = f"| claim_type | 12 | 3 | {alpha.value:.2f} [{alpha.ci[0]:.2f}, {alpha.ci[1]:.2f}] |"
    assert row in md
    assert "## Most disagreed units" in md and NOTES[3, "carol"] in md


def run_cli(*args: str) -> int:
    return main(["agreement", *args, "--n-boot", "50"])


def test_cli_writes_files_and_refuses_to_overwrite(
    labelled: tuple[Service, list[int]],
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = db_url.removeprefix("sqlite:///")
    html = tmp_path / "report.html"
    assert run_cli("--db", db, "-o", str(html)) == 0
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")  # format from suffix
    capsys.readouterr()
    before = html.read_bytes()
    assert run_cli("--db", db, "-o", str(html), "--format", "json") == 2
    err = capsys.readouterr().err
    assert err == f"annotator: error: {html} already exists; pass --force to overwrite it\n"
    assert html.read_bytes() == before
    assert run_cli("--db", db, "-o", str(html), "--format", "json", "--force") == 0
    assert json.loads(html.read_text(encoding="utf-8"))["fields"]["claim_type"]["n_units"] == 12
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    capsys.readouterr()
    assert run_cli("--db", db) == 0  # Markdown on stdout
    assert capsys.readouterr().out.startswith("# Agreement report: claims@1+")
    assert run_cli("--db", db, "-o", str(tmp_path / "missing" / "r.md")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_on_a_database_without_labels_is_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    service = Service.open(str(db))
    service.import_paths([SEEDS])
    service.close()
    scheme = load_scheme(ROOT / "guidelines" / "claims.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", "agreement", "--db", str(db)],
        capture_output=True,
        text=True,
        env=env_without_user_settings(),
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        f"annotator: error: no labels under scheme {scheme.ref}; label some units first\n"
    )


def test_cli_session_defaults_to_the_session_scheme(
    seeded: Service, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.sessions import create

    tiny = load_scheme(ROOT / "tests" / "data" / "schemes" / "tiny.yaml")
    create(
        seeded,
        "pilot",
        articles="all",
        annotators=["ann", "ben"],
        overlap=2,
        blind=True,
        scheme=tiny,
        include_duplicates=True,  # sentence_ids() starts in 000, a near-duplicate
    )
    for unit in sentence_ids(seeded, 4):
        for who, stance in (("ann", "pro"), ("ben", "con")):
            seeded.set_labels(Context(who, tiny, "pilot"), unit, {"stance": stance})
    assert run_cli("--db", db_url, "--session", "pilot", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scheme"] == tiny.ref and data["session"] == "pilot"
    assert data["fields"]["stance"]["percent_agreement"] == 0.0
    assert run_cli("--db", db_url, "--session", "nosuch") == 2
    assert "no labels under scheme claims@1+" in capsys.readouterr().err
