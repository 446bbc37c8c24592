"""Start-up reads made before the app exists (``annotator annotate --as NAME``).

:class:`EarlyStart` registers the name, finds where to begin and reads the article list in a
thread while the TUI loads. The app must show what those reads found, report their errors
exactly as it reports its own, never read the list twice at start, and read afresh later.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from annotator.cli import main
from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError
from annotator.tui.app import AnnotatorApp
from annotator.tui.commands import switch_annotator
from annotator.tui.early import EarlyStart
from annotator.tui.screens.articles import ArticlesScreen
from annotator.tui.screens.name import NameScreen
from annotator.tui.widgets.article_list import ArticleList
from tests.test_tui import A003, SIZE, list_lines, make_app, screen_of, settle
from tests.test_tui_session import A001, A004, make_session, notes

SEED_IDS = [
    "000_ff92629906c65547",
    "001_072d0af660637b2d",
    "002_c4579cf5f0a426bd",
    A003,
    "004_39dcb224b8f820fa",
]


class Calls:
    """Counts the calls of one service method; the first ``fail`` calls raise ``error``;
    with ``gate`` the first call waits for it to open; ``done`` is set after each call."""

    def __init__(
        self,
        method: Callable[..., Any],
        fail: int = 0,
        error: str = "",
        gate: threading.Event | None = None,
    ) -> None:
        self.method, self.fail, self.error, self.count = method, fail, error, 0
        self.gate, self.done = gate, threading.Event()

    def __call__(self, *args: Any) -> Any:
        self.count += 1
        if self.count == 1 and self.gate is not None:
            self.gate.wait(timeout=30)
        try:
            if self.count <= self.fail:
                raise ServiceError(self.error)
            return self.method(*args)
        finally:
            self.done.set()


def spy(service: Service, name: str, **kw: Any) -> Calls:
    """Put a :class:`Calls` in place of one method of this service object."""
    calls = Calls(getattr(service, name), **kw)
    setattr(service, name, calls)
    return calls


@pytest.fixture
def started() -> Iterator[list[EarlyStart]]:
    """Early starts made by a test, waited for at its end (as the command does)."""
    made: list[EarlyStart] = []
    yield made
    for early in made:
        early.close()


def begin(
    made: list[EarlyStart], service: Service, ctx: Context, article: str | None = None
) -> EarlyStart:
    """Start the early reads (and remember to wait for them)."""
    early = EarlyStart(service, ctx, article)
    made.append(early)
    return early


def early_ids(early: EarlyStart) -> list[str]:
    """External ids of the list the early reads found (waiting for it)."""
    rows = early.articles()
    assert rows is not None
    return [info.external_id for info in rows.infos()]


def listed(app: AnnotatorApp) -> list[str]:
    """External ids on the list, top to bottom."""
    return [line.split()[0] for line in list_lines(app)[1:]]


def title(app: AnnotatorApp) -> str:
    """The list's title line."""
    return str(app.screen.query_one("#articles-title", Static).render())


async def test_the_list_shows_what_was_read_before_the_app_started(
    seeded: Service, scheme: Scheme, tmp_path: Path, started: list[EarlyStart]
) -> None:
    articles = spy(seeded, "articles")
    early = begin(started, seeded, Context("alice", scheme))
    assert early_ids(early) == SEED_IDS
    late = tmp_path / "late.txt"
    late.write_text("Late story\nOfficials said the late plan was ready.\n", encoding="utf-8")
    seeded.import_paths([late])  # after the early read: the first list does not have it
    app = make_app(seeded, scheme, annotator="alice", early=early)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert listed(app) == SEED_IDS
        assert title(app).startswith(" alice · 5 articles")
        assert articles.count == 1  # the early read only
        await pilot.press("enter")
        await settle(app, pilot)
        screen_of(app)
        await pilot.press("q")  # back to the list: read afresh
        await settle(app, pilot)
        assert listed(app) == [*SEED_IDS, "late"]
        assert title(app).startswith(" alice · 6 articles")
        assert articles.count == 2


@pytest.mark.parametrize("early", [True, False], ids=["early", "in-app"])
async def test_a_failed_list_read_is_reported_the_same_way(
    seeded: Service, scheme: Scheme, started: list[EarlyStart], early: bool
) -> None:
    spy(seeded, "articles", fail=1, error="database went away")
    reads = begin(started, seeded, Context("alice", scheme)) if early else None
    app = make_app(seeded, scheme, annotator="alice", early=reads)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert notes(app) == ["cannot read articles: database went away"]
        assert app.screen.query_one(ArticleList).row_count == 0
        assert title(app) == " Loading articles…"


