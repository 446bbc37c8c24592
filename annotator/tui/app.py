"""The Textual app: screens, the ordered save queue, the keymap.

Start-up asks for a name unless one was given, then opens the requested article, else the one
this annotator last worked on (the list is one ``q`` away), else the list. Quitting waits for
unsaved changes; quitting again while the database refuses them quits and says what was lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from annotator.domain import ArticleInfo
from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.tui.commands import AnnotatorCommands
from annotator.tui.keymap import load_keymap
from annotator.tui.saver import Saver
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.articles import ArticlesScreen
from annotator.tui.screens.name import NameScreen


class AnnotatorApp(App[int]):
    """Label claims in news articles, sentence by sentence."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "annotator"
    COMMANDS = App.COMMANDS | {AnnotatorCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        service: Service,
        scheme: Scheme,
        annotator: str | None = None,
        article: str | None = None,
        *,
        auto_advance: bool = True,
        keymap: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_delay: float = 0.25,
    ) -> None:
        """``keymap`` None reads the keymap file; ``clock`` times the work on an article."""
        super().__init__()
        self.service, self.scheme, self.key_map = service, scheme, scheme.key_map()
        self.annotator, self.start_article = annotator, article
        self.auto_advance, self.include_all, self.clock = auto_advance, False, clock
        self.keymap_arg, self.quitting = keymap, False
        self.saver = Saver(self, service, base_delay=retry_delay)
        self.articles: list[ArticleInfo] = []

    @property
    def ctx(self) -> Context:
        """Who is annotating under which scheme."""
        return Context(self.annotator or "", self.scheme)

    def on_mount(self) -> None:
        """Apply the keymap, then ask for a name or start."""
        keymap, problem = load_keymap() if self.keymap_arg is None else (self.keymap_arg, None)
        self.set_keymap(dict(keymap))
        if problem:
            self.notify(problem, severity="error", timeout=8)
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

    def _begin(self, article: int | str | None) -> None:
        self.start_article = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ArticlesScreen())
        if article is not None:
            self.push_screen(AnnotateScreen(article))

    async def action_quit(self) -> None:
        """Quit once every change is saved; asked again while saves fail, quit anyway."""
        pending, failing = self.saver.pending, self.saver.failing
        if not pending:
            self.exit(0)
        elif self.quitting and failing:
            lost = f"annotator: {pending} change(s) were NOT saved: {failing}"
            self.exit(1, return_code=1, message=lost)
        else:
            self.quitting = True
            more = f" (NOT SAVED yet: {failing}; quit again to give up)" if failing else ""
            self.notify(f"Saving {pending} change(s) before quitting…{more}", timeout=10)

    def on_saver_drained(self, message: Saver.Drained) -> None:
        """Finish a quit that was waiting for saves."""
        if self.quitting and not self.saver.pending:
            self.exit(0)

    def on_saver_failed(self, message: Saver.Failed) -> None:
        """A change queued by a screen that is gone failed: say so."""
        if message.permanent or message.attempt == 1:
            self.notify(f"NOT SAVED ({message.job.describe}): {message.error}", severity="error")

    def on_unmount(self) -> None:
        """Stop the writer thread."""
        self.saver.stop()
