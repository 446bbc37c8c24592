"""The status line: who is annotating, progress on this article and overall, time spent.

A one-line Line-API widget: the line is built from cached styles as plain segments, so the
per-key update costs a few microseconds. It reads the clock it is given (so tests can freeze
it) and refreshes itself once a second for the time on the article.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from annotator.domain import Progress


def clock_text(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour) for a duration."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class StatusLine(Widget):
    """``alice │ 12 of 24 labeled in this article │ 40 of 107 overall │ 03:12 on this article``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status-line--strong",
        "status-line--dim",
        "status-line--done",
    }

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, id: str | None = None
    ) -> None:
        """``clock`` gives seconds (monotonic); the time on the article is measured with it."""
        super().__init__(id=id)
        self.clock = clock
        self.annotator = ""
        self.article = Progress(0, 0)
        self.overall = Progress(0, 0)
        self.started = clock()
        self.extra = ""
        self._styles: dict[str, Style] | None = None

    def on_mount(self) -> None:
        """Tick once a second for the time on this article."""
        self.set_interval(1.0, self.refresh)

    def update_status(
        self,
        *,
        annotator: str | None = None,
        article: Progress | None = None,
        overall: Progress | None = None,
        extra: str | None = None,
    ) -> None:
        """Change any of the shown values (and redraw only if something changed)."""
        before = (self.annotator, self.article, self.overall, self.extra)
        if annotator is not None:
            self.annotator = annotator
        if article is not None:
            self.article = article
        if overall is not None:
            self.overall = overall
        if extra is not None:
            self.extra = extra
        if before != (self.annotator, self.article, self.overall, self.extra):
            self.refresh()

    def restart_clock(self) -> None:
        """Start timing a newly opened article."""
        self.started = self.clock()
        self.refresh()

    def notify_style_update(self) -> None:
        """Drop cached styles when the theme changes."""
        super().notify_style_update()
        self._styles = None

    def _style(self, name: str) -> Style:
        if self._styles is None:
            base = self.rich_style
            self._styles = {
                n: base + self.get_component_rich_style(f"status-line--{n}")
                for n in ("strong", "dim", "done")
            }
            self._styles["base"] = base
        return self._styles[name]

    def text(self) -> str:
        """The line as plain text."""
        return "".join(segment.text for segment in self._segments())

    def _segments(self) -> list[Segment]:
        strong, dim = self._style("strong"), self._style("dim")
        art, ovr = self.article, self.overall
        art_style = self._style("done") if art.total and art.labeled == art.total else strong
        parts = [
            Segment(f" {self.annotator} ", strong),
            Segment(" │ ", dim),
            Segment(f"{art.labeled} of {art.total}", art_style),
            Segment(" labeled in this article", dim),
            Segment(" │ ", dim),
            Segment(f"{ovr.labeled} of {ovr.total}", strong),
            Segment(" overall", dim),
            Segment(" │ ", dim),
            Segment(clock_text(self.clock() - self.started), strong),
            Segment(" on this article", dim),
        ]
        if self.extra:
            parts += [Segment(" │ ", dim), Segment(self.extra, strong)]
        return parts

    def render_line(self, y: int) -> Strip:
        """The single line, cut or padded to the width."""
        width = self.size.width
        if y:
            return Strip.blank(width, self._style("base"))
        return Strip(self._segments()).adjust_cell_length(width, self._style("base"))
