"""`annotator merge`: offline databases come together without losing or overwriting labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from annotator import sessions
from annotator.merge import merge
from annotator.scheme import Scheme
from annotator.service import Context, Service
from tests.conftest import SEEDS

ARTICLE = "003_490b98aef62dcad9"


def _sentences(service: Service, ctx: Context) -> list[int]:
    return [u.id for u in service.article(ctx, ARTICLE).units if u.role == "sentence"]


@pytest.fixture
def offline(tmp_path: Path, scheme: Scheme) -> tuple[Service, str]:
    """Bob's laptop: only article 003 and 004, labelled offline."""
    url = f"sqlite:///{tmp_path / 'bob.db'}"
    bob_db = Service.open(url)
    bob_db.import_paths([SEEDS / "004_39dcb224b8f820fa.txt", SEEDS / f"{ARTICLE}.txt"])
    bob = Context("bob", scheme)
    units = _sentences(bob_db, bob)
    bob_db.press(bob, units[0], "e")
    bob_db.press(bob, units[1], "f")
    bob_db.press(bob, units[1], "a")
    bob_db.set_note(bob, units[1], "quoted")
    return bob_db, url


def test_merge_copies_labels_and_events_and_is_idempotent(
    seeded: Service, scheme: Scheme, offline: tuple[Service, str], db_state: Callable[[], str]
) -> None:
    bob_db, url = offline
    alice, bob = Context("alice", scheme), Context("bob", scheme)
    mine = _sentences(seeded, alice)
    seeded.press(alice, mine[0], "a")
    report = merge(seeded, url)
    assert report.articles_added == []  # both articles matched by text
    assert report.labels_added == 2 and report.conflicts == [] and report.unmatched == []
    assert report.events_added == 4
    view = seeded.article(bob, ARTICLE)
    assert view.labels[mine[0]].labels["claim_type"] == "editorial"
    assert view.labels[mine[1]].labels == {"claim_type": "attributed", "flags": ["framing"]}
    assert view.labels[mine[1]].note == "quoted"
    assert seeded.article(alice, ARTICLE).labels[mine[0]].labels["claim_type"] == "attributed"
    before = db_state()
    again = merge(seeded, url)
    assert (again.labels_added, again.events_added, again.labels_same) == (0, 0, 2)
    assert db_state() == before
    bob_db.close()


def test_newer_own_label_updates_but_changes_here_are_kept(
    seeded: Service, scheme: Scheme, offline: tuple[Service, str]
) -> None:
    bob_db, url = offline
    bob = Context("bob", scheme)
    merge(seeded, url)
    units = _sentences(seeded, bob)
    bob_db.press(bob, _sentences(bob_db, bob)[0], "n")  # bob changes his mind offline
    assert merge(seeded, url).labels_updated == 1
    assert seeded.article(bob, ARTICLE).labels[units[0]].labels["claim_type"] == "no_claim"
    seeded.press(bob, units[1], "e")  # ... and then edits here, newer than his laptop
    report = merge(seeded, url)
    assert len(report.conflicts) == 0  # laptop copy unchanged since: same as before, kept
    bob_db.press(bob, _sentences(bob_db, bob)[1], "f")  # now both sides differ
    seeded.press(bob, units[1], "d")
    report = merge(seeded, url)
    assert len(report.conflicts) == 1 and "kept" in report.conflicts[0]
    assert seeded.article(bob, ARTICLE).labels[units[1]].labels["flags"] == ["framing", "disputed"]
    bob_db.close()


def test_unknown_articles_and_sessions_come_along(
    tmp_path: Path, scheme: Scheme, offline: tuple[Service, str]
) -> None:
    bob_db, url = offline
    sessions.create(
        bob_db, "field", articles=ARTICLE, annotators=["bob"], overlap=1, blind=True, scheme=scheme
    )
    empty = Service.open(f"sqlite:///{tmp_path / 'lead.db'}")
    report = merge(empty, url)
    assert sorted(report.articles_added) == [ARTICLE, "004_39dcb224b8f820fa"]
    assert report.sessions_added == ["field"]
    assert sessions.status(empty, "field").articles[0].external_id == ARTICLE
    empty.close()
    bob_db.close()


def test_merge_refuses_missing_file(seeded: Service, tmp_path: Path) -> None:
    from annotator.service import ServiceError

    with pytest.raises(ServiceError, match="no such database file"):
        merge(seeded, str(tmp_path / "nope.db"))
