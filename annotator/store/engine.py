"""Engine and session set-up: database URLs, SQLite pragmas, migrations on open.

Nothing here runs at import time; :func:`open_store` creates the engine when a
command needs it. SQLite runs in WAL mode with foreign keys on, a busy timeout and
``synchronous=FULL`` so that a committed label survives a crash or power loss.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlmodel import Session, create_engine

DEFAULT_URL = "sqlite:///annotations.db"
BUSY_TIMEOUT_MS = 30_000


class StoreError(RuntimeError):
    """A database cannot be opened or used; the message says what to do."""


def resolve_url(url: str | None = None) -> str:
    """Return the database URL: the argument, else ``$ANNOTATOR_DB``, else ``annotations.db``.

    A bare file path (no ``://``) is taken as a SQLite file.
    """
    chosen = url or os.environ.get("ANNOTATOR_DB") or DEFAULT_URL
    if "://" not in chosen:
        chosen = f"sqlite:///{chosen}"
    return chosen


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction starts with BEGIN IMMEDIATE: it takes the write lock up front, so
    # concurrent writers queue on the busy timeout instead of failing with "database is locked"
    # when a read upgrades to a write. Readers use a deferred BEGIN and never block writers (WAL).
    if conn.get_execution_options().get("annotator_write", False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with this project's connection settings."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"database URL {url!r} is not valid: {exc}; use sqlite:///FILE "
            "or postgresql+psycopg://USER@HOST/DB"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise StoreError(
                    f"database folder {folder} does not exist; create it or "
                    "choose another --db path"
                )
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": BUSY_TIMEOUT_MS / 1000,
                "isolation_level": None,
            },
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError:
            raise StoreError(
                "PostgreSQL support is not installed; run pip install 'annotator[postgres]'"
            ) from None
    raise StoreError(
        f"unsupported database {parsed.get_backend_name()!r}; use sqlite:///FILE "
        "or postgresql+psycopg://USER@HOST/DB"
    )


@dataclass
class Store:
    """An open database: its URL and engine. Create one with :func:`open_store`."""

    url: str
    engine: Engine

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error.

        ``write=False`` opens a read transaction that never waits for writers.
        """
        bind = self.engine.execution_options(annotator_write=write)
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @property
    def is_sqlite(self) -> bool:
        """True when the database is a SQLite file."""
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and, with ``create``, create or upgrade) the database at ``url``.

    Raises :class:`StoreError` with one clear line when the file is not a database,
    is corrupt, is from a newer version of annotator, or cannot be written.
    """
    from annotator.store.migrate import upgrade_to_head  # local: alembic is slow to import

    resolved = resolve_url(url)
    engine = make_engine(resolved)
    parsed = make_url(resolved)
    where = parsed.database if parsed.get_backend_name() == "sqlite" else parsed.render_as_string()
    if (
        not create
        and parsed.get_backend_name() == "sqlite"
        and (not parsed.database or not Path(parsed.database).exists())
    ):
        raise StoreError(f"no database at {where}; run `annotator import` first or pass --db")
    try:
        upgrade_to_head(engine)
    except StoreError:
        engine.dispose()
        raise
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        raise StoreError(_explain(where, exc)) from None
    return Store(url=resolved, engine=engine)


def _explain(where: str | None, exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered or "file is encrypted" in lowered:
        return f"{where} is not a usable annotator database ({text}); check the --db path"
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where} is read-only ({text}); make it writable or copy it elsewhere"
    if "unable to open" in lowered:
        return f"cannot open database {where} ({text}); check the path and permissions"
    return f"database {where}: {text}"


def table_names(engine: Engine) -> list[str]:
    """Names of the tables in the database (for tests and status)."""
    return sorted(inspect(engine).get_table_names())
