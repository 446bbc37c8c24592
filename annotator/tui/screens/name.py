"""The first screen when no name was given: who is annotating?"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from annotator.service import ServiceError, check_name

if TYPE_CHECKING:
    from annotator.tui.app import AnnotatorApp


class NameScreen(Screen[None]):
    """Asks for the annotator's name and checks it before anything else happens."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.quit", "Quit", id="name.quit"),
    ]

    def compose(self) -> ComposeResult:
        """A centred box with the question, the input and room for an error."""
        with Vertical(id="name-box"):
            yield Static("Who is annotating?", id="name-title")
            yield Static(
                "Your labels are kept under this name, apart from everyone else's.\n"
                "Letters, digits, '.', '_' and '-'; then press enter.",
                id="name-help",
            )
            yield Input(placeholder="your name, e.g. alice", id="name-input")
            yield Static("", id="name-error")
        yield Footer()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Clear the error as soon as the name is edited."""
        self.query_one("#name-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Check the name; show what is wrong inline, or start annotating."""
        name = event.value.strip()
        try:
            check_name(name)
        except ServiceError as exc:
            self.query_one("#name-error", Static).update(str(exc))
            return
        cast("AnnotatorApp", self.app).start(name)
