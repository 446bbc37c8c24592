"""The opinions table of the adjudication screen: one row per annotator of the unit shown.

Columns: the key that accepts the row (``1``-``9``), the annotator (or ``annotator k``), one
column per scheme group, whether the row equals the current gold, and the note. Groups the
annotators disagree on are drawn in the theme's warning colour. Notes too long for their
column are written out in full by :func:`long_notes`.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from annotator.adjudication import Item
from annotator.scheme import Group
from annotator.tui.gold_state import GoldState, differing_groups
from annotator.tui.screens.articles import short

NONE = "—"
GOLD_MARK = "✓ gold"


def column_width(group: Group) -> int:
    """Room for a group's name and any one value (all the flags, up to 30 cells)."""
    longest = max(len(c.name) for c in group.choices)
    if group.kind == "multi":
        longest = min(sum(len(c.name) + 2 for c in group.choices) - 2, 30)
    return max(len(group.name), longest, len(NONE))


def cell(value: object) -> str:
    """One group's labels as table text: the choice, the flags joined, or a dash."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or NONE
    return str(value) if value else NONE


def one_line(text: str | None) -> str:
    """``text`` with its whitespace collapsed."""
    return " ".join((text or "").split())


def long_notes(item: Item, width: int) -> list[str]:
    """``✎ name: note`` for every note longer than ``width`` (the table cuts those)."""
    return [
        f"✎ {o.annotator}: {one_line(o.note)}"
        for o in item.opinions
        if len(one_line(o.note)) > width
    ]


class OpinionTable(DataTable[str | Text]):
    """Every annotator's labels on one unit, side by side."""

    def __init__(self, *, id: str | None = None) -> None:
        """A table without a cursor that never takes the focus (keys go to the screen)."""
        super().__init__(id=id, cursor_type="none", show_cursor=False, zebra_stripes=True)
        self.can_focus = False
        self.note_width = 10

    def show(self, state: GoldState, item: Item, width: int) -> None:
        """Fill the table for ``item`` at a screen ``width``."""
        scheme = state.scheme
        groups = [g.name for g in scheme.groups]
        differ = set(differing_groups(scheme, item))
        widths = {g.name: column_width(g) for g in scheme.groups}
        name_width = max(9, *(len(o.annotator) for o in item.opinions))
        used = 3 + name_width + sum(widths.values()) + len(GOLD_MARK) + 2 * (len(groups) + 4) + 2
        self.note_width = note_width = max(10, width - used)
        colours = self.app.theme_variables
        warn = f"bold {colours.get('warning', 'yellow')}"
        good = f"bold {colours.get('success', 'green')}"
        self.clear(columns=True)
        self.add_column("key", width=3, key="key")
        self.add_column("annotator", width=name_width, key="annotator")
        for name in groups:
            self.add_column(Text(name, style=warn if name in differ else ""), width=widths[name])
        self.add_column("gold?", width=len(GOLD_MARK), key="gold")
        self.add_column("note", width=note_width, key="note")
        for k, opinion in enumerate(item.opinions, start=1):
            cells: list[str | Text] = [
                Text(str(k) if k <= 9 else "", style="bold"),
                opinion.annotator,
            ]
            for name in groups:
                text = short(cell(opinion.labels.get(name)), widths[name])
                cells.append(Text(text, style=warn if name in differ else ""))
            agrees = state.agrees(item.unit.id, opinion.labels)
            cells.append(Text(GOLD_MARK if agrees else "", style=good))
            cells.append(Text(short(opinion.note or "", note_width), style="italic"))
            self.add_row(*cells, key=str(k))
