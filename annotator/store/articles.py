"""Queries over articles, units and annotators; each takes a session and returns domain objects.

The article list with an annotator's progress is in :mod:`annotator.store.listing`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from annotator.domain import ArticleInfo, StatusReport, UnitInfo
from annotator.store.models import Annotation, Annotator, Article, Unit, utcnow


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


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def existing_shas(session: Session, shas: Sequence[str]) -> dict[str, str]:
    """Of these text hashes, those already imported -> the external id holding them."""
    found: dict[str, str] = {}
    for chunk in _chunks(shas):
        rows = session.exec(
            select(Article.sha256, Article.external_id).where(col(Article.sha256).in_(chunk))
        ).all()
        found.update((str(a), str(b)) for a, b in rows)
    return found


def existing_external_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Of these external ids, those already in use."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(
            session.exec(
                select(Article.external_id).where(col(Article.external_id).in_(chunk))
            ).all()
        )
    return found


def insert_articles(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert articles (without units) in one statement; return external id -> id."""
    if not rows:
        return {}
    now = utcnow()
    table = Article.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        insert(table), [{**r, "duplicate_of": None, "created_at": now} for r in rows]
    )
    ids: dict[str, int] = {}
    for chunk in _chunks([r["external_id"] for r in rows]):
        found = session.exec(
            select(Article.external_id, Article.id).where(col(Article.external_id).in_(chunk))
        ).all()
        ids.update((str(e), int(i)) for e, i in found if i is not None)
    return ids


def insert_units(session: Session, rows: list[tuple[int, int, int, int, str, str]]) -> None:
    """Bulk-insert units ``(article_id, idx, start, end, role, text)`` through the driver.

    Units are ints and strings only, so the driver's own ``executemany`` is safe on every
    backend and avoids per-row work in SQLAlchemy (an import writes hundreds of thousands).
    """
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(quote(c) for c in ("article_id", "idx", "start", "end", "role", "text"))
    connection.exec_driver_sql(
        f"INSERT INTO unit ({columns}) VALUES ({', '.join([mark] * 6)})", rows
    )


def mark_duplicate(session: Session, duplicate: str, original: str) -> bool:
    """Mark article ``duplicate`` a near-duplicate of ``original`` (external ids).

    Does nothing when it is marked already; returns True when the mark was made.
    """
    original_id = session.exec(select(Article.id).where(Article.external_id == original)).one()
    result = session.execute(
        update(Article)
        .where(col(Article.external_id) == duplicate, col(Article.duplicate_of).is_(None))
        .values(duplicate_of=original_id)
    )
    return bool(getattr(result, "rowcount", 0))


def fingerprint_rows(session: Session) -> list[tuple[str, str]]:
    """``(external id, unit text)`` of every sentence unit, for near-duplicate detection."""
    rows = session.exec(
        select(Article.external_id, Unit.text)
        .join(Article, col(Article.id) == col(Unit.article_id))
        .where(Unit.role == "sentence")
    ).all()
    return [(str(a), str(t)) for a, t in rows]


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
