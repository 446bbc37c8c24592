"""Bring another annotator database into this one: articles by text hash, units by offsets.

Labels are matched on (annotator, unit, scheme hash, session). A label that only the
other database has is copied with its events. When both have one and they differ,
the annotator's newer decision wins; a label that was merged before and changed here
since is left alone; otherwise this database's label is kept and the difference is
listed as a conflict. Nothing is ever dropped silently, and merging twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from annotator.store.models import (
    Annotation,
    AnnotationEvent,
    Annotator,
    Article,
    Assignment,
    Campaign,
    Gold,
    Unit,
)


@dataclass(slots=True)
class MergeReport:
    """What a merge did."""

    articles_added: list[str] = field(default_factory=list)
    labels_added: int = 0
    labels_updated: int = 0
    labels_same: int = 0
    gold_added: int = 0
    events_added: int = 0
    sessions_added: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def _annotator(ours: Session, name: str, cache: dict[str, int]) -> int:
    if name not in cache:
        found = ours.exec(select(Annotator.id).where(Annotator.name == name)).first()
        if found is None:
            person = Annotator(name=name)
            ours.add(person)
            ours.flush()
            found = person.id
        assert found is not None
        cache[name] = found
    return cache[name]


def _articles(ours: Session, theirs: Session, report: MergeReport) -> dict[int, int]:
    """Map their unit ids to ours, adding articles we lack."""
    unit_map: dict[int, int] = {}
    for art in theirs.exec(select(Article).order_by(col(Article.id))).all():
        mine = ours.exec(select(Article).where(Article.sha256 == art.sha256)).first()
        their_units = theirs.exec(select(Unit).where(Unit.article_id == art.id)).all()
        if mine is None:
            clash = ours.exec(select(Article.id).where(Article.external_id == art.external_id))
            if clash.first() is not None:
                report.conflicts.append(
                    f"article {art.external_id}: this database has a "
                    "different text under that id; not merged"
                )
                continue
            mine = Article(
                external_id=art.external_id,
                title=art.title,
                source=art.source,
                sha256=art.sha256,
                text=art.text,
                meta=art.meta,
            )
            ours.add(mine)
            ours.flush()
            assert mine.id is not None
            for u in their_units:
                ours.add(
                    Unit(
                        article_id=mine.id,
                        idx=u.idx,
                        start=u.start,
                        end=u.end,
                        role=u.role,
                        text=u.text,
                    )
                )
            ours.flush()
            report.articles_added.append(art.external_id)
        by_offsets = {
            (u.start, u.end): u.id
            for u in ours.exec(select(Unit).where(Unit.article_id == mine.id)).all()
        }
        for u in their_units:
            target = by_offsets.get((u.start, u.end))
            if target is None:
                report.unmatched.append(
                    f"{art.external_id} unit {u.idx} ({u.start}-{u.end}): "
                    "no unit with these offsets here"
                )
            elif u.id is not None:
                unit_map[u.id] = target
    return unit_map


def _copy_events(
    ours: Session,
    theirs: Session,
    event_filter: list[object],
    person: int,
    unit: int,
    report: MergeReport,
) -> None:
    seen = {
        (e.at, e.kind, e.layer)
        for e in ours.exec(
            select(AnnotationEvent).where(
                AnnotationEvent.annotator_id == person, AnnotationEvent.unit_id == unit
            )
        ).all()
    }
    for e in theirs.exec(select(AnnotationEvent).where(*event_filter)).all():  # type: ignore[arg-type]
        if (e.at, e.kind, e.layer) in seen:
            continue
        ours.add(
            AnnotationEvent(
                annotator_id=person,
                unit_id=unit,
                scheme_hash=e.scheme_hash,
                session=e.session,
                kind=e.kind,
                layer=e.layer,
                target_id=None,
                before=e.before,
                after=e.after,
                note_before=e.note_before,
                note_after=e.note_after,
                at=e.at,
            )
        )
        report.events_added += 1


def _seen(ours: Session, person: int, unit: int, theirs: Annotation) -> bool:
    """True when this database already holds the event that gave ``theirs`` its state."""
    found = ours.exec(
        select(AnnotationEvent.id).where(
            AnnotationEvent.annotator_id == person,
            AnnotationEvent.unit_id == unit,
            AnnotationEvent.layer == "annotation",
            AnnotationEvent.at == theirs.updated_at,
        )
    ).first()
    return found is not None


def _labels(
    ours: Session,
    theirs: Session,
    unit_map: dict[int, int],
    names: dict[int, str],
    report: MergeReport,
) -> None:
    cache: dict[str, int] = {}
    for a in theirs.exec(select(Annotation).order_by(col(Annotation.id))).all():
        unit = unit_map.get(a.unit_id)
        if unit is None:
            report.unmatched.append(
                f"label of {names[a.annotator_id]} on unit id {a.unit_id}: "
                "its unit has no match here"
            )
            continue
        person = _annotator(ours, names[a.annotator_id], cache)
        mine = ours.exec(
            select(Annotation).where(
                Annotation.annotator_id == person,
                Annotation.unit_id == unit,
                Annotation.scheme_hash == a.scheme_hash,
                Annotation.session == a.session,
            )
        ).first()
        if mine is not None and (
            (mine.labels, mine.note) == (a.labels, a.note) or _seen(ours, person, unit, a)
        ):
            report.labels_same += 1  # identical, or merged before and changed here since
            continue
        if mine is None:
            ours.add(
                Annotation(
                    annotator_id=person,
                    unit_id=unit,
                    scheme_hash=a.scheme_hash,
                    session=a.session,
                    labels=a.labels,
                    complete=a.complete,
                    note=a.note,
                    created_at=a.created_at,
                    updated_at=a.updated_at,
                )
            )
            report.labels_added += 1
        elif a.updated_at > mine.updated_at:
            mine.labels, mine.note, mine.complete = a.labels, a.note, a.complete
            mine.updated_at = a.updated_at
            ours.add(mine)
            report.labels_updated += 1
        else:
            report.conflicts.append(
                f"{names[a.annotator_id]} on unit {unit}: kept {mine.labels} (changed here "
                f"{mine.updated_at:%Y-%m-%d %H:%M}), other has {a.labels}"
            )
            continue
        _copy_events(
            ours,
            theirs,
            [
                AnnotationEvent.annotator_id == a.annotator_id,
                AnnotationEvent.unit_id == a.unit_id,
                AnnotationEvent.scheme_hash == a.scheme_hash,
                AnnotationEvent.session == a.session,
                AnnotationEvent.layer == "annotation",
            ],
            person,
            unit,
            report,
        )


def _gold_and_sessions(
    ours: Session,
    theirs: Session,
    unit_map: dict[int, int],
    names: dict[int, str],
    report: MergeReport,
) -> None:
    cache: dict[str, int] = {}
    for g in theirs.exec(select(Gold)).all():
        unit = unit_map.get(g.unit_id)
        if unit is None:
            report.unmatched.append(f"gold on unit id {g.unit_id}: its unit has no match here")
            continue
        mine = ours.exec(
            select(Gold).where(
                Gold.unit_id == unit, Gold.scheme_hash == g.scheme_hash, Gold.session == g.session
            )
        ).first()
        if mine is None:
            ours.add(
                Gold(
                    unit_id=unit,
                    scheme_hash=g.scheme_hash,
                    session=g.session,
                    labels=g.labels,
                    note=g.note,
                    updated_at=g.updated_at,
                    adjudicator_id=_annotator(ours, names[g.adjudicator_id], cache),
                )
            )
            report.gold_added += 1
        elif mine.labels != g.labels:
            report.conflicts.append(
                f"gold on unit {unit}: kept {mine.labels}, other has {g.labels}"
            )
    art_map = {a.id: a.sha256 for a in theirs.exec(select(Article)).all()}
    for c in theirs.exec(select(Campaign)).all():
        mine_c = ours.exec(select(Campaign).where(Campaign.name == c.name)).first()
        if mine_c is not None:
            if mine_c.scheme_hash != c.scheme_hash:
                report.conflicts.append(
                    f"session {c.name}: different scheme here; assignments not merged"
                )
            continue
        copy = Campaign(
            name=c.name,
            scheme_yaml=c.scheme_yaml,
            scheme_hash=c.scheme_hash,
            scheme_ref=c.scheme_ref,
            guidelines=c.guidelines,
            overlap=c.overlap,
            blind=c.blind,
            created_at=c.created_at,
        )
        ours.add(copy)
        ours.flush()
        for asg in theirs.exec(select(Assignment).where(Assignment.campaign_id == c.id)).all():
            article = ours.exec(
                select(Article.id).where(Article.sha256 == art_map[asg.article_id])
            ).first()
            if article is not None and copy.id is not None:
                ours.add(
                    Assignment(
                        campaign_id=copy.id,
                        article_id=article,
                        annotator_id=_annotator(ours, names[asg.annotator_id], cache),
                        position=asg.position,
                    )
                )
        report.sessions_added.append(c.name)


def merge_into(ours: Session, theirs: Session) -> MergeReport:
    """Merge everything in ``theirs`` into ``ours`` (one transaction, the caller's)."""
    report = MergeReport()
    names = {p.id: p.name for p in theirs.exec(select(Annotator)).all() if p.id is not None}
    unit_map = _articles(ours, theirs, report)
    _labels(ours, theirs, unit_map, names, report)
    _gold_and_sessions(ours, theirs, unit_map, names, report)
    ours.flush()
    return report
