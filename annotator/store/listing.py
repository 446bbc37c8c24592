"""The article list with one annotator's progress, read through the database driver.

:func:`article_rows` runs plain SQL on the driver's cursor and keeps the result in columns
(:class:`ArticleRows`): a 100,000-article listing is a few arrays and lists of strings, not
100,000 ORM objects or dataclasses, and reading it creates no ORM object at all. SQLite
even hands each column over as one JSON array (:func:`_columns`), not a tuple per row.
:func:`progress_over` counts the same progress summed over many articles.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from sqlmodel import Session

from annotator.domain import ArticleInfo, Progress

if TYPE_CHECKING:
    from annotator.store.labels import LabelKey

BATCH = 5000
"""Rows fetched from the driver at a time."""


class ArticleRows(Sequence[tuple[ArticleInfo, Progress]]):
    """The article list with one annotator's progress, stored column by column.

    Row ``i`` is article ``ids[i]``; ``labeled[i]`` of its ``totals[i]`` labelled units are
    complete. Indexing gives ``(ArticleInfo, Progress)`` built on demand, so the object
    can stand wherever a list of those pairs did; two listings are equal when their rows are.
    """

    __slots__ = (
        "_sources",
        "duplicates",
        "external_ids",
        "ids",
        "labeled",
        "n_units",
        "sources",
        "titles",
        "totals",
    )

    def __init__(self) -> None:
        """An empty listing; :meth:`append` adds rows."""
        self.ids = array("q")
        self.external_ids: list[str] = []
        self.titles: list[str] = []
        self.sources: list[str] = []
        self.n_units = array("q")
        self.labeled = array("q")
        self.totals = array("q")
        self.duplicates: dict[int, str] = {}
        """Row -> external id of the article that row is a near-duplicate of."""
        self._sources: dict[str, str] = {}

    def append(
        self,
        article_id: int,
        external_id: str,
        title: str,
        source: str,
        n_units: int,
        progress: tuple[int, int],
        duplicate_of: str | None = None,
    ) -> None:
        """Add one row; ``progress`` is ``(labeled, total)``."""
        if duplicate_of is not None:
            self.duplicates[len(self.ids)] = duplicate_of
        self.ids.append(article_id)
        self.external_ids.append(external_id)
        self.titles.append(title)
        self.sources.append(self._sources.setdefault(source, source))
        self.n_units.append(n_units)
        self.labeled.append(progress[0])
        self.totals.append(progress[1])

    def extend(
        self,
        ids: Sequence[int],
        external_ids: Sequence[str],
        titles: Sequence[str],
        sources: Sequence[str],
        n_units: Sequence[int],
        labeled: Sequence[int],
        totals: Sequence[int],
    ) -> None:
        """Add rows given column by column (all of the same length)."""
        self.ids.extend(ids)
        self.external_ids.extend(external_ids)
        self.titles.extend(titles)
        intern = self._sources.setdefault
        self.sources.extend([intern(source, source) for source in sources])
        self.n_units.extend(n_units)
        self.labeled.extend(labeled)
        self.totals.extend(totals)

    def __len__(self) -> int:
        """The number of articles."""
        return len(self.ids)

    @overload
    def __getitem__(self, row: int) -> tuple[ArticleInfo, Progress]: ...

    @overload
    def __getitem__(self, row: slice) -> list[tuple[ArticleInfo, Progress]]: ...

    def __getitem__(
        self, row: int | slice
    ) -> tuple[ArticleInfo, Progress] | list[tuple[ArticleInfo, Progress]]:
        """Row ``row`` as ``(ArticleInfo, Progress)`` (a slice: a list of them)."""
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        return self.info(row), self.progress(row)

    def __iter__(self) -> Iterator[tuple[ArticleInfo, Progress]]:
        """Every row as ``(ArticleInfo, Progress)``."""
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence with the same rows (``rows == []`` when empty)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def info(self, row: int) -> ArticleInfo:
        """The article of row ``row``."""
        if row < 0:
            row += len(self)
        return ArticleInfo(
            id=self.ids[row],
            external_id=self.external_ids[row],
            title=self.titles[row],
            source=self.sources[row],
            n_units=self.n_units[row],
            duplicate_of=self.duplicates.get(row),
        )

    def progress(self, row: int) -> Progress:
        """The annotator's progress on row ``row``."""
        return Progress(labeled=self.labeled[row], total=self.totals[row])

    def infos(self) -> list[ArticleInfo]:
        """Every article, in order."""
        return [self.info(i) for i in range(len(self))]

    def reorder(self, ids: Sequence[int]) -> ArticleRows:
        """These rows in the order of ``ids`` (ids not listed here are left out)."""
        at = {article_id: row for row, article_id in enumerate(self.ids)}
        out = ArticleRows()
        for article_id in dict.fromkeys(ids):
            row = at.get(article_id)
            if row is None:
                continue
            out.append(
                article_id,
                self.external_ids[row],
                self.titles[row],
                self.sources[row],
                self.n_units[row],
                (self.labeled[row], self.totals[row]),
                self.duplicates.get(row),
            )
        return out

    def position(self, article_id: int) -> int | None:
        """The row of ``article_id``, or None when it is not listed."""
        try:
            return self.ids.index(article_id)
        except ValueError:
            return None

    def overall(self) -> Progress:
        """The progress summed over every listed article."""
        return Progress(labeled=sum(self.labeled), total=sum(self.totals))


