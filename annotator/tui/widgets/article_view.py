"""The article text as a Line-API widget: one wrapped block per unit, a label gutter, a cursor.

Nothing here is a widget per sentence. The article is word-wrapped once per width into a flat
list of lines, each knowing which unit it belongs to; :meth:`ArticleView.render_line` turns
the visible lines into cached :class:`Strip` objects. A key press refreshes only the lines of
the units it touched, so a 2,000-unit article costs the same per key as a 20-unit one.

Each unit starts on its own line; a line break in the source between two units becomes a blank
line (a paragraph break). The gutter shows a bar on the current unit, the unit's committed
labels (``A``, ``E+f``), ``…`` while a change is still being saved and ``!`` when it was not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.domain import UnitInfo
from annotator.tui.state import Mark

MAX_TEXT_WIDTH = 96
"""Longest text line, in cells: long lines are hard to read on wide terminals."""
ROLE_HINT = {"heading": "head", "dateline": "date", "boilerplate": "boil"}


@dataclass(frozen=True, slots=True)
class Line:
    """One display line: the unit it belongs to (-1 for a blank line) and its text."""

    unit: int
    text: str
    first: bool = False


def wrap(text: str, width: int) -> list[str]:
    """Word-wrap ``text`` (whitespace collapsed) to ``width`` cells; long words are split."""
    width = max(width, 1)
    lines: list[str] = []
    words: list[str] = []
    used = 0
    for word in text.split():
        size = len(word) if word.isascii() else cell_len(word)
        if words and used + 1 + size > width:
            lines.append(" ".join(words))
            words, used = [], 0
        while size > width:  # a URL or similar longer than the line
            head, cells = "", 0
            for ch in word:
                w = cell_len(ch)
                if cells + w > width:
                    break
                head, cells = head + ch, cells + w
            lines.append(head)
            word = word[len(head) :]
            size = cell_len(word)
        if word:
            used += size + (1 if words else 0)
            words.append(word)
    if words or not lines:
        lines.append(" ".join(words))
    return lines


def layout(text: str, units: Sequence[UnitInfo], width: int) -> list[Line]:
    """Lay the units out at ``width`` cells: each unit wrapped on its own, blank lines between
    paragraphs (a line break in the source text between two units)."""
    lines: list[Line] = []
    prev_end = 0
    for i, unit in enumerate(units):
        if i and "\n" in text[prev_end : unit.start]:
            lines.append(Line(-1, ""))
        for j, part in enumerate(wrap(unit.text, width)):
            lines.append(Line(i, part, j == 0))
        prev_end = unit.end
    return lines


class ArticleView(ScrollView, can_focus=True):
    """Scrollable, wrapped article text with the current unit highlighted."""

    INHERIT_BINDINGS = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", "Page down", show=False, id="view.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="view.page_up"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "article-view--cursor",
        "article-view--bar",
        "article-view--dim",
        "article-view--heading",
        "article-view--done",
        "article-view--partial",
        "article-view--pending",
        "article-view--failed",
        "article-view--gutter",
    }

    class UnitClicked(Message):
        """The user clicked on the unit at ``index``."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, marker_width: int = 5, *, id: str | None = None) -> None:
        """``marker_width``: cells for the widest label marker of the scheme."""
        super().__init__(id=id)
        self.marker_width = max(marker_width, 4) + 1
        self.gutter_width = 1 + 1 + self.marker_width + 1 + 3
        self.text = ""
        self.units: tuple[UnitInfo, ...] = ()
        self.marks: list[Mark] = []
        self.cursor = 0
        self.lines: list[Line] = []
        self.spans: list[tuple[int, int]] = []
        self._width = 0
        self._cache: dict[int, Strip] = {}
        self._styles: dict[str, Style] | None = None

    # -- data ------------------------------------------------------------------------------

    def load(self, text: str, units: Sequence[UnitInfo], marks: list[Mark], cursor: int) -> None:
        """Show a new article with the cursor on unit ``cursor``."""
        self.text, self.units, self.marks, self.cursor = text, tuple(units), marks, cursor
        self._width = 0
        self._relayout()
        self.scroll_to(y=0, animate=False, force=True)
        self.scroll_to_unit(cursor)

    def set_mark(self, index: int, mark: Mark) -> None:
        """Update one unit's gutter marker."""
        if 0 <= index < len(self.marks) and self.marks[index] != mark:
            self.marks[index] = mark
            self._refresh_unit(index, gutter_only=True)

    def set_marks(self, marks: list[Mark]) -> None:
        """Replace every marker (e.g. after toggling which roles are navigable)."""
        self.marks = marks
        self._cache.clear()
        self.refresh()

    def set_cursor(self, index: int) -> None:
        """Move the highlight to unit ``index`` and scroll it into view."""
        if not self.units:
            return
        index = max(0, min(index, len(self.units) - 1))
        old, self.cursor = self.cursor, index
        if old != index:
            self._refresh_unit(old)
            self._refresh_unit(index)
        self.scroll_to_unit(index)

    def scroll_to_unit(self, index: int) -> None:
        """Keep the unit in view with a few lines of context on either side.

        While the unit stays inside that window nothing moves. When it leaves it, the view
        jumps (like a pager) so the unit sits a quarter of the way down, with what came
        before it above and plenty of what follows below: the text stays still for several
        units at a time, which is easier to read and far cheaper to draw than scrolling on
        every key.
        """
        if not self.spans or not 0 <= index < len(self.spans):
            return
        start, end = self.spans[index]
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        margin = min(3, height // 4)
        top = round(self.scroll_y)
        if start - margin >= top and end + margin <= top + height:
            return
        target = start - max(margin, height // 4)
        if end + margin > target + height:  # a unit taller than the window: show its start
            target = start - margin
        self.scroll_to(y=max(0, target), animate=False, force=True)

    def unit_at(self, y: int) -> int | None:
        """The unit on content line ``y`` (None for blank lines and below the text)."""
        if 0 <= y < len(self.lines) and self.lines[y].unit >= 0:
            return self.lines[y].unit
        return None

    # -- layout ----------------------------------------------------------------------------

    def _relayout(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._width:
            return
        self._width = width
        self.lines = layout(self.text, self.units, min(width - self.gutter_width, MAX_TEXT_WIDTH))
        spans = [(0, 0)] * len(self.units)
        start = 0
        for y, line in enumerate(self.lines):
            if line.first:
                start = y
            if line.unit >= 0:
                spans[line.unit] = (start, y + 1)
        self.spans = spans
        self._cache.clear()
        self.virtual_size = Size(width, len(self.lines))
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap the article for the new width and keep the cursor in view."""
        self._relayout()
        self.scroll_to_unit(self.cursor)

    def notify_style_update(self) -> None:
        """Drop cached styles and strips when the theme or CSS changes."""
        super().notify_style_update()
        self._styles = None
        self._cache.clear()

    def _refresh_unit(self, index: int, *, gutter_only: bool = False) -> None:
        if not 0 <= index < len(self.spans):
            return
        start, end = self.spans[index]
        for y in range(start, end):
            self._cache.pop(y, None)
        if gutter_only:
            self.refresh_lines(start, 1)
        else:
            self.refresh_lines(start, end - start)

    # -- rendering -------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        if self._styles is None:
            self._styles = {
                n: self.get_component_rich_style(f"article-view--{n}")
                for n in (
                    *("cursor", "bar", "dim", "heading", "done"),
                    *("partial", "pending", "failed", "gutter"),
                )
            }
            self._styles["base"] = self.rich_style
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        """Render content line ``y + scroll_y`` (cached per line)."""
        index = y + round(self.scroll_y)
        width = self.scrollable_content_region.width
        strip = self._cache.get(index)
        if strip is None or strip.cell_length != width:
            strip = self._render_content_line(index, width)
            self._cache[index] = strip
        return strip

    def _render_content_line(self, index: int, width: int) -> Strip:
        base = self._style("base")
        if index >= len(self.lines):
            return Strip.blank(width, base)
        line = self.lines[index]
        if line.unit < 0:
            return Strip.blank(width, base)
        unit = self.units[line.unit]
        current = line.unit == self.cursor
        text_style = base
        if unit.role == "heading":
            text_style += self._style("heading")
        elif unit.role != "sentence":
            text_style += self._style("dim")
        if current:
            text_style += self._style("cursor")
        gutter = self._style("gutter")
        segments = [
            Segment("▌" if current else " ", base + self._style("bar") if current else base),
            Segment(" ", base),
        ]
        if line.first:
            segments.extend(self._marker(line.unit, unit, base))
        else:
            segments.append(Segment(" " * (self.marker_width + 1), base))
        segments.append(Segment(" │ ", base + gutter))
        segments.append(Segment(line.text, text_style))
        strip = Strip(segments)
        pad = width - strip.cell_length
        if pad > 0:
            fill = text_style if current else base
            strip = Strip([*segments, Segment(" " * pad, fill)], width)
        return strip.crop(0, width) if strip.cell_length > width else strip

    def _marker(self, i: int, unit: UnitInfo, base: Style) -> list[Segment]:
        mark = self.marks[i] if i < len(self.marks) else Mark()
        text, style = mark.text, base + self._style("done" if mark.complete else "partial")
        if mark.failed:
            text, style = text + "!", base + self._style("failed")
        elif mark.pending:
            text, style = text + "…", base + self._style("pending")
        elif not text and unit.role in ROLE_HINT:
            text, style = ROLE_HINT[unit.role], base + self._style("gutter")
        text = text[: self.marker_width].ljust(self.marker_width)
        note = Segment("✎" if mark.note else " ", base + self._style("pending"))
        return [Segment(text, style), note]

    # -- input -----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        """Select the clicked unit."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        unit = self.unit_at(offset.y + round(self.scroll_y))
        if unit is not None:
            self.post_message(self.UnitClicked(unit))

    def action_page(self, direction: int) -> None:
        """Scroll by a page."""
        height = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_y + direction * max(1, height - 2), animate=False)
