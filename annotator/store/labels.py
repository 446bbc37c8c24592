"""Queries over annotations and the append-only event log: change, undo, redo, progress.

Every change writes the new annotation state and one :class:`AnnotationEvent` in the
caller's transaction. Undo and redo stacks are rebuilt from the event log, so they
work across restarts and never depend on in-memory state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from annotator.domain import ChangeResult, Labels, LabelState, Progress
from annotator.store.models import Annotation, AnnotationEvent, Unit, utcnow


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


def get_annotation(session: Session, key: LabelKey, unit_id: int) -> Annotation | None:
    """The annotation row of ``key`` on ``unit_id``, if any."""
    return session.exec(
        select(Annotation).where(
            Annotation.annotator_id == key.annotator_id,
            Annotation.unit_id == unit_id,
            Annotation.scheme_hash == key.scheme_hash,
            Annotation.session == key.session,
        )
    ).first()


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
    current: Annotation | object | None = ...,
) -> ChangeResult:
    """Write the new state of one unit and the event that records the change.

    ``current`` is the annotation row when the caller has already read it (None: there
    is none); left out, it is read here.
    """
    now = utcnow()
    annotation = (
        get_annotation(session, key, unit_id)
        if current is ...
        else current
        if isinstance(current, Annotation)
        else None
    )
    before: Labels | None = None
    note_before: str | None = None
    if annotation is None:
        annotation = Annotation(
            annotator_id=key.annotator_id,
            unit_id=unit_id,
            scheme_hash=key.scheme_hash,
            session=key.session,
            labels=labels,
            complete=complete,
            note=note,
            created_at=now,
            updated_at=now,
        )
        session.add(annotation)
    else:
        before = dict(annotation.labels)
        note_before = annotation.note
        annotation.labels = labels
        annotation.note = note
        annotation.complete = complete
        annotation.updated_at = now
        session.add(annotation)
    event = AnnotationEvent(
        annotator_id=key.annotator_id,
        unit_id=unit_id,
        scheme_hash=key.scheme_hash,
        session=key.session,
        kind=kind,
        target_id=target_id,
        before=before,
        after=labels,
        note_before=note_before,
        note_after=note,
        at=now,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    return ChangeResult(state=_state(annotation), event_id=event.id, kind=kind)


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


def progress(
    session: Session,
    key: LabelKey,
    *,
    article_ids: Iterable[int] | None = None,
    roles: Sequence[str] = ("sentence",),
) -> Progress:
    """Complete labels of ``key`` over units with ``roles`` (of ``article_ids``, or all)."""
    total_q = select(func.count()).select_from(Unit).where(col(Unit.role).in_(list(roles)))
    done_q = (
        select(func.count())
        .select_from(Annotation)
        .join(Unit, col(Unit.id) == col(Annotation.unit_id))
        .where(
            col(Annotation.annotator_id) == key.annotator_id,
            col(Annotation.scheme_hash) == key.scheme_hash,
            col(Annotation.session) == key.session,
            col(Annotation.complete).is_(True),
            col(Unit.role).in_(list(roles)),
        )
    )
    if article_ids is not None:
        ids = list(article_ids)
        total_q = total_q.where(col(Unit.article_id).in_(ids))
        done_q = done_q.where(col(Unit.article_id).in_(ids))
    return Progress(labeled=int(session.exec(done_q).one()), total=int(session.exec(total_q).one()))


def progress_by_article(
    session: Session, key: LabelKey, roles: Sequence[str] = ("sentence",)
) -> dict[int, Progress]:
    """Per-article progress of ``key`` in one pass (for the article list)."""
    totals = dict(
        session.exec(
            select(Unit.article_id, func.count())
            .where(col(Unit.role).in_(list(roles)))
            .group_by(col(Unit.article_id))
        ).all()
    )
    done = dict(
        session.exec(
            select(Unit.article_id, func.count())
            .join(Annotation, col(Annotation.unit_id) == col(Unit.id))
            .where(
                col(Annotation.annotator_id) == key.annotator_id,
                col(Annotation.scheme_hash) == key.scheme_hash,
                col(Annotation.session) == key.session,
                col(Annotation.complete).is_(True),
                col(Unit.role).in_(list(roles)),
            )
            .group_by(col(Unit.article_id))
        ).all()
    )
    return {aid: Progress(labeled=int(done.get(aid, 0)), total=int(n)) for aid, n in totals.items()}


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
