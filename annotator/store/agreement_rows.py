"""Lean bulk reads of labels for agreement matrices: ids and raw JSON text, in batches.

:func:`annotator.store.dataset.iter_annotations` gives one rich row per annotation (article,
unit text, decoded labels, timestamps); at a million annotations that decoding dominates.
Agreement only needs ``(unit id, annotator id, labels, note)``, and a handful of distinct
label values repeat over and over, so :func:`iter_label_batches` returns the labels as their
stored JSON *text* (decoded once per distinct value by the caller) in column batches.
Unit text and article ids are read once per unit by :func:`unit_details`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import String, cast
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from annotator.store.models import Annotation, Annotator, Article, Unit

BATCH = 20_000


class LabelBatch(NamedTuple):
    """Parallel columns of up to ``BATCH`` annotations."""

    unit_ids: tuple[int, ...]
    annotator_ids: tuple[int, ...]
    labels: tuple[str | None, ...]
    notes: tuple[str | None, ...]


def _filtered(query: Any, scheme_hash: str, session_name: str | None) -> Any:
    query = query.where(col(Annotation.scheme_hash) == scheme_hash)
    if session_name is not None:
        query = query.where(col(Annotation.session) == session_name)
    return query


def iter_label_batches(
    session: Session, *, scheme_hash: str, session_name: str | None = None
) -> Iterator[LabelBatch]:
    """Annotations under a scheme (and session) as column batches, streamed.

    Ordered by unit id, annotator id, then ``updated_at`` and id, so when one annotator has
    several annotations of a unit (in different sessions) the most recent one comes last.
    """
    query = _filtered(
        sa_select(
            col(Annotation.unit_id),
            col(Annotation.annotator_id),
            cast(col(Annotation.labels), String),
            col(Annotation.note),
        ),
        scheme_hash,
        session_name,
    ).order_by(
        col(Annotation.unit_id),
        col(Annotation.annotator_id),
        col(Annotation.updated_at),
        col(Annotation.id),
    )
    for part in _tuples(session, query):
        units, annotators, labels, notes = zip(*part, strict=True)
        yield LabelBatch(units, annotators, labels, notes)


def _tuples(session: Session, query: Any) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Rows of ``query`` in lists of up to ``BATCH`` plain tuples, in the session's transaction.

    On SQLite the compiled statement runs on the DBAPI cursor of the session's connection
    (about 40% faster than result rows, and the columns read here need no result processing);
    elsewhere SQLAlchemy streams the rows (a server-side cursor on PostgreSQL).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield from conn.execute(query.execution_options(yield_per=BATCH)).partitions()
        return
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    args = tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        while part := cursor.fetchmany(BATCH):
            yield part
    finally:
        cursor.close()


def annotator_names(session: Session) -> dict[int, str]:
    """Every annotator id with its name."""
    rows = session.execute(sa_select(col(Annotator.id), col(Annotator.name)))
    return {int(i): str(n) for i, n in rows}


def unit_details(
    session: Session, *, scheme_hash: str, session_name: str | None = None
) -> list[tuple[int, str, int, str]]:
    """``(unit id, article external id, unit index, text)`` of every unit with an annotation
    under the scheme (and session), ordered by article and unit index."""
    labelled = _filtered(sa_select(col(Annotation.unit_id)), scheme_hash, session_name)
    query = (
        sa_select(col(Unit.id), col(Article.external_id), col(Unit.idx), col(Unit.text))
        .join(Article, col(Article.id) == col(Unit.article_id))
        .where(col(Unit.id).in_(labelled.scalar_subquery()))
        .order_by(col(Article.id), col(Unit.idx))
    )
    return [tuple(row) for part in _tuples(session, query) for row in part]
