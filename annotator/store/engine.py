"""Engine and session set-up: database URLs, SQLite pragmas, migrations on open.

Nothing here runs at import time; :func:`open_store` creates the engine when a
command needs it. SQLite runs in WAL mode with foreign keys on, a busy timeout and
``synchronous=FULL`` so that a committed label survives a crash or power loss. Writers
of a SQLite file queue on a fair lock (:mod:`annotator.store.writelock`) before
``BEGIN IMMEDIATE`` instead of polling SQLite's busy handler.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlmodel import Session, create_engine

from annotator.store.writelock import Hold, WriterLock

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


def sqlite_path(url: URL) -> str | None:
    """The file a SQLite URL names, also in the ``sqlite:///file:PATH?mode=ro&uri=true`` form.

    None for in-memory databases and for other backends.
    """
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = url.database
    if str(url.query.get("uri", "")).lower() in {"true", "1"} and database.startswith("file:"):
        database = unquote(database.removeprefix("file:").partition("?")[0])
        if database.startswith("//"):  # file://HOST/PATH, HOST empty or localhost
            database = "/" + database[2:].partition("/")[2]
        if not database or database == ":memory:":
            return None
    return database


def _read_only(url: URL) -> bool:
    """True for a SQLite URL that opens the file read-only (``mode=ro`` or ``immutable=1``)."""
    options = {key: str(value).lower() for key, value in url.query.items()}
    if url.database and "?" in url.database:  # the query of a file: URI inside the path
        for part in url.database.partition("?")[2].split("&"):
            key, _, value = part.partition("=")
            options[key] = value.lower()
    return options.get("mode") == "ro" or options.get("immutable") in {"1", "true"}


def writer_lock(url: URL) -> WriterLock | None:
    """The writer queue of a SQLite file URL; None for other backends, memory or read-only."""
    database = sqlite_path(url)
    if database is None or _read_only(url):
        return None
    return WriterLock(database)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"database URL {url!r} is not valid ({' '.join(str(exc).split())}); "
            "use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
        ) from None


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        # The journal mode is stored in the file: only switch an empty file or one of ours,
        # so a database of another program is refused (see migrate) without being changed.
        tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master")}
        if not tables or "alembic_version" in tables:
            cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction starts with BEGIN IMMEDIATE: it takes the write lock up front, so
    # concurrent writers queue instead of failing with "database is locked" when a read
    # upgrades to a write. They queue first on the session's writer lock (FIFO-ish, in the
    # kernel), then on the busy timeout only for writers that do not use it (other programs).
    # Readers use a deferred BEGIN and never block writers (WAL).
    options = conn.get_execution_options()
    if options.get("annotator_write", False):
        hold: Hold | None = options.get("annotator_writer_hold")
        if hold is not None:
            hold.take()
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with this project's connection settings."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_path(parsed)
        if database is not None:
            if Path(database).expanduser().is_dir():
                raise StoreError(
                    f"{database} is a folder, not a database file; "
                    "pass a file path with --db, e.g. annotations.db"
                )
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
    writer_lock: WriterLock | None = field(default=None, repr=False)
    """The writer queue of a SQLite file (None: PostgreSQL, in-memory or read-only)."""

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error.

        ``write=False`` opens a read transaction that never waits for writers. On a SQLite
        file a write transaction holds the writer lock from its ``BEGIN`` until after its
        commit or rollback, released on every path (errors and interrupts included).
        """
        hold = self.writer_lock.hold() if write and self.writer_lock is not None else None
        bind = self.engine.execution_options(annotator_write=write, annotator_writer_hold=hold)
        try:
            with Session(bind, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if hold is not None:
                hold.release()

    @property
    def is_sqlite(self) -> bool:
        """True when the database is a SQLite file."""
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """Release every pooled connection (and the writer lock file if no one uses it)."""
        self.engine.dispose()
        if self.writer_lock is not None:
            self.writer_lock.remove()


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and, with ``create``, create or upgrade) the database at ``url``.

    Raises :class:`StoreError` with one clear line when the file is not a database,
    is corrupt, is from a newer version of annotator, or cannot be written.
    """
    from annotator.store.migrate import upgrade_to_head  # local: alembic is slow to import

    resolved = resolve_url(url)
    engine = make_engine(resolved)
    parsed = make_url(resolved)
    where = database_name(parsed)
    if not create and parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is None or not Path(path).expanduser().exists():
            raise StoreError(f"no database at {where}; run `annotator import` first or pass --db")
    try:
        upgrade_to_head(engine)
    except StoreError:
        engine.dispose()
        raise
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        raise StoreError(_explain(where, exc)) from None
    return Store(url=resolved, engine=engine, writer_lock=writer_lock(parsed))


def database_name(parsed: URL) -> str:
    """How messages name a database: its file for SQLite, the URL without password otherwise."""
    if parsed.get_backend_name() == "sqlite":
        return sqlite_path(parsed) or parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _explain(where: str | None, exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    text = " ".join(text.split())  # drivers' messages may span lines
    lowered = text.lower()
    if "malformed" in lowered or "corrupt" in lowered:
        return (
            f"{where} is corrupt ({text}); restore it from a backup, or rescue what is left "
            f"with: sqlite3 {where} .recover"
        )
    if "not a database" in lowered or "file is encrypted" in lowered:
        return f"{where} is not a usable annotator database ({text}); check the --db path"
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where} is read-only ({text}); make it writable or copy it elsewhere"
    if "unable to open" in lowered:
        return f"cannot open database {where} ({text}); check the path and permissions"
    if "connection" in lowered or "could not translate host" in lowered:
        return (
            f"cannot connect to database {where} ({text}); check the URL and that the server runs"
        )
    return f"database {where}: {text}; check it, or report this if it persists"


def explain_error(url: str | None, exc: Exception) -> str:
    """One line for a database error met while using the database at ``url`` (or the default)."""
    where: str | None
    try:
        where = database_name(make_url(resolve_url(url)))
    except (ArgumentError, ValueError):
        where = url
    return _explain(where, exc)


def check_integrity(url: str | None) -> None:
    """Run SQLite's ``PRAGMA quick_check`` on the database at ``url``, read-only.

    Raises :class:`StoreError` naming the file when it is corrupt or not a database; does
    nothing for other backends or a missing file (opening it reports that).
    """
    parsed = _parse(resolve_url(url))
    path = sqlite_path(parsed)
    if path is None or not Path(path).expanduser().is_file():
        return
    where = database_name(parsed)
    location = Path(path).expanduser().resolve().as_uri()
    try:
        with contextlib.closing(sqlite3.connect(f"{location}?mode=ro", uri=True)) as con:
            problems = [row[0] for row in con.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        raise StoreError(_explain(where, exc)) from None
    if problems != ["ok"]:
        raise StoreError(
            _explain(where, sqlite3.DatabaseError(f"quick_check reports corruption: {problems[0]}"))
        )


def table_names(engine: Engine) -> list[str]:
    """Names of the tables in the database (for tests and status)."""
    return sorted(inspect(engine).get_table_names())
