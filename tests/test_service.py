"""The service API: keys, notes, undo/redo from the event log, progress, separation."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import text

from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError, check_name


def _first_sentences(service: Service, ctx: Context, n: int) -> list[int]:
    view = service.article(ctx, "003_490b98aef62dcad9")
    return [u.id for u in view.units if u.role == "sentence"][:n]


def _rows(service: Service, sql: str) -> list[tuple[object, ...]]:
    with service.store.engine.connect() as con:
        return [tuple(r) for r in con.execute(text(sql)).all()]


def test_keys_set_clear_and_toggle(seeded: Service, alice: Context) -> None:
    unit = _first_sentences(seeded, alice, 1)[0]
    r = seeded.press(alice, unit, "a")
    assert r.state.labels == {"claim_type": "attributed", "flags": []}
    r = seeded.press(alice, unit, "f")
    assert r.state.labels == {"claim_type": "attributed", "flags": ["framing"]}
    r = seeded.press(alice, unit, "d")
    assert r.state.labels["flags"] == ["framing", "disputed"]
    r = seeded.press(alice, unit, "e")
    assert r.state.labels["claim_type"] == "editorial"
    r = seeded.press(alice, unit, "e")
    assert r.state.labels["claim_type"] is None
    r = seeded.press(alice, unit, "f")
    assert r.state.labels == {"claim_type": None, "flags": ["disputed"]}
    rows = _rows(seeded, "SELECT labels, complete FROM annotation")
    assert len(rows) == 1 and rows[0][1] in (0, False)
    assert _rows(seeded, "SELECT count(*) FROM annotation_event") == [(6,)]


def test_event_log_records_before_and_after(seeded: Service, alice: Context) -> None:
    unit = _first_sentences(seeded, alice, 1)[0]
    seeded.press(alice, unit, "n")
    seeded.press(alice, unit, "a")
    events = _rows(seeded, "SELECT kind, before, after FROM annotation_event ORDER BY id")
    assert events[0][0] == "edit" and events[0][1] is None
    assert _json(events[0][2]) == {"claim_type": "no_claim", "flags": []}
    assert _json(events[1][1])["claim_type"] == "no_claim"
    assert _json(events[1][2])["claim_type"] == "attributed"


def _json(value: object) -> dict[str, object]:
    """JSON columns come back as text from SQLite and parsed from PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value  # type: ignore[return-value]


def test_undo_redo_survive_a_restart(db_url: str, alice: Context) -> None:
    from tests.conftest import SEEDS

    first = Service.open(db_url)
    first.import_paths([SEEDS])
    u1, u2 = _first_sentences(first, alice, 2)
    first.press(alice, u1, "a")
    first.press(alice, u2, "e")
    first.close()

    again = Service.open(db_url)
    undone = again.undo(alice)
    assert undone is not None and undone.state.unit_id == u2
    assert undone.state.labels["claim_type"] is None
    undone = again.undo(alice)
    assert undone is not None and undone.state.unit_id == u1
    assert again.undo(alice) is None
    again.close()

    third = Service.open(db_url)
    redone = third.redo(alice)
    assert redone is not None and redone.state.unit_id == u1
    assert redone.state.labels["claim_type"] == "attributed"
    third.press(alice, u2, "n")  # a new edit clears the redo stack
    assert third.redo(alice) is None
    kinds = _rows(third, "SELECT kind FROM annotation_event ORDER BY id")
    assert [k[0] for k in kinds] == ["edit", "edit", "undo", "undo", "redo", "edit"]
    third.close()


def test_notes(seeded: Service, alice: Context) -> None:
    unit = _first_sentences(seeded, alice, 1)[0]
    seeded.press(alice, unit, "a")
    r = seeded.set_note(alice, unit, "  speaker unclear  ")
    assert r.state.note == "speaker unclear" and r.state.labels["claim_type"] == "attributed"
    undone = seeded.undo(alice)
    assert undone is not None and undone.state.note is None
    assert seeded.set_note(alice, unit, "").state.note is None


def test_progress_counts_complete_sentences_only(seeded: Service, alice: Context) -> None:
    view = seeded.article(alice, "003_490b98aef62dcad9")
    sentences = [u for u in view.units if u.role == "sentence"]
    heading = next(u for u in view.units if u.role == "heading")
    seeded.press(alice, sentences[0].id, "a")
    seeded.press(alice, sentences[1].id, "f")  # a flag alone is not a finished label
    seeded.press(alice, heading.id, "n")
    p = seeded.progress(alice, [view.article.id])
    assert (p.labeled, p.total) == (1, len(sentences))
    listing = dict((a.external_id, pr) for a, pr in seeded.articles(alice))
    assert listing["003_490b98aef62dcad9"].labeled == 1
    assert seeded.last_article(alice) == view.article.id


