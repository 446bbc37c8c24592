"""Kill -9 safety: whatever the screen showed as saved is in the database, and the file is sound.

The real ``annotator annotate`` runs in tmux. Each trial types random label and
navigation keys at random speeds, captures the screen, and kills the process with
SIGKILL right after the capture (sometimes mid-burst, with saves still in flight).
Every gutter marker on the captured screen that is not pending (``…``) or failed
(``!``) is a label the screen showed as saved: it must be in the database exactly.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.scheme import Scheme
from annotator.service import Context, Service
from tests.conftest import SEEDS

ARTICLE = "003_490b98aef62dcad9"
TRIALS = 20
MARKER = re.compile(r"[A-Z]*(\+[a-z]+)?")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sqlite_only,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (CI installs it)"),
]


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", "kill9", *args], capture_output=True, text=True, check=False
    ).stdout


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", "k")


def _wait_for(text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _screen()
        if text in screen:
            return screen
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared; screen:\n{_screen()}")


def _shown_saved(screen: str) -> list[tuple[str, str]]:
    """(marker, first text line) of every unit the screen shows with a committed label."""
    shown: list[tuple[str, str]] = []
    for line in screen.splitlines():
        if " │ " not in line:
            continue
        gutter, text = line.split(" │ ", 1)
        marker = gutter.replace("▌", "").replace("✎", "").strip()
        if not marker:
            continue
        if not MARKER.fullmatch(marker):  # pending (…), failed (!), role hints, other lines
            continue
        shown.append((marker, text.strip()))
    return shown


def _marker(scheme: Scheme, labels: dict[str, object]) -> str:
    single = "".join(
        scheme.group(g.name).choice(str(labels[g.name])).key.upper()
        for g in scheme.groups
        if g.kind == "single" and labels.get(g.name)
    )
    flags = "".join(
        c.key
        for g in scheme.groups
        if g.kind == "multi"
        for c in g.choices
        if c.name in (labels.get(g.name) or [])
    )
    return single + (f"+{flags}" if flags else "")


def test_labels_shown_as_saved_survive_sigkill(tmp_path: Path, scheme: Scheme) -> None:
    db = tmp_path / "annotations.db"
    setup = Service.open(f"sqlite:///{db}")
    setup.import_paths([SEEDS / f"{ARTICLE}.txt"])
    units = setup.article(Context("alice", scheme), ARTICLE).units
    setup.close()
    exe = Path(sys.executable).with_name("annotator")
    rng = random.Random(9)
    checked = 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATOR_")}
    env["TERM"] = "xterm-256color"
    try:
        for trial in range(TRIALS):
            _tmux("kill-server")
            cmd = f"exec {exe} annotate --db {db} --as alice --article {ARTICLE}"
            new = ["tmux", "-L", "kill9", "new-session", "-d", "-s", "k", "-x", "120", "-y", "40"]
            for _attempt in range(30):  # the previous server may still be shutting down
                started = subprocess.run([*new, cmd], env=env, capture_output=True, check=False)
                if started.returncode == 0:
                    break
                time.sleep(0.1)
            assert started.returncode == 0, started.stderr
            pid = int(_tmux("display", "-p", "-t", "k", "#{pane_pid}").strip())
            _wait_for("Putin")  # the article is loaded and the cursor placed
            for _ in range(rng.randint(2, 14)):
                key = rng.choice("aaaeennfdjjkN")
                _tmux("send-keys", "-t", "k", key)
                if rng.random() < 0.6:
                    time.sleep(rng.uniform(0, 0.04))
            if trial % 3:  # let some saves land; other trials kill with saves in flight
                time.sleep(rng.uniform(0, 0.15))
            screen = _screen()
            os.kill(pid, signal.SIGKILL)
            shown = _shown_saved(screen)
            con = sqlite3.connect(db)
            try:
                assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                stored = dict(
                    con.execute(
                        "SELECT n.unit_id, n.labels FROM annotation n JOIN annotator a "
                        "ON a.id = n.annotator_id WHERE a.name = 'alice'"
                    ).fetchall()
                )
                history: dict[int, list[str]] = {}
                for unit_id, after in con.execute(
                    "SELECT unit_id, after FROM annotation_event ORDER BY id"
                ):
                    history.setdefault(unit_id, []).append(after)
            finally:
                con.close()
            for marker, first_line in shown:
                found = [u for u in units if u.text.startswith(first_line[:40])]
                assert found, f"no unit starts with {first_line!r}; screen:\n{screen}"
                unit = found[0]
                assert unit.id in stored, f"trial {trial}: {marker} shown on {first_line!r}"
                # Shown as saved means committed: the current row, or a state the event log
                # shows was committed before a later key (typed before the kill, painted
                # after the capture) replaced it.
                states = [json.loads(stored[unit.id])]
                states += [json.loads(a) for a in history.get(unit.id, []) if a]
                assert marker in {_marker(scheme, st) for st in states}, (trial, marker)
                checked += 1
    finally:
        _tmux("kill-server")
    assert checked >= TRIALS  # the trials really showed saved labels to check
