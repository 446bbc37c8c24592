"""App-wide commands and their command palette (ctrl+p) entries: open any article, next
unlabeled, switch annotator, toggle auto-advance."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from annotator.domain import ArticleInfo, Progress

if TYPE_CHECKING:
    from annotator.tui.app import AnnotatorApp


def open_article(app: AnnotatorApp, ref: int | str, unit_id: int | None = None) -> None:
    """Show an article (in the open annotation screen if there is one)."""
    from annotator.tui.screens.annotate import AnnotateScreen
    from annotator.tui.screens.articles import ArticlesScreen

    if isinstance(app.screen, AnnotateScreen):
        app.screen.open(ref, unit_id)
    elif any(isinstance(s, ArticlesScreen) for s in app.screen_stack):
        app.push_screen(AnnotateScreen(ref, unit_id))


def next_unlabeled(app: AnnotatorApp) -> None:
    """Jump to the next unlabeled unit of the open article."""
    from annotator.tui.screens.annotate import AnnotateScreen

    if isinstance(app.screen, AnnotateScreen):
        app.screen.action_go("unlabeled")
    else:
        app.notify("Open an article first.")


def switch_annotator(app: AnnotatorApp) -> None:
    """Back to the name screen (unsaved changes keep being saved under the old name)."""
    from annotator.tui.screens.name import NameScreen

    while len(app.screen_stack) > 1:
        app.pop_screen()
    app.annotator = None
    app.drop_early()
    app.push_screen(NameScreen())


def toggle_auto_advance(app: AnnotatorApp) -> None:
    """Turn moving on after a complete label on or off."""
    app.auto_advance = not app.auto_advance
    app.notify(f"Auto-advance {'on' if app.auto_advance else 'off'}.")


class AnnotatorCommands(Provider):
    """One entry per article plus the app's own commands."""

    rows: Sequence[tuple[ArticleInfo, Progress]]

    @property
    def annotator_app(self) -> AnnotatorApp:
        """The app, typed."""
        return cast("AnnotatorApp", self.app)

    async def startup(self) -> None:
        """Read the articles in a thread (never on the UI thread)."""
        app = self.annotator_app
        self.rows = []
        if app.annotator:
            try:
                self.rows = await asyncio.to_thread(app.service.articles, app.ctx)
            except Exception as exc:
                app.notify(f"cannot read articles: {exc}", severity="error")

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.annotator_app
        out: list[tuple[str, Callable[[], object], str]] = []
        if app.annotator:
            out.append(("Next unlabeled sentence", partial(next_unlabeled, app), "key N"))
        out.append(("Switch annotator", partial(switch_annotator, app), "back to the name screen"))
        out.append(("Toggle auto-advance", partial(toggle_auto_advance, app), "after a label"))
        if app.annotator:
            from annotator.tui.exporting import export_my_labels, export_report

            out.append(
                (
                    "Export my labels (JSONL)",
                    partial(export_my_labels, app),
                    "a download in a browser, exports/ in a terminal",
                )
            )
            if not app.blind:
                out.append(
                    (
                        "Agreement report (HTML)",
                        partial(export_report, app),
                        "a download in a browser, exports/ in a terminal",
                    )
                )
        for info, prog in self.rows:
            text = f"Open {info.external_id}: {info.title}"
            help_text = f"{prog.labeled}/{prog.total} labeled"
            out.append((text, partial(open_article, app, info.id), help_text))
        return out

    async def discover(self) -> Hits:
        """Everything, when nothing is typed yet."""
        for text, command, help_text in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        """Fuzzy match on the command text."""
        matcher = self.matcher(query)
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
