"""Queries over articles, units and annotators; each takes a session and returns domain objects.

The article list with an annotator's progress is in :mod:`annotator.store.listing`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from annotator.domain import ArticleInfo, StatusReport, UnitInfo
from annotator.store.models import Annotation, Annotator, Article, Unit


def _info(article: Article, n_units: int, duplicate_of: str | None) -> ArticleInfo:
    assert article.id is not None
    return ArticleInfo(
        id=article.id,
        external_id=article.external_id,
        title=article.title,
        source=article.source,
        n_units=n_units,
        duplicate_of=duplicate_of,
    )


def list_articles(session: Session, ids: Sequence[int] | None = None) -> list[ArticleInfo]:
    """All articles (or those with ``ids``, in that order) with unit counts, in import order."""
    counts = dict(
        session.exec(select(Unit.article_id, func.count()).group_by(col(Unit.article_id))).all()
    )
    query = sa_select(
        col(Article.id),
        col(Article.external_id),
        col(Article.title),
        col(Article.source),
        col(Article.duplicate_of),
    ).order_by(col(Article.id))
    if ids is not None:
        query = query.where(col(Article.id).in_(list(ids)))
    rows = session.execute(query).all()
    external = {row[0]: row[1] for row in rows}
    missing = {row[4] for row in rows if row[4] is not None and row[4] not in external}
    if missing:
        external.update(
            session.exec(
                select(Article.id, Article.external_id).where(col(Article.id).in_(missing))
            ).all()
        )
    infos = {
        row[0]: ArticleInfo(
            id=row[0],
            external_id=row[1],
            title=row[2],
            source=row[3],
            n_units=counts.get(row[0], 0),
            duplicate_of=external.get(row[4]) if row[4] is not None else None,
        )
        for row in rows
        if row[0] is not None
    }
    order = list(ids) if ids is not None else list(infos)
    return [infos[i] for i in order if i in infos]


def get_article(session: Session, ref: int | str) -> Article | None:
    """An article by database id or by external id."""
    if isinstance(ref, int):
        return session.get(Article, ref)
    return session.exec(select(Article).where(Article.external_id == ref)).first()


def article_info(session: Session, article: Article) -> ArticleInfo:
    """The listing entry of one article."""
    n_units = session.exec(
        select(func.count()).select_from(Unit).where(Unit.article_id == article.id)
    ).one()
    duplicate = None
    if article.duplicate_of is not None:
        other = session.get(Article, article.duplicate_of)
        duplicate = other.external_id if other else None
    return _info(article, int(n_units), duplicate)


def units_of(session: Session, article_id: int) -> list[UnitInfo]:
    """The units of an article in order."""
    rows = session.execute(
        sa_select(
            col(Unit.id),
            col(Unit.idx),
            col(Unit.start),
            col(Unit.end),
            col(Unit.role),
            col(Unit.text),
        )
        .where(col(Unit.article_id) == article_id)
        .order_by(col(Unit.idx))
    ).all()
    return [
        UnitInfo(id=r[0], idx=r[1], start=r[2], end=r[3], role=r[4], text=r[5])
        for r in rows
        if r[0] is not None
    ]


def article_id_of_unit(session: Session, unit_id: int) -> int | None:
    """The article id of a unit, or None if there is no such unit."""
    return session.exec(select(Unit.article_id).where(Unit.id == unit_id)).first()


def get_unit(session: Session, unit_id: int) -> Unit | None:
    """A unit by id."""
    return session.get(Unit, unit_id)


def annotator_id(session: Session, name: str, *, create: bool = True) -> int | None:
    """The id of the annotator called ``name``, created on first use when ``create``."""
    found = session.exec(select(Annotator.id).where(Annotator.name == name)).first()
    if found is not None or not create:
        return found
    annotator = Annotator(name=name)
    session.add(annotator)
    session.flush()
    return annotator.id


def annotator_names(session: Session) -> list[str]:
    """Every annotator's name, sorted."""
    return sorted(session.exec(select(Annotator.name)).all())


def status(session: Session, database: str) -> StatusReport:
    """Counts for ``annotator status``."""
    n_articles = session.exec(select(func.count()).select_from(Article)).one()
    by_role = dict(session.exec(select(Unit.role, func.count()).group_by(col(Unit.role))).all())
    dups = session.exec(
        select(Article.external_id, Article.duplicate_of).where(
            col(Article.duplicate_of).is_not(None)
        )
    ).all()
    ids = dict(session.exec(select(Article.id, Article.external_id)).all())
    counted = dict(
        session.exec(
            select(Annotator.name, func.count())
            .join(Annotation, col(Annotation.annotator_id) == col(Annotator.id))
            .where(col(Annotation.complete).is_(True))
            .group_by(col(Annotator.name))
        ).all()
    )
    per_annotator = {name: int(counted.get(name, 0)) for name in annotator_names(session)}
    schemes = dict(
        session.exec(
            select(Annotation.scheme_hash, func.count()).group_by(col(Annotation.scheme_hash))
        ).all()
    )
    return StatusReport(
        database=database,
        articles=int(n_articles),
        duplicates=[(ext, ids.get(dup, "?")) for ext, dup in dups if dup is not None],
        units_by_role={str(k): int(v) for k, v in by_role.items()},
        annotators=sorted(per_annotator),
        labels_by_annotator={str(k): int(v) for k, v in per_annotator.items()},
        schemes={str(k): int(v) for k, v in schemes.items()},
    )
