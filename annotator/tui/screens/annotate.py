"""The annotation screen: read the article, label the highlighted unit with one key, move on.

The screen owns an :class:`ArticleState` and three widgets (the Line-API article view, the
label bar, the status line). It never touches the database itself: loading runs in a thread
worker, every change goes through the app's :class:`Saver` (one ordered writer thread), and
what the commit returns is what finally shows as saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer, Static

from annotator.domain import ArticleView, ChangeResult, Progress
from annotator.service import Context, Service
from annotator.store.listing import ArticleRows
from annotator.tui.saver import Job
from annotator.tui.screens.labelling import LabellingScreen
from annotator.tui.screens.note import NoteScreen
from annotator.tui.state import ArticleState, marker_width
from annotator.tui.widgets.article_view import ArticleView as TextView
from annotator.tui.widgets.label_bar import LabelBar
from annotator.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from annotator.tui.app import AnnotatorApp

Located = tuple[ChangeResult, int | None]
PENDING_PAINT = 0.012
"""Seconds a label key waits for its commit before painting the change as pending."""
ALL_DONE = "Every sentence of this article is labeled. ] opens the next one."
SKIPPED = "This unit is skipped; press H to label headings and boilerplate too."


def _undo(ctx: Context, redo: bool, service: Service) -> Located | None:
    """Undo (or redo) in the writer thread and say which article the unit is in."""
    change = service.redo(ctx) if redo else service.undo(ctx)
    if change is None:
        return None
    return change, service.article_of_unit(change.state.unit_id)


class AnnotateScreen(LabellingScreen):
    """One article, one annotator: keys from the scheme label, navigation keys move."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "go('next')", "next", id="annotate.next"),
        Binding("k,up", "go('prev')", "prev", show=False, id="annotate.prev"),
        Binding("N", "go('unlabeled')", "unlabeled", id="annotate.next_unlabeled"),
        Binding("g,home", "go('first')", "first", show=False, id="annotate.first"),
        Binding("G,end", "go('last')", "last", show=False, id="annotate.last"),
        Binding(
            "left_square_bracket", "article(-1)", "prev", show=False, id="annotate.prev_article"
        ),
        Binding("right_square_bracket", "article(1)", "next article", id="annotate.next_article"),
        Binding("u", "history('undo')", "undo", id="annotate.undo"),
        Binding("ctrl+r", "history('redo')", "redo", show=False, id="annotate.redo"),
        Binding("c", "note", "note", id="annotate.note"),
        Binding("question_mark", "guidelines", "guide", id="annotate.guidelines"),
        Binding("H", "toggle_all", "headings", id="annotate.toggle_all"),
        Binding("q,escape", "back", "articles", id="annotate.back"),
    ]

    def __init__(self, ref: int | str, unit_id: int | None = None) -> None:
        """Open article ``ref`` (id or external id), at ``unit_id`` or where the annotator
        left off."""
        super().__init__()
        self.ref, self.unit_id = ref, unit_id
        self.state: ArticleState | None = None
        self.base = Progress(0, 0)
        self._dirty: set[int] = set()
        self._flush_timer: Timer | None = None

    @property
    def annotator_app(self) -> AnnotatorApp:
        """The app, typed."""
        return cast("AnnotatorApp", self.app)

    def compose(self) -> ComposeResult:
        """Title, text, label bar, status line, footer."""
        app = self.annotator_app
        yield Static(" Loading…", id="article-title", markup=False)
        yield TextView(marker_width(app.scheme), id="text")
        yield LabelBar(app.scheme, id="labels")
        yield StatusLine(app.clock, id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Load the article."""
        self.query_one(TextView).focus()
        self.query_one(StatusLine).update_status(annotator=self.annotator_app.who)
        self.open(self.ref, self.unit_id)

    # -- loading ---------------------------------------------------------------------------

    def open(self, ref: int | str, unit_id: int | None = None) -> None:
        """Show another article in this screen."""
        self.ref, self.unit_id = ref, unit_id
        self.load(ref, unit_id)

    @work(thread=True, exclusive=True, group="article")
    def load(self, ref: int | str, unit_id: int | None) -> None:
        """Read the article, this annotator's labels and overall progress (worker thread)."""
        app = self.annotator_app
        app.saver.wait_idle(timeout=2.0)  # so the counts include changes still being saved
        try:
            view = app.service.article(app.ctx, ref)
            articles = app.articles or app.early_articles() or app.service.articles(app.ctx)
            # In a session, overall progress is over the assigned articles only.
            ids = list(articles.ids) if app.session else None
            overall = app.service.progress(app.ctx, ids)
        except Exception as exc:
            app.call_from_thread(self.load_failed, str(exc))
            return
        app.call_from_thread(self.show_article, view, overall, articles, unit_id)

    def load_failed(self, message: str) -> None:
        """Say why the article cannot be shown and go back to the list."""
        self.notify(message, title="Cannot open article", severity="error")
        if self.state is None:
            self.dismiss(None)

    def show_article(
        self,
        view: ArticleView,
        overall: Progress,
        articles: ArticleRows,
        unit_id: int | None,
    ) -> None:
        """Put a loaded article on screen with the cursor where the annotator left off."""
        app = self.annotator_app
        app.articles = articles
        self.ref = view.article.id
        state = ArticleState(app.scheme, view, include_all=app.include_all)
        done = state.committed_progress()
        self.base = Progress(overall.labeled - done.labeled, overall.total - done.total)
        state.cursor = state.index_of.get(unit_id or -1, state.resume_index())
        self.state = state
        self._dirty.clear()
        info = view.article
        dup = f"  ·  ≈ dup of {info.duplicate_of}" if info.duplicate_of else ""
        position = articles.position(info.id) or 0
        self.query_one("#article-title", Static).update(
            f" {info.external_id}  ·  article {position + 1} of {len(articles)}{dup}  ·  "
            f"{' '.join(info.title.split())}"
        )
        self.query_one(TextView).load(view.text, state.units, state.marks(), state.cursor)
        self.query_one(StatusLine).restart_clock()
        self.refresh_unit()

    # -- showing state ---------------------------------------------------------------------

    def refresh_unit(self, index: int | None = None, *, defer: bool = False) -> None:
        """Redraw one unit's marker (default: the cursor's), the cursor and the bars.

        ``defer`` (used for a label key) waits up to :data:`PENDING_PAINT` seconds for the
        commit, so that the usual case paints once, already saved, instead of painting the
        pending state and then, a frame period later, the saved one. A slow commit still
        shows the change (marked pending) after that short wait.
        """
        state = self.state
        if state is None or not state.units:
            return
        self._dirty.add(state.cursor if index is None else index)
        if not defer:
            self.flush()
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(PENDING_PAINT, self.flush)

    def flush(self) -> None:
        """Draw every change made to the state since the last flush."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        state = self.state
        if state is None or not state.units:
            return
        view = self.query_one(TextView)
        if view.cursor != state.cursor:
            view.set_cursor(state.cursor)
        for i in self._dirty:
            view.set_mark(i, state.mark(state.units[i].id))
        self._dirty.clear()
        unit = state.units[state.cursor]
        where = f"{unit.role} · unit {state.cursor + 1} of {len(state.units)}"
        self.query_one(LabelBar).show(
            state.labels(unit.id),
            pending=state.inflight[unit.id] > 0,
            note=state.note(unit.id),
            where=where,
        )
        self.refresh_status()

    def refresh_status(self) -> None:
        """Progress and the save state."""
        state = self.state
        if state is None:
            return
        article = state.progress()
        overall = Progress(self.base.labeled + article.labeled, self.base.total + article.total)
        extra = "all units (H)" if state.include_all else ""
        self.query_one(StatusLine).update_status(article=article, overall=overall, extra=extra)
        self.show_save_state()

    def move(self, index: int | None) -> None:
        """Put the cursor on unit ``index`` (None: stay)."""
        state = self.state
        if state is None or index is None:
            return
        state.cursor = index
        self.refresh_unit()

    # -- labelling -------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """Apply a scheme key: predict it, queue the commit, advance when the unit is done."""
        state, app = self.state, self.annotator_app
        if state is None or state.unit is None:
            return
        if not state.navigable(state.cursor):
            self.notify(SKIPPED)
            return
        unit, (group, _) = state.unit, app.key_map[key]
        was_done = state.progress()
        new = state.predict_key(unit.id, key)
        self.query_one(LabelBar).set_focus_group(group)
        ctx, describe = app.ctx, f"{key} on unit {unit.idx + 1}"
        self.submit(describe, lambda service: service.press(ctx, unit.id, key), unit.id)
        self._dirty.add(state.cursor)
        single = app.scheme.group(group).kind == "single"
        if single and new.get(group) is not None and state.is_complete(unit.id):
            now = state.progress()
            if now.total and now.labeled == now.total and was_done.labeled < now.total:
                self.notify(ALL_DONE)
            if app.auto_advance:
                nxt = state.next()
                if nxt is None and now.labeled < now.total:
                    self.notify("End of the article: N jumps to the next unlabeled sentence.")
                if nxt is not None:
                    state.cursor = nxt
        self.refresh_unit(defer=True)

    def saved(self, job: Job, result: Any) -> None:
        """A change is in the database: show it as saved (an undo or redo also moves there)."""
        state = self.state
        if state is None:
            return
        if job.kind in ("press", "note"):
            change = cast(ChangeResult, result)
            index = state.index_of.get(change.state.unit_id)
            if index is not None:
                state.commit(change.state)
                self._dirty.add(index)
            self.flush()
            return
        located = cast("Located | None", result)
        if located is None:
            self.notify(f"Nothing to {job.kind}.")
            self.flush()
            return
        change, article_id = located
        verb = "Undid" if job.kind == "undo" else "Redid"
        self.notify(f"{verb} a change.", timeout=2)
        index = state.index_of.get(change.state.unit_id)
        if index is None:
            if article_id is not None:
                self.open(article_id, change.state.unit_id)
            return
        state.commit(change.state, counted=False)
        self.move(index)

    def reject(self, unit_id: int) -> None:
        """A change was refused: show the unit as it is in the database."""
        state = self.state
        if state is not None and unit_id in state.index_of:
            state.reject(unit_id)
            self.refresh_unit(state.index_of[unit_id])

    def redraw(self) -> None:
        """Redraw the cursor's unit, the bars and the save status."""
        self.refresh_unit()

    # -- actions ---------------------------------------------------------------------------

    def action_go(self, where: str) -> None:
        """Move to the ``next``, ``prev``, ``first``, ``last`` or ``unlabeled`` unit."""
        state = self.state
        if state is None:
            return
        found = state.target(where)
        if found is None and where == "unlabeled":
            self.notify(ALL_DONE)
        self.move(found)

    def action_article(self, step: int) -> None:
        """Previous or next article in the list."""
        articles = self.annotator_app.articles
        at = articles.position(self.ref) if isinstance(self.ref, int) else None
        if self.state is None or at is None:
            return
        i = at + step
        if 0 <= i < len(articles):
            self.open(articles.ids[i])
        else:
            self.notify("No more articles that way.", timeout=2)

    def action_history(self, kind: str) -> None:
        """``undo`` this annotator's latest change (anywhere) or ``redo`` the latest undone."""
        ctx, redo = self.annotator_app.ctx, kind == "redo"
        self.submit(kind, lambda service: _undo(ctx, redo, service), None, kind)
        self.refresh_status()

    def action_note(self) -> None:
        """Edit the note on the current unit."""
        state = self.state
        if state is None or state.unit is None:
            return
        unit, ctx = state.unit, self.annotator_app.ctx
        where = f"unit {state.cursor + 1} of {len(state.units)} ({unit.role})"

        def save(note: str | None) -> None:
            if (
                note is None
                or self.state is not state
                or note.strip() == (state.note(unit.id) or "")
            ):
                return
            state.predict_note(unit.id, note)
            describe = f"note on unit {unit.idx + 1}"
            self.submit(describe, lambda svc: svc.set_note(ctx, unit.id, note), unit.id, "note")
            self.refresh_unit(state.index_of[unit.id])

        self.app.push_screen(NoteScreen(state.note(unit.id), where, unit.text), save)

    def action_toggle_all(self) -> None:
        """Make headings, datelines and boilerplate navigable (and labelable), or skip them."""
        app = self.annotator_app
        app.include_all = not app.include_all
        if self.state is not None:
            self.state.include_all = app.include_all
            self.query_one(TextView).set_marks(self.state.marks())
            self.refresh_unit()
        what = "now navigable and labelable" if app.include_all else "skipped again"
        self.notify(f"Headings, datelines and boilerplate are {what}.", timeout=3)

    def action_back(self) -> None:
        """Back to the article list."""
        self.dismiss(None)

    def on_article_view_unit_clicked(self, message: TextView.UnitClicked) -> None:
        """Select the clicked unit."""
        if self.state is None:
            return
        if self.state.navigable(message.index):
            self.move(message.index)
        else:
            self.notify(SKIPPED)