def _marks(connection: Any, n: int) -> str:
    """``n`` driver placeholders, comma-separated (``NULL`` for none: ``IN (NULL)`` is empty)."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n) if n else "NULL"


def _batches(
    connection: Any, sql: str, params: Sequence[Any]
) -> Generator[list[tuple[Any, ...]], None, None]:
    """Rows of ``sql`` as lists of plain tuples, straight from the driver's cursor."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


def _fetch(
    connection: Any, sql: str, params: Sequence[Any]
) -> Generator[tuple[Any, ...], None, None]:
    """Rows of ``sql`` as plain tuples."""
    for batch in _batches(connection, sql, params):
        yield from batch


def _id_chunks(ids: Sequence[int] | None) -> list[list[int] | None]:
    """``ids`` without repeats in chunks of 500 (a driver limits a statement's parameters);
    ``[None]`` for every article."""
    if ids is None:
        return [None]
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + 500] for i in range(0, len(unique), 500)]


def _done_sql(connection: Any, n_roles: int, chunk: list[int] | None) -> str:
    """Complete labels of one key per article (parameters: :func:`_done_params`, chunk)."""
    m = _marks(connection, 1)
    within = "" if chunk is None else f" AND u.article_id IN ({_marks(connection, len(chunk))})"
    return (
        "SELECT u.article_id AS c0, COUNT(*) AS c1 FROM annotation n "
        f"JOIN unit u ON u.id = n.unit_id WHERE n.annotator_id = {m} AND n.scheme_hash = {m} "
        f'AND n."session" = {m} AND n.complete = {m} '
        f"AND u.role IN ({_marks(connection, n_roles)}){within} GROUP BY u.article_id"
    )


def _done_params(key: LabelKey, roles: Sequence[str]) -> list[Any]:
    """The parameters of :func:`_done_sql` before the chunk's ids."""
    return [key.annotator_id, key.scheme_hash, key.session, True, *roles]


def _columns(connection: Any, sql: str, params: Sequence[Any], n: int) -> list[list[Any]]:
    """The ``n`` columns (named ``c0``, ``c1``, ...) of the rows of ``sql``, one list each.

    SQLite (3.38 and later: JSON built in) builds each column as one JSON array: the driver
    hands over ``n`` strings instead of a tuple per row, and the database's work runs without
    Python's GIL. A row at a time, a thread reading a long result waits for the GIL at every
    row while another thread runs Python (the TUI's, or start-up's imports). Other databases:
    batches of rows, turned into columns.
    """
    if connection.dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 38):
        arrays = ", ".join(f"json_group_array(c{i})" for i in range(n))
        (row,) = _fetch(connection, f"SELECT {arrays} FROM ({sql})", params)
        return [json.loads(text) for text in row]
    columns: list[list[Any]] = [[] for _ in range(n)]
    for batch in _batches(connection, sql, params):
        for column, values in zip(columns, zip(*batch, strict=True), strict=True):
            column.extend(values)
    return columns


