"""Plain domain objects passed between the store, the service, the CLI and the TUI.

They are frozen dataclasses with no database session attached, so a TUI worker
thread can hand them to the UI thread safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Labels = dict[str, Any]
"""Labels of one unit: single group -> choice name or None; multi group -> list of names."""


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """An article as listed: ids, title, size and duplicate marker."""

    id: int
    external_id: str
    title: str
    source: str
    n_units: int
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """A unit of an article with its exact offsets into the article text."""

    id: int
    idx: int
    start: int
    end: int
    role: str
    text: str


@dataclass(frozen=True, slots=True)
class LabelState:
    """What one annotator has committed for one unit."""

    unit_id: int
    labels: Labels
    note: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArticleView:
    """Everything the annotation screen needs for one article and one annotator."""

    article: ArticleInfo
    text: str
    units: tuple[UnitInfo, ...]
    labels: dict[int, LabelState] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Progress:
    """Labelled-unit counts for one annotator."""

    labeled: int
    total: int


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """The committed state of a unit after a change, undo or redo.

    ``event_id`` is the id of the event row written in the same transaction; the UI
    shows the change as saved only once it holds a ``ChangeResult``.
    """

    state: LabelState
    event_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class ImportItem:
    """The outcome of importing one file or JSONL record."""

    source: str
    external_id: str | None
    status: str  # "imported" | "skipped" | "duplicate" | "error"
    message: str = ""
    n_units: int = 0
    duplicate_of: str | None = None
    contains: str | None = None  # an existing article found to be a near-duplicate of this one


@dataclass(slots=True)
class ImportReport:
    """What an import did, file by file."""

    items: list[ImportItem] = field(default_factory=list)

    @property
    def errors(self) -> list[ImportItem]:
        """Items that failed."""
        return [item for item in self.items if item.status == "error"]

    @property
    def near_duplicates(self) -> int:
        """Near-duplicate pairs found: new duplicates plus existing articles newly marked."""
        return sum(1 for i in self.items if i.status == "duplicate" or i.contains is not None)

    def count(self, status: str) -> int:
        """How many items ended with ``status``."""
        return sum(1 for item in self.items if item.status == status)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Database overview for ``annotator status``."""

    database: str
    articles: int
    duplicates: list[tuple[str, str]]
    units_by_role: dict[str, int]
    annotators: list[str]
    labels_by_annotator: dict[str, int]
    schemes: dict[str, int]
