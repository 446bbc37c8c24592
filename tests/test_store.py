"""Database set-up: migrations, pragmas, refusal of foreign or newer databases."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.store.engine import StoreError, open_store, resolve_url, table_names
from annotator.store.migrate import current_revision, downgrade, head_revision, upgrade_to_head
from tests.conftest import SEEDS

EXPECTED_TABLES = {
    "alembic_version",
    "annotation",
    "annotation_event",
    "annotator",
    "article",
    "unit",
    "campaign",
    "assignment",
    "gold",
}


def test_new_database_is_created_at_head(db_url: str) -> None:
    store = open_store(db_url)
    try:
        assert set(table_names(store.engine)) >= EXPECTED_TABLES
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_sqlite_runs_wal_with_foreign_keys_and_full_sync(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.engine.connect() as con:
            assert con.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert con.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert con.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert con.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    finally:
        store.close()


def test_upgrade_from_first_revision_keeps_data(db_url: str) -> None:
    store = open_store(db_url)
    downgrade(store.engine, "0001")
    assert "gold" not in table_names(store.engine)
    with store.engine.begin() as con:
        con.execute(text("INSERT INTO annotator (name, created_at) VALUES ('old', '2024-01-01')"))
        con.execute(
            text(
                "INSERT INTO article (external_id, title, source, sha256, text, meta, "
                "created_at) VALUES ('a', 't', '', 'h', 'T. x.', '{}', '2024-01-01')"
            )
        )
        con.execute(
            text(
                'INSERT INTO unit (article_id, idx, start, "end", role, text) '
                "VALUES (1, 0, 0, 2, 'sentence', 'T.')"
            )
        )
        con.execute(
            text(
                "INSERT INTO annotation_event (annotator_id, unit_id, scheme_hash, "
                "session, kind, after, at) VALUES (1, 1, 'h', '', 'edit', '{}', "
                "'2024-01-01')"
            )
        )
    upgrade_to_head(store.engine)
    assert current_revision(store.engine) == head_revision() == "0002"
    with store.engine.connect() as con:
        assert con.execute(text("SELECT name FROM annotator")).scalars().all() == ["old"]
        assert con.execute(text("SELECT layer FROM annotation_event")).scalars().all() == [
            "annotation"
        ]
    assert set(table_names(store.engine)) >= EXPECTED_TABLES
    store.close()


@pytest.mark.sqlite_only
def test_database_from_newer_version_is_refused(db_url: str, tmp_path: Path) -> None:
    open_store(db_url).close()
    path = tmp_path / "test.db"
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(StoreError, match="newer annotator"):
        open_store(db_url)


@pytest.mark.sqlite_only
def test_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not sqlite " * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a usable annotator database") as info:
        open_store(f"sqlite:///{path}")
    assert "\n" not in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.sqlite_only
def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'nope' / 'x.db'}")


@pytest.mark.sqlite_only
def test_status_needs_an_existing_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        open_store(f"sqlite:///{tmp_path / 'absent.db'}", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_url(None) == "sqlite:///annotations.db"
    monkeypatch.setenv("ANNOTATOR_DB", "team.db")
    assert resolve_url(None) == "sqlite:///team.db"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unsupported_backend_is_one_clear_line() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        open_store("mysql://u@h/db")


# ---------------------------------------------------------------- the writer lock (SQLite)

PROBE = """
import fcntl, os, sys
try:
    fd = os.open(sys.argv[1], os.O_RDONLY)
except FileNotFoundError:
    print("free")  # removed by a store that closed while no one held it
    sys.exit()
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("busy")
"""
"""Run in a process of its own: can another process take the writer lock right now?"""


def _probe(lock: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(lock)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _blocked_on(lock: Path, pid: int) -> bool:
    """True when /proc/locks shows process ``pid`` waiting for the flock on ``lock``."""
    inode = lock.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and "FLOCK" in fields:
            rest = fields[fields.index("->") + 1 :]  # FLOCK ADVISORY WRITE PID DEV:INODE ...
            if int(rest[3]) == pid and int(rest[4].rsplit(":", 1)[1]) == inode:
                return True
    return False


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds; fail (not time anything) if it never does."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def _label_when_told(url: str, unit_id: int, ready: str, go: str, out: str) -> None:
    """Another annotator's process: open the database, wait for the go, press a key."""
    from annotator.scheme import default_scheme_path, load_scheme
    from annotator.service import Context, Service

    service = Service.open(url)
    Path(ready).touch()
    _wait_for(Path(go).exists, "the go file")
    result = service.press(Context("bob", load_scheme(default_scheme_path())), unit_id, "e")
    service.close()
    Path(out).write_text(json.dumps(result.state.labels), encoding="utf-8")


@pytest.mark.sqlite_only
@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_writer_in_another_process_queues_on_the_lock_then_commits(
    seeded: Service, db_url: str, tmp_path: Path
) -> None:
    assert seeded.store.writer_lock is not None
    lock = Path(seeded.store.writer_lock.path)
    assert lock.name == "test.db-writer.lock"
    unit_id = _unit_ids(seeded)[0]
    ready, go, out = (tmp_path / name for name in ("ready", "go", "out.json"))
    child = multiprocessing.get_context("spawn").Process(
        target=_label_when_told, args=(db_url, unit_id, str(ready), str(go), str(out))
    )
    child.start()
    try:
        _wait_for(ready.exists, "the other process to open the database")
        with seeded.store.session() as session:
            session.execute(text("UPDATE article SET title = 'held' WHERE id = 1"))
            assert _probe(lock) == "busy"  # from BEGIN on, the writer lock is this session's
            go.touch()
            assert child.pid is not None
            _wait_for(lambda: _blocked_on(lock, child.pid), "the other writer to queue")
            assert not out.exists()
        child.join(timeout=60)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert json.loads(out.read_text("utf-8")) == {"claim_type": "editorial", "flags": []}
    with seeded.store.engine.connect() as con:
        assert con.execute(text("SELECT title FROM article WHERE id = 1")).scalar() == "held"
        labels = con.execute(text("SELECT labels FROM annotation")).scalars().all()
    assert [json.loads(x) for x in labels] == [{"claim_type": "editorial", "flags": []}]
    assert _probe(lock) == "free"  # released after the commit
    seeded.close()
    assert not lock.exists()  # removed with the last store, like -wal and -shm


