"""The Textual app: screens, the ordered save queue, the keymap.

Start-up asks for a name unless one was given, then opens the requested article, else the one
this annotator last worked on (the list is one ``q`` away), else the list. Quitting waits for
unsaved changes; quitting again while the database refuses them quits and says what was lost.
In a session (``session`` set) the list holds only the articles assigned to the annotator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

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
    ) -> None:
        """``session`` names the annotation session to work in ("" = outside sessions);
        ``keymap`` None reads the keymap file; ``clock`` times the work on an article."""
        super().__init__(service, keymap=keymap, retry_delay=retry_delay)
        self.scheme, self.key_map = scheme, scheme.key_map()
        self.annotator, self.start_article = annotator, article
        self.session, self.blind = session, blind
        self.auto_advance, self.include_all, self.clock = auto_advance, False, clock
        self.articles = ArticleRows()
        """The listed articles (in a session: the assigned ones), as the list last read them."""

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
        try:
            self.service.register(name)
            last = None if self.start_article else self.service.last_article(self.ctx)
        except Exception as exc:
            self.call_from_thread(self.notify, f"cannot start: {exc}", severity="error")
            return
        self.call_from_thread(self._begin, self.start_article or last)

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
