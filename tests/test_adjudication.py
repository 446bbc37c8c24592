"""Adjudication: the disagreement queue, gold by key, undo/redo, gold kept apart."""

from __future__ import annotations

from sqlalchemy import text

from annotator import adjudication, sessions
from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError

ARTICLE = "003_490b98aef62dcad9"


def _setup(seeded: Service, scheme: Scheme) -> list[int]:
    sessions.create(
        seeded,
        "s",
        articles=ARTICLE,
        annotators=["alice", "bob"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    alice, bob = Context("alice", scheme, "s"), Context("bob", scheme, "s")
    units = [u.id for u in seeded.article(alice, ARTICLE).units if u.role == "sentence"][:3]
    for u in units:
        seeded.press(alice, u, "a")
    seeded.press(bob, units[0], "a")  # agree
    seeded.press(bob, units[1], "e")  # disagree on claim type
    seeded.press(bob, units[2], "f")
    seeded.press(bob, units[2], "a")  # agree on type, disagree on the flag
    seeded.set_note(bob, units[1], "outlet's own verdict?")
    return units


def test_queue_holds_only_disagreements(seeded: Service, scheme: Scheme) -> None:
    units = _setup(seeded, scheme)
    q = adjudication.queue(seeded, "s", scheme)
    assert [i.unit.id for i in q.items] == units[1:]
    first = q.items[0]
    assert {o.annotator: o.labels["claim_type"] for o in first.opinions} == {
        "alice": "attributed",
        "bob": "editorial",
    }
    assert {o.annotator: o.note for o in first.opinions}["bob"] == "outlet's own verdict?"
    everything = adjudication.queue(seeded, "s", scheme, all_units=True)
    assert [i.unit.id for i in everything.items] == units
    hidden = adjudication.queue(seeded, "s", scheme, hide_names=True)
    assert {o.annotator for o in hidden.items[0].opinions} == {"annotator 1", "annotator 2"}


def test_gold_keys_undo_redo_and_storage(seeded: Service, scheme: Scheme) -> None:
    units = _setup(seeded, scheme)
    lead = Context("lead", scheme, "s")
    r = adjudication.press_gold(seeded, lead, units[1], "e")
    assert r.state.labels == {"claim_type": "editorial", "flags": []}
    adjudication.press_gold(seeded, lead, units[2], "a")
    adjudication.press_gold(seeded, lead, units[2], "f")
    assert adjudication.gold_map(seeded, scheme, "s") == {
        units[1]: {"claim_type": "editorial", "flags": []},
        units[2]: {"claim_type": "attributed", "flags": ["framing"]},
    }
    undone = adjudication.undo(seeded, lead)
    assert undone is not None and undone.state.labels["flags"] == []
    adjudication.undo(seeded, lead)
    adjudication.undo(seeded, lead)
    assert adjudication.gold_map(seeded, scheme, "s") == {}
    adjudication.redo(seeded, lead)
    assert adjudication.gold_map(seeded, scheme, "s") == {
        units[1]: {"claim_type": "editorial", "flags": []}
    }
    with seeded.store.engine.connect() as con:
        who = (
            con.execute(
                text("SELECT a.name FROM gold g JOIN annotator a ON a.id = g.adjudicator_id")
            )
            .scalars()
            .all()
        )
        layers = (
            con.execute(
                text(
                    "SELECT DISTINCT layer FROM annotation_event WHERE "
                    "annotator_id = (SELECT id FROM annotator WHERE name='lead')"
                )
            )
            .scalars()
            .all()
        )
        n_annotations = con.execute(text("SELECT count(*) FROM annotation")).scalar()
    assert who == ["lead"] and layers == ["gold"] and n_annotations == 6
    assert adjudication.queue(seeded, "s", scheme).items[0].gold == {
        "claim_type": "editorial",
        "flags": [],
    }
    # the annotators' own labels are untouched and their undo stacks do not see gold
    assert seeded.undo(Context("lead", scheme, "s")) is None


def test_cleared_gold_is_not_a_decision(seeded: Service, scheme: Scheme) -> None:
    units = _setup(seeded, scheme)
    lead = Context("lead", scheme, "s")
    adjudication.press_gold(seeded, lead, units[1], "e")
    adjudication.press_gold(seeded, lead, units[1], "e")  # cleared again
    assert adjudication.gold_map(seeded, scheme, "s") == {}


def test_session_progress_counts_assigned_articles_only(seeded: Service, scheme: Scheme) -> None:
    _setup(seeded, scheme)
    progress = seeded.progress(Context("alice", scheme, "s"))
    assert (progress.labeled, progress.total) == (3, 26)


def test_gold_on_a_unit_that_does_not_exist_is_refused_cleanly(
    seeded: Service, scheme: Scheme
) -> None:
    _setup(seeded, scheme)
    lead = Context("lead", scheme, "s")
    missing = 10**9
    for attempt in (
        lambda: adjudication.press_gold(seeded, lead, missing, "e"),
        lambda: adjudication.set_gold(seeded, lead, missing, {"claim_type": "editorial"}),
    ):
        try:
            attempt()
        except ServiceError as exc:
            assert str(exc) == f"no unit with id {missing}"
        else:
            raise AssertionError("a gold label on a missing unit was accepted")
    assert adjudication.gold_map(seeded, scheme, "s") == {}
