"""Smoke test of the real ``annotator annotate`` command in a real terminal (tmux).

Labels three units with keys, quits with ``q``, and checks the database. Skipped only when
tmux is not installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from annotator.service import Service
from tests.conftest import SEEDS, env_without_user_settings

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


SOCKET = f"annotator-test-{uuid.uuid4().hex[:8]}"
"""A private tmux server: the test never touches the user's sessions, and the server starts
with this test's environment."""


def _tmux(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False, env=env
    )
    return done.stdout


def _wait_for(session: str, needle: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if needle in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared on screen:\n{screen}")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("annotator")
    return [str(script)] if script.exists() else [sys.executable, "-m", "annotator"]


def test_real_command_labels_three_units_and_quits(tmp_path: Path) -> None:
    db = tmp_path / "smoke.db"
    service = Service.open(str(db))
    service.import_paths([SEEDS])
    service.close()
    session = "smoke"
    env = env_without_user_settings()
    keymap = tmp_path / "keymap.yaml"  # empty: the user's own keymap must not apply
    keymap.write_text("", encoding="utf-8")
    env["ANNOTATOR_KEYMAP"] = str(keymap)
    env.pop("TMUX", None)
    command = " ".join(shlex.quote(part) for part in _command())
    shell = f"cd {shlex.quote(os.getcwd())} && {command} annotate --db {shlex.quote(str(db))} "
    shell += "--as alice; echo EXITED-$?; sleep 30"
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", shell, env=env)
    try:
        _wait_for(session, "enter opens one")
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(session, "0 of 13 labeled in this article")
        for key in ("a", "f", "e", "n"):
            _tmux("send-keys", "-t", session, key)
            time.sleep(0.05)
        _wait_for(session, "3 of 13 labeled in this article")
        _wait_for(session, "saved ✓")
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, "3/13")
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, "EXITED-0")
    finally:
        _tmux("kill-server")
        tmpdir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (tmpdir / SOCKET).unlink(missing_ok=True)
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT u.idx, n.labels FROM annotation n JOIN unit u ON u.id = n.unit_id "
            "JOIN article a ON a.id = u.article_id WHERE a.external_id = ? ORDER BY u.idx",
            ("000_ff92629906c65547",),
        ).fetchall()
    assert [(idx, json.loads(labels)) for idx, labels in rows] == [
        (0, {"claim_type": "attributed", "flags": []}),
        (1, {"claim_type": "editorial", "flags": ["framing"]}),
        (2, {"claim_type": "no_claim", "flags": []}),
    ]
