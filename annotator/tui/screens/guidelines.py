"""The written guidelines of the scheme, opened at the group the annotator is working on."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Markdown, MarkdownViewer, Static


class GuideViewer(MarkdownViewer):
    """A Markdown viewer that scrolls to ``anchor`` once the document has been parsed.

    :class:`MarkdownViewer` stops :class:`Markdown.TableOfContentsUpdated` from bubbling, so
    the jump is made here, where the message arrives, through :meth:`MarkdownViewer.go`.
    """

    def __init__(self, markdown: str, anchor: str | None, *, id: str | None = None) -> None:
        """``anchor``: the heading to show first (a slug such as ``claim_type``)."""
        super().__init__(markdown, show_table_of_contents=False, id=id)
        self.start_anchor = anchor

    def on_markdown_table_of_contents_updated(self, event: Markdown.TableOfContentsUpdated) -> None:
        """Jump to the anchor the first time its heading exists."""
        titles = [title.strip() for _, title, _ in event.table_of_contents]
        if self.start_anchor is not None and self.start_anchor in titles:
            self.call_after_refresh(self.go, f"#{self.start_anchor}")
            self.start_anchor = None


class GuidelinesScreen(Screen[None]):
    """Renders ``scheme.guidelines_text`` scrolled to the ``## <group>`` heading.

    A heading's anchor is its GitHub-style slug; group names are lower-case identifiers, so a
    group's anchor is its name (``#claim_type``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Back", id="guidelines.close"),
        Binding("t", "toggle_contents", "Contents", id="guidelines.contents"),
    ]

    def __init__(self, markdown: str, group: str | None, title: str) -> None:
        """``group``: the heading to open at (None: the top)."""
        super().__init__()
        self.markdown = markdown or "_This scheme has no written guidelines._"
        self.group = group
        self.title_text = title

    def compose(self) -> ComposeResult:
        """A title line, the document and the footer."""
        where = f" · opened at ## {self.group}" if self.group else ""
        yield Static(f" Guidelines — {self.title_text}{where}", id="guide-title", markup=False)
        yield GuideViewer(self.markdown, self.group, id="guide")
        yield Footer()

    def on_mount(self) -> None:
        """Focus the document so the arrow keys scroll it."""
        self.query_one(MarkdownViewer).focus()

    def action_close(self) -> None:
        """Back to the article."""
        self.dismiss(None)

    def action_toggle_contents(self) -> None:
        """Show or hide the table of contents."""
        viewer = self.query_one(MarkdownViewer)
        viewer.show_table_of_contents = not viewer.show_table_of_contents
