"""End to end in a real browser: ``annotator serve`` driven by Playwright with the system Chromium.

Two tabs each run their own app: alice types her name and labels three units with keys, bob
labels one; the labels are then read back from the SQLite file. The page is an xterm.js
canvas, so the test reads what the app draws from the websocket frames (ANSI codes removed)
to know when to type. Skipped only when Chromium is not installed (CI installs it).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotator.service import Service
from tests.conftest import SEEDS, env_without_user_settings

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and Path(p).exists()), None
)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt install chromium)"),
    pytest.mark.sqlite_only,  # the browser and the server are the subject, not the backend
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTICLE = "000_ff92629906c65547"  # first in the list
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[P\]].*?(?:\x1b\\|\x07)|\x1b[@-_]")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until(check: Any, what: str, log: Path, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    server_log = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    raise AssertionError(f"timed out waiting for {what}; server log:\n{server_log}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """``annotator serve`` on a free port over a seeded SQLite file: (url, db, server log)."""
    db = tmp_path / "team.db"
    service = Service.open(str(db))
    service.import_paths([SEEDS])
    service.close()
    keymap = tmp_path / "keymap.yaml"  # empty: the user's own keymap must not apply
    keymap.write_text("", encoding="utf-8")
    env = env_without_user_settings()
    env["ANNOTATOR_KEYMAP"] = str(keymap)
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w", encoding="utf-8") as out:
        # A relative --db from the server's directory: the served app must still find it.
        server = subprocess.Popen(
            [sys.executable, "-m", "annotator", "serve", "--db", db.name, "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def listening() -> bool:
            assert server.poll() is None, log.read_text(encoding="utf-8")
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        _wait_until(listening, "the server to listen", log)
        yield f"http://127.0.0.1:{port}/", db, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Tab:
    """A browser tab on the served app, with everything the app has drawn in it so far."""

    def __init__(self, browser: Any, url: str, log: Path) -> None:
        self.frames: list[str] = []
        self.log = log
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
        self.page.on("websocket", self._watch)
        self.page.goto(url, wait_until="domcontentloaded")
        self.page.wait_for_selector("body.-first-byte", timeout=20_000)

    def _watch(self, websocket: Any) -> None:
        websocket.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        self.frames.append(text)

    def screen_text(self) -> str:
        """What the app has written to this tab, without escape codes."""
        return ANSI.sub("", "".join(self.frames))

    def wait_for(self, needle: str, timeout: float = 20.0) -> None:
        """Wait until the app draws ``needle`` (Playwright delivers frames while it waits)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.screen_text():
                return
            self.page.wait_for_timeout(100)
        tail = self.screen_text()[-2000:]
        raise AssertionError(f"{needle!r} never appeared in the browser; last output:\n{tail}")

    def keys(self, *keys: str) -> None:
        """Press keys one at a time in the terminal, as a person would."""
        for key in keys:
            self.page.keyboard.press(key)
            self.page.wait_for_timeout(80)

    def sign_in(self, name: str) -> None:
        """Answer the name screen, then open the first article of the list."""
        self.wait_for("Who is annotating?")
        self.page.locator("#terminal").click()
        self.page.keyboard.type(name)
        self.page.keyboard.press("Enter")
        self.wait_for("enter opens one")
        self.frames.clear()
        self.page.keyboard.press("Enter")
        self.wait_for("labeled in this article")


def _labels(db: Path, annotator: str) -> list[tuple[int, dict[str, Any]]]:
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT u.idx, n.labels FROM annotation n JOIN unit u ON u.id = n.unit_id "
            "JOIN article a ON a.id = u.article_id JOIN annotator p ON p.id = n.annotator_id "
            "WHERE a.external_id = ? AND p.name = ? ORDER BY u.idx",
            (ARTICLE, annotator),
        ).fetchall()
    return [(idx, json.loads(labels)) for idx, labels in rows]


def test_two_browser_tabs_label_as_two_annotators(
    served: tuple[str, Path, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, db, log = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            alice = Tab(browser, url, log)
            alice.sign_in("alice")
            alice.keys("a", "f", "e", "n")
            expected = [
                (0, {"claim_type": "attributed", "flags": []}),
                (1, {"claim_type": "editorial", "flags": ["framing"]}),
                (2, {"claim_type": "no_claim", "flags": []}),
            ]
            _wait_until(lambda: _labels(db, "alice") == expected, "alice's labels", log)
            alice.wait_for("saved ✓")
            alice.page.screenshot(path=str(tmp_path / "annotator-web.png"))

            bob = Tab(browser, url, log)  # a second tab: its own app, asking its own name
            bob.sign_in("bob")
            bob.keys("d", "n")
            bob_expected = [(0, {"claim_type": "no_claim", "flags": ["disputed"]})]
            _wait_until(lambda: _labels(db, "bob") == bob_expected, "bob's label", log)
        finally:
            browser.close()
    assert _labels(db, "alice") == expected  # bob's tab did not touch alice's labels
    assert (tmp_path / "annotator-web.png").stat().st_size > 10_000
