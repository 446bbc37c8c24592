"""Queries over annotation sessions (campaigns) and their assignments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from annotator.store.models import Annotation, Annotator, Article, Assignment, Campaign, Unit


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    """One article given to one annotator in a campaign."""

    article_id: int
    external_id: str
    annotator: str
    position: int


def get_campaign(session: Session, name: str) -> Campaign | None:
    """The campaign called ``name``."""
    return session.exec(select(Campaign).where(Campaign.name == name)).first()


def list_campaigns(session: Session) -> list[Campaign]:
    """Every campaign, oldest first."""
    return list(session.exec(select(Campaign).order_by(col(Campaign.id))).all())


def add_campaign(session: Session, campaign: Campaign) -> int:
    """Insert a campaign; return its id."""
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    return campaign.id


def add_assignments(
    session: Session, campaign_id: int, rows: Iterable[tuple[int, int, int]]
) -> None:
    """Insert ``(article_id, annotator_id, position)`` assignments."""
    for article_id, annotator_id, position in rows:
        session.add(
            Assignment(
                campaign_id=campaign_id,
                article_id=article_id,
                annotator_id=annotator_id,
                position=position,
            )
        )
    session.flush()


def remove_assignment(
    session: Session, campaign_id: int, article_id: int, annotator_id: int
) -> bool:
    """Delete one assignment; True when it existed."""
    result = session.execute(
        delete(Assignment).where(
            col(Assignment.campaign_id) == campaign_id,
            col(Assignment.article_id) == article_id,
            col(Assignment.annotator_id) == annotator_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def assignments(
    session: Session, campaign_id: int, annotator: str | None = None
) -> list[AssignmentRow]:
    """Assignments of a campaign (of one annotator), in each annotator's order."""
    query = (
        sa_select(
            col(Assignment.article_id),
            col(Article.external_id),
            col(Annotator.name),
            col(Assignment.position),
        )
        .join(Article, col(Article.id) == col(Assignment.article_id))
        .join(Annotator, col(Annotator.id) == col(Assignment.annotator_id))
        .where(col(Assignment.campaign_id) == campaign_id)
        .order_by(col(Annotator.name), col(Assignment.position))
    )
    if annotator is not None:
        query = query.where(col(Annotator.name) == annotator)
    return [
        AssignmentRow(int(a), str(e), str(n), int(p)) for a, e, n, p in session.execute(query).all()
    ]


def is_assigned(session: Session, campaign_id: int, annotator_id: int, article_id: int) -> bool:
    """True when the article is assigned to the annotator in the campaign."""
    found = session.exec(
        select(Assignment.id).where(
            Assignment.campaign_id == campaign_id,
            Assignment.annotator_id == annotator_id,
            Assignment.article_id == article_id,
        )
    ).first()
    return found is not None


def members(session: Session, campaign_id: int) -> list[str]:
    """Annotators with at least one assignment in the campaign, by name."""
    rows = session.exec(
        select(Annotator.name)
        .join(Assignment, col(Assignment.annotator_id) == col(Annotator.id))
        .where(Assignment.campaign_id == campaign_id)
        .distinct()
    ).all()
    return sorted(rows)


def sentence_counts(
    session: Session, article_ids: Sequence[int], roles: Sequence[str]
) -> dict[int, int]:
    """Units with ``roles`` per article."""
    rows = session.exec(
        select(Unit.article_id, func.count())
        .where(col(Unit.article_id).in_(list(article_ids)), col(Unit.role).in_(list(roles)))
        .group_by(col(Unit.article_id))
    ).all()
    return {int(a): int(n) for a, n in rows}


def done_counts(
    session: Session, campaign: Campaign, roles: Sequence[str]
) -> dict[tuple[str, int], int]:
    """Complete labels per (annotator name, article id) in the campaign."""
    rows = session.execute(
        sa_select(col(Annotator.name), col(Unit.article_id), func.count())
        .select_from(Annotation)
        .join(Unit, col(Unit.id) == col(Annotation.unit_id))
        .join(Annotator, col(Annotator.id) == col(Annotation.annotator_id))
        .where(
            col(Annotation.session) == campaign.name,
            col(Annotation.scheme_hash) == campaign.scheme_hash,
            col(Annotation.complete).is_(True),
            col(Unit.role).in_(list(roles)),
        )
        .group_by(col(Annotator.name), col(Unit.article_id))
    ).all()
    return {(str(n), int(a)): int(c) for n, a, c in rows}


def assigned_article_ids(session: Session, campaign_id: int, annotator_id: int) -> list[int]:
    """Article ids assigned to an annotator in a campaign, in their order."""
    rows = session.exec(
        select(Assignment.article_id)
        .where(Assignment.campaign_id == campaign_id, Assignment.annotator_id == annotator_id)
        .order_by(col(Assignment.position))
    ).all()
    return [int(a) for a in rows]