@pytest.mark.parametrize("early", [True, False], ids=["early", "in-app"])
async def test_a_failed_start_is_reported_the_same_way(
    seeded: Service, scheme: Scheme, started: list[EarlyStart], early: bool
) -> None:
    articles = spy(seeded, "articles")
    spy(seeded, "last_article", fail=1, error="locked out")
    reads = begin(started, seeded, Context("alice", scheme)) if early else None
    app = make_app(seeded, scheme, annotator="alice", early=reads)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert notes(app) == ["cannot start: locked out"]
        assert not any(isinstance(s, ArticlesScreen) for s in app.screen_stack)
    assert articles.count == 0  # nothing listed when starting failed


async def test_with_a_last_article_the_list_is_read_once_at_start(
    seeded: Service, scheme: Scheme, started: list[EarlyStart]
) -> None:
    alice = Context("alice", scheme)
    unit = next(u for u in seeded.article(alice, A003).units if u.role == "sentence")
    seeded.press(alice, unit.id, "a")
    gate = threading.Event()  # the early list read is held up until the article is read
    articles = spy(seeded, "articles", gate=gate)
    article = spy(seeded, "article")
    early = begin(started, seeded, alice)
    app = make_app(seeded, scheme, annotator="alice", early=early)
    async with app.run_test(size=SIZE) as pilot:
        while not article.done.is_set():  # the article screen's worker needs the list next
            await pilot.pause(0.01)
        await pilot.pause(0.1)
        assert articles.count == 1  # it waits for the early read rather than reading again
        gate.set()
        await settle(app, pilot)
        screen = screen_of(app)  # her last article, at its place in the list
        assert screen.state is not None and screen.state.view.article.external_id == A003
        heading = str(screen.query_one("#article-title", Static).render())
        assert heading.startswith(f" {A003}  ·  article 4 of 5")
        assert articles.count == 1  # shared by the list under it and the article's "4 of 5"
        await pilot.press("a")  # labels the next sentence
        await settle(app, pilot)
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert articles.count == 2  # the progress shown is read afresh
        line = next(line for line in list_lines(app) if line.split()[0] == A003)
        assert line.split()[-1] == "2/26"


async def test_another_annotator_does_not_get_the_early_reads(
    seeded: Service, scheme: Scheme, started: list[EarlyStart]
) -> None:
    alice = Context("alice", scheme)
    for unit in [u for u in seeded.article(alice, A001).units if u.role == "sentence"][:2]:
        seeded.press(alice, unit.id, "a")
    early = begin(started, seeded, alice)
    app = make_app(seeded, scheme, annotator="alice", early=early)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen_of(app)
        switch_annotator(app)
        await settle(app, pilot)
        assert isinstance(app.screen, NameScreen)
        await pilot.press(*"bob", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)  # bob has no last article
        assert title(app).startswith(" bob · 5 articles · 0 of ")
        line = next(line for line in list_lines(app) if line.split()[0] == A001)
        assert line.split()[-1].startswith("0/")


async def test_in_a_blind_session_the_early_list_holds_only_the_assigned_articles(
    seeded: Service, scheme: Scheme, started: list[EarlyStart]
) -> None:
    make_session(seeded, scheme)
    early = begin(started, seeded, Context("alice", scheme, "s1"))
    app = AnnotatorApp(
        seeded,
        scheme,
        annotator="alice",
        session="s1",
        blind=True,
        keymap={},
        clock=lambda: 0.0,
        early=early,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert listed(app) == [A004, A001]
        assert title(app).startswith(" alice · session s1 · blind · 2 articles")


def test_the_command_starts_the_reads_when_the_name_is_known(
    seeded: Service, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[EarlyStart | None] = []

    def run(self: AnnotatorApp, *args: Any, **kwargs: Any) -> None:
        seen.append(self.early)

    monkeypatch.setattr(AnnotatorApp, "run", run)
    monkeypatch.delenv("ANNOTATOR_NAME", raising=False)
    try:
        assert main(["annotate", "--db", db_url, "--as", "alice"]) == 0
        assert main(["annotate", "--db", db_url]) == 0  # no name yet: the app asks for it
    finally:
        gc.unfreeze()  # the command freezes what start-up made; not in the test process
    assert gc.isenabled()
    early, none = seen
    assert none is None and early is not None
    assert (early.ctx.annotator, early.ctx.session, early.article) == ("alice", "", None)
    assert early.where() is None  # no labels yet: the list
    assert early_ids(early) == SEED_IDS
