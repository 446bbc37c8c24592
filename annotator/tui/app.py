"""The Textual app: screens, the ordered save queue, the keymap.

Start-up asks for a name unless one was given, then opens the requested article, else the one
this annotator last worked on (the list is one ``q`` away), else the list. Quitting waits for
unsaved changes; quitting again while the database refuses them quits and says what was lost.
In a session (``session`` set) the list holds only the articles assigned to the annotator.
Started by ``annotator annotate --as NAME``, the app is handed an :class:`EarlyStart` whose
thread has been making the start-up reads meanwhile; its workers wait for those results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App

from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.store.listing import ArticleRows
from annotator.tui.base import SavingApp
from annotator.tui.commands import AnnotatorCommands
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.articles import ArticlesScreen
from annotator.tui.screens.name import NameScreen

if TYPE_CHECKING:
    from annotator.tui.early import EarlyStart


class AnnotatorApp(SavingApp):
    """Label claims in news articles, sentence by sentence."""

    COMMANDS = App.COMMANDS | {AnnotatorCommands}

    def __init__(
        self,
        service: Service,
        scheme: Scheme,
        annotator: str | None = None,
        article: str | None = None,
        *,
        session: str = "",
        blind: bool = False,
        auto_advance: bool = True,
        keymap: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_delay: float = 0.25,
        early: EarlyStart | None = None,
    ) -> None:
        """``session`` names the annotation session to work in ("" = outside sessions);
        ``keymap`` None reads the keymap file; ``clock`` times the work on an article;
        ``early``: the start-up reads already under way for ``annotator`` and ``article``."""
        super().__init__(service, keymap=keymap, retry_delay=retry_delay)
        self.scheme, self.key_map = scheme, scheme.key_map()
        self.annotator, self.start_article = annotator, article
        self.session, self.blind = session, blind
        self.auto_advance, self.include_all, self.clock = auto_advance, False, clock
        self.articles = ArticleRows()
        """The listed articles (in a session: the assigned ones), as the list last read them."""
        self.early, self.early_listed = early, False
        """The start-up reads made for the app; whether the list has taken their list."""

    @property
    def ctx(self) -> Context:
        """Who is annotating under which scheme, in which session."""
        return Context(self.annotator or "", self.scheme, self.session)

    @property
    def who(self) -> str:
        """The annotator, and the session when there is one: ``alice · session s1 · blind``."""
        name = self.annotator or ""
        if not self.session:
            return name
        return f"{name} · session {self.session}" + (" · blind" if self.blind else "")

    def on_mount(self) -> None:
        """Apply the keymap, then ask for a name or start."""
        self.apply_keymap()
        if self.annotator:
            self.start(self.annotator)
        else:
            self.push_screen(NameScreen())

    @work(thread=True, exclusive=True, group="start")
    def start(self, name: str) -> None:
        """Register ``name`` and decide where to begin (worker thread)."""
        self.annotator = name
        early = self.early
        try:
            if early is not None and (early.ctx, early.article) == (self.ctx, self.start_article):
                where = early.where()
            else:
                self.service.register(name)
                last = None if self.start_article else self.service.last_article(self.ctx)
                where = self.start_article or last
        except Exception as exc:
            self.call_from_thread(self.notify, f"cannot start: {exc}", severity="error")
            return
        self.call_from_thread(self._begin, where)

    def early_articles(self, *, for_list: bool = False) -> ArticleRows | None:
        """The article list read at start for this annotator; None when there is none or it
        has been let go (call it in a worker thread: it waits for the read).

        ``for_list``: the list's first load, the only one that shows it (later loads read
        afresh), and the one that reports its error: raises what the read raised. For
        anyone else a failed read is None.
        """
        early = self.early
        if early is None or early.ctx != self.ctx or (for_list and self.early_listed):
            return None
        if for_list:
            self.early_listed = True
            return early.articles()
        try:
            return early.articles()
        except Exception:
            return None

    def drop_early(self) -> None:
        """Forget the start-up reads: the list has shown its rows, or the annotator changed."""
        early, self.early = self.early, None
        if early is not None:
            early.forget()

    @on(events.DeliveryComplete)
    def _delivered(self, event: events.DeliveryComplete) -> None:
        if event.name == "export":
            where = f"Saved {event.path}" if event.path else "Sent to your browser as a download"
            self.notify(
                f"{where} (allow pop-ups for this page if nothing appears)"
                if not event.path
                else where
            )

    @on(events.DeliveryFailed)
    def _delivery_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "export":
            self.notify(f"export failed: {event.exception}", severity="error")

    def _begin(self, article: int | str | None) -> None:
        self.start_article = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ArticlesScreen())
        if article is not None:
            self.push_screen(AnnotateScreen(article))
