"""The article list on 600 articles: keys, paging, filter, click, enter, progress, resume.

Every test reads what the list draws (its rendered lines) or which article opens.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.tui.app import AnnotatorApp
from annotator.tui.screens.articles import ArticlesScreen
from annotator.tui.widgets.article_list import ArticleList
from tests.test_tui import claim, list_lines, make_app, screen_of, settle

N = 600
TOPICS = ("harbour", "election", "drought")
SIZE = (100, 30)


def ext(i: int) -> str:
    """The external id of generated article ``i`` (1-based)."""
    return f"art-{i:04d}"


def title(i: int) -> str:
    """The title (and heading unit) of generated article ``i``."""
    return f"Story {i} about the {TOPICS[i % 3]}"


@pytest.fixture
def many(service: Service, scheme: Scheme, tmp_path: Path) -> Service:
    """600 articles of a heading and two sentences; art-0005 is a near-duplicate of art-0004;
    alice has labelled both sentences of art-0002 and one of art-0003."""

    lines = []
    for i in range(1, N + 1):
        plan = 4 if i == 5 else i  # art-0005 repeats art-0004's sentence: a near-duplicate
        text = (
            f"{title(i)}\nOfficials said plan {plan} was ready. Critics of plan {plan} disagreed."
        )
        lines.append(json.dumps({"id": ext(i), "title": title(i), "text": text}))
    source = tmp_path / "many.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = service.import_paths([source])
    assert report.errors == [] and report.near_duplicates == 1
    alice = Context("alice", scheme)
    for ref, n in ((ext(2), 2), (ext(3), 1)):
        sentences = [u for u in service.article(alice, ref).units if u.role == "sentence"]
        for unit in sentences[:n]:
            service.set_labels(alice, unit.id, claim("attributed"))
    return service


def listed(app: AnnotatorApp) -> list[str]:
    """The external ids on the visible lines of the list, top to bottom."""
    return [line.split()[0] for line in list_lines(app)[1:]]


def line_of(app: AnnotatorApp, external_id: str) -> str:
    """The visible line of one article."""
    return next(line for line in list_lines(app) if line.split()[0] == external_id)


def cursor_line(app: AnnotatorApp) -> str:
    """The external id on the line drawn with the cursor's background."""
    widget = app.screen.query_one(ArticleList)
    background = widget.get_component_rich_style("article-list--cursor").bgcolor
    for y in range(1, widget.scrollable_content_region.height):
        strip = widget.render_line(y)
        if next(iter(strip)).style.bgcolor == background:  # type: ignore[union-attr]
            return strip.text.split()[0]
    raise AssertionError("no cursor line on screen")


def page(app: AnnotatorApp) -> int:
    """Article lines the list shows at once (its height less the header)."""
    return app.screen.query_one(ArticleList).scrollable_content_region.height - 1


async def start(app: AnnotatorApp, pilot: Any) -> None:
    """Wait for the app; alice has labels, so it reopens her last article: back to the list."""
    await settle(app, pilot)
    screen_of(app)
    await pilot.press("q")
    await settle(app, pilot)
    assert isinstance(app.screen, ArticlesScreen)


async def opened(app: AnnotatorApp, pilot: Any) -> str:
    """Press enter on the list; the external id of the article that opens."""
    await pilot.press("enter")
    await settle(app, pilot)
    state = screen_of(app).state
    assert state is not None
    return state.view.article.external_id


