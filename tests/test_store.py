"""Database set-up: migrations, pragmas, refusal of foreign or newer databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.store.engine import StoreError, open_store, resolve_url, table_names
from annotator.store.migrate import current_revision, downgrade, head_revision, upgrade_to_head

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
