"""What the annotation and adjudication screens share: keys label, the saver says what is saved.

A :class:`LabellingScreen` turns scheme keys (and clicks on the label bar) into :meth:`press`,
queues every change on the app's :class:`Saver` with itself as the target, and keeps the label
bar's save status ("saving…", "saved ✓", "NOT SAVED — …") in step with what the writer thread
reports. A change shows as saved only once :class:`Saver.Committed` says its commit returned;
a refused change is rolled back on screen and stays flagged until the next commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from textual import events
from textual.screen import Screen

from annotator.scheme import Scheme
from annotator.service import Service
from annotator.tui.saver import Job, Saver
from annotator.tui.widgets.label_bar import LabelBar


class LabellingApp(Protocol):
    """What a labelling screen needs of its app (both the annotator and adjudicator apps)."""

    scheme: Scheme
    key_map: dict[str, tuple[str, str]]
    saver: Saver


class LabellingScreen(Screen[None]):
    """A screen with a :class:`LabelBar` whose changes go through the app's :class:`Saver`.

    Subclasses implement :meth:`press` (apply a scheme key), :meth:`saved` (a change has
    committed), :meth:`reject` (a change was refused for good) and :meth:`redraw`.
    """

    def __init__(self) -> None:
        """Nothing refused yet."""
        super().__init__()
        self.rejected: str | None = None
        """Why the latest change was refused for good; cleared by the next commit."""

    @property
    def labelling_app(self) -> LabellingApp:
        """The app's scheme, key map and saver."""
        return cast(LabellingApp, self.app)

    # -- hooks -----------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """Apply scheme key ``key`` to the unit shown."""
        raise NotImplementedError

    def saved(self, job: Job, result: Any) -> None:
        """``job`` committed and its service call returned ``result``: show it as saved."""
        raise NotImplementedError

    def reject(self, unit_id: int) -> None:
        """A change to ``unit_id`` was refused for good: drop what was predicted for it."""
        raise NotImplementedError

    def redraw(self) -> None:
        """Redraw what is shown, the save status included."""
        raise NotImplementedError

    # -- saving ----------------------------------------------------------------------------

    def submit(
        self,
        describe: str,
        run: Callable[[Service], Any],
        unit_id: int | None = None,
        kind: str = "press",
    ) -> Job:
        """Queue one change on the app's writer; its outcome comes back to this screen."""
        job = Job(describe, run, target=self, unit_id=unit_id, kind=kind)
        return self.labelling_app.saver.submit(job)

    def show_save_state(self) -> None:
        """Put the writer's state (saving, saved, failing, refused) on the label bar."""
        saver = self.labelling_app.saver
        bar = self.query_one(LabelBar)
        bar.show_saving(saver.pending, saver.failing, saver.attempt, self.rejected)

    def on_saver_committed(self, message: Saver.Committed) -> None:
        """A change is in the database: show it as saved."""
        self.rejected = None
        self.saved(message.job, message.result)

    def on_saver_failed(self, message: Saver.Failed) -> None:
        """Say plainly that a change is NOT saved (and is being retried)."""
        job = message.job
        if message.permanent:
            self.rejected = message.error
            if job.unit_id is not None:
                self.reject(job.unit_id)
            self.notify(f"NOT SAVED ({job.describe}): {message.error}", severity="error")
        elif message.attempt == 1:
            self.notify(
                f"NOT SAVED — {message.error}. Retrying until it is saved; keep working.",
                severity="error",
                timeout=6,
            )
        self.redraw()

    # -- keys ------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Scheme keys label the unit shown (in the adjudication screen they win over ``1``-``9``
        if a scheme uses digits)."""
        if event.character and event.character in self.labelling_app.key_map:
            event.stop()
            event.prevent_default()
            self.press(event.character)

    def on_label_bar_key_clicked(self, message: LabelBar.KeyClicked) -> None:
        """A click on a choice is the same as its key."""
        self.press(message.key)

    def action_guidelines(self) -> None:
        """The written guidelines, at the label bar's focused group."""
        # Imported on first use: the Markdown viewer is slow to load and rarely needed.
        from annotator.tui.screens.guidelines import GuidelinesScreen

        scheme = self.labelling_app.scheme
        group = self.query_one(LabelBar).focus_group
        title = f"{scheme.name} v{scheme.version}"
        self.app.push_screen(GuidelinesScreen(scheme.guidelines_text, group, title))
