"""Sessions: balanced assignment with overlap, status, adding and reassigning annotators."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from annotator import sessions
from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError

NON_DUP = [
    "001_072d0af660637b2d",
    "002_c4579cf5f0a426bd",
    "003_490b98aef62dcad9",
    "004_39dcb224b8f820fa",
]


def test_plan_is_balanced_with_exact_overlap() -> None:
    articles = [(i, n) for i, n in enumerate([30, 10, 10, 20, 25, 5, 15, 12, 8, 40])]
    pairs = sessions.plan(articles, ["alice", "bob", "carol"], overlap=2)
    per_article = Counter(a for a, _ in pairs)
    assert set(per_article.values()) == {2}
    assert all(len({p for a, p in pairs if a == art}) == 2 for art in per_article)
    load = Counter()
    for article_id, person in pairs:
        load[person] += articles[article_id][1]
    total = sum(n for _, n in articles) * 2
    assert max(load.values()) - min(load.values()) <= 40  # within one article's size
    assert sum(load.values()) == total


def test_create_assigns_every_article_to_overlap_annotators(
    seeded: Service, scheme: Scheme
) -> None:
    status = sessions.create(
        seeded,
        "pilot",
        articles="all",
        annotators=["alice", "bob", "carol"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    assert status.overlap == 2 and status.blind and status.scheme == scheme.ref
    assert [a.external_id for a in status.articles] == NON_DUP  # near-duplicate 000 left out
    assert all(len(a.annotators) == 2 for a in status.articles)
    assert sorted(p.name for p in status.annotators) == ["alice", "bob", "carol"]
    assert sum(p.articles for p in status.annotators) == 8


def test_session_scheme_is_a_snapshot(seeded: Service, scheme: Scheme) -> None:
    sessions.create(
        seeded,
        "s1",
        articles="003_490b98aef62dcad9",
        annotators=["alice"],
        overlap=1,
        blind=False,
        scheme=scheme,
    )
    snap = sessions.session_scheme(seeded, "s1")
    assert snap.hash == scheme.hash and snap.guidelines_text == scheme.guidelines_text


def test_status_counts_labels_given_in_the_session(seeded: Service, scheme: Scheme) -> None:
    sessions.create(
        seeded,
        "s1",
        articles="003_490b98aef62dcad9",
        annotators=["alice"],
        overlap=1,
        blind=False,
        scheme=scheme,
    )
    ctx = Context("alice", scheme, session="s1")
    view = seeded.article(ctx, "003_490b98aef62dcad9")
    sentences = [u for u in view.units if u.role == "sentence"]
    seeded.press(ctx, sentences[0].id, "a")
    seeded.press(Context("alice", scheme), sentences[1].id, "a")  # outside the session
    status = sessions.status(seeded, "s1")
    assert status.annotators[0].labeled == 1
    assert status.annotators[0].units == len(sentences)
    assert status.articles[0].annotators == {"alice": 1}


def test_add_annotator_takes_unstarted_work(seeded: Service, scheme: Scheme) -> None:
    sessions.create(
        seeded,
        "s",
        articles="all",
        annotators=["alice", "bob"],
        overlap=1,
        blind=False,
        scheme=scheme,
    )
    before = {p.name: p.articles for p in sessions.status(seeded, "s").annotators}
    after = sessions.add_annotator(seeded, "s", "carol")
    counts = {p.name: p.articles for p in after.annotators}
    assert counts.get("carol", 0) >= 1
    assert sum(counts.values()) == sum(before.values()) == 4
    assert all(len(a.annotators) == 1 for a in after.articles)


def test_reassign_moves_one_article(seeded: Service, scheme: Scheme) -> None:
    sessions.create(
        seeded,
        "s",
        articles="003_490b98aef62dcad9",
        annotators=["alice"],
        overlap=1,
        blind=False,
        scheme=scheme,
    )
    status = sessions.reassign(seeded, "s", "003_490b98aef62dcad9", "alice", "dave")
    assert status.articles[0].annotators == {"dave": 0}
    with pytest.raises(ServiceError, match="not assigned to alice"):
        sessions.reassign(seeded, "s", "003_490b98aef62dcad9", "alice", "erin")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overlap": 3, "annotators": ["a", "b"]}, "--overlap must be between 1 and"),
        ({"overlap": 1, "annotators": []}, "needs annotators"),
        ({"overlap": 1, "annotators": ["bad name"]}, "not valid"),
        ({"overlap": 1, "annotators": ["a"], "articles": "nope"}, "no article 'nope'"),
    ],
)
def test_create_refuses_bad_requests(
    seeded: Service, scheme: Scheme, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"articles": "all", "blind": False, "scheme": scheme, **kwargs}
    with pytest.raises(ServiceError, match=message):
        sessions.create(seeded, "x", **args)  # type: ignore[arg-type]
    assert sessions.list_sessions(seeded) == []


def test_duplicate_session_name_refused(seeded: Service, scheme: Scheme) -> None:
    sessions.create(
        seeded, "x", articles="all", annotators=["a"], overlap=1, blind=False, scheme=scheme
    )
    with pytest.raises(ServiceError, match="exists already"):
        sessions.create(
            seeded, "x", articles="all", annotators=["a"], overlap=1, blind=False, scheme=scheme
        )


def test_session_commands_end_to_end(tmp_path: Path) -> None:
    from tests.conftest import SEEDS
    from tests.test_cli import run

    assert run("import", str(SEEDS), cwd=tmp_path).returncode == 0
    made = run(
        "session",
        "create",
        "pilot",
        "--articles",
        "all",
        "--annotators",
        "alice,bob,carol",
        "--overlap",
        "2",
        "--blind",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert "session pilot: claims@1+" in made.stdout and "blind" in made.stdout
    status = json.loads(run("session", "status", "pilot", "--format", "json", cwd=tmp_path).stdout)
    assert {a["external_id"] for a in status["articles"]} == set(NON_DUP)
    assert all(len(a["annotators"]) == 2 for a in status["articles"])
    listed = run("session", "list", cwd=tmp_path).stdout
    assert listed.startswith("pilot ")
    again = run(
        "session", "create", "pilot", "--articles", "all", "--annotators", "a", cwd=tmp_path
    )
    assert again.returncode == 2
    assert again.stderr.strip() == (
        "annotator: error: a session called 'pilot' exists already; choose another name"
    )
    merged = run("merge", str(tmp_path / "nope.db"), cwd=tmp_path)
    assert merged.returncode == 2 and "no such database file" in merged.stderr
