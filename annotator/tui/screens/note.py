"""A small modal to write, change or clear the note on the current unit."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class NoteScreen(ModalScreen[str | None]):
    """Returns the new note (``""`` clears it) on enter, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    def __init__(self, note: str | None, where: str, text: str) -> None:
        """``where`` names the unit (``unit 4 of 31 (sentence)``); ``text`` is its text."""
        super().__init__()
        self.note = note or ""
        self.where = where
        self.excerpt = text if len(text) <= 200 else text[:199] + "…"

    def compose(self) -> ComposeResult:
        """Title, the unit's first words, the input and the keys."""
        with Vertical(id="note-box"):
            yield Static(f"Note on {self.where}", id="note-title")
            yield Static(self.excerpt, id="note-excerpt", markup=False)
            yield Input(value=self.note, placeholder="why, doubts, questions…", id="note-input")
            yield Static("enter saves · escape cancels · an empty note removes it", id="note-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Save."""
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Leave the note as it was."""
        self.dismiss(None)
