"""The article list: every article with this annotator's progress; enter opens one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from annotator.domain import Progress
from annotator.store.listing import ArticleRows
from annotator.tui.commands import open_article
from annotator.tui.widgets.article_list import ArticleList

if TYPE_CHECKING:
    from annotator.tui.app import AnnotatorApp


def short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class ArticlesScreen(Screen[None]):
    """A list of articles; ``/`` filters it by title or id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="articles.open"),
        Binding("slash", "filter", "Filter", id="articles.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="articles.clear"),
        Binding("q", "app.quit", "Quit", id="articles.quit"),
    ]

    def __init__(self) -> None:
        """Rows arrive from a worker after mount."""
        super().__init__()
        self.rows = ArticleRows()

    @property
    def annotator_app(self) -> AnnotatorApp:
        """The app, typed."""
        return cast("AnnotatorApp", self.app)

    @property
    def article_list(self) -> ArticleList:
        """The list widget."""
        return self.query_one(ArticleList)

    def compose(self) -> ComposeResult:
        """Header, the (hidden) filter, the list, a hint, the footer."""
        yield Static(" Loading articles…", id="articles-title")
        yield Input(placeholder="filter by title or id (enter: back to the list)", id="filter")
        yield ArticleList(id="articles")
        empty = Static("", id="articles-empty")
        empty.display = False
        yield empty
        yield Footer()

    def on_mount(self) -> None:
        """Focus the list; rows come with :meth:`load`."""
        self.article_list.focus()

    def on_screen_resume(self) -> None:
        """Reload whenever the list comes (back) into view: progress may have changed."""
        self.load()

    @work(thread=True, exclusive=True, group="articles")
    def load(self) -> None:
        """Read the articles and this annotator's progress (worker thread)."""
        app = self.annotator_app
        try:
            rows = app.early_articles(for_list=True)  # the first load: read at start-up
            if rows is None:
                rows = app.service.articles(app.ctx)
        except Exception as exc:
            app.call_from_thread(app.notify, f"cannot read articles: {exc}", severity="error")
            return
        # Overall progress is over the listed articles (in a session: the assigned ones).
        app.call_from_thread(self.show_rows, rows, rows.overall())

    def show_rows(self, rows: ArticleRows, overall: Progress) -> None:
        """Fill the list (keeping the highlighted article highlighted)."""
        app = self.annotator_app
        self.rows = rows
        app.articles = rows
        app.drop_early()
        n = len(rows)
        self.query_one("#articles-title", Static).update(
            f" {app.who} · {n} article{'s' * (n != 1)} · "
            f"{overall.labeled} of {overall.total} sentences labeled · enter opens one"
        )
        empty = self.query_one("#articles-empty", Static)
        empty.update("" if n else self.empty_text())
        empty.display = not n
        self.article_list.set_rows(rows)

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

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the user types."""
        self.article_list.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Back to the filtered list."""
        self.article_list.focus()

    def on_article_list_selected(self, event: ArticleList.Selected) -> None:
        """Open the chosen article."""
        open_article(self.annotator_app, event.article_id)

    def action_open(self) -> None:
        """Open the highlighted article."""
        article_id = self.article_list.highlighted
        if article_id is not None:
            open_article(self.annotator_app, article_id)

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
        self.article_list.set_filter("")
        self.article_list.focus()