def test_annotators_never_see_each_other(seeded: Service, scheme: Scheme) -> None:
    alice, bob = Context("alice", scheme), Context("bob", scheme)
    unit = _first_sentences(seeded, alice, 1)[0]
    seeded.press(alice, unit, "a")
    assert seeded.article(bob, "003_490b98aef62dcad9").labels == {}
    assert seeded.undo(bob) is None
    seeded.press(bob, unit, "e")
    assert seeded.article(alice, "003_490b98aef62dcad9").labels[unit].labels["claim_type"] == (
        "attributed"
    )


def test_labels_are_kept_per_scheme_version(seeded: Service, scheme: Scheme) -> None:
    from annotator.scheme import load_scheme_text

    v2 = load_scheme_text(scheme.to_yaml().replace("version: '1'", "version: '2'"))
    assert v2.hash != scheme.hash
    unit = _first_sentences(seeded, Context("alice", scheme), 1)[0]
    seeded.press(Context("alice", scheme), unit, "a")
    assert seeded.article(Context("alice", v2), "003_490b98aef62dcad9").labels == {}


@pytest.mark.parametrize("name", ["", "has space", "semi;colon", "x" * 65, "ünï"])
def test_bad_annotator_names(name: str) -> None:
    with pytest.raises(ServiceError, match="not valid"):
        check_name(name)


def test_unknown_article_and_unit(seeded: Service, alice: Context) -> None:
    with pytest.raises(ServiceError, match="no article 'nope'"):
        seeded.article(alice, "nope")
    with pytest.raises(ServiceError, match="no unit"):
        seeded.press(alice, 999999, "a")


def test_unknown_unit_is_refused_and_nothing_written(
    seeded: Service, alice: Context, db_state: Callable[[], str]
) -> None:
    before = db_state()
    for change in (
        lambda: seeded.press(alice, 999999, "a"),
        lambda: seeded.set_labels(alice, 999999, {"claim_type": "editorial"}),
        lambda: seeded.set_note(alice, 999999, "check this"),
    ):
        with pytest.raises(ServiceError) as info:
            change()
        assert str(info.value) == "no unit with id 999999"
    assert db_state() == before


def test_a_refused_first_change_does_not_mix_up_annotators(
    seeded: Service, alice: Context, scheme: Scheme
) -> None:
    # alice's first request fails and rolls back the row that named her; the next
    # annotator created must not be taken for her (nor she for them) afterwards
    with pytest.raises(ServiceError, match="no unit with id"):
        seeded.press(alice, 999999, "a")
    unit = _first_sentences(seeded, Context("bob", scheme), 1)[0]
    seeded.press(Context("bob", scheme), unit, "e")
    seeded.press(alice, unit, "a")
    rows = _rows(
        seeded,
        "SELECT a.name, n.labels FROM annotation n JOIN annotator a ON a.id = n.annotator_id "
        "ORDER BY a.name",
    )
    assert [(name, _json(labels)["claim_type"]) for name, labels in rows] == [
        ("alice", "attributed"),
        ("bob", "editorial"),
    ]


def test_change_results_are_what_was_committed(seeded: Service, alice: Context) -> None:
    unit = _first_sentences(seeded, alice, 1)[0]
    first = seeded.press(alice, unit, "a")  # a new label
    second = seeded.set_note(alice, unit, "quote checked")  # a change to it
    undone = seeded.undo(alice)
    assert undone is not None
    attributed = {"claim_type": "attributed", "flags": []}
    assert (first.kind, first.state.labels, first.state.note) == ("edit", attributed, None)
    assert (second.kind, second.state.note) == ("edit", "quote checked")
    assert (undone.kind, undone.state.labels, undone.state.note) == ("undo", attributed, None)
    events = _rows(
        seeded,
        "SELECT id, kind, layer, target_id, before, after, note_before, note_after "
        "FROM annotation_event ORDER BY id",
    )
    assert [(e[0], e[1], e[2], e[3], e[6], e[7]) for e in events] == [
        (first.event_id, "edit", "annotation", None, None, None),
        (second.event_id, "edit", "annotation", None, None, "quote checked"),
        (undone.event_id, "undo", "annotation", second.event_id, "quote checked", None),
    ]
    assert events[0][4] is None
    assert [_json(e[5]) for e in events] == [attributed] * 3
    assert [_json(e[4]) for e in events[1:]] == [attributed] * 2
    stored = seeded.article(alice, "003_490b98aef62dcad9").labels[unit]
    assert (stored.labels, stored.note) == (undone.state.labels, undone.state.note)
    assert stored.updated_at is not None and undone.state.updated_at is not None
    assert stored.updated_at.replace(tzinfo=None) == undone.state.updated_at.replace(tzinfo=None)
    assert _rows(seeded, "SELECT complete FROM annotation") in ([(1,)], [(True,)])
