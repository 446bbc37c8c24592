"""Queries over annotations and the append-only event log: change, undo, redo, progress.

Every change writes the new annotation state and one :class:`AnnotationEvent` in the
caller's transaction. Undo and redo stacks are rebuilt from the event log, so they
work across restarts and never depend on in-memory state.

Changes are written with SQLAlchemy Core statements (no ORM objects, no flush): a change
runs inside the database's write lock, so it must hold it as briefly as it can.
:func:`stored` and :func:`write_change` serve gold labels (:mod:`annotator.store.gold`) too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from annotator.domain import ChangeResult, Labels, LabelState
from annotator.store.models import Annotation, AnnotationEvent, utcnow

ANNOTATION: Table = SQLModel.metadata.tables["annotation"]
EVENT: Table = SQLModel.metadata.tables["annotation_event"]


@dataclass(frozen=True, slots=True)
class LabelKey:
    """Whose labels, under which scheme, in which session ("" outside sessions)."""

    annotator_id: int
    scheme_hash: str
    session: str = ""


def _state(annotation: Annotation) -> LabelState:
    return LabelState(
        unit_id=annotation.unit_id,
        labels=dict(annotation.labels),
        note=annotation.note,
        updated_at=annotation.updated_at,
    )


class Stored(NamedTuple):
    """What a change starts from: the stored row's id, labels and note."""

    row_id: int
    labels: Labels
    note: str | None


def stored(session: Session, table: Table, identity: Mapping[str, Any]) -> Stored | None:
    """The row of ``table`` (annotation or gold) whose columns equal ``identity``, if any."""
    query = sa_select(table.c.id, table.c.labels, table.c.note).where(
        *(table.c[name] == value for name, value in identity.items())
    )
    row = session.execute(query).first()
    return None if row is None else Stored(int(row[0]), dict(row[1]), row[2])


def _identity(key: LabelKey, unit_id: int) -> dict[str, Any]:
    return {
        "annotator_id": key.annotator_id,
        "unit_id": unit_id,
        "scheme_hash": key.scheme_hash,
        "session": key.session,
    }


def current_labels(session: Session, key: LabelKey, unit_id: int) -> Stored | None:
    """The stored labels and note of ``key`` on ``unit_id``, if any."""
    return stored(session, ANNOTATION, _identity(key, unit_id))


def write_change(
    session: Session,
    table: Table,
    identity: Mapping[str, Any],
    current: Stored | None,
    labels: Labels | None,
    note: str | None,
    *,
    key: LabelKey,
    kind: str,
    layer: str,
    target_id: int | None,
    values: Mapping[str, Any],
    inserted: Mapping[str, Any],
    now: datetime,
) -> ChangeResult:
    """Write one unit's new state to ``table`` and append the event that records it.

    ``current`` is the row as read (None: there is none). With ``labels`` the row is
    inserted (``identity``, ``inserted`` and ``values`` columns) or updated (``values``);
    ``labels=None`` deletes it. Raises the driver's ``IntegrityError`` if the unit does
    not exist (foreign key).
    """
    connection = session.connection()
    if labels is None:
        if current is not None:
            connection.execute(delete(table).where(table.c.id == current.row_id))
    elif current is None:
        connection.execute(
            insert(table), {**identity, **inserted, **values, "labels": labels, "note": note}
        )
    else:
        connection.execute(
            update(table)
            .where(table.c.id == current.row_id)
            .values(**values, labels=labels, note=note)
        )
    result = connection.execute(
        insert(EVENT),
        {
            "annotator_id": key.annotator_id,
            "unit_id": identity["unit_id"],
            "scheme_hash": key.scheme_hash,
            "session": key.session,
            "kind": kind,
            "layer": layer,
            "target_id": target_id,
            "before": None if current is None else current.labels,
            "after": labels,
            "note_before": None if current is None else current.note,
            "note_after": note,
            "at": now,
        },
    )
    event_id = result.inserted_primary_key
    assert event_id is not None and event_id[0] is not None
    state = LabelState(
        unit_id=identity["unit_id"],
        labels=dict(labels or {}),
        note=note if labels is not None else None,
        updated_at=now,
    )
    return ChangeResult(state=state, event_id=int(event_id[0]), kind=kind)


