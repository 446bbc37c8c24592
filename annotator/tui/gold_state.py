"""The adjudication screen's model: the queue of items, their gold (committed and predicted).

Pure Python (no Textual), like :mod:`annotator.tui.state`. Gold the database has confirmed is
*committed*; gold shown before the commit returns is *predicted* and marked pending until every
change queued for that unit has come back. An item *has gold* when its gold labels are complete
(every single-choice group has a value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from annotator.adjudication import Item
from annotator.domain import Labels, LabelState
from annotator.scheme import Scheme


def differing_groups(scheme: Scheme, item: Item) -> list[str]:
    """Names of the groups on which the item's annotators do not all agree, in scheme order."""
    out = []
    for group in scheme.groups:
        values = {_as_key(o.labels.get(group.name)) for o in item.opinions}
        if len(values) > 1:
            out.append(group.name)
    return out


def _as_key(value: object) -> object:
    return tuple(sorted(str(v) for v in value)) if isinstance(value, list) else value


class GoldState:
    """The items of one queue, the cursor, and the gold of each item's unit."""

    def __init__(self, scheme: Scheme, items: Iterable[Item]) -> None:
        """Start from the queue's items (their ``gold`` is the committed gold)."""
        self.scheme = scheme
        self.items: list[Item] = list(items)
        self.index_of: dict[int, int] = {item.unit.id: i for i, item in enumerate(self.items)}
        self.committed: dict[int, Labels | None] = {i.unit.id: i.gold for i in self.items}
        self.predicted: dict[int, Labels] = {}
        self.inflight: Counter[int] = Counter()
        self.failed: set[int] = set()
        self.cursor = 0

    @property
    def item(self) -> Item | None:
        """The item under the cursor (None for an empty queue)."""
        return self.items[self.cursor] if self.items else None

    # -- gold ------------------------------------------------------------------------------

    def gold(self, unit_id: int) -> Labels | None:
        """What the UI shows as the unit's gold: the prediction if one is pending."""
        if unit_id in self.predicted:
            return self.predicted[unit_id]
        return self.committed.get(unit_id)

    def shown(self, unit_id: int) -> Labels:
        """The gold as labels to display (empty labels when there is none)."""
        gold = self.gold(unit_id)
        return dict(gold) if gold else dict(self.scheme.empty_labels())

    def has_gold(self, unit_id: int) -> bool:
        """True when the unit's shown gold is complete."""
        gold = self.gold(unit_id)
        return gold is not None and self.scheme.is_complete(gold)

    def pending(self, unit_id: int) -> bool:
        """True while a change to this unit's gold has not been committed."""
        return self.inflight[unit_id] > 0

    def with_gold(self) -> int:
        """How many items have complete gold."""
        return sum(1 for item in self.items if self.has_gold(item.unit.id))

    def predict_key(self, unit_id: int, key: str) -> Labels:
        """Record the predicted effect of a scheme key on a unit's gold (before its commit)."""
        new: Labels = dict(self.scheme.apply_key(self.shown(unit_id), key))
        return self.predict(unit_id, new)

    def predict(self, unit_id: int, labels: Labels) -> Labels:
        """Record gold about to be set outright (e.g. an annotator's labels accepted)."""
        new: Labels = dict(self.scheme.normalize_labels(labels))
        self.predicted[unit_id] = new
        self.inflight[unit_id] += 1
        self.failed.discard(unit_id)
        return new

    def commit(self, state: LabelState, *, counted: bool = True) -> None:
        """Apply committed gold (empty labels: the gold was removed); ``counted`` is False for
        results that had no prediction (undo and redo)."""
        uid = state.unit_id
        self.committed[uid] = dict(state.labels) if state.labels else None
        if counted and self.inflight[uid] > 0:
            self.inflight[uid] -= 1
        self._settle(uid)

    def reject(self, unit_id: int) -> None:
        """A change was refused for good: fall back to the committed gold, mark the unit."""
        if self.inflight[unit_id] > 0:
            self.inflight[unit_id] -= 1
        self._settle(unit_id)
        self.failed.add(unit_id)

    def _settle(self, unit_id: int) -> None:
        if self.inflight[unit_id] <= 0:
            del self.inflight[unit_id]
            self.predicted.pop(unit_id, None)

    def agrees(self, unit_id: int, labels: Labels) -> bool:
        """True when ``labels`` equal the unit's shown gold."""
        gold = self.gold(unit_id)
        if gold is None:
            return False
        norm = self.scheme.normalize_labels
        return bool(norm(gold) == norm(labels))

    # -- navigation ------------------------------------------------------------------------

    def next(self) -> int | None:
        """The next item (None at the end)."""
        return self.cursor + 1 if self.cursor + 1 < len(self.items) else None

    def prev(self) -> int | None:
        """The previous item (None at the start)."""
        return self.cursor - 1 if self.cursor > 0 else None

    def next_without_gold(self) -> int | None:
        """The next item without complete gold, wrapping around the queue."""
        n = len(self.items)
        order: list[int] = [*range(self.cursor + 1, n), *range(0, self.cursor + 1)]
        for i in order:
            if not self.has_gold(self.items[i].unit.id):
                return i
        return None

    def first_without_gold(self) -> int:
        """Where to start: the first item without complete gold, else the first item."""
        for i, item in enumerate(self.items):
            if not self.has_gold(item.unit.id):
                return i
        return 0
