"""What every annotator app shares: the stylesheet, the keymap file and the ordered save queue.

Quitting waits for unsaved changes; quitting again while the database refuses them quits and
says what was lost. Both the annotation app and the adjudication app build on this.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from annotator.service import Service
from annotator.tui.keymap import load_keymap
from annotator.tui.saver import Saver


class SavingApp(App[int]):
    """An app whose changes go through one :class:`Saver` and are waited for on quit."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "annotator"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        service: Service,
        *,
        keymap: Mapping[str, str] | None = None,
        retry_delay: float = 0.25,
    ) -> None:
        """``keymap`` None reads the keymap file; ``retry_delay`` is the first retry's wait."""
        super().__init__()
        self.service = service
        self.keymap_arg, self.quitting = keymap, False
        self.saver = Saver(self, service, base_delay=retry_delay)

    def apply_keymap(self) -> None:
        """Rebind keys from the keymap file (or the mapping given), saying if it is broken."""
        keymap, problem = load_keymap() if self.keymap_arg is None else (self.keymap_arg, None)
        self.set_keymap(dict(keymap))
        if problem:
            self.notify(problem, severity="error", timeout=8)

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