def labels_for_units(
    session: Session, key: LabelKey, unit_ids: Sequence[int]
) -> dict[int, LabelState]:
    """This annotator's committed labels on the given units."""
    if not unit_ids:
        return {}
    rows = session.exec(
        select(Annotation).where(
            Annotation.annotator_id == key.annotator_id,
            Annotation.scheme_hash == key.scheme_hash,
            Annotation.session == key.session,
            col(Annotation.unit_id).in_(list(unit_ids)),
        )
    ).all()
    return {row.unit_id: _state(row) for row in rows}


def apply_change(
    session: Session,
    key: LabelKey,
    unit_id: int,
    labels: Labels,
    note: str | None,
    *,
    complete: bool,
    kind: str = "edit",
    target_id: int | None = None,
    current: Stored | EllipsisType | None = ...,
) -> ChangeResult:
    """Write the new state of one unit and the event that records the change.

    ``current`` is what :func:`current_labels` returned when the caller has already read
    it (None: there is no label yet); left out, it is read here. Raises the driver's
    ``IntegrityError`` when no unit has the id ``unit_id``.
    """
    identity = _identity(key, unit_id)
    now = utcnow()
    return write_change(
        session,
        ANNOTATION,
        identity,
        stored(session, ANNOTATION, identity) if current is ... else current,
        labels,
        note,
        key=key,
        kind=kind,
        layer="annotation",
        target_id=target_id,
        values={"complete": complete, "updated_at": now},
        inserted={"created_at": now},
        now=now,
    )


def _stacks(
    session: Session, key: LabelKey, layer: str = "annotation"
) -> tuple[list[int], list[int]]:
    """Replay the event log of one layer into (undo stack, redo stack) of edit event ids."""
    rows = session.execute(
        sa_select(
            col(AnnotationEvent.id), col(AnnotationEvent.kind), col(AnnotationEvent.target_id)
        )
        .where(
            col(AnnotationEvent.annotator_id) == key.annotator_id,
            col(AnnotationEvent.scheme_hash) == key.scheme_hash,
            col(AnnotationEvent.session) == key.session,
            col(AnnotationEvent.layer) == layer,
        )
        .order_by(col(AnnotationEvent.id))
    ).all()
    undo: list[int] = []
    redo: list[int] = []
    for event_id, kind, target in rows:
        if kind == "edit":
            undo.append(event_id)
            redo.clear()
        elif kind == "undo" and undo and undo[-1] == target:
            redo.append(undo.pop())
        elif kind == "redo" and redo and redo[-1] == target:
            undo.append(redo.pop())
    return undo, redo


def undo_target(
    session: Session, key: LabelKey, layer: str = "annotation"
) -> AnnotationEvent | None:
    """The edit that an undo would reverse now, if any."""
    undo, _ = _stacks(session, key, layer)
    return session.get(AnnotationEvent, undo[-1]) if undo else None


def redo_target(
    session: Session, key: LabelKey, layer: str = "annotation"
) -> AnnotationEvent | None:
    """The undone edit that a redo would re-apply now, if any."""
    _, redo = _stacks(session, key, layer)
    return session.get(AnnotationEvent, redo[-1]) if redo else None


def last_event(session: Session, key: LabelKey) -> AnnotationEvent | None:
    """The newest event of ``key`` (used to reopen the last article)."""
    return session.exec(
        select(AnnotationEvent)
        .where(
            AnnotationEvent.annotator_id == key.annotator_id,
            AnnotationEvent.scheme_hash == key.scheme_hash,
            AnnotationEvent.session == key.session,
            AnnotationEvent.layer == "annotation",
        )
        .order_by(col(AnnotationEvent.id).desc())
        .limit(1)
    ).first()
