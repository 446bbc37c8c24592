"""The annotation app driven with Textual's Pilot; every test checks what reached the database."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from textual.pilot import Pilot
from textual.widgets import Input, MarkdownViewer, Static

from annotator.scheme import Scheme
from annotator.service import Service, ServiceError
from annotator.tui.app import AnnotatorApp
from annotator.tui.keymap import load_keymap
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.articles import ArticlesScreen
from annotator.tui.screens.guidelines import GuidelinesScreen
from annotator.tui.screens.name import NameScreen
from annotator.tui.state import Mark, marker, marker_width
from annotator.tui.widgets.article_list import ArticleList
from annotator.tui.widgets.article_view import ArticleView
from annotator.tui.widgets.label_bar import LabelBar

A003 = "003_490b98aef62dcad9"
# Roles of article 003 by unit index (from the seeds): 0 heading, 4 dateline, 8/12/20 headings.
SKIPPED_003 = {0, 4, 8, 12, 20}
SENTENCES_003 = [i for i in range(31) if i not in SKIPPED_003]
SIZE = (100, 36)


def make_app(service: Service, scheme: Scheme, **kw: Any) -> AnnotatorApp:
    """An app with no keymap file, a frozen clock and quick retries."""
    kw.setdefault("keymap", {})
    kw.setdefault("clock", lambda: 0.0)
    kw.setdefault("retry_delay", 0.01)
    return AnnotatorApp(service, scheme, **kw)


async def settle(app: AnnotatorApp, pilot: Pilot[Any]) -> None:
    """Wait until loads and saves are done and the screen has caught up (three quiet
    checks in a row, since one worker's result can start the next)."""
    quiet = 0
    for _ in range(400):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = app.saver.pending or any(not w.is_finished for w in app.workers)
        quiet = 0 if busy else quiet + 1
        if quiet == 3:
            return
    raise AssertionError("the app did not settle")


def query(service: Service, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on a fresh connection (SQLite or PostgreSQL), independent of the app."""
    with service.store.engine.connect() as con:
        return [tuple(r) for r in con.execute(text(sql), params).all()]


def labels(service: Service, annotator: str = "alice") -> dict[tuple[str, int], Any]:
    """(article external id, unit idx) -> (labels dict, note) of one annotator."""
    rows = query(
        service,
        "SELECT a.external_id, u.idx, n.labels, n.note FROM annotation n "
        "JOIN unit u ON u.id = n.unit_id JOIN article a ON a.id = u.article_id "
        "JOIN annotator p ON p.id = n.annotator_id WHERE p.name = :name",
        name=annotator,
    )
    return {(r[0], r[1]): (json.loads(r[2]) if isinstance(r[2], str) else r[2], r[3]) for r in rows}


def events(service: Service) -> list[tuple[str, int]]:
    """(kind, unit idx) of every event, oldest first."""
    rows = query(
        service,
        "SELECT e.kind, u.idx FROM annotation_event e JOIN unit u ON u.id = e.unit_id "
        "ORDER BY e.id",
    )
    return [(r[0], r[1]) for r in rows]


def claim(value: str | None, *flags: str) -> dict[str, Any]:
    """A labels dict of the default scheme."""
    return {"claim_type": value, "flags": list(flags)}


def list_lines(app: AnnotatorApp) -> list[str]:
    """The article list as on screen: the header line, then one line per visible article."""
    widget = app.screen.query_one(ArticleList)
    height = widget.scrollable_content_region.height
    lines = [widget.render_line(y).text.rstrip() for y in range(height)]
    return [line for line in lines if line]


def screen_of(app: AnnotatorApp) -> AnnotateScreen:
    """The annotation screen (asserting it is the one shown)."""
    assert isinstance(app.screen, AnnotateScreen), app.screen
    return app.screen


def cursor(app: AnnotatorApp) -> int:
    """The unit index under the cursor."""
    state = screen_of(app).state
    assert state is not None
    return state.cursor


async def test_name_screen_checks_the_name_inline(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, NameScreen)
        await pilot.press(*"bad name!", "enter")
        error = str(app.screen.query_one("#name-error", Static).render())
        assert "not valid" in error and "letters, digits" in error
        app.screen.query_one(Input).value = ""
        await pilot.press(*"alice", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert app.screen.query_one(ArticleList).row_count == 5
    assert query(seeded, "SELECT name FROM annotator") == [("alice",)]


async def test_one_key_labels_and_advances(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert cursor(app) == 1  # the heading (unit 0) is skipped
        await pilot.press("a")
        await settle(app, pilot)
        assert cursor(app) == 2
        await pilot.press("f")  # a flag does not advance
        await settle(app, pilot)
        assert cursor(app) == 2
        await pilot.press("e")
        await settle(app, pilot)
        assert cursor(app) == 3
        bar = app.screen.query_one(LabelBar)
        assert bar.status == ("saved", "saved ✓")
    assert labels(seeded) == {
        (A003, 1): (claim("attributed"), None),
        (A003, 2): (claim("editorial", "framing"), None),
    }
    assert events(seeded) == [("edit", 1), ("edit", 2), ("edit", 2)]


async def test_same_key_again_clears_and_no_auto_advance(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003, auto_advance=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert cursor(app) == 1
        assert labels(seeded)[(A003, 1)][0] == claim("attributed")
        await pilot.press("a")
        await settle(app, pilot)
        assert labels(seeded)[(A003, 1)][0] == claim(None)


async def test_navigation_skips_headings_and_datelines(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("g")
        assert cursor(app) == 1
        for _ in SENTENCES_003:
            await pilot.press("a")
        await settle(app, pilot)
        assert cursor(app) == 30
    got = labels(seeded)
    assert sorted(idx for _, idx in got) == SENTENCES_003
    assert all(value == (claim("attributed"), None) for value in got.values())


async def test_navigation_keys(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j")
        assert cursor(app) == 3
        await pilot.press("j")  # over the dateline
        assert cursor(app) == 5
        await pilot.press("k", "down", "up")
        assert cursor(app) == 3
        await pilot.press("G")
        assert cursor(app) == 30
        await pilot.press("g")
        assert cursor(app) == 1
        await pilot.press("a", "e")  # units 1 and 2 labeled; cursor on 3
        await pilot.press("g", "N")
        assert cursor(app) == 3
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id == "004_39dcb224b8f820fa"
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id == A003
        assert cursor(app) == 3  # first unlabeled


async def test_h_makes_headings_labelable(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("H", "g")
        assert cursor(app) == 0
        await pilot.press("n")
        await settle(app, pilot)
        assert cursor(app) == 1
        await pilot.press("H", "j", "j", "j")
        assert cursor(app) == 5
    assert labels(seeded) == {(A003, 0): (claim("no_claim"), None)}


async def test_undo_and_redo_write_events_and_move_the_cursor(
    seeded: Service, scheme: Scheme
) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "e")
        await settle(app, pilot)
        await pilot.press("g")
        await pilot.press("u")
        await settle(app, pilot)
        assert cursor(app) == 2
        assert labels(seeded)[(A003, 2)][0] == claim(None)
        await pilot.press("g", "ctrl+r")
        await settle(app, pilot)
        assert cursor(app) == 2
        assert labels(seeded)[(A003, 2)][0] == claim("editorial")
    assert events(seeded) == [("edit", 1), ("edit", 2), ("undo", 2), ("redo", 2)]


async def test_note_modal_saves_on_enter_and_cancels_on_escape(
    seeded: Service, scheme: Scheme
) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"unsure", "enter")
        await settle(app, pilot)
        await pilot.press("c", *" really", "escape")
        await settle(app, pilot)
        assert app.screen.query_one(LabelBar).note == "unsure"
    assert labels(seeded) == {(A003, 1): (claim(None), "unsure")}


async def test_resume_opens_last_article_at_first_unlabeled(
    seeded: Service, scheme: Scheme
) -> None:
    first = make_app(seeded, scheme, annotator="alice", article=A003)
    async with first.run_test(size=SIZE) as pilot:
        await settle(first, pilot)
        await pilot.press("a", "a", "a")
        await settle(first, pilot)
        await pilot.press("q")
        await settle(first, pilot)
        assert isinstance(first.screen, ArticlesScreen)
    again = make_app(seeded, scheme, annotator="alice")
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        state = screen_of(again).state
        assert state is not None and state.view.article.external_id == A003
        assert cursor(again) == 5  # 1, 2, 3 labeled; 4 is the dateline
        await pilot.press("q")
        await settle(again, pilot)
        assert isinstance(again.screen, ArticlesScreen)  # the list is one q away


async def test_annotators_do_not_see_each_other(seeded: Service, scheme: Scheme) -> None:
    alice = make_app(seeded, scheme, annotator="alice", article=A003)
    async with alice.run_test(size=SIZE) as pilot:
        await settle(alice, pilot)
        await pilot.press("a", "e")
        await settle(alice, pilot)
    bob = make_app(seeded, scheme, annotator="bob", article=A003)
    async with bob.run_test(size=SIZE) as pilot:
        await settle(bob, pilot)
        state = screen_of(bob).state
        assert state is not None and state.committed == {}
        assert cursor(bob) == 1
        assert state.progress().labeled == 0
        await pilot.press("n")
        await settle(bob, pilot)
    assert labels(seeded, "alice") == {
        (A003, 1): (claim("attributed"), None),
        (A003, 2): (claim("editorial"), None),
    }
    assert labels(seeded, "bob") == {(A003, 1): (claim("no_claim"), None)}


async def test_failed_commit_is_not_shown_as_saved_and_is_retried(
    seeded: Service, scheme: Scheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    attempts: list[int] = []
    real_press = Service.press

    def flaky_press(self: Service, *args: Any, **kw: Any) -> Any:
        attempts.append(1)
        if not gate.is_set():
            raise OperationalError("UPDATE annotation", {}, Exception("database is locked"))
        return real_press(self, *args, **kw)

    monkeypatch.setattr(Service, "press", flaky_press)
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        bar = app.screen.query_one(LabelBar)
        for _ in range(200):
            await pilot.pause(0.01)
            if len(attempts) >= 3:
                break
        await pilot.pause()
        kind, text = bar.status
        assert kind == "error"
        assert text.startswith("NOT SAVED — database is locked; retrying (")
        view = app.screen.query_one(ArticleView)
        assert view.marks[1].pending and view.marks[1].text == "A"
        assert labels(seeded) == {}
        gate.set()
        await settle(app, pilot)
        assert bar.status == ("saved", "saved ✓")
        assert not view.marks[1].pending
    assert labels(seeded) == {(A003, 1): (claim("attributed"), None)}


async def test_quit_waits_for_unsaved_changes(
    seeded: Service, scheme: Scheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    real_press = Service.press

    def slow_press(self: Service, *args: Any, **kw: Any) -> Any:
        gate.wait(5)
        return real_press(self, *args, **kw)

    monkeypatch.setattr(Service, "press", slow_press)
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "ctrl+q")
        await pilot.pause(0.05)
        assert app.is_running and app.quitting
        gate.set()
        for _ in range(200):
            await pilot.pause(0.01)
            if not app.is_running:
                break
        assert not app.is_running
    assert labels(seeded) == {(A003, 1): (claim("attributed"), None)}


async def test_mouse_selects_units_and_applies_labels(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = app.screen.query_one(ArticleView)
        start, _ = view.spans[3]
        top = view.scrollable_content_region.y - view.region.y
        await pilot.click(ArticleView, offset=(20, top + start - round(view.scroll_y)))
        assert cursor(app) == 3
        bar = app.screen.query_one(LabelBar)
        strip = bar.render_line(0)
        x = 0
        for segment in strip:
            if segment.style and segment.style.meta.get("key") == "e":
                break
            x += len(segment.text)
        await pilot.click(LabelBar, offset=(x + 1, bar.content_region.y - bar.region.y))
        await settle(app, pilot)
    assert labels(seeded) == {(A003, 3): (claim("editorial"), None)}


async def test_list_filters_and_opens(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lines = list_lines(app)
        assert lines[0].split() == ["article", "title", "units", "labeled", "duplicate"]
        assert len(lines) == 6
        dup = next(line for line in lines if line.startswith(" 000_"))
        assert dup.endswith("≈ dup of 001_072d…")
        await pilot.press("slash", *"kyiv refusal")
        assert [line.split()[0] for line in list_lines(app)[1:]] == [A003]
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id == A003


async def test_guidelines_open_at_the_focused_group(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f", "question_mark")
        await pilot.pause(0.3)
        await settle(app, pilot)
        assert isinstance(app.screen, GuidelinesScreen)
        viewer = app.screen.query_one(MarkdownViewer)
        heading = next(
            viewer.query_one(f"#{block_id}")
            for _, title, block_id in viewer.document.table_of_contents
            if title == "flags"
        )
        assert viewer.scroll_y > 0
        assert heading.virtual_region.y - round(viewer.scroll_y) in range(0, 3)
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)


async def test_keymap_file_remaps_bindings(
    seeded: Service, scheme: Scheme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("annotate.next: x\n", encoding="utf-8")
    monkeypatch.setenv("ANNOTATOR_KEYMAP", str(keymap))
    assert load_keymap() == ({"annotate.next": "x"}, None)
    app = make_app(seeded, scheme, annotator="alice", article=A003, keymap=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        assert cursor(app) == 2
        await pilot.press("j")  # j is no longer bound to next
        assert cursor(app) == 2
    keymap.write_text("- not a mapping\n", encoding="utf-8")
    data, problem = load_keymap()
    assert data == {} and problem is not None and "annotate.next: ctrl+n" in problem


async def test_command_palette_jumps_to_an_article_and_switches_annotator(
    seeded: Service, scheme: Scheme
) -> None:
    app = make_app(seeded, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p", *"open 003")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id == A003
        await pilot.press("ctrl+p", *"switch annotator")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, NameScreen)
        await pilot.press(*"bob", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen) and app.annotator == "bob"


async def test_unknown_article_says_so_and_shows_the_list(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article="no-such-article")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert any("no article 'no-such-article'" in n.message for n in app._notifications)


async def test_refused_change_is_reported_and_rolled_back(
    seeded: Service, scheme: Scheme, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Service, *args: Any, **kw: Any) -> Any:
        raise ServiceError("no unit with id 999")

    monkeypatch.setattr(Service, "press", refuse)
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        bar = app.screen.query_one(LabelBar)
        assert bar.status == ("error", "NOT SAVED — no unit with id 999")
        view = app.screen.query_one(ArticleView)
        assert view.marks[1] == Mark(text="", complete=False, pending=False, failed=True)
    assert labels(seeded) == {}


def test_gutter_markers(scheme: Scheme) -> None:
    assert marker(scheme, claim("attributed")) == "A"
    assert marker(scheme, claim("editorial", "framing", "disputed")) == "E+fd"
    assert marker(scheme, claim(None, "disputed")) == "+d"
    assert marker(scheme, claim(None)) == ""
    assert marker_width(scheme) == 4


async def test_finished_article_reopens_at_the_last_change_in_view(
    seeded: Service, scheme: Scheme
) -> None:
    a004 = "004_39dcb224b8f820fa"  # ten sentences, then four boilerplate units
    first = make_app(seeded, scheme, annotator="alice", article=a004)
    async with first.run_test(size=(80, 16)) as pilot:
        await settle(first, pilot)
        await pilot.press(*"a" * 10)
        await settle(first, pilot)
    assert len(labels(seeded)) == 10
    again = make_app(seeded, scheme, annotator="alice")
    async with again.run_test(size=(80, 16)) as pilot:
        await settle(again, pilot)
        assert cursor(again) == 9
        view = again.screen.query_one(ArticleView)
        start, end = view.spans[9]
        top = round(view.scroll_y)
        assert top > 0 and top <= start and end <= top + view.scrollable_content_region.height


async def test_undo_of_a_change_in_another_article_goes_there(
    seeded: Service, scheme: Scheme
) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "e", "right_square_bracket")
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id != A003
        await pilot.press("u")
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id == A003
        assert cursor(app) == 2
    assert labels(seeded)[(A003, 2)][0] == claim(None)


async def test_resize_rewraps_and_keeps_the_cursor_in_view(seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("G")
        view = app.screen.query_one(ArticleView)
        wide = len(view.lines)
        await pilot.resize_terminal(60, 20)
        await settle(app, pilot)
        assert len(view.lines) > wide
        text_width = view.scrollable_content_region.width - view.gutter_width
        assert max(len(line.text) for line in view.lines) <= text_width
        start, end = view.spans[cursor(app)]
        top = round(view.scroll_y)
        assert top <= start and end <= top + view.scrollable_content_region.height
        # every unit's text is shown exactly once, in order
        shown = " ".join(line.text for line in view.lines if line.unit >= 0).split()
        state = screen_of(app).state
        assert state is not None
        assert shown == " ".join(u.text for u in state.units).split()
