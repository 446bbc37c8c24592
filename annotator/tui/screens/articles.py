"""The article list: every article with this annotator's progress; enter opens one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import ColumnKey

from annotator.domain import ArticleInfo, Progress
from annotator.tui.commands import open_article

if TYPE_CHECKING:
    from annotator.tui.app import AnnotatorApp

ID_WIDTH, UNITS_WIDTH, PROGRESS_WIDTH, DUP_WIDTH = 20, 5, 7, 18
FIXED = ID_WIDTH + UNITS_WIDTH + PROGRESS_WIDTH + DUP_WIDTH + 2 * 5 + 2
"""Cells taken by every column but the title (each column has one cell of padding a side,
plus the scrollbar)."""


def short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def matches(info: ArticleInfo, query: str) -> bool:
    """True when every word of ``query`` occurs in the article's id or title."""
    hay = f"{info.external_id} {info.title}".lower()
    return all(word in hay for word in query.lower().split())


class ArticlesScreen(Screen[None]):
    """A table of articles; ``/`` filters it by title or id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="articles.open"),
        Binding("slash", "filter", "Filter", id="articles.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="articles.clear"),
        Binding("q", "app.quit", "Quit", id="articles.quit"),
    ]

    def __init__(self) -> None:
        """Rows arrive from a worker after mount."""
        super().__init__()
        self.rows: list[tuple[ArticleInfo, Progress]] = []
        self.selected: int | None = None

    @property
    def annotator_app(self) -> AnnotatorApp:
        """The app, typed."""
        return cast("AnnotatorApp", self.app)

    def compose(self) -> ComposeResult:
        """Header, the (hidden) filter, the table, a hint, the footer."""
        yield Static(" Loading articles…", id="articles-title")
        yield Input(placeholder="filter by title or id (enter: back to the list)", id="filter")
        table: DataTable[str | Text] = DataTable(
            id="articles", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="articles-empty")
        yield Footer()

    def on_mount(self) -> None:
        """Focus the table; rows come with :meth:`load`."""
        self.query_one(DataTable).focus()

    def title_width(self) -> int:
        """The title column fills what the other columns leave of the screen."""
        return max(16, self.size.width - FIXED)

    def _columns(self, table: DataTable[str | Text]) -> None:
        """(Re)create the columns with fixed widths, so they never jump while rows load."""
        width = self.title_width()
        if table.columns and table.columns[ColumnKey("title")].width == width:
            return
        table.clear(columns=True)
        table.add_column("article", width=ID_WIDTH, key="id")
        table.add_column("title", width=width, key="title")
        table.add_column("units", width=UNITS_WIDTH, key="units")
        table.add_column("labeled", width=PROGRESS_WIDTH, key="progress")
        table.add_column("duplicate", width=DUP_WIDTH, key="dup")

    def on_resize(self) -> None:
        """Fit the title column to the new width."""
        if self.rows:
            self.refill()

    def on_screen_resume(self) -> None:
        """Reload whenever the list comes (back) into view: progress may have changed."""
        self.load()

    @work(thread=True, exclusive=True, group="articles")
    def load(self) -> None:
        """Read the articles and this annotator's progress (worker thread)."""
        app = self.annotator_app
        try:
            rows = app.service.articles(app.ctx)
            # In a session, overall progress is over the assigned articles only.
            ids = [info.id for info, _ in rows] if app.session else None
            overall = app.service.progress(app.ctx, ids)
        except Exception as exc:
            app.call_from_thread(app.notify, f"cannot read articles: {exc}", severity="error")
            return
        app.call_from_thread(self.show_rows, rows, overall)

    def show_rows(self, rows: list[tuple[ArticleInfo, Progress]], overall: Progress) -> None:
        """Fill the table (keeping the selected article selected)."""
        app = self.annotator_app
        self.rows = rows
        app.articles = [info for info, _ in rows]
        n = len(rows)
        self.query_one("#articles-title", Static).update(
            f" {app.who} · {n} article{'s' * (n != 1)} · "
            f"{overall.labeled} of {overall.total} sentences labeled · enter opens one"
        )
        self.query_one("#articles-empty", Static).update("" if rows else self.empty_text())
        self.refill()

    def empty_text(self) -> str:
        """What to say when the list is empty (in a session: nothing is assigned)."""
        app = self.annotator_app
        if app.session:
            return (
                f" No articles assigned to {app.annotator} in session {app.session}. "
                f"`annotator session status {app.session}` shows who has what; "
                f"`annotator session add-annotator {app.session} {app.annotator}` adds you."
            )
        return " No articles yet. Import some first:  annotator import --db <your db> seeds/"

    def refill(self) -> None:
        """Show the rows that match the filter."""
        table = self.query_one(DataTable)
        query = self.query_one("#filter", Input).value
        keep = self.selected
        if table.row_count and keep is None:
            keep = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or 0)
        self._columns(table)
        table.clear()
        width = self.title_width()
        for info, prog in self.rows:
            if query and not matches(info, query):
                continue
            done = prog.total > 0 and prog.labeled == prog.total
            label = f"{prog.labeled}/{prog.total}" + (" ✓" if done else "")
            style = "bold green" if done else ("yellow" if prog.labeled else "")
            dup = f"≈ dup of {short(info.duplicate_of, 9)}" if info.duplicate_of else ""
            table.add_row(
                info.external_id,
                short(info.title, width),
                str(info.n_units),
                Text(label, style=style),
                Text(dup, style="dim"),
                key=str(info.id),
            )
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)), animate=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the user types."""
        self.refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Back to the filtered list."""
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Remember the highlighted article across reloads."""
        if event.row_key.value is not None:
            self.selected = int(event.row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Open the chosen article."""
        if event.row_key.value is not None:
            open_article(self.annotator_app, int(event.row_key.value))

    def action_open(self) -> None:
        """Open the highlighted article."""
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key is not None:
                open_article(self.annotator_app, int(key))

    def action_filter(self) -> None:
        """Show and focus the filter."""
        box = self.query_one("#filter", Input)
        box.add_class("shown")
        box.focus()

    def action_clear_filter(self) -> None:
        """Clear and hide the filter."""
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("shown")
        self.query_one(DataTable).focus()
