"""``annotator annotate --session``: only the assigned articles, labels stored under the session.

Driven with Textual's Pilot; every test checks what reached the database through a fresh
connection (SQLAlchemy on the test database URL, so it runs on SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from textual.pilot import Pilot
from textual.widgets import Static

from annotator import sessions
from annotator.cli import main
from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.tui.app import AnnotatorApp
from annotator.tui.base import SavingApp
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.articles import ArticlesScreen
from annotator.tui.widgets.article_list import ArticleList
from annotator.tui.widgets.label_bar import LabelBar
from annotator.tui.widgets.status_line import StatusLine
from tests.conftest import SCHEME_PATH
from tests.test_tui import list_lines

A001, A003, A004 = "001_072d0af660637b2d", "003_490b98aef62dcad9", "004_39dcb224b8f820fa"
SIZE = (110, 34)


def make_session(service: Service, scheme: Scheme) -> None:
    """Session s1: alice gets 004 then 001 (not the import order), bob 003, carol 002."""
    sessions.create(
        service,
        "s1",
        articles=f"{A004},{A003},002_c4579cf5f0a426bd,{A001}",
        annotators=["alice", "bob", "carol"],
        overlap=1,
        blind=True,
        scheme=scheme,
    )


def make_app(service: Service, scheme: Scheme, **kw: Any) -> AnnotatorApp:
    """An app in session s1 with no keymap file, a frozen clock and quick retries."""
    kw.setdefault("annotator", "alice")
    return AnnotatorApp(
        service,
        scheme,
        session="s1",
        blind=True,
        keymap={},
        clock=lambda: 0.0,
        retry_delay=0.01,
        **kw,
    )


async def settle(app: SavingApp, pilot: Pilot[Any]) -> None:
    """Wait until loads and saves are done and the screen has caught up."""
    quiet = 0
    for _ in range(400):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = app.saver.pending or any(not w.is_finished for w in app.workers)
        quiet = 0 if busy else quiet + 1
        if quiet == 3:
            return
    raise AssertionError("the app did not settle")


def query(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows from a fresh connection to the test database."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            return [tuple(r) for r in con.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def annotation_rows(db_url: str) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    """(session, annotator, article, unit idx, labels) of every annotation row."""
    rows = query(
        db_url,
        "SELECT n.session, p.name, a.external_id, u.idx, n.labels FROM annotation n "
        "JOIN unit u ON u.id = n.unit_id JOIN article a ON a.id = u.article_id "
        "JOIN annotator p ON p.id = n.annotator_id ORDER BY a.external_id, u.idx",
    )
    return [
        (s, p, a, i, json.loads(lab) if isinstance(lab, str) else lab) for s, p, a, i, lab in rows
    ]


def assigned(db_url: str, name: str) -> list[str]:
    """The articles assigned to ``name`` in s1, in their order, from the assignment table."""
    rows = query(
        db_url,
        "SELECT a.external_id FROM assignment s JOIN article a ON a.id = s.article_id "
        "JOIN annotator p ON p.id = s.annotator_id JOIN campaign c ON c.id = s.campaign_id "
        "WHERE p.name = :name AND c.name = 's1' ORDER BY s.position",
        name=name,
    )
    return [r[0] for r in rows]


def shown_article(app: AnnotatorApp) -> str:
    """The external id of the article open in the annotation screen."""
    assert isinstance(app.screen, AnnotateScreen), app.screen
    assert app.screen.state is not None
    return app.screen.state.view.article.external_id


def notes(app: AnnotatorApp) -> list[str]:
    """Every notification shown so far."""
    return [n.message for n in app._notifications]


async def test_only_assigned_articles_in_order_and_labels_land_in_the_session(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    make_session(seeded, scheme)
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        rows = [line.split()[0] for line in list_lines(app)[1:]]
        assert rows == assigned(db_url, "alice") == [A004, A001]
        title = str(app.screen.query_one("#articles-title", Static).render())
        assert title.startswith(" alice · session s1 · blind · 2 articles")
        await pilot.press("enter")
        await settle(app, pilot)
        assert shown_article(app) == A004
        status = app.screen.query_one(StatusLine)
        assert status.text().startswith(" alice · session s1 · blind ")
        sentences = query(
            db_url,
            "SELECT count(*) FROM unit u JOIN article a ON a.id = u.article_id "
            "WHERE u.role = 'sentence' AND a.external_id IN (:a, :b)",
            a=A001,
            b=A004,
        )[0][0]
        assert status.overall.total == sentences  # overall = the assigned articles only
        screen = app.screen
        assert isinstance(screen, AnnotateScreen) and screen.state is not None
        cursor = screen.state.cursor
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert shown_article(app) == A001
        await pilot.press("right_square_bracket")  # A001 is alice's last: no other article
        await settle(app, pilot)
        assert shown_article(app) == A001
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert shown_article(app) == A004
    assert annotation_rows(db_url) == [
        ("s1", "alice", A004, cursor, {"claim_type": "attributed", "flags": []})
    ]


async def test_unassigned_article_is_refused_with_a_clear_message(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    make_session(seeded, scheme)
    app = make_app(seeded, scheme, article=A003)  # bob's
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert any(
            f"article {A003} is not assigned to alice in session s1" in n for n in notes(app)
        )
        await pilot.press("a")
        await settle(app, pilot)
    assert annotation_rows(db_url) == []


async def test_annotator_outside_the_session_is_told_why_the_list_is_empty(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    make_session(seeded, scheme)
    app = make_app(seeded, scheme, annotator="dave")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert app.screen.query_one(ArticleList).row_count == 0
        empty = str(app.screen.query_one("#articles-empty", Static).render())
        assert "No articles assigned to dave in session s1" in empty
    assert annotation_rows(db_url) == []


async def test_resume_stays_within_the_session(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    make_session(seeded, scheme)
    in_session = Context("alice", scheme, "s1")
    unit = next(u for u in seeded.article(in_session, A001).units if u.role == "sentence")
    seeded.press(in_session, unit.id, "e")
    outside = Context("alice", scheme)  # newer, but outside the session
    seeded.press(outside, seeded.article(outside, A003).units[1].id, "a")
    app = make_app(seeded, scheme)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert shown_article(app) == A001
    assert [(s, a) for s, _, a, _, _ in annotation_rows(db_url)] == [("s1", A001), ("", A003)]


async def test_a_refused_label_is_a_notification_not_a_crash(
    seeded: Service, scheme: Scheme, db_url: str
) -> None:
    make_session(seeded, scheme)
    app = make_app(seeded, scheme, article=A004)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        sessions.reassign(seeded, "s1", A004, "alice", "bob")  # taken away while open
        await pilot.press("a")
        await settle(app, pilot)
        assert app.is_running
        assert any(n.startswith("NOT SAVED") and "not assigned to alice" in n for n in notes(app))
        kind, status = app.screen.query_one(LabelBar).status
        assert kind == "error" and status.startswith("NOT SAVED — ")
    assert annotation_rows(db_url) == []


def test_cli_refuses_a_missing_session_or_another_scheme(
    seeded: Service, scheme: Scheme, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_session(seeded, scheme)
    assert main(["annotate", "--db", db_url, "--session", "nope", "--as", "alice"]) == 2
    assert "no session 'nope'" in capsys.readouterr().err
    other = tmp_path / "claims.yaml"
    other.write_text(
        SCHEME_PATH.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"'),
        encoding="utf-8",
    )
    shutil.copy(SCHEME_PATH.with_suffix(".md"), tmp_path / "claims.md")
    argv = ["annotate", "--db", db_url, "--session", "s1", "--as", "alice"]
    assert main([*argv, "--scheme", str(other)]) == 2
    err = capsys.readouterr().err
    assert f"session s1 uses scheme {scheme.ref}" in err and "leave out --scheme" in err
