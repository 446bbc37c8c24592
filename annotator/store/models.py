"""SQLModel tables: articles, units, annotators, annotations, the event log, sessions and gold.

The schema itself is created and upgraded by the Alembic migrations in
``annotator/store/migrations``; these classes describe it to the ORM. Labels are
stored as JSON (group name -> choice name, or list of choice names for a flag
group) together with the content hash of the scheme they were given under, so
labels given under different scheme versions are never mixed silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class Article(SQLModel, table=True):
    """One imported text: the original string, its title and where it came from."""

    __tablename__ = "article"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(index=True, unique=True)
    title: str
    source: str = ""
    sha256: str = Field(index=True, unique=True)
    text: str
    duplicate_of: int | None = Field(default=None, foreign_key="article.id")
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Unit(SQLModel, table=True):
    """A labelable span of an article: ``article.text[start:end] == text``."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("article_id", "idx", name="uq_unit_article_idx"),)

    id: int | None = Field(default=None, primary_key=True)
    # Looked up through the unique (article_id, idx) index; no separate index needed.
    article_id: int = Field(foreign_key="article.id")
    idx: int
    start: int
    end: int
    role: str
    text: str


class Annotator(SQLModel, table=True):
    """A person who labels units."""

    __tablename__ = "annotator"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Annotation(SQLModel, table=True):
    """The current labels of one annotator on one unit under one scheme (and session)."""

    __tablename__ = "annotation"
    __table_args__ = (
        UniqueConstraint(
            "annotator_id", "unit_id", "scheme_hash", "session", name="uq_annotation_key"
        ),
        Index("ix_annotation_unit", "unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    annotator_id: int = Field(foreign_key="annotator.id")
    unit_id: int = Field(foreign_key="unit.id")
    scheme_hash: str
    session: str = ""
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    complete: bool = False  # every single-choice group has a value (kept for fast progress counts)
    note: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AnnotationEvent(SQLModel, table=True):
    """Append-only record of every change: who, when, before and after.

    ``kind`` is ``edit`` (a label or note change), ``undo`` or ``redo``; undo and
    redo name the edit they act on in ``target_id``. The undo and redo stacks are
    derived from this log, so they survive restarts. ``layer`` is ``annotation`` for
    an annotator's own labels and ``gold`` for an adjudicator's gold labels.
    """

    __tablename__ = "annotation_event"
    __table_args__ = (Index("ix_event_annotator", "annotator_id", "scheme_hash", "session", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    annotator_id: int = Field(foreign_key="annotator.id")
    unit_id: int = Field(foreign_key="unit.id")
    scheme_hash: str
    session: str = ""
    kind: str = "edit"
    layer: str = "annotation"
    target_id: int | None = None
    before: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    after: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    note_before: str | None = None
    note_after: str | None = None
    at: datetime = Field(default_factory=utcnow)


class Campaign(SQLModel, table=True):
    """A named annotation session: who labels which articles, under a snapshot of a scheme.

    Called a "session" in the command line (``annotator session create``); the class
    name avoids a clash with database sessions.
    """

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    scheme_yaml: str
    scheme_hash: str
    scheme_ref: str
    guidelines: str = ""
    overlap: int = 1
    blind: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """One article given to one annotator in a campaign, in the annotator's order."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("campaign_id", "article_id", "annotator_id", name="uq_assignment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    article_id: int = Field(foreign_key="article.id")
    annotator_id: int = Field(foreign_key="annotator.id")
    position: int


class Gold(SQLModel, table=True):
    """The adjudicated label of a unit, stored apart from the annotators' labels."""

    __tablename__ = "gold"
    __table_args__ = (UniqueConstraint("unit_id", "scheme_hash", "session", name="uq_gold"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    scheme_hash: str
    session: str = ""
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = None
    adjudicator_id: int = Field(foreign_key="annotator.id")
    updated_at: datetime = Field(default_factory=utcnow)
