"""Label matrices built from the database: which labels count, and where they land."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import select

from annotator.agreement import MISSING
from annotator.export.matrix import build_matrices, field_specs, gold_codes
from annotator.scheme import Scheme, load_scheme
from annotator.service import Context, Service
from annotator.store.dataset import iter_annotations
from annotator.store.models import Unit
from tests.conftest import ROOT

X = MISSING
TINY = ROOT / "tests" / "data" / "schemes" / "tiny.yaml"


def sentence_ids(service: Service, n: int) -> list[int]:
    """The first ``n`` sentence units, in article and position order."""

    def run(session: object) -> list[int]:
        query = (
            select(Unit).where(Unit.role == "sentence").order_by(Unit.article_id, Unit.idx)  # type: ignore[arg-type]
        )
        return [u.id for u in session.exec(query).all()[:n]]  # type: ignore[attr-defined]

    return service.read(run)


def label(
    service: Service,
    scheme: Scheme,
    who: str,
    unit: int,
    ct: str | None,
    *flags: str,
    session: str = "",
) -> None:
    service.set_labels(
        Context(who, scheme, session), unit, {"claim_type": ct, "flags": list(flags)}
    )


def test_fields_of_the_default_scheme(scheme: Scheme) -> None:
    specs = field_specs(scheme)
    assert [(name, group, kind) for name, group, kind, _ in specs] == [
        ("claim_type", "claim_type", "nominal"),
        ("flags.framing", "flags", "binary"),
        ("flags.disputed", "flags", "binary"),
    ]
    assert specs[0][3] == ("attributed", "editorial", "no_claim")
    assert specs[1][3] == ("no", "yes")


def test_matrices_hold_exact_codes_and_flags_off_means_no(seeded: Service, scheme: Scheme) -> None:
    u = sentence_ids(seeded, 4)
    label(seeded, scheme, "bob", u[0], "editorial", "framing")
    label(seeded, scheme, "alice", u[0], "attributed")  # no flag: "no" for both flags
    label(seeded, scheme, "alice", u[1], "no_claim", "framing", "disputed")
    label(seeded, scheme, "carol", u[1], None, "framing")  # incomplete: flags are missing
    label(seeded, scheme, "bob", u[2], "attributed")
    seeded.set_note(Context("bob", scheme), u[2], "quote without a speaker")

    m = build_matrices(seeded, scheme)
    assert m.annotators == ("alice", "bob", "carol")
    assert m.unit_ids.tolist() == u[:3]
    assert m.fields["claim_type"].matrix.tolist() == [[0, 1, X], [2, X, X], [X, 0, X]]
    assert m.fields["flags.framing"].matrix.tolist() == [[0, 1, X], [1, X, X], [X, 0, X]]
    assert m.fields["flags.disputed"].matrix.tolist() == [[0, 0, X], [1, X, X], [X, 0, X]]
    assert m.present.tolist() == [[True, True, False], [True, False, True], [False, True, False]]
    assert m.complete.tolist() == [[True, True, False], [True, False, False], [False, True, False]]
    assert m.notes == {(2, 1): "quote without a speaker"}
    assert m.labels_at(0, 0) == {"claim_type": "attributed", "flags": []}
    assert m.labels_at(1, 2) == {"claim_type": None, "flags": ["framing"]}
    assert m.labels_at(0, 2) is None
    texts = seeded.read(lambda s: {x.id: x.text for x in s.exec(select(Unit)).all()})
    assert m.texts == [texts[i] for i in u[:3]]
    assert (m.superseded, m.invalid, m.other_schemes) == (0, 0, {})


def test_matrices_equal_a_naive_build_from_iter_annotations(
    seeded: Service, scheme: Scheme
) -> None:
    u = sentence_ids(seeded, 30)
    rng = np.random.default_rng(3)
    cats = ["attributed", "editorial", "no_claim", None]
    for unit in u:
        for who in ("ann", "ben", "cat", "dan"):
            if rng.random() < 0.8:
                flags = [f for f in ("framing", "disputed") if rng.random() < 0.3]
                label(seeded, scheme, who, unit, cats[rng.integers(0, 4)], *flags)
    m = build_matrices(seeded, scheme)
    rows = seeded.read(lambda s: list(iter_annotations(s, scheme_hash=scheme.hash)))
    unit_ids = list(dict.fromkeys(r.unit_id for r in rows))
    names = sorted({r.annotator for r in rows})
    assert m.unit_ids.tolist() == unit_ids and list(m.annotators) == names
    expected = {name: np.full((len(unit_ids), 4), X) for name, *_ in field_specs(scheme)}
    codes = {"attributed": 0, "editorial": 1, "no_claim": 2}
    for r in rows:
        i, j = unit_ids.index(r.unit_id), names.index(r.annotator)
        ct = r.labels["claim_type"]
        expected["claim_type"][i, j] = codes[ct] if ct else X
        for flag in ("framing", "disputed"):
            expected[f"flags.{flag}"][i, j] = (flag in r.labels["flags"]) if ct else X
    for name, want in expected.items():
        assert m.fields[name].matrix.tolist() == want.tolist(), name


def test_only_one_scheme_is_read_and_others_are_counted(seeded: Service, scheme: Scheme) -> None:
    tiny = load_scheme(TINY)
    u = sentence_ids(seeded, 3)
    label(seeded, scheme, "alice", u[0], "editorial")
    for unit in u:
        seeded.set_labels(Context("bob", tiny), unit, {"stance": "pro", "marks": []})
    m = build_matrices(seeded, scheme)
    assert m.annotators == ("alice",)
    assert m.unit_ids.tolist() == [u[0]]
    assert m.other_schemes == {tiny.hash: 3}
    t = build_matrices(seeded, tiny)
    assert list(t.fields) == ["stance", "marks.hedged"]
    assert t.fields["stance"].matrix.tolist() == [[0], [0], [0]]
    assert t.other_schemes == {scheme.hash: 1}


def test_sessions_latest_label_wins_when_all_are_read(seeded: Service, scheme: Scheme) -> None:
    u = sentence_ids(seeded, 2)
    label(seeded, scheme, "alice", u[0], "editorial", session="s1")
    label(seeded, scheme, "alice", u[0], "no_claim", session="s2")
    label(seeded, scheme, "alice", u[1], "attributed", session="s2")
    label(seeded, scheme, "alice", u[1], "editorial", session="s1")  # later, in s1
    label(seeded, scheme, "bob", u[0], "attributed")
    every = build_matrices(seeded, scheme)
    assert every.fields["claim_type"].matrix.tolist() == [[2, 0], [1, X]]
    assert every.superseded == 2
    s1 = build_matrices(seeded, scheme, session_name="s1")
    assert s1.annotators == ("alice",)
    assert s1.fields["claim_type"].matrix.tolist() == [[1], [1]]
    assert s1.superseded == 0
    outside = build_matrices(seeded, scheme, session_name="")
    assert outside.annotators == ("bob",)


def test_store_and_session_sources_and_empty_database(service: Service, scheme: Scheme) -> None:
    m = build_matrices(service.store, scheme)
    assert m.n_units == 0 and m.annotators == ()
    assert m.fields["claim_type"].matrix.shape == (0, 0)
    assert service.read(lambda s: build_matrices(s, scheme)).n_units == 0
    with pytest.raises(TypeError):
        build_matrices(42, scheme)


def test_gold_codes_follow_the_same_rules(seeded: Service, scheme: Scheme) -> None:
    u = sentence_ids(seeded, 3)
    for unit in u:
        label(seeded, scheme, "alice", unit, "editorial")
    m = build_matrices(seeded, scheme)
    gold = {
        u[0]: {"claim_type": "attributed", "flags": ["disputed"]},
        u[2]: {"claim_type": None, "flags": ["framing"]},
        999_999: {"claim_type": "editorial"},  # nobody labelled it: ignored
    }
    g = gold_codes(m, gold)
    assert g["claim_type"].tolist() == [0, X, X]
    assert g["flags.framing"].tolist() == [0, X, X]
    assert g["flags.disputed"].tolist() == [1, X, X]
