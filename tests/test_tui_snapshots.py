"""SVG snapshots of each screen (pytest-textual-snapshot); the clock is frozen.

Update the baselines after an intended change with ``pytest tests/test_tui_snapshots.py
--snapshot-update`` and look at the new SVGs before keeping them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from annotator.scheme import Scheme
from annotator.service import Service
from tests.test_tui import A003, make_app, settle

SIZE = (100, 32)
Compare = Callable[..., bool]


def test_name_screen(snap_compare: Compare, seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(app, pilot)
        box = app.screen.query_one(Input)
        box.cursor_blink = False
        await pilot.press(*"not ok!", "enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_article_list(snap_compare: Compare, seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice")

    async def before(pilot: Pilot[Any]) -> None:
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_annotate_screen(snap_compare: Compare, seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(app, pilot)
        await pilot.press("a", "f", "e", "c", *"check the quote", "enter")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_guidelines_screen(snap_compare: Compare, seeded: Service, scheme: Scheme) -> None:
    app = make_app(seeded, scheme, annotator="alice", article=A003)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
