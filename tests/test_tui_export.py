"""Exports from the app: in a terminal they land in exports/, with only the user's own labels."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.tui import exporting
from annotator.tui.app import AnnotatorApp
from tests.test_tui import settle

ARTICLE = "003_490b98aef62dcad9"


async def _wait_for_file(folder: Path, pattern: str) -> Path:
    for _ in range(200):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {pattern} in {folder}")


async def test_export_my_labels_writes_only_mine(
    seeded: Service, scheme: Scheme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    units = [
        u.id for u in seeded.article(Context("bob", scheme), ARTICLE).units if u.role == "sentence"
    ]
    seeded.press(Context("bob", scheme), units[0], "e")
    app = AnnotatorApp(seeded, scheme, annotator="alice", article=ARTICLE, keymap={})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "n")
        # Straight away: the export waits for both labels to be committed.
        exporting.export_my_labels(app)
        path = await _wait_for_file(tmp_path / "exports", "labels-alice-*.jsonl")
        await pilot.pause(0.1)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["annotator"], r["labels"]["claim_type"]) for r in rows] == [
        ("alice", "attributed"),
        ("alice", "no_claim"),
    ]


async def test_report_refused_in_blind_session(
    seeded: Service, scheme: Scheme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = AnnotatorApp(seeded, scheme, annotator="alice", keymap={}, session="s", blind=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        exporting.export_report(app)
        await pilot.pause(0.2)
        assert any("blind session" in n.message for n in app._notifications)
    assert not (tmp_path / "exports").exists()


async def test_export_waits_for_labels_still_being_saved(
    seeded: Service, scheme: Scheme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    gate = threading.Event()
    press = seeded.press

    def slow_press(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return press(*args, **kwargs)

    app = AnnotatorApp(seeded, scheme, annotator="alice", article=ARTICLE, keymap={})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(seeded, "press", slow_press)
        await pilot.press("e")
        exporting.export_my_labels(app)
        await asyncio.sleep(0.3)
        assert not (tmp_path / "exports").exists()  # not before the label is committed
        gate.set()
        path = await _wait_for_file(tmp_path / "exports", "labels-alice-*.jsonl")
        await settle(app, pilot)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["labels"]["claim_type"] for r in rows] == ["editorial"]