def article_rows(
    session: Session, key: LabelKey, roles: Sequence[str], ids: Sequence[int] | None = None
) -> ArticleRows:
    """Every article (or those with ``ids``, in that order) with unit counts and the progress
    of one annotator: complete labels of ``key`` over the units with ``roles``.

    Plain queries through the driver, read column by column (:func:`_columns`); no ORM
    objects.
    """
    connection = session.connection()
    role_marks = _marks(connection, len(roles))
    rows = ArticleRows()
    originals: dict[int, int] = {}  # row -> id of the article it is a near-duplicate of
    for chunk in _id_chunks(ids):
        params = chunk or []
        within = "" if chunk is None else f"WHERE {{}} IN ({_marks(connection, len(chunk))}) "
        article_sql = (
            "SELECT id AS c0, external_id AS c1, title AS c2, source AS c3, duplicate_of AS c4 "
            f"FROM article {within.format('id')}ORDER BY id"
        )
        columns = _columns(connection, article_sql, params, 5)
        article_ids, external_ids, titles, sources, duplicate_of = _by_first(columns)
        units_sql = (
            "SELECT article_id AS c0, COUNT(*) AS c1, "
            f"COUNT(CASE WHEN role IN ({role_marks}) THEN 1 END) AS c2 "
            f"FROM unit {within.format('article_id')}GROUP BY article_id ORDER BY article_id"
        )
        unit_ids, n_units, totals = _columns(connection, units_sql, [*roles, *params], 3)
        if unit_ids != article_ids:  # not every article has units: match them up
            at = {article_id: i for i, article_id in enumerate(unit_ids)}
            found = [at.get(article_id) for article_id in article_ids]
            n_units = [0 if i is None else n_units[i] for i in found]
            totals = [0 if i is None else totals[i] for i in found]
        done_sql = _done_sql(connection, len(roles), chunk)
        done_ids, done_n = _columns(connection, done_sql, _done_params(key, roles) + params, 2)
        done = dict(zip(done_ids, done_n, strict=True))
        labeled = [done.get(i, 0) for i in article_ids] if done else [0] * len(article_ids)
        if duplicate_of.count(None) != len(duplicate_of):
            first = len(rows)
            originals.update((first + k, d) for k, d in enumerate(duplicate_of) if d is not None)
        rows.extend(article_ids, external_ids, titles, sources, n_units, labeled, totals)
    if originals:
        external = dict(_external_ids(connection, sorted(set(originals.values()))))
        for row, original in originals.items():
            if original in external:
                rows.duplicates[row] = external[original]
    return rows if ids is None else rows.reorder(ids)


def _by_first(columns: list[list[Any]]) -> list[list[Any]]:
    """``columns`` with their rows in the order of the first column (they nearly always are:
    a JSON array keeps the order its rows come in, which SQLite does not promise)."""
    first = columns[0]
    if first == sorted(first):
        return columns
    order = sorted(range(len(first)), key=first.__getitem__)
    return [[column[i] for i in order] for column in columns]


def _external_ids(connection: Any, ids: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """``(id, external id)`` of the articles with ``ids``."""
    for chunk in _id_chunks(ids):
        assert chunk is not None
        sql = f"SELECT id, external_id FROM article WHERE id IN ({_marks(connection, len(chunk))})"
        yield from _fetch(connection, sql, chunk)


def progress_over(
    session: Session,
    key: LabelKey,
    roles: Sequence[str],
    article_ids: Sequence[int] | None = None,
) -> Progress:
    """Complete labels of ``key`` over the units with ``roles`` (of ``article_ids``, or of
    every article), counted through the driver in chunks of ids."""
    connection = session.connection()
    labeled = total = 0
    for chunk in _id_chunks(article_ids):
        params = chunk or []
        within = "" if chunk is None else f" AND article_id IN ({_marks(connection, len(chunk))})"
        done_sql = _done_sql(connection, len(roles), chunk)
        labeled += sum(
            n for _, n in _fetch(connection, done_sql, _done_params(key, roles) + params)
        )
        total_sql = (
            f"SELECT COUNT(*) FROM unit WHERE role IN ({_marks(connection, len(roles))}){within}"
        )
        total += sum(n for (n,) in _fetch(connection, total_sql, [*roles, *params]))
    return Progress(labeled=labeled, total=total)
