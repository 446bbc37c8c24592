"""The adjudication app: the lead walks a session's disagreements and sets gold labels by key."""

from __future__ import annotations

from collections.abc import Mapping

from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.tui.base import SavingApp
from annotator.tui.screens.adjudicate import AdjudicateScreen


class AdjudicatorApp(SavingApp):
    """Set the gold labels of a session, one key per decision."""

    TITLE = "annotator adjudicate"

    def __init__(
        self,
        service: Service,
        scheme: Scheme,
        session: str,
        lead: str,
        *,
        all_units: bool = False,
        hide_names: bool = False,
        auto_advance: bool = True,
        keymap: Mapping[str, str] | None = None,
        retry_delay: float = 0.25,
    ) -> None:
        """Adjudicate ``session`` (under its ``scheme``) as ``lead``; ``all_units`` reviews
        every labelled unit, not only disagreements; ``hide_names`` shows "annotator 1..n"."""
        super().__init__(service, keymap=keymap, retry_delay=retry_delay)
        self.scheme, self.key_map = scheme, scheme.key_map()
        self.session, self.lead = session, lead
        self.all_units, self.hide_names, self.auto_advance = all_units, hide_names, auto_advance

    @property
    def ctx(self) -> Context:
        """The lead, the session's scheme and the session."""
        return Context(self.lead, self.scheme, self.session)

    def on_mount(self) -> None:
        """Apply the keymap and show the queue."""
        self.apply_keymap()
        self.push_screen(AdjudicateScreen())
