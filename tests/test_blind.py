"""Blind sessions are enforced in the service: nothing asked on alice's behalf shows bob's work.

The test enumerates every public Service method that takes a Context, so a new query
method cannot be added without being checked here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from annotator import sessions
from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError

SHARED = "003_490b98aef62dcad9"
BOBS_ONLY = "004_39dcb224b8f820fa"
SECRET = "BOB-SECRET-NOTE"


@pytest.fixture
def blind(seeded: Service, scheme: Scheme) -> tuple[Service, Context, list[int], list[int]]:
    sessions.create(
        seeded,
        "b",
        articles=SHARED,
        annotators=["alice", "bob"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    sessions.create(
        seeded, "b2", articles=BOBS_ONLY, annotators=["bob"], overlap=1, blind=True, scheme=scheme
    )
    bob, alice = Context("bob", scheme, "b"), Context("alice", scheme, "b")
    shared = [u.id for u in seeded.article(bob, SHARED).units if u.role == "sentence"]
    for unit in shared[:5]:
        seeded.press(bob, unit, "e")
        seeded.set_note(bob, unit, SECRET)
    bob2 = Context("bob", scheme, "b2")
    other = [u.id for u in seeded.article(bob2, BOBS_ONLY).units if u.role == "sentence"]
    seeded.press(bob2, other[0], "e")
    seeded.set_note(bob2, other[0], SECRET)
    seeded.press(alice, shared[6], "a")
    return seeded, alice, shared, other


def _calls(alice: Context, shared: list[int]) -> dict[str, Callable[[Service], Any]]:
    """How to call each ctx-taking method as alice (on units bob has labelled)."""
    return {
        "articles": lambda s: s.articles(alice),
        "article": lambda s: s.article(alice, SHARED),
        "last_article": lambda s: s.last_article(alice),
        "progress": lambda s: s.progress(alice),
        "press": lambda s: s.press(alice, shared[0], "f"),
        "set_labels": lambda s: s.set_labels(alice, shared[1], {"claim_type": "no_claim"}),
        "set_note": lambda s: s.set_note(alice, shared[2], "mine"),
        "undo": lambda s: s.undo(alice),
        "redo": lambda s: s.redo(alice),
    }


def test_every_context_method_is_covered(
    blind: tuple[Service, Context, list[int], list[int]],
) -> None:
    _service, alice, shared, _ = blind
    takes_ctx = {
        name
        for name, fn in inspect.getmembers(Service, inspect.isfunction)
        if not name.startswith("_") and "ctx" in inspect.signature(fn).parameters
    }
    assert takes_ctx == set(_calls(alice, shared))


def test_no_result_for_alice_contains_bobs_labels(
    blind: tuple[Service, Context, list[int], list[int]],
) -> None:
    service, alice, shared, _ = blind
    for name, call in _calls(alice, shared).items():
        result = call(service)
        text = repr(result)
        assert SECRET not in text, name
        assert "editorial" not in text, name  # bob chose editorial on every unit he labelled
    listed = [a.external_id for a, _ in service.articles(alice)]
    assert listed == [SHARED]
    view = service.article(alice, SHARED)
    assert set(view.labels) <= {shared[0], shared[1], shared[2], shared[6]}


def test_alice_cannot_reach_articles_not_assigned_to_her(
    blind: tuple[Service, Context, list[int], list[int]], scheme: Scheme
) -> None:
    service, alice, _, other = blind
    with pytest.raises(ServiceError, match="not assigned to alice in session b"):
        service.article(alice, BOBS_ONLY)
    with pytest.raises(ServiceError, match="not assigned to alice"):
        service.press(alice, other[0], "a")
    alice_b2 = Context("alice", scheme, "b2")
    with pytest.raises(ServiceError, match="not assigned to alice in session b2"):
        service.article(alice_b2, BOBS_ONLY)
    assert service.articles(alice_b2) == []


def test_session_scheme_must_match(
    blind: tuple[Service, Context, list[int], list[int]], scheme: Scheme
) -> None:
    from annotator.scheme import load_scheme_text

    service, _, _, _ = blind
    other = load_scheme_text(scheme.to_yaml().replace("version: '1'", "version: '9'"))
    with pytest.raises(ServiceError, match="session b uses scheme claims@1"):
        service.articles(Context("alice", other, "b"))
