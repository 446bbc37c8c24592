"""Bulk label queries for exports and ``annotator import-labels``.

:func:`iter_label_rows` streams every annotation of one scheme with its labels as the raw
JSON text stored in the database, so the interchange export can splice it into its output
without decoding and re-encoding a million dicts. The other functions look up, in a few
chunked queries, what an import needs to validate a file, and :func:`write_changes` writes
exactly the rows :func:`annotator.store.labels.apply_change` writes for a keyboard change
(the annotation and one ``edit`` event), batched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, bindparam, cast, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from annotator.domain import Labels
from annotator.store.models import Annotation, AnnotationEvent, Annotator, Article, Unit, utcnow

BATCH = 5000
CHUNK = 500


class UnitRef(NamedTuple):
    """A unit as an import checks it: ids, offsets, role and text."""

    unit_id: int
    idx: int
    start: int
    end: int
    role: str
    text: str


class Current(NamedTuple):
    """The stored labels and note of one annotator on one unit, and the row's id."""

    labels: dict[str, Any]
    note: str | None
    row_id: int


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def iter_label_rows(
    session: Session,
    *,
    scheme_hash: str,
    session_name: str | None = None,
    annotators: Sequence[str] | None = None,
    batch: int = BATCH,
) -> Iterator[Sequence[Any]]:
    """Batches of raw annotation rows of one scheme, ordered by article, unit, annotator.

    Each row is ``(article external id, unit idx, start, end, role, unit text, annotator,
    labels as JSON text, note, session, updated_at)``. Rows are streamed ``batch`` at a time
    through the Core connection, without ORM entities.
    """
    query = (
        sa_select(
            col(Article.external_id),
            col(Unit.idx),
            col(Unit.start),
            col(Unit.end),
            col(Unit.role),
            col(Unit.text),
            col(Annotator.name),
            cast(col(Annotation.labels), Text),
            col(Annotation.note),
            col(Annotation.session),
            col(Annotation.updated_at),
        )
        .join(Unit, col(Unit.id) == col(Annotation.unit_id))
        .join(Article, col(Article.id) == col(Unit.article_id))
        .join(Annotator, col(Annotator.id) == col(Annotation.annotator_id))
        .where(col(Annotation.scheme_hash) == scheme_hash)
        .order_by(col(Article.id), col(Unit.idx), col(Annotator.name), col(Annotation.session))
    )
    if session_name is not None:
        query = query.where(col(Annotation.session) == session_name)
    if annotators is not None:
        query = query.where(col(Annotator.name).in_(list(annotators)))
    connection = session.connection().execution_options(yield_per=batch)
    result = connection.execute(query)
    yield from result.partitions()


def annotators_with_labels(
    session: Session, *, scheme_hash: str, session_name: str | None = None
) -> list[str]:
    """Names of the annotators holding at least one annotation under ``scheme_hash``."""
    query = (
        sa_select(col(Annotator.name))
        .join(Annotation, col(Annotation.annotator_id) == col(Annotator.id))
        .where(col(Annotation.scheme_hash) == scheme_hash)
        .distinct()
        .order_by(col(Annotator.name))
    )
    if session_name is not None:
        query = query.where(col(Annotation.session) == session_name)
    return [str(name) for (name,) in session.execute(query).all()]


def other_scheme_count(session: Session, *, scheme_hash: str) -> int:
    """How many annotations were made under a scheme other than ``scheme_hash``."""
    from sqlalchemy import func

    query = (
        sa_select(func.count())
        .select_from(Annotation)
        .where(col(Annotation.scheme_hash) != scheme_hash)
    )
    return int(session.execute(query).scalar_one())


def article_ids(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    """External id -> database id of those of ``external_ids`` that exist."""
    wanted = sorted(set(external_ids))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            sa_select(col(Article.external_id), col(Article.id)).where(
                col(Article.external_id).in_(chunk)
            )
        ).all()
        found.update((str(ext), int(i)) for ext, i in rows)
    return found


