"""Bulk SQL for import: look-ups by hash and id, article and unit inserts, duplicate marks.

An import writes hundreds of thousands of units, so these functions speak to the
driver directly (``exec_driver_sql`` with one ``executemany`` per batch) instead of
building ORM objects or Core statements row by row; the values are converted with the
column types' own bind processors, so what is stored is what the ORM would store.
Every function takes the :class:`~sqlalchemy.engine.Connection` of an open write
transaction (``session.connection()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from annotator.store.models import Article, utcnow

ArticleRow = tuple[int, str, str, str, str, str, dict[str, Any]]
"""``(id, external_id, title, source, sha256, text, meta)`` of a new article."""

_IN_CHUNK = 500
"""Values per ``IN (...)`` list, well under every backend's parameter limit."""
BULK_CACHE_KIB = 64 * 1024
"""SQLite page cache (KiB) while an import writes: see :func:`bulk_cache`."""
_ROWS_PER_STATEMENT = 100
"""Rows per multi-row ``INSERT`` (at most 800 parameters, under every backend's limit)."""


def _mark(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _in_chunks(
    connection: Connection, sql: str, values: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (one ``{}`` for the IN list) for every chunk of ``values``."""
    mark = _mark(connection)
    for i in range(0, len(values), _IN_CHUNK):
        chunk = tuple(values[i : i + _IN_CHUNK])
        marks = ", ".join([mark] * len(chunk))
        yield from connection.exec_driver_sql(sql.format(marks), chunk)


@contextmanager
def bulk_cache(connection: Connection) -> Iterator[None]:
    """Give SQLite a :data:`BULK_CACHE_KIB` page cache while a large import writes.

    With the default 2 MiB cache, SQLite spills index and tree pages to the WAL long
    before the transaction ends, then rewrites them (and the checksums of every frame
    after them) when they change again; a larger cache writes each page once, at
    commit. The connection's own setting is restored afterwards. No-op elsewhere.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(SQLAlchemyError):  # a broken connection is discarded anyway
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def existing_shas(connection: Connection, shas: Sequence[str]) -> dict[str, str]:
    """Of these text hashes, those already imported -> the external id holding them."""
    sql = "SELECT sha256, external_id FROM article WHERE sha256 IN ({})"
    return {str(sha): str(ext) for sha, ext in _in_chunks(connection, sql, shas)}


def existing_external_ids(connection: Connection, ids: Sequence[str]) -> set[str]:
    """Of these external ids, those already in use."""
    sql = "SELECT external_id FROM article WHERE external_id IN ({})"
    return {str(ext) for (ext,) in _in_chunks(connection, sql, ids)}


def new_article_ids(connection: Connection, n: int) -> list[int]:
    """``n`` fresh article ids, so units can be written without reading the articles back.

    PostgreSQL draws them from the column's sequence. SQLite continues after the largest
    id, as it would itself; this is safe because a write transaction there holds the
    database's write lock (``BEGIN IMMEDIATE``) until it commits.
    """
    if n <= 0:
        return []
    if connection.dialect.name == "postgresql":
        result = connection.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('article', 'id')) FROM generate_series(1, %s)",
            (n,),
        )
        return sorted(int(i) for i in result.scalars())
    top = connection.exec_driver_sql("SELECT max(id) FROM article").scalar()
    first = int(top or 0) + 1
    return list(range(first, first + n))


def insert_articles(connection: Connection, rows: Iterable[ArticleRow]) -> None:
    """Insert new articles with their ids (from :func:`new_article_ids`), not duplicates yet."""
    dialect = connection.dialect
    columns = Article.__table__.c  # type: ignore[attr-defined]
    to_meta = columns.meta.type.dialect_impl(dialect).bind_processor(dialect)
    to_time = columns.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    now = utcnow()
    created = now if to_time is None else to_time(now)
    values: list[object] = []
    for row in rows:
        values += row[:6]
        values += (row[6] if to_meta is None else to_meta(row[6]), created)
    _insert_many(
        connection,
        "INSERT INTO article (id, external_id, title, source, sha256, text, meta, created_at)",
        8,
        values,
    )


def insert_units(connection: Connection, values: Sequence[object]) -> None:
    """Bulk-insert units given flat: ``article_id, idx, start, end, role, text`` for each."""
    _insert_many(
        connection, 'INSERT INTO unit (article_id, idx, start, "end", role, text)', 6, values
    )


def _insert_many(connection: Connection, head: str, width: int, values: Sequence[object]) -> None:
    """``head VALUES ...`` for ``values``, ``width`` to a row, many rows per statement.

    A hundred rows per ``INSERT`` (:data:`_ROWS_PER_STATEMENT`) write about a fifth
    faster than a row per statement on SQLite: fewer statement steps and driver calls.
    """
    one = f"({', '.join([_mark(connection)] * width)})"
    step = _ROWS_PER_STATEMENT * width
    full = len(values) - len(values) % step
    if full:
        connection.exec_driver_sql(
            f"{head} VALUES {', '.join([one] * _ROWS_PER_STATEMENT)}",
            [tuple(values[i : i + step]) for i in range(0, full, step)],
        )
    if full < len(values):
        connection.exec_driver_sql(
            f"{head} VALUES {one}",
            [tuple(values[i : i + width]) for i in range(full, len(values), width)],
        )


def mark_duplicate(connection: Connection, duplicate: str, original: str) -> bool:
    """Mark article ``duplicate`` a near-duplicate of ``original`` (external ids).

    Does nothing when it is marked already; returns True when the mark was made.
    """
    mark = _mark(connection)
    result = connection.exec_driver_sql(
        f"UPDATE article SET duplicate_of = (SELECT id FROM article WHERE external_id = {mark}) "
        f"WHERE external_id = {mark} AND duplicate_of IS NULL",
        (original, duplicate),
    )
    return bool(result.rowcount)


def fingerprint_rows(connection: Connection) -> Iterator[tuple[str, str]]:
    """``(external id, unit text)`` of every sentence unit, for near-duplicate detection."""
    result = connection.exec_driver_sql(
        "SELECT a.external_id, u.text FROM unit u JOIN article a ON a.id = u.article_id "
        "WHERE u.role = 'sentence'"
    )
    for ext, text in result:
        yield str(ext), str(text)
