"""The annotation screen's model of one article: committed labels, pending predictions, cursor.

Pure Python (no Textual), so the rules are easy to test: which units navigation stops on,
what a key press is predicted to do before its commit returns, how a unit's gutter marker
reads, and the article's progress. Labels the database has confirmed are *committed*; labels
shown before the commit returns are *predicted* and marked pending until every change queued
for that unit has come back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from annotator.domain import ArticleView, LabelState, Progress, UnitInfo
from annotator.scheme import Scheme
from annotator.service import LABELED_ROLES

Labels = dict[str, object]


@dataclass(frozen=True, slots=True)
class Mark:
    """How one unit's labels read in the gutter."""

    text: str = ""
    """Compact labels, e.g. ``A``, ``E+f``, ``+d``; empty when nothing is set."""
    complete: bool = False
    """Every single-choice group has a value."""
    pending: bool = False
    """A change to this unit has not been committed yet."""
    failed: bool = False
    """A change to this unit was refused and is NOT saved."""
    note: bool = False
    """The unit carries a note."""


def marker(scheme: Scheme, labels: Labels | None) -> str:
    """Compact text for ``labels``: single-group choice keys upper-cased, then ``+`` and the
    keys of every flag that is on (``A``, ``E+f``, ``+fd``)."""
    if not labels:
        return ""
    single, flags = "", ""
    for group in scheme.groups:
        value = labels.get(group.name)
        if group.kind == "single":
            if isinstance(value, str):
                single += group.choice(value).key.upper()
        elif isinstance(value, list):
            flags += "".join(c.key for c in group.choices if c.name in value)
    return single + (f"+{flags}" if flags else "")


def marker_width(scheme: Scheme) -> int:
    """The widest marker the scheme can produce."""
    singles = sum(1 for g in scheme.groups if g.kind == "single")
    flags = sum(len(g.choices) for g in scheme.groups if g.kind == "multi")
    return singles + (flags + 1 if flags else 0)


