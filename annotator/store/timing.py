"""How long annotators take per unit, read from the append-only event log.

A *visit* is a run of consecutive ``edit`` events of one annotator on the same unit (pressing
``a`` then ``f`` on a sentence is one visit).  A visit's time is the time from the annotator's
previous edit (the end of the previous visit) to the visit's last edit.  A gap longer than
``break_seconds`` (10 minutes by default) is a break: a visit whose time contains one is left
out, and so is each annotator's very first visit (there is no previous edit to time it from).
A unit's time is the sum of its timed visits; the median is over units with a timed visit.
Undo and redo events are not edits and are skipped, and so are gold (adjudication) edits.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from annotator.store.models import AnnotationEvent, Annotator

BATCH = 5000
BREAK_SECONDS = 600.0
LAYER = "annotation"
"""Only annotators' own edits are timed, not an adjudicator's gold edits (layer ``gold``)."""


class UnitTiming(NamedTuple):
    """One annotator's median seconds per unit and how many units it is the median of."""

    median_seconds: float | None
    timed_units: int


def iter_edit_times(
    session: Session, *, scheme_hash: str, session_name: str | None = None
) -> Iterator[tuple[str, int, datetime]]:
    """``(annotator name, unit id, at)`` of every edit event, by annotator then time; streamed."""
    query = (
        sa_select(col(Annotator.name), col(AnnotationEvent.unit_id), col(AnnotationEvent.at))
        .join(Annotator, col(Annotator.id) == col(AnnotationEvent.annotator_id))
        .where(col(AnnotationEvent.scheme_hash) == scheme_hash)
        .where(col(AnnotationEvent.kind) == "edit")
        .where(col(AnnotationEvent.layer) == LAYER)
        .order_by(col(Annotator.name), col(AnnotationEvent.at), col(AnnotationEvent.id))
    )
    if session_name is not None:
        query = query.where(col(AnnotationEvent.session) == session_name)
    for name, unit_id, at in session.execute(query.execution_options(yield_per=BATCH)):
        yield str(name), int(unit_id), at


def _seconds(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def seconds_per_unit(
    events: Iterator[tuple[str, int, datetime]], *, break_seconds: float = BREAK_SECONDS
) -> dict[str, UnitTiming]:
    """Median seconds per unit for each annotator from events ordered by annotator and time."""
    per_unit: dict[str, dict[int, float]] = {}
    name: str | None = None
    unit = -1
    previous = visit_start = 0.0
    visit_time = 0.0
    broken = True

    def close() -> None:
        if name is not None and not broken:
            units = per_unit.setdefault(name, {})
            units[unit] = units.get(unit, 0.0) + visit_time

    for who, unit_id, at in events:
        t = _seconds(at)
        if who != name:
            close()
            name, unit, previous, broken, visit_time = who, unit_id, t, True, 0.0
            per_unit.setdefault(who, {})
            continue
        gap = t - previous
        if unit_id != unit:
            close()
            unit, visit_start, broken = unit_id, previous, False
        broken |= gap > break_seconds
        visit_time = t - visit_start
        previous = t
    close()
    return {
        who: UnitTiming(statistics.median(units.values()) if units else None, len(units))
        for who, units in per_unit.items()
    }


def unit_timings(
    session: Session,
    *,
    scheme_hash: str,
    session_name: str | None = None,
    break_seconds: float = BREAK_SECONDS,
) -> dict[str, UnitTiming]:
    """Median seconds per unit of every annotator with edits under the scheme (and session)."""
    events = iter_edit_times(session, scheme_hash=scheme_hash, session_name=session_name)
    return seconds_per_unit(events, break_seconds=break_seconds)
