"""The label bar: every scheme group with its keys, the current unit's labels, the save state.

The first line(s) list each group and its choices as ``a attributed``; the choices the current
unit has are highlighted (dimmer and marked ``…`` while still being saved). The last line shows
the unit's note on the left and, on the right, whether every change is in the database:
``saved ✓``, ``saving…`` or a red ``NOT SAVED — <reason>; retrying (n)``. Clicking a choice
posts :class:`LabelBar.KeyClicked` (as if its key were pressed); clicking a group's name
focuses that group (the guidelines open at it).
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from annotator.scheme import Scheme

Atom = list[Segment]


class LabelBar(Widget):
    """Keys and labels of the scheme for the current unit, plus the save status."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "label-bar--group",
        "label-bar--focus",
        "label-bar--key",
        "label-bar--chosen",
        "label-bar--chosen-pending",
        "label-bar--saved",
        "label-bar--saving",
        "label-bar--error",
        "label-bar--note",
    }

    class KeyClicked(Message):
        """A choice was clicked: apply ``key`` to the current unit."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class GroupClicked(Message):
        """A group's name was clicked."""

        def __init__(self, group: str) -> None:
            super().__init__()
            self.group = group

    def __init__(self, scheme: Scheme, *, id: str | None = None) -> None:
        """Show the groups and keys of ``scheme``."""
        super().__init__(id=id)
        self.scheme = scheme
        self.labels: dict[str, object] = dict(scheme.empty_labels())
        self.pending = False
        self.note: str | None = None
        self.where = ""
        self.focus_group = scheme.groups[0].name
        self.status = ("saved", "saved ✓")
        self._lines: list[Strip] | None = None
        self._styles: dict[str, Style] = {}

    # -- state -----------------------------------------------------------------------------

    def show(
        self, labels: dict[str, object], *, pending: bool, note: str | None, where: str
    ) -> None:
        """Show the labels of the current unit; ``where`` names it (e.g. ``sentence 4/31``)."""
        self.labels, self.pending, self.note, self.where = labels, pending, note, where
        self._changed()

    def set_status(self, kind: str, text: str) -> None:
        """Set the save status: ``kind`` is ``saved``, ``saving`` or ``error``."""
        if self.status != (kind, text):
            self.status = (kind, text)
            self._changed()

    def show_saving(
        self, pending: int, failing: str | None, attempt: int, rejected: str | None
    ) -> None:
        """The save status from the writer's state: failing beats pending beats refused."""
        if failing:
            self.set_status("error", f"NOT SAVED — {failing}; retrying ({attempt})")
        elif pending:
            self.set_status("saving", "saving…" + (f" ({pending})" if pending > 1 else ""))
        elif rejected:
            self.set_status("error", f"NOT SAVED — {rejected}")
        else:
            self.set_status("saved", "saved ✓")

    def set_focus_group(self, group: str) -> None:
        """Mark ``group`` as the one the guidelines should open at."""
        if group != self.focus_group:
            self.focus_group = group
            self._changed()

    def _changed(self) -> None:
        self._lines = None
        self.refresh()

    def notify_style_update(self) -> None:
        """Re-render with the new styles."""
        super().notify_style_update()
        self._lines = None
        self._styles = {}

    # -- rendering -------------------------------------------------------------------------

    def _s(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"label-bar--{name}")
        return style

    def _fg(self, name: str) -> Style:
        """Only the colour and weight of a component style (so it keeps the chip's background)."""
        s = self._s(name)
        return Style(color=s.color, bold=s.bold, italic=s.italic, underline=s.underline)

    def _atoms(self) -> list[tuple[bool, Atom]]:
        """One atom per group header (flagged True) and per choice, in order."""
        base = self.rich_style
        atoms: list[tuple[bool, Atom]] = []
        for group in self.scheme.groups:
            value = self.labels.get(group.name)
            chosen: set[str] = set()
            if isinstance(value, str):
                chosen = {value}
            elif isinstance(value, list):
                chosen = {str(v) for v in value}
            head = self._s("focus" if group.name == self.focus_group else "group")
            meta = Style.from_meta({"group": group.name})
            atoms.append((True, [Segment(f" {group.name} ", base + head + meta)]))
            for choice in group.choices:
                on = choice.name in chosen
                style = (
                    base + self._s("chosen-pending" if self.pending else "chosen") if on else base
                )
                meta = Style.from_meta({"key": choice.key})
                atoms.append(
                    (
                        False,
                        [
                            Segment(" ", style + meta),
                            Segment(choice.key, style + self._fg("key") + meta),
                            Segment(f" {choice.name} ", style + meta),
                            Segment(" ", base),
                        ],
                    )
                )
        return atoms

    def _build(self, width: int) -> list[Strip]:
        base = self.rich_style
        rows: list[Atom] = [[]]
        used = 0
        for is_group, atom in self._atoms():
            size = sum(cell_len(s.text) for s in atom)
            if is_group and rows[-1]:
                atom = [Segment("  ", base), *atom]
                size += 2
            if used and used + size > width:
                rows.append([])
                used = 0
            rows[-1].extend(atom)
            used += size
        kind, text = self.status
        status = Segment(f" {text} ", base + self._s(kind))
        left = f" {self.where}"
        if self.note:
            left += f"  ✎ {self.note}"
        room = max(0, width - cell_len(status.text) - 1)
        if cell_len(left) > room:
            left = left[: max(0, room - 1)] + "…"
        note_style = base + self._s("note")
        last = [Segment(left, note_style), Segment(" " * (room - cell_len(left)), base), status]
        return [Strip(row).adjust_cell_length(width, base) for row in [*rows, last]]

    def _strips(self) -> list[Strip]:
        width = self.content_region.width or self.size.width
        if self._lines is None or (self._lines and self._lines[0].cell_length != width):
            self._lines = self._build(max(width, 1))
        return self._lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the groups need at this width, plus the status line."""
        return len(self._build(max(width, 1)))

    def render_line(self, y: int) -> Strip:
        """One line of the bar."""
        strips = self._strips()
        return strips[y] if y < len(strips) else Strip.blank(self.size.width, self.rich_style)

    # -- input -----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        """Apply the clicked choice's key, or focus the clicked group."""
        meta = event.style.meta
        if "key" in meta:
            self.post_message(self.KeyClicked(str(meta["key"])))
        elif "group" in meta:
            self.set_focus_group(str(meta["group"]))
            self.post_message(self.GroupClicked(str(meta["group"])))