def units_by_article(session: Session, ids: Iterable[int]) -> dict[int, list[UnitRef]]:
    """Every unit of the given articles, in index order, keyed by article id."""
    out: dict[int, list[UnitRef]] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows = session.execute(
            sa_select(
                col(Unit.article_id),
                col(Unit.id),
                col(Unit.idx),
                col(Unit.start),
                col(Unit.end),
                col(Unit.role),
                col(Unit.text),
            )
            .where(col(Unit.article_id).in_(chunk))
            .order_by(col(Unit.article_id), col(Unit.idx))
        ).all()
        for article_id, *unit in rows:
            out.setdefault(int(article_id), []).append(UnitRef(*unit))
    return out


def current_labels(
    session: Session, *, scheme_hash: str, unit_ids: Iterable[int]
) -> dict[tuple[int, int, str], Current]:
    """Stored labels under ``scheme_hash`` on ``unit_ids``: (annotator id, unit id, session)."""
    out: dict[tuple[int, int, str], Current] = {}
    for chunk in _chunks(sorted(set(unit_ids))):
        rows = session.execute(
            sa_select(
                col(Annotation.annotator_id),
                col(Annotation.unit_id),
                col(Annotation.session),
                col(Annotation.labels),
                col(Annotation.note),
                col(Annotation.id),
            ).where(
                col(Annotation.scheme_hash) == scheme_hash,
                col(Annotation.unit_id).in_(chunk),
            )
        ).all()
        for annotator_id, unit_id, sess, labels, note, row_id in rows:
            key = (int(annotator_id), int(unit_id), str(sess))
            out[key] = Current(dict(labels), note, int(row_id))
    return out


class Change(NamedTuple):
    """One annotation to write: who, which unit, the new labels and what was there before."""

    annotator_id: int
    unit_id: int
    session: str
    labels: Labels
    note: str | None
    complete: bool
    updated_at: datetime | None
    before: Current | None


def write_changes(session: Session, scheme_hash: str, changes: Sequence[Change]) -> None:
    """Write each change as :func:`annotator.store.labels.apply_change` would, in bulk.

    Every change creates or updates its annotation row (labels, note, complete, times) and
    appends one ``edit`` event with the labels and note before and after, in the order
    given, so undo and redo treat imported labels like keyboard ones. The annotation keeps
    ``updated_at`` when the change has one; events are stamped with the time of the write.
    """
    now = utcnow()
    annotation = Annotation.__table__  # type: ignore[attr-defined]
    events = AnnotationEvent.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    set_row = (
        update(annotation)
        .where(annotation.c.id == bindparam("row_id"))
        .values(
            labels=bindparam("new_labels"),
            note=bindparam("new_note"),
            complete=bindparam("new_complete"),
            updated_at=bindparam("new_updated_at"),
        )
    )
    for i in range(0, len(changes), BATCH):
        chunk = changes[i : i + BATCH]
        new = [
            {
                "annotator_id": c.annotator_id,
                "unit_id": c.unit_id,
                "scheme_hash": scheme_hash,
                "session": c.session,
                "labels": c.labels,
                "complete": c.complete,
                "note": c.note,
                "created_at": now,
                "updated_at": c.updated_at or now,
            }
            for c in chunk
            if c.before is None
        ]
        changed = [
            {
                "row_id": c.before.row_id,
                "new_labels": c.labels,
                "new_note": c.note,
                "new_complete": c.complete,
                "new_updated_at": c.updated_at or now,
            }
            for c in chunk
            if c.before is not None
        ]
        if new:
            connection.execute(insert(annotation), new)
        if changed:
            connection.execute(set_row, changed)
        connection.execute(
            insert(events),
            [
                {
                    "annotator_id": c.annotator_id,
                    "unit_id": c.unit_id,
                    "scheme_hash": scheme_hash,
                    "session": c.session,
                    "kind": "edit",
                    "target_id": None,
                    "before": None if c.before is None else c.before.labels,
                    "after": c.labels,
                    "note_before": None if c.before is None else c.before.note,
                    "note_after": c.note,
                    "at": now,
                }
                for c in chunk
            ],
        )
