"""Gold labels: the adjudicator's decision per unit, kept apart from the annotators' labels.

Every change writes an :class:`AnnotationEvent` with ``layer="gold"`` (who: the
adjudicator), so gold has the same audit trail and restart-proof undo as labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, SQLModel, col, select

from annotator.domain import ChangeResult, Labels, LabelState
from annotator.store.labels import LabelKey, redo_target, stored, undo_target, write_change
from annotator.store.models import Gold, utcnow

LAYER = "gold"
GOLD: Table = SQLModel.metadata.tables["gold"]


def gold_for_units(
    session: Session, scheme_hash: str, session_name: str, unit_ids: Sequence[int] | None = None
) -> dict[int, LabelState]:
    """Gold labels of a campaign (of some units)."""
    query = select(Gold).where(Gold.scheme_hash == scheme_hash, Gold.session == session_name)
    if unit_ids is not None:
        query = query.where(col(Gold.unit_id).in_(list(unit_ids)))
    return {
        g.unit_id: LabelState(g.unit_id, dict(g.labels), g.note, g.updated_at)
        for g in session.exec(query).all()
    }


def gold_labels(session: Session, scheme_hash: str, session_name: str) -> dict[int, dict[str, Any]]:
    """unit id -> gold labels, for agreement and export."""
    return {u: s.labels for u, s in gold_for_units(session, scheme_hash, session_name).items()}


def set_gold(
    session: Session,
    key: LabelKey,
    unit_id: int,
    labels: Labels | None,
    note: str | None,
    *,
    kind: str = "edit",
    target_id: int | None = None,
) -> ChangeResult:
    """Write (or with ``labels=None`` remove) the gold label of a unit, with its event."""
    identity = {"unit_id": unit_id, "scheme_hash": key.scheme_hash, "session": key.session}
    now = utcnow()
    return write_change(
        session,
        GOLD,
        identity,
        stored(session, GOLD, identity),
        labels,
        note,
        key=key,
        kind=kind,
        layer=LAYER,
        target_id=target_id,
        values={"adjudicator_id": key.annotator_id, "updated_at": now},
        inserted={},
        now=now,
    )


def undo_gold(session: Session, key: LabelKey) -> ChangeResult | None:
    """Reverse the adjudicator's latest gold edit not yet undone."""
    target = undo_target(session, key, LAYER)
    if target is None or target.id is None:
        return None
    return set_gold(
        session,
        key,
        target.unit_id,
        target.before,
        target.note_before,
        kind="undo",
        target_id=target.id,
    )


def redo_gold(session: Session, key: LabelKey) -> ChangeResult | None:
    """Re-apply the latest undone gold edit."""
    target = redo_target(session, key, LAYER)
    if target is None or target.id is None:
        return None
    return set_gold(
        session,
        key,
        target.unit_id,
        target.after,
        target.note_after,
        kind="redo",
        target_id=target.id,
    )