class ArticleState:
    """One article for one annotator: units, labels (committed and predicted) and the cursor."""

    def __init__(self, scheme: Scheme, view: ArticleView, *, include_all: bool = False) -> None:
        """Start from a freshly loaded :class:`ArticleView`; the cursor starts on no unit."""
        self.scheme = scheme
        self.view = view
        self.units: tuple[UnitInfo, ...] = view.units
        self.index_of: dict[int, int] = {u.id: i for i, u in enumerate(self.units)}
        self.committed: dict[int, LabelState] = dict(view.labels)
        self.predicted: dict[int, Labels] = {}
        self.predicted_note: dict[int, str | None] = {}
        self.inflight: Counter[int] = Counter()
        self.failed: set[int] = set()
        self.include_all = include_all
        self.cursor = 0
        self._single = [g.name for g in scheme.groups if g.kind == "single"]
        self._counted = [u.id for u in self.units if u.role in LABELED_ROLES]
        self._done = {uid for uid in self._counted if self.is_complete(uid)}
        self._counted_set = set(self._counted)

    # -- labels ----------------------------------------------------------------------------

    def labels(self, unit_id: int) -> Labels:
        """What the UI shows for a unit: the prediction if one is pending, else the commit."""
        if unit_id in self.predicted:
            return self.predicted[unit_id]
        state = self.committed.get(unit_id)
        return dict(state.labels) if state else dict(self.scheme.empty_labels())

    def note(self, unit_id: int) -> str | None:
        """The unit's note, predicted or committed."""
        if unit_id in self.predicted_note:
            return self.predicted_note[unit_id]
        state = self.committed.get(unit_id)
        return state.note if state else None

    def _complete(self, labels: Labels) -> bool:
        return all(labels.get(name) is not None for name in self._single)

    def is_complete(self, unit_id: int) -> bool:
        """True when the shown labels give every single-choice group a value."""
        if unit_id in self.predicted:
            return self._complete(self.predicted[unit_id])
        state = self.committed.get(unit_id)
        return state is not None and self._complete(state.labels)

    def _recount(self, unit_id: int) -> None:
        if unit_id in self._counted_set:
            if self.is_complete(unit_id):
                self._done.add(unit_id)
            else:
                self._done.discard(unit_id)

    def predict_key(self, unit_id: int, key: str) -> Labels:
        """Record the predicted effect of a scheme key on a unit (before its commit)."""
        new: Labels = dict(self.scheme.apply_key(self.labels(unit_id), key))
        self.predicted[unit_id] = new
        self.inflight[unit_id] += 1
        self.failed.discard(unit_id)
        self._recount(unit_id)
        return new

    def predict_note(self, unit_id: int, note: str | None) -> None:
        """Record a note change before its commit."""
        self.predicted_note[unit_id] = (note or "").strip() or None
        self.inflight[unit_id] += 1

    def commit(self, state: LabelState, *, counted: bool = True) -> None:
        """Apply a committed state; the prediction is dropped once nothing else is in flight.

        ``counted`` is False for results that had no prediction (undo and redo).
        """
        uid = state.unit_id
        self.committed[uid] = state
        if counted and self.inflight[uid] > 0:
            self.inflight[uid] -= 1
        if self.inflight[uid] <= 0:
            del self.inflight[uid]
            self.predicted.pop(uid, None)
            self.predicted_note.pop(uid, None)
        self._recount(uid)

    def reject(self, unit_id: int) -> None:
        """A change was refused for good: fall back to the committed labels, mark the unit."""
        if self.inflight[unit_id] > 0:
            self.inflight[unit_id] -= 1
        if self.inflight[unit_id] <= 0:
            del self.inflight[unit_id]
            self.predicted.pop(unit_id, None)
            self.predicted_note.pop(unit_id, None)
        self.failed.add(unit_id)
        self._recount(unit_id)

    def mark(self, unit_id: int) -> Mark:
        """The gutter marker of a unit."""
        labels = self.labels(unit_id)
        return Mark(
            text=marker(self.scheme, labels),
            complete=self._complete(labels),
            pending=self.inflight[unit_id] > 0,
            failed=unit_id in self.failed,
            note=bool(self.note(unit_id)),
        )

    def marks(self) -> list[Mark]:
        """Markers of every unit, in order."""
        return [self.mark(u.id) for u in self.units]

    # -- navigation ------------------------------------------------------------------------

    @property
    def unit(self) -> UnitInfo | None:
        """The unit under the cursor (None for an empty article)."""
        return self.units[self.cursor] if self.units else None

    def navigable(self, index: int) -> bool:
        """True when navigation stops on the unit at ``index``."""
        return self.include_all or self.units[index].role in LABELED_ROLES

    def _scan(self, indices: Iterable[int], *, unlabeled: bool = False) -> int | None:
        for i in indices:
            if self.navigable(i) and not (unlabeled and self.is_complete(self.units[i].id)):
                return i
        return None

    def next(self, start: int | None = None) -> int | None:
        """The next navigable unit after ``start`` (default: the cursor)."""
        here = self.cursor if start is None else start
        return self._scan(range(here + 1, len(self.units)))

    def prev(self) -> int | None:
        """The previous navigable unit before the cursor."""
        return self._scan(range(self.cursor - 1, -1, -1))

    def first(self) -> int | None:
        """The first navigable unit."""
        return self._scan(range(len(self.units)))

    def last(self) -> int | None:
        """The last navigable unit."""
        return self._scan(range(len(self.units) - 1, -1, -1))

    def next_unlabeled(self) -> int | None:
        """The next navigable unit without a complete label, wrapping around the article."""
        n = len(self.units)
        order = [*range(self.cursor + 1, n), *range(0, self.cursor + 1)]
        return self._scan(order, unlabeled=True)

    def target(self, where: str) -> int | None:
        """The unit ``next``, ``prev``, ``first``, ``last`` or ``unlabeled`` names."""
        moves = {
            "next": self.next,
            "prev": self.prev,
            "first": self.first,
            "last": self.last,
            "unlabeled": self.next_unlabeled,
        }
        return moves[where]()

    def resume_index(self) -> int:
        """Where to put the cursor on opening: the first unlabeled navigable unit; in a
        finished article the unit changed last (where the annotator left off); else the top."""
        found = self._scan(range(len(self.units)), unlabeled=True)
        if found is None:
            stamped = [
                (state.updated_at, self.index_of[uid])
                for uid, state in self.committed.items()
                if state.updated_at is not None and uid in self.index_of
            ]
            found = max(stamped)[1] if stamped else self.first()
        return found or 0

    # -- progress --------------------------------------------------------------------------

    def progress(self) -> Progress:
        """Shown progress of this article: complete units among the labeled roles."""
        return Progress(len(self._done), len(self._counted))

    def committed_progress(self) -> Progress:
        """Progress from committed labels only (what the database said when loaded)."""
        done = sum(
            1
            for uid in self._counted
            if uid in self.committed and self._complete(self.committed[uid].labels)
        )
        return Progress(done, len(self._counted))
