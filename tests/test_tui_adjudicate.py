"""``annotator adjudicate``: walk a session's disagreements and set gold by key.

Driven with Textual's Pilot; every test checks the ``gold`` table through a fresh connection
(SQLAlchemy on the test database URL). One SVG snapshot of the screen.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from annotator import adjudication, sessions
from annotator.cli import main
from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError
from annotator.tui.adjudicate_app import AdjudicatorApp
from annotator.tui.screens.adjudicate import AdjudicateScreen
from annotator.tui.widgets.label_bar import LabelBar
from annotator.tui.widgets.opinions import OpinionTable
from tests.test_tui_session import query, settle

A003 = "003_490b98aef62dcad9"
SIZE = (110, 32)
BOB_NOTE = "outlet's own verdict?"
Compare = Callable[..., bool]


def claim(value: str | None, *flags: str) -> dict[str, Any]:
    """A labels dict of the default scheme."""
    return {"claim_type": value, "flags": list(flags)}


def make_session(service: Service, scheme: Scheme) -> list[int]:
    """alice and bob label three sentences of 003: agree, differ on type, differ on a flag.

    Returns the sentences' unit idx values.
    """
    sessions.create(
        service,
        "s",
        articles=A003,
        annotators=["alice", "bob"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    alice, bob = Context("alice", scheme, "s"), Context("bob", scheme, "s")
    units = [u for u in service.article(alice, A003).units if u.role == "sentence"][:3]
    for u in units:
        service.press(alice, u.id, "a")
    service.press(bob, units[0].id, "a")  # agree
    service.press(bob, units[1].id, "e")  # differ on claim_type
    service.set_note(bob, units[1].id, BOB_NOTE)
    service.press(bob, units[2].id, "a")
    service.press(bob, units[2].id, "f")  # differ on a flag
    return [u.idx for u in units]


def make_app(service: Service, scheme: Scheme, **kw: Any) -> AdjudicatorApp:
    """The lead adjudicating session s, with no keymap file and quick retries."""
    return AdjudicatorApp(service, scheme, "s", "lead", keymap={}, retry_delay=0.01, **kw)


def gold(db_url: str) -> dict[int, tuple[dict[str, Any], str, str]]:
    """unit idx -> (gold labels, adjudicator, session), from the gold table."""
    rows = query(
        db_url,
        "SELECT u.idx, g.labels, p.name, g.session FROM gold g JOIN unit u ON u.id = g.unit_id "
        "JOIN annotator p ON p.id = g.adjudicator_id",
    )
    return {i: (json.loads(lab) if isinstance(lab, str) else lab, p, s) for i, lab, p, s in rows}


def screen(app: AdjudicatorApp) -> AdjudicateScreen:
    """The adjudication screen (asserting it is the one shown)."""
    assert isinstance(app.screen, AdjudicateScreen), app.screen
    return app.screen


def current(app: AdjudicatorApp) -> int:
    """The unit idx of the item shown."""
    state = screen(app).state
    assert state is not None and state.item is not None
    return state.item.unit.idx


def text_of(app: AdjudicatorApp, selector: str) -> str:
    """The text of a Static on the adjudication screen."""
    return str(screen(app).query_one(selector, Static).render())


def table_rows(app: AdjudicatorApp) -> list[list[str]]:
    """The opinions table as plain text."""
    table = screen(app).query_one(OpinionTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_scheme_keys_set_gold_and_move_on(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    units = make_session(seeded, scheme)
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert current(app) == units[1]  # the agreed unit is not in the queue
        assert text_of(app, "#adj-progress").startswith(
            " lead adjudicating │ session s │ item 1 of 2 · 0 with gold"
        )
        assert "disagree on claim_type" in text_of(app, "#adj-title")
        assert [r[:4] for r in table_rows(app)] == [
            ["1", "alice", "attributed", "—"],
            ["2", "bob", "editorial", "—"],
        ]
        assert table_rows(app)[1][-1] == BOB_NOTE
        await pilot.press("e")
        await settle(app, pilot)
        assert current(app) == units[2]  # a complete gold moves on
        assert gold(db_url) == {units[1]: (claim("editorial"), "lead", "s")}
        await pilot.press("f")  # a flag alone does not move on
        await settle(app, pilot)
        assert current(app) == units[2]
        await pilot.press("a")
        await settle(app, pilot)
        assert screen(app).query_one(LabelBar).status == ("saved", "saved ✓")
        assert text_of(app, "#adj-progress").startswith(
            " lead adjudicating │ session s │ item 2 of 2 · 2 with gold"
        )
        assert table_rows(app)[1][4] == "✓ gold"  # bob's labels are now the gold
    assert gold(db_url) == {
        units[1]: (claim("editorial"), "lead", "s"),
        units[2]: (claim("attributed", "framing"), "lead", "s"),
    }
    # the annotators' own labels are untouched
    assert query(db_url, "SELECT count(*) FROM annotation")[0][0] == 6


async def test_digits_accept_an_annotators_labels(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    units = make_session(seeded, scheme)
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("1")  # alice: attributed
        await settle(app, pilot)
        assert current(app) == units[2]
        await pilot.press("3")  # only two annotators: nothing happens
        await settle(app, pilot)
        assert any("no annotator 3" in n.message for n in app._notifications)
        await pilot.press("2")  # bob: attributed + framing
        await settle(app, pilot)
    assert gold(db_url) == {
        units[1]: (claim("attributed"), "lead", "s"),
        units[2]: (claim("attributed", "framing"), "lead", "s"),
    }


async def test_undo_and_redo_gold(seeded: Service, scheme: Scheme, db_url: str) -> None:
    units = make_session(seeded, scheme)
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e", "2")
        await settle(app, pilot)
        assert set(gold(db_url)) == {units[1], units[2]}
        await pilot.press("u", "u")
        await settle(app, pilot)
        assert gold(db_url) == {}
        assert current(app) == units[1]  # undo shows the unit it changed
        assert text_of(app, "#adj-progress").startswith(
            " lead adjudicating │ session s │ item 1 of 2 · 0 with gold"
        )
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert gold(db_url) == {units[1]: (claim("editorial"), "lead", "s")}
        assert current(app) == units[1]
        await pilot.press("N")  # the next item without gold
        assert current(app) == units[2]
        await pilot.press("k")
        assert current(app) == units[1]
        await pilot.press("N")
        assert current(app) == units[2]


async def test_gold_shows_as_saved_only_after_the_commit(
    seeded: Service, scheme: Scheme, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    units = make_session(seeded, scheme)
    gate = threading.Event()
    real = adjudication.press_gold

    def slow_then_refused(service: Service, ctx: Context, unit_id: int, key: str) -> Any:
        gate.wait(timeout=10)
        if key == "n":
            raise ServiceError("refused for the test")
        return real(service, ctx, unit_id, key)

    monkeypatch.setattr(adjudication, "press_gold", slow_then_refused)
    app = make_app(seeded, scheme, auto_advance=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        bar = screen(app).query_one(LabelBar)
        assert bar.status == ("saving", "saving…") and bar.pending
        assert bar.labels == claim("editorial")  # predicted, drawn as pending
        assert gold(db_url) == {}
        gate.set()
        await settle(app, pilot)
        assert bar.status == ("saved", "saved ✓") and not bar.pending
        await pilot.press("n")  # refused by the service: a notification, not a crash
        await settle(app, pilot)
        assert app.is_running
        assert bar.status == ("error", "NOT SAVED — refused for the test")
        assert bar.labels == claim("editorial")  # back to what the database holds
        assert any("refused for the test" in n.message for n in app._notifications)
    assert gold(db_url) == {units[1]: (claim("editorial"), "lead", "s")}


async def test_hidden_names(seeded: Service, scheme: Scheme, db_url: str) -> None:
    units = make_session(seeded, scheme)
    app = make_app(seeded, scheme, hide_names=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert [r[1] for r in rows] == ["annotator 1", "annotator 2"]
        assert rows[1][-1] == BOB_NOTE
        shown = " ".join(
            [*(" ".join(r) for r in rows), *(text_of(app, s) for s in ("#adj-title", "#adj-notes"))]
        )
        assert "alice" not in shown and "bob" not in shown
        assert "names hidden" in text_of(app, "#adj-progress")
        await pilot.press("2")
        await settle(app, pilot)
    assert gold(db_url) == {units[1]: (claim("editorial"), "lead", "s")}


async def test_empty_queue_says_so(seeded: Service, scheme: Scheme, db_url: str) -> None:
    sessions.create(
        seeded,
        "s",
        articles=A003,
        annotators=["alice", "bob"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    unit = [u for u in seeded.article(Context("alice", scheme, "s"), A003).units][1]
    for name in ("alice", "bob"):
        seeded.press(Context(name, scheme, "s"), unit.id, "a")  # they agree
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert text_of(app, "#adj-empty") == (
            "No disagreements in session s — nothing to adjudicate; use --all to review every unit."
        )
        await pilot.press("a", "1", "u")
        await settle(app, pilot)
        assert gold(db_url) == {}
    app = make_app(seeded, scheme, all_units=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert current(app) == unit.idx
        assert "annotators agree" in text_of(app, "#adj-title")
        await pilot.press("a")
        await settle(app, pilot)
    assert gold(db_url) == {unit.idx: (claim("attributed"), "lead", "s")}


def test_cli_needs_a_name_and_a_session(
    seeded: Service, scheme: Scheme, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_session(seeded, scheme)
    assert main(["adjudicate", "--db", db_url, "--session", "s"]) == 2
    assert "who is adjudicating? pass --as NAME" in capsys.readouterr().err
    assert main(["adjudicate", "--db", db_url, "--session", "nope", "--as", "lead"]) == 2
    assert "no session 'nope'" in capsys.readouterr().err


def test_adjudication_screen_snapshot(
    snap_compare: Compare, seeded: Service, scheme: Scheme
) -> None:
    make_session(seeded, scheme)
    app = make_app(seeded, scheme)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(app, pilot)
        await pilot.press("e")  # gold for the first item; now on the flag disagreement
        await settle(app, pilot)
        await pilot.press("f")  # incomplete gold: shown, not moved on
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
