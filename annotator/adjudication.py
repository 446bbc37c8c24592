"""Adjudication: walk the units where annotators disagree and set gold labels by key.

Gold is stored apart from the annotators' labels (the ``gold`` table) with who and
when, and every change is an event with ``layer="gold"`` so the lead's undo and redo
work across restarts like an annotator's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from annotator.domain import ChangeResult, Labels, UnitInfo
from annotator.scheme import Scheme
from annotator.service import Context, Service, ServiceError, unit_must_exist
from annotator.store import articles as q
from annotator.store import gold as gq
from annotator.store.dataset import iter_annotations
from annotator.store.labels import LabelKey


@dataclass(frozen=True, slots=True)
class Opinion:
    """One annotator's labels and note on a unit (``annotator`` may be a pseudonym)."""

    annotator: str
    labels: Labels
    note: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """A unit to adjudicate, with every annotator's opinion and the current gold."""

    article: str
    title: str
    unit: UnitInfo
    opinions: tuple[Opinion, ...]
    gold: Labels | None
    disagreement: bool
    context: str = ""
    context_before: str = ""
    """The text of the unit just before this one in its article ("" for the first)."""
    context_after: str = ""
    """The text of the unit just after this one in its article ("" for the last)."""


@dataclass(slots=True)
class Queue:
    """The units of a session to adjudicate, in article and unit order."""

    session: str
    scheme: Scheme
    items: list[Item] = field(default_factory=list)


def _differ(scheme: Scheme, opinions: list[Labels]) -> bool:
    normalized = [scheme.normalize_labels(o) for o in opinions]
    return any(n != normalized[0] for n in normalized[1:])


def queue(
    service: Service,
    session_name: str,
    scheme: Scheme,
    *,
    all_units: bool = False,
    hide_names: bool = False,
) -> Queue:
    """Units labelled by two or more annotators that disagree (or every labelled unit)."""

    def run(session: Session) -> Queue:
        rows: dict[int, list[Opinion]] = defaultdict(list)
        meta: dict[int, tuple[str, int, UnitInfo]] = {}
        aliases: dict[str, str] = {}
        for r in iter_annotations(session, scheme_hash=scheme.hash, session_name=session_name):
            if not scheme.is_complete(r.labels):
                continue
            name = r.annotator
            if hide_names:
                name = aliases.setdefault(name, f"annotator {len(aliases) + 1}")
            rows[r.unit_id].append(Opinion(name, scheme.normalize_labels(r.labels), r.note))
            meta[r.unit_id] = (
                r.article,
                r.article_id,
                UnitInfo(r.unit_id, r.unit, r.start, r.end, r.role, r.text),
            )
        gold = gq.gold_for_units(session, scheme.hash, session_name, list(rows))
        titles = {
            a.id: a.title for a in q.list_articles(session, sorted({m[1] for m in meta.values()}))
        }
        out = Queue(session=session_name, scheme=scheme)
        neighbours: dict[int, dict[int, str]] = {}
        for unit_id, opinions in rows.items():
            differ = len(opinions) >= 2 and _differ(scheme, [o.labels for o in opinions])
            if not (differ or (all_units and len(opinions) >= 1)):
                continue
            article, article_id, unit = meta[unit_id]
            g = gold.get(unit_id)
            if article_id not in neighbours:
                neighbours[article_id] = {u.idx: u.text for u in q.units_of(session, article_id)}
            texts = neighbours[article_id]
            out.items.append(
                Item(
                    article,
                    titles.get(article_id, ""),
                    unit,
                    tuple(opinions),
                    g.labels if g else None,
                    differ,
                    context_before=texts.get(unit.idx - 1, ""),
                    context_after=texts.get(unit.idx + 1, ""),
                )
            )
        out.items.sort(key=lambda i: (i.article, i.unit.idx))
        return out

    return service.read(run)


def _key(session: Session, service: Service, ctx: Context) -> LabelKey:
    if not ctx.session:
        raise ServiceError("adjudication works on a session: pass --session NAME")
    annotator_id = q.annotator_id(session, ctx.annotator)
    assert annotator_id is not None
    return LabelKey(annotator_id, ctx.scheme.hash, ctx.session)


def press_gold(service: Service, ctx: Context, unit_id: int, key: str) -> ChangeResult:
    """Apply a scheme key to the gold label of a unit (set, clear, toggle), as the lead."""

    def run(session: Session) -> ChangeResult:
        lkey = _key(session, service, ctx)
        current = gq.gold_for_units(session, ctx.scheme.hash, ctx.session, [unit_id])
        labels = current[unit_id].labels if unit_id in current else ctx.scheme.empty_labels()
        note = current[unit_id].note if unit_id in current else None
        return gq.set_gold(session, lkey, unit_id, ctx.scheme.apply_key(labels, key), note)

    return _gold_write(service, unit_id, run)


def set_gold(service: Service, ctx: Context, unit_id: int, labels: Labels) -> ChangeResult:
    """Set a unit's gold label outright (e.g. accept one annotator's labels)."""
    clean = ctx.scheme.normalize_labels(labels)
    return _gold_write(
        service, unit_id, lambda s: gq.set_gold(s, _key(s, service, ctx), unit_id, clean, None)
    )


def _gold_write(
    service: Service, unit_id: int, run: Callable[[Session], ChangeResult]
) -> ChangeResult:
    """Run a gold write; a unit id that does not exist is a :class:`ServiceError`."""
    with unit_must_exist(unit_id):
        return service.write(run)


def undo(service: Service, ctx: Context) -> ChangeResult | None:
    """Undo the lead's latest gold change."""
    return service.write(lambda s: gq.undo_gold(s, _key(s, service, ctx)))


def redo(service: Service, ctx: Context) -> ChangeResult | None:
    """Redo the lead's latest undone gold change."""
    return service.write(lambda s: gq.redo_gold(s, _key(s, service, ctx)))


def gold_map(service: Service, scheme: Scheme, session_name: str) -> dict[int, Labels]:
    """unit id -> gold labels of a session (for agreement and export).

    A gold row whose single-choice group was cleared again is not a decision and is left out.
    """
    gold = service.read(lambda s: gq.gold_labels(s, scheme.hash, session_name))
    return {unit: labels for unit, labels in gold.items() if scheme.is_complete(labels)}
