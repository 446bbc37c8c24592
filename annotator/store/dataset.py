"""Bulk reads of annotations joined with their units, articles and annotators.

These feed agreement, exports and reports. They stream rows (``yield_per``) so a
database of a million labels is read in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from annotator.store.models import Annotation, Annotator, Article, Unit

BATCH = 5000


class AnnotationRow(NamedTuple):
    """One annotator's labels on one unit, with the unit's position and text."""

    article: str  # external id
    article_id: int
    unit: int  # index within the article
    unit_id: int
    start: int
    end: int
    role: str
    text: str
    annotator: str
    labels: dict[str, Any]
    note: str | None
    scheme_hash: str
    session: str
    updated_at: datetime


def iter_annotations(
    session: Session,
    *,
    scheme_hash: str | None = None,
    session_name: str | None = None,
    annotators: Sequence[str] | None = None,
    article_ids: Sequence[int] | None = None,
) -> Iterator[AnnotationRow]:
    """Annotations ordered by article, unit and annotator name, streamed in batches."""
    query = (
        sa_select(
            col(Article.external_id),
            col(Article.id),
            col(Unit.idx),
            col(Unit.id),
            col(Unit.start),
            col(Unit.end),
            col(Unit.role),
            col(Unit.text),
            col(Annotator.name),
            col(Annotation.labels),
            col(Annotation.note),
            col(Annotation.scheme_hash),
            col(Annotation.session),
            col(Annotation.updated_at),
        )
        .join(Unit, col(Unit.id) == col(Annotation.unit_id))
        .join(Article, col(Article.id) == col(Unit.article_id))
        .join(Annotator, col(Annotator.id) == col(Annotation.annotator_id))
        .order_by(col(Article.id), col(Unit.idx), col(Annotator.name))
    )
    if scheme_hash is not None:
        query = query.where(col(Annotation.scheme_hash) == scheme_hash)
    if session_name is not None:
        query = query.where(col(Annotation.session) == session_name)
    if annotators is not None:
        query = query.where(col(Annotator.name).in_(list(annotators)))
    if article_ids is not None:
        query = query.where(col(Article.id).in_(list(article_ids)))
    result = session.execute(query.execution_options(yield_per=BATCH))
    for row in result:
        yield AnnotationRow(*row)


def scheme_hashes(session: Session, session_name: str | None = None) -> dict[str, int]:
    """Scheme hashes present among annotations, with their row counts."""
    from sqlalchemy import func

    query = sa_select(col(Annotation.scheme_hash), func.count()).group_by(
        col(Annotation.scheme_hash)
    )
    if session_name is not None:
        query = query.where(col(Annotation.session) == session_name)
    return {str(h): int(n) for h, n in session.execute(query).all()}