def _unit_ids(service: Service) -> list[int]:
    with service.store.engine.connect() as con:
        return list(con.execute(text("SELECT id FROM unit ORDER BY id")).scalars())


@pytest.mark.sqlite_only
@pytest.mark.parametrize("interrupt", [RuntimeError, KeyboardInterrupt])
def test_writer_lock_is_released_when_a_write_fails(
    seeded: Service, interrupt: type[BaseException]
) -> None:
    assert seeded.store.writer_lock is not None
    lock = Path(seeded.store.writer_lock.path)
    with pytest.raises(interrupt), seeded.store.session() as session:
        session.execute(text("UPDATE article SET title = 'lost' WHERE id = 1"))
        assert _probe(lock) == "busy"
        raise interrupt("stop")
    assert _probe(lock) == "free"
    with seeded.store.engine.connect() as con:
        assert con.execute(text("SELECT title FROM article WHERE id = 1")).scalar() != "lost"


@pytest.mark.sqlite_only
def test_writer_lock_is_reentrant_per_thread_and_shared_between_threads(
    seeded: Service, scheme: Scheme
) -> None:
    lock = seeded.store.writer_lock
    assert lock is not None
    outer, inner = lock.hold(), lock.hold()
    outer.take()
    inner.take()  # the same thread again: must not wait for itself
    assert outer.locked and not inner.locked
    inner.release()
    assert _probe(Path(lock.path)) == "busy"  # still the outer one's
    outer.release()
    assert _probe(Path(lock.path)) == "free"
    # threads of one process queue on the lock too: none fails, nothing is lost
    units = _unit_ids(seeded)[:40]
    names = [f"t{i}" for i in range(4)]

    def label(name: str) -> None:
        for unit in units:
            seeded.press(Context(name, scheme), unit, "a")

    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(label, names))
    with seeded.store.engine.connect() as con:
        count = con.execute(text("SELECT count(*) FROM annotation WHERE complete")).scalar()
    assert count == len(units) * len(names)


@pytest.mark.sqlite_only
def test_unusable_lock_file_falls_back_to_plain_sqlite_locking(
    tmp_path: Path, scheme: Scheme
) -> None:
    # Nothing can be created at the lock file's path (as in a read-only folder, but even for
    # root): writes and reads go on exactly as without the lock, and the path is left alone.
    blocker = tmp_path / "test.db-writer.lock"
    blocker.mkdir()
    with Service.open(f"sqlite:///{tmp_path / 'test.db'}") as service:
        assert not service.import_paths([SEEDS]).errors
        unit = _unit_ids(service)[0]
        result = service.set_labels(Context("alice", scheme), unit, {"claim_type": "editorial"})
        view = service.article(Context("alice", scheme), 1)
        assert view.labels[unit].labels == result.state.labels
    assert blocker.is_dir() and list(blocker.iterdir()) == []


@pytest.mark.sqlite_only
def test_read_only_url_never_creates_a_lock_file(seeded: Service, tmp_path: Path) -> None:
    seeded.close()
    url = f"sqlite:///file:{tmp_path / 'test.db'}?mode=ro&uri=true"
    with Service.open(url) as service:
        assert service.store.writer_lock is None
        assert service.status().articles == 5
        with pytest.raises(OperationalError, match="readonly"):
            service.register("zoe")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names in (["test.db"], ["test.db", "test.db-shm", "test.db-wal"])  # left by SQLite


@pytest.mark.sqlite_only
def test_read_only_folder_works_as_without_the_lock(tmp_path: Path, scheme: Scheme) -> None:
    if os.geteuid() == 0:  # root writes into read-only folders anyway: run it as nobody
        here = f"{Path(__file__).resolve()}::test_read_only_folder_works_as_without_the_lock"
        env = {**os.environ, "HOME": "/tmp"}
        env.pop("ANNOTATOR_TEST_PG", None)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", here]
        done = subprocess.run(
            [*as_nobody, *pytest_cmd],
            capture_output=True,
            text=True,
            env=env,
            cwd="/tmp",
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "1 passed" in done.stdout
        return
    folder = tmp_path / "ro"
    folder.mkdir()
    url = f"sqlite:///{folder / 'test.db'}"
    with Service.open(url) as service:
        assert not service.import_paths([SEEDS]).errors
    folder.chmod(0o555)
    try:
        # No -wal/-shm can be made: the same clear error as ever, nothing created.
        with pytest.raises(StoreError, match="is read-only"):
            Service.open(url)
        # While another connection keeps -wal and -shm, writing works without a lock file.
        folder.chmod(0o755)
        keeper = sqlite3.connect(folder / "test.db")
        keeper.execute("SELECT count(*) FROM unit").fetchone()
        folder.chmod(0o555)
        with Service.open(url) as service:
            unit = _unit_ids(service)[0]
            service.set_labels(Context("alice", scheme), unit, {"claim_type": "editorial"})
            assert service.article(Context("alice", scheme), 1).labels[unit].labels == {
                "claim_type": "editorial",
                "flags": [],
            }
        keeper.close()
        assert not (folder / "test.db-writer.lock").exists()
    finally:
        folder.chmod(0o755)
