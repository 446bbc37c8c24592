"""The article list as a Line-API widget: a pinned header, one line per article, a cursor.

Nothing here is a widget or a Rich object per article. The rows are an
:class:`~annotator.store.listing.ArticleRows` (columns of ids, strings and counts); the filter
keeps a list of row numbers (or a ``range`` when there is no filter); only the lines on screen
are turned into :class:`Strip` objects, in :meth:`ArticleList.render_line`. A list of 100,000
articles costs the same to draw and to move through as a list of ten.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.store.listing import ArticleRows

ID_WIDTH, UNITS_WIDTH, PROGRESS_WIDTH, DUP_WIDTH = 20, 5, 7, 18
"""Column widths in cells; the id column is as wide as the longest id, up to ``ID_WIDTH``."""
MIN_TITLE = 16
PADDING = 2 * 5
"""One cell of padding either side of each of the five columns."""
HEADERS = ("article", "title", "units", "labeled", "duplicate")
TEXT_ONLY = ("done", "partial")
"""Component styles that colour text only (laid over the row's background)."""
DIM = Style(dim=True)
"""The duplicate marker: dimmed against whatever row it is on."""


def fit(text: str, width: int) -> str:
    """``text`` on one line in exactly ``width`` cells: padded, or cut with an ellipsis."""
    text = " ".join(text.split())
    size = len(text) if text.isascii() else cell_len(text)
    if size <= width:
        return text + " " * (width - size)
    return set_cell_size(text, width - 1) + "…"


def matches(hay: str, words: Sequence[str]) -> bool:
    """True when every (lower-case) word occurs in ``hay`` (an id and title, lower-cased)."""
    return all(word in hay for word in words)


class ArticleList(ScrollView, can_focus=True):
    """Every article with the annotator's progress; a cursor row; a filter by id or title."""

    INHERIT_BINDINGS = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", id="list.open"),
        Binding("down,j", "move(1)", "Down", show=False, id="list.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id="list.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("home,g", "jump(0)", "First", show=False, id="list.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="list.last"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "article-list--header",
        "article-list--cursor",
        "article-list--even",
        "article-list--done",
        "article-list--partial",
    }
    DEFAULT_CSS = """
    ArticleList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .article-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .article-list--header { text-style: bold; background: $panel; color: $foreground; }
        & > .article-list--even { background: $surface-lighten-1 50%; }
        &:dark > .article-list--even { background: $surface-darken-1 40%; }
        & > .article-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .article-list--done { color: $text-success; text-style: bold; }
        & > .article-list--partial { color: $text-warning; }
    }
    """

    class Highlighted(Message):
        """The cursor moved to the article ``article_id``."""

        def __init__(self, article_id: int) -> None:
            super().__init__()
            self.article_id = article_id

    class Selected(Message):
        """The user chose the article ``article_id`` (enter, or a click on the cursor row)."""

        def __init__(self, article_id: int) -> None:
            super().__init__()
            self.article_id = article_id

    def __init__(self, *, id: str | None = None) -> None:
        """An empty list; :meth:`set_rows` fills it."""
        super().__init__(id=id)
        self.rows = ArticleRows()
        self.shown: Sequence[int] = range(0)
        """Row numbers (into :attr:`rows`) that match the filter, in order."""
        self.cursor = 0
        """Index into :attr:`shown` of the highlighted line."""
        self.filter_text = ""
        self._hay: list[str] | None = None
        self._styles: dict[str, Style] | None = None
        self._cache: dict[int, Strip] = {}
        self._width = 0
        self.id_width = len(HEADERS[0])
        """Cells of the id column: the longest id (at least the header, at most ID_WIDTH)."""

    # -- data ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """How many articles are listed (after the filter)."""
        return len(self.shown)

    @property
    def highlighted(self) -> int | None:
        """The id of the article under the cursor (None when the list is empty)."""
        if not self.shown:
            return None
        return self.rows.ids[self.shown[self.cursor]]

    def article_at(self, index: int) -> int:
        """The id of the article on listed line ``index``."""
        return self.rows.ids[self.shown[index]]

    def set_rows(self, rows: ArticleRows) -> None:
        """Show new rows (same filter), keeping the highlighted article highlighted."""
        keep = self.highlighted
        self.rows, self._hay = rows, None
        longest = max(map(len, rows.external_ids), default=0)
        self.id_width = max(len(HEADERS[0]), min(ID_WIDTH, longest))
        self._apply(self.filter_text, keep, narrow=False)

    def set_filter(self, query: str) -> None:
        """List only the articles whose id or title holds every word of ``query``."""
        narrow = bool(self.filter_text) and query.startswith(self.filter_text)
        self._apply(query, self.highlighted, narrow=narrow)

    def _apply(self, query: str, keep: int | None, *, narrow: bool) -> None:
        words = query.lower().split()
        if not words:
            self.shown = range(len(self.rows))
        else:
            if self._hay is None:
                self._hay = [
                    f"{e} {t}".lower()
                    for e, t in zip(self.rows.external_ids, self.rows.titles, strict=True)
                ]
            hay = self._hay
            pool = self.shown if narrow else range(len(self.rows))
            self.shown = [i for i in pool if matches(hay[i], words)]
        self.filter_text = query
        self.cursor = 0
        if keep is not None:
            row = self.rows.position(keep)
            if row is not None:
                at = bisect_left(self.shown, row)
                if at < len(self.shown) and self.shown[at] == row:
                    self.cursor = at
        self._cache.clear()
        self._update_size()
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    # -- cursor ----------------------------------------------------------------------------

    def move_cursor(self, index: int) -> None:
        """Put the cursor on listed line ``index`` (clamped) and scroll it into view."""
        if not self.shown:
            return
        index = max(0, min(index, len(self.shown) - 1))
        old, self.cursor = self.cursor, index
        if old != index:
            self._cache.pop(old, None)
            self._cache.pop(index, None)
            self.refresh_line(old + 1)
            self.refresh_line(index + 1)
            self._announce()
        self._scroll_to_cursor()

    def _announce(self) -> None:
        article_id = self.highlighted
        if article_id is not None:
            self.post_message(self.Highlighted(article_id))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        """Scroll as little as needed to show the cursor line below the header."""
        page = self._page()
        top = min(round(self.scroll_y), max(0, len(self.shown) - page))
        if self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + page:
            top = self.cursor - page + 1
        if top != round(self.scroll_y):
            self.scroll_to(y=top, animate=False, force=True)

    def action_move(self, step: int) -> None:
        """Move the cursor ``step`` lines."""
        self.move_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        """Move the cursor (and the view) a page."""
        page = self._page()
        self.scroll_to(y=self.scroll_y + direction * page, animate=False, force=True)
        self.move_cursor(self.cursor + direction * page)

    def action_jump(self, index: int) -> None:
        """Move the cursor to the first (0) or the last (-1) line."""
        self.move_cursor(index if index >= 0 else len(self.shown) - 1)

    def action_select(self) -> None:
        """Open the highlighted article."""
        article_id = self.highlighted
        if article_id is not None:
            self.post_message(self.Selected(article_id))

    def on_click(self, event: events.Click) -> None:
        """A click highlights a line; a click on the highlighted line opens it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = round(self.scroll_y) + offset.y - 1
        if index >= len(self.shown):
            return
        if index == self.cursor:
            self.action_select()
        else:
            self.move_cursor(index)

    # -- layout and rendering --------------------------------------------------------------

    def title_width(self) -> int:
        """The title column fills what the other columns leave."""
        fixed = self.id_width + UNITS_WIDTH + PROGRESS_WIDTH + DUP_WIDTH + PADDING
        return max(MIN_TITLE, self.scrollable_content_region.width - fixed)

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width
        self.virtual_size = Size(width, len(self.shown) + 1)

    def on_resize(self, event: events.Resize) -> None:
        """Fit the title column to the new width and keep the cursor in view."""
        self._cache.clear()
        self._update_size()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        """Drop cached styles and lines when the theme, the CSS or the focus changes."""
        super().notify_style_update()
        self._styles = None
        self._cache.clear()

    def _style(self, name: str) -> Style:
        if self._styles is None:
            self._styles = {
                n: self.get_component_rich_style(f"article-list--{n}")
                for n in ("header", "cursor", "even")
            }
            for n in TEXT_ONLY:  # colours and weight only, laid over a row's background
                full = self.get_component_rich_style(f"article-list--{n}")
                self._styles[n] = Style(color=full.color, bold=full.bold, italic=full.italic)
            self._styles["base"] = self.rich_style
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        """The header on line 0; listed line ``y - 1 + scroll_y`` below it."""
        width = self.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self._cache.clear()
        if y == 0:
            return self._line(HEADERS, self._style("header"), None, None, width)
        index = y - 1 + round(self.scroll_y)
        strip = self._cache.get(index)
        if strip is None:
            strip = self._render_row(index, width)
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[index] = strip
        return strip

    def _render_row(self, index: int, width: int) -> Strip:
        base = self._style("base")
        if index >= len(self.shown):
            return Strip.blank(width, base)
        row = self.shown[index]
        rows = self.rows
        style = base
        if index == self.cursor:
            style += self._style("cursor")
        elif index % 2 == 0:
            style += self._style("even")
        labeled, total = rows.labeled[row], rows.totals[row]
        done = total > 0 and labeled == total
        progress = f"{labeled}/{total}" + (" ✓" if done else "")
        extra = self._style("done") if done else self._style("partial") if labeled else None
        duplicate = rows.duplicates.get(row)
        cells = (
            rows.external_ids[row],
            rows.titles[row],
            str(rows.n_units[row]),
            progress,
            f"≈ dup of {fit(duplicate, 9)}" if duplicate else "",
        )
        return self._line(cells, style, extra, DIM, width)

    def _line(
        self,
        cells: Sequence[str],
        style: Style,
        progress: Style | None,
        duplicate: Style | None,
        width: int,
    ) -> Strip:
        """One line of five padded cells in ``style``, with ``progress`` and ``duplicate``
        laid over those two cells."""
        widths = (self.id_width, self.title_width(), UNITS_WIDTH, PROGRESS_WIDTH, DUP_WIDTH)
        text = [f" {fit(cell, w)} " for cell, w in zip(cells, widths, strict=True)]
        head = "".join(text[:3])
        segments = [
            Segment(head, style),
            Segment(text[3], style + progress if progress else style),
            Segment(text[4], style + duplicate if duplicate else style),
        ]
        used = sum(widths) + PADDING
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        strip = Strip(segments)
        return strip.crop(0, width) if used > width else strip