async def test_list_shows_progress_duplicates_and_totals(many: Service, scheme: Scheme) -> None:
    app = make_app(many, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        title_bar = str(app.screen.query_one("#articles-title").render())
        assert title_bar == (
            f" alice · {N} articles · 3 of {2 * N} sentences labeled · enter opens one"
        )
        assert listed(app) == [ext(i) for i in range(1, page(app) + 1)]
        assert line_of(app, ext(1)).split()[-2:] == ["3", "0/2"]
        assert line_of(app, ext(2)).split()[-3:] == ["3", "2/2", "✓"]
        assert line_of(app, ext(3)).split()[-1] == "1/2"
        assert line_of(app, ext(5)).endswith("0/2      ≈ dup of art-0004")
        assert title(7) in line_of(app, ext(7))
        assert cursor_line(app) == ext(1)


async def test_keys_move_the_cursor_and_enter_opens_that_article(
    many: Service, scheme: Scheme
) -> None:
    app = make_app(many, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("j", "j", "down", "k")
        assert cursor_line(app) == ext(3)
        assert await opened(app, pilot) == ext(3)
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)
        assert cursor_line(app) == ext(3)  # the list comes back where it was
        await pilot.press("up", "up", "up")  # stops at the first article
        assert cursor_line(app) == ext(1)


async def test_paging_and_both_ends(many: Service, scheme: Scheme) -> None:
    app = make_app(many, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        rows = page(app)
        await pilot.press("pagedown")
        assert cursor_line(app) == ext(1 + rows)
        assert listed(app)[0] == ext(1 + rows)
        await pilot.press("pagedown", "pageup", "k")
        assert cursor_line(app) == ext(rows)
        await pilot.press("G")
        assert listed(app)[-1] == ext(N)
        assert cursor_line(app) == ext(N)
        await pilot.press("g")
        assert listed(app)[0] == ext(1) and cursor_line(app) == ext(1)
        await pilot.press("end", "k")
        assert cursor_line(app) == ext(N - 1)
        assert await opened(app, pilot) == ext(N - 1)
        await pilot.press("q")
        await settle(app, pilot)
        await pilot.press("home")
        assert cursor_line(app) == ext(1)


async def test_filter_then_clear_keeps_the_highlighted_article(
    many: Service, scheme: Scheme
) -> None:
    app = make_app(many, scheme, annotator="alice")
    expected = [
        ext(i) for i in range(1, N + 1) if "election" in title(i) and "25" in f"{ext(i)} {title(i)}"
    ]
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("slash", *"ELECTION 25")
        widget = app.screen.query_one(ArticleList)
        assert widget.row_count == len(expected) > 2
        assert listed(app) == expected[: page(app)]
        await pilot.press("enter", "j")  # back to the list, one down
        assert cursor_line(app) == expected[1]
        assert await opened(app, pilot) == expected[1]
        await pilot.press("q")
        await settle(app, pilot)
        assert listed(app) == expected[: page(app)]  # still filtered
        await pilot.press("escape")
        assert widget.row_count == N
        assert cursor_line(app) == expected[1]
        await pilot.press("slash", *"no such words")
        assert widget.row_count == 0 and listed(app) == []
        await pilot.press("enter", "enter")  # nothing to open
        await settle(app, pilot)
        assert isinstance(app.screen, ArticlesScreen)


async def test_click_highlights_and_a_second_click_opens(many: Service, scheme: Scheme) -> None:
    app = make_app(many, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("pagedown")  # clicks count from the scrolled position
        first = 1 + page(app)
        await pilot.click(ArticleList, offset=(30, 3))  # header, then lines 1 and 2
        assert cursor_line(app) == ext(first + 2)
        await pilot.click(ArticleList, offset=(5, 0))  # the header does nothing
        assert cursor_line(app) == ext(first + 2)
        await pilot.click(ArticleList, offset=(30, 3))
        await settle(app, pilot)
        state = screen_of(app).state
        assert state is not None and state.view.article.external_id == ext(first + 2)


async def test_progress_is_fresh_when_the_list_comes_back(many: Service, scheme: Scheme) -> None:
    app = make_app(many, scheme, annotator="alice")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("j", "j", "j")
        assert await opened(app, pilot) == ext(4)
        await pilot.press("a")  # label the first sentence
        await settle(app, pilot)
        await pilot.press("q")
        await settle(app, pilot)
        assert line_of(app, ext(4)).split()[-1] == "1/2"
        assert cursor_line(app) == ext(4)
        title_bar = str(app.screen.query_one("#articles-title").render())
        assert f"4 of {2 * N} sentences labeled" in title_bar


def test_listing_matches_the_database(many: Service, scheme: Scheme, tmp_path: Path) -> None:
    alice = Context("alice", scheme)
    rows = many.articles(alice)
    assert len(rows) == N
    assert [info.external_id for info, _ in rows] == [ext(i) for i in range(1, N + 1)]
    info, progress = rows[1]
    assert (info.title, info.n_units, info.source) == (title(2), 3, str(tmp_path / "many.jsonl"))
    assert (progress.labeled, progress.total) == (2, 2)
    assert rows[4][0].duplicate_of == ext(4) and rows[3][0].duplicate_of is None
    assert rows.overall() == many.progress(alice)
    assert (rows.overall().labeled, rows.overall().total) == (3, 2 * N)
    ids = list(reversed(rows.ids))  # more ids than one statement takes: counted in chunks
    assert many.progress(alice, ids) == rows.overall()
    assert many.progress(alice, [rows.ids[1], rows.ids[1]]).labeled == 2  # repeats count once
    assert many.articles(Context("bob", scheme)).overall().labeled == 0
