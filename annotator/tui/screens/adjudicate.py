"""The adjudication screen: one unit at a time, every annotator's labels side by side, gold by key.

The queue (units where a session's annotators disagree, or every labelled unit) is read in a
thread worker. A scheme key applies to the unit's gold as it would to a label; ``1``-``9``
accept that annotator's labels as gold. Every change goes through the app's :class:`Saver`
(one ordered writer thread) and shows as saved only once its commit has returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from annotator import adjudication
from annotator.adjudication import Item, Queue
from annotator.domain import ChangeResult, Labels
from annotator.tui.gold_state import GoldState, differing_groups
from annotator.tui.saver import Job
from annotator.tui.screens.labelling import LabellingScreen
from annotator.tui.widgets.label_bar import LabelBar
from annotator.tui.widgets.opinions import OpinionTable, long_notes

if TYPE_CHECKING:
    from annotator.tui.adjudicate_app import AdjudicatorApp


def empty_message(session: str, all_units: bool) -> str:
    """What to say when there is nothing to adjudicate."""
    if all_units:
        return f"No labelled units in session {session} yet — nothing to adjudicate."
    return (
        f"No disagreements in session {session} — nothing to adjudicate; "
        "use --all to review every unit."
    )


class AdjudicateScreen(LabellingScreen):
    """Walk the queue; keys set the gold of the unit shown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "go('next')", "next", id="adjudicate.next"),
        Binding("k,up", "go('prev')", "prev", show=False, id="adjudicate.prev"),
        Binding("N", "go('without_gold')", "next without gold", id="adjudicate.next_without_gold"),
        *[
            Binding(
                str(k),
                f"accept({k})",
                "accept annotator",
                show=k == 1,
                key_display="1-9",
                id=f"adjudicate.accept_{k}",
            )
            for k in range(1, 10)
        ],
        Binding("u", "history('undo')", "undo", id="adjudicate.undo"),
        Binding("ctrl+r", "history('redo')", "redo", show=False, id="adjudicate.redo"),
        Binding("question_mark", "guidelines", "guide", id="adjudicate.guidelines"),
        Binding("q", "app.quit", "quit", id="adjudicate.quit"),
    ]

    def __init__(self) -> None:
        """The queue arrives from a worker after mount."""
        super().__init__()
        self.state: GoldState | None = None
        self._shown: int | None = None

    @property
    def adjudicator_app(self) -> AdjudicatorApp:
        """The app, typed."""
        return cast("AdjudicatorApp", self.app)

    def compose(self) -> ComposeResult:
        """Title, the unit in its context, the opinions, the gold bar, the progress line."""
        app = self.adjudicator_app
        yield Static(" Loading the queue…", id="adj-title", markup=False)
        with Vertical(id="adj-body"):
            yield Static("", id="adj-before", markup=False)
            yield Static("", id="adj-unit", markup=False)
            yield Static("", id="adj-after", markup=False)
            yield OpinionTable(id="adj-opinions")
            yield Static("", id="adj-notes", markup=False)
            yield Static("", id="adj-empty", markup=False)
        yield LabelBar(app.scheme, id="adj-gold")
        yield Static("", id="adj-progress", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Read the queue."""
        self.query_one(LabelBar).display = False
        self.load()

    @work(thread=True, exclusive=True, group="queue")
    def load(self) -> None:
        """Read the session's queue (worker thread)."""
        app = self.adjudicator_app
        try:
            queue = adjudication.queue(
                app.service,
                app.session,
                app.scheme,
                all_units=app.all_units,
                hide_names=app.hide_names,
            )
        except Exception as exc:
            app.call_from_thread(self.load_failed, str(exc))
            return
        app.call_from_thread(self.show_queue, queue)

    def load_failed(self, message: str) -> None:
        """Say why there is no queue."""
        self.query_one("#adj-title", Static).update(" Cannot read the queue")
        self.query_one("#adj-empty", Static).update(f"Cannot read the queue: {message}")
        self.notify(message, title="Cannot read the queue", severity="error")

    def show_queue(self, queue: Queue) -> None:
        """Show the first item without gold (or the empty-queue message)."""
        app = self.adjudicator_app
        state = GoldState(app.scheme, queue.items)
        self.state = state
        if not state.items:
            self.query_one("#adj-title", Static).update(f" session {app.session} · adjudication")
            for name in ("#adj-before", "#adj-unit", "#adj-after", "#adj-opinions", "#adj-notes"):
                self.query_one(name).display = False
            self.query_one("#adj-empty", Static).update(empty_message(app.session, app.all_units))
            self.refresh_progress()
            return
        self.query_one(LabelBar).display = True
        state.cursor = state.first_without_gold()
        self.refresh_item()

    # -- showing state ---------------------------------------------------------------------

    def refresh_item(self) -> None:
        """Redraw the current item: its text when it changed, the table, gold and progress."""
        state = self.state
        item = state.item if state else None
        if state is None or item is None:
            return
        if self._shown != item.unit.id:
            self._shown = item.unit.id
            self.show_text(item)
            differ = differing_groups(state.scheme, item)
            focus = differ[0] if differ else state.scheme.groups[0].name
            self.query_one(LabelBar).set_focus_group(focus)
        self.fill_table(state, item)
        self.query_one(LabelBar).show(
            state.shown(item.unit.id),
            pending=state.pending(item.unit.id),
            note=None,
            where=self.gold_text(state, item),
        )
        self.refresh_progress()

    def show_text(self, item: Item) -> None:
        """The article, the unit and its neighbours."""
        state = self.state
        assert state is not None
        differ = differing_groups(state.scheme, item)
        if differ:
            verdict = "annotators disagree on " + ", ".join(differ)
        elif len(item.opinions) > 1:
            verdict = "annotators agree"
        else:
            verdict = "one annotator"
        title = " ".join(item.title.split())
        self.query_one("#adj-title", Static).update(
            f" {item.article} · unit {item.unit.idx + 1} ({item.unit.role}) · {verdict}  ·  {title}"
        )
        before, after = item.context_before.strip(), item.context_after.strip()
        self.query_one("#adj-before", Static).update(before or "(start of the article)")
        self.query_one("#adj-unit", Static).update(item.unit.text.strip())
        self.query_one("#adj-after", Static).update(after or "(end of the article)")
        self.query_one("#adj-body").scroll_home(animate=False)

    def on_resize(self) -> None:
        """Fit the note column to the new width."""
        state = self.state
        if state is not None and state.item is not None:
            self.fill_table(state, state.item)

    def fill_table(self, state: GoldState, item: Item) -> None:
        """The opinions, and in full any note the table had to cut."""
        table = self.query_one(OpinionTable)
        table.show(state, item, self.size.width)
        self.query_one("#adj-notes", Static).update("\n".join(long_notes(item, table.note_width)))

    def gold_text(self, state: GoldState, item: Item) -> str:
        """The gold bar's left text: whether the unit has gold and how to set it."""
        uid = item.unit.id
        if uid in state.failed and not state.pending(uid):
            return "GOLD — the last change was NOT saved"
        if state.has_gold(uid):
            return "GOLD ✓ — a key changes it · 1-9 accept an annotator's labels"
        gold = state.gold(uid)
        if gold is not None:
            missing = [
                g.name for g in state.scheme.groups if g.kind == "single" and not gold.get(g.name)
            ]
            return f"GOLD incomplete: choose {' and '.join(missing)} · 1-9 accept an annotator's"
        return "GOLD: none yet — a key sets it · 1-9 accept an annotator's labels"

    def refresh_progress(self) -> None:
        """``lead │ session s │ item i of n · m with gold │ disagreements`` and the save state."""
        app, state = self.adjudicator_app, self.state
        n = len(state.items) if state else 0
        where = f"item {state.cursor + 1} of {n}" if state and n else "no items"
        done = state.with_gold() if state else 0
        mode = "every labelled unit (--all)" if app.all_units else "disagreements"
        hidden = " · names hidden" if app.hide_names else ""
        self.query_one("#adj-progress", Static).update(
            f" {app.lead} adjudicating │ session {app.session} │ {where} · {done} with gold"
            f" │ {mode}{hidden}"
        )
        self.show_save_state()

    def move(self, index: int | None) -> None:
        """Show item ``index`` (None: stay)."""
        if self.state is not None and index is not None:
            self.state.cursor = index
            self.refresh_item()

    # -- gold ------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """Apply a scheme key to the gold of the current unit."""
        state, app = self.state, self.adjudicator_app
        item = state.item if state else None
        if state is None or item is None:
            return
        uid, group = item.unit.id, app.key_map[key][0]
        new = state.predict_key(uid, key)
        self.query_one(LabelBar).set_focus_group(group)
        ctx = app.ctx
        self.submit(
            f"gold {key} on {item.article} unit {item.unit.idx + 1}",
            lambda service: adjudication.press_gold(service, ctx, uid, key),
            uid,
            "press",
        )
        single = app.scheme.group(group).kind == "single"
        if single and new.get(group) is not None and state.has_gold(uid):
            self.advance()
        self.refresh_item()

    def action_accept(self, k: int) -> None:
        """Accept annotator ``k``'s labels (the table's row ``k``) as the gold."""
        state = self.state
        item = state.item if state else None
        if state is None or item is None:
            return
        if k > len(item.opinions):
            n = len(item.opinions)
            self.notify(f"There is no annotator {k} here: {n} labelled this unit.", timeout=3)
            return
        opinion, uid, ctx = item.opinions[k - 1], item.unit.id, self.adjudicator_app.ctx
        labels: Labels = dict(opinion.labels)
        state.predict(uid, labels)
        self.submit(
            f"accept {opinion.annotator} on {item.article} unit {item.unit.idx + 1}",
            lambda service: adjudication.set_gold(service, ctx, uid, labels),
            uid,
            "accept",
        )
        self.advance()
        self.refresh_item()

    def advance(self) -> None:
        """After a decision: on to the next item, if auto-advance is on."""
        state = self.state
        if state is None or not self.adjudicator_app.auto_advance:
            return
        nxt = state.next()
        if nxt is not None:
            state.cursor = nxt
        elif state.with_gold() == len(state.items):
            self.notify("Every item has gold. q quits (after saving).", timeout=4)
        else:
            self.notify("Last item: N jumps to the next item without gold.", timeout=4)

    def saved(self, job: Job, result: Any) -> None:
        """A change is in the database: show it as saved (an undo or redo also moves there)."""
        state = self.state
        if state is None:
            return
        change = cast("ChangeResult | None", result)
        if job.kind in ("undo", "redo"):
            if change is None:
                self.notify(f"Nothing to {job.kind}.", timeout=2)
            else:
                verb = "Undid" if job.kind == "undo" else "Redid"
                index = state.index_of.get(change.state.unit_id)
                if index is None:
                    self.notify(f"{verb} a gold change on a unit not in this queue.", timeout=3)
                else:
                    state.commit(change.state, counted=False)
                    state.cursor = index
                    self.notify(f"{verb} a gold change.", timeout=2)
        elif change is not None and change.state.unit_id in state.index_of:
            state.commit(change.state)
        self.refresh_item()

    def reject(self, unit_id: int) -> None:
        """A change was refused: the gold shown goes back to what is in the database."""
        state = self.state
        if state is not None and unit_id in state.index_of:
            state.reject(unit_id)

    def redraw(self) -> None:
        """Redraw the current item and the save status."""
        self.refresh_item()

    # -- actions ---------------------------------------------------------------------------

    def action_go(self, where: str) -> None:
        """Move to the ``next`` or ``prev`` item, or the next one ``without_gold``."""
        state = self.state
        if state is None or not state.items:
            return
        if where == "next":
            found = state.next()
        elif where == "prev":
            found = state.prev()
        else:
            found = state.next_without_gold()
            if found is None:
                self.notify("Every item has gold.", timeout=3)
        if found is None and where != "without_gold":
            self.notify("No more items that way.", timeout=2)
        self.move(found)

    def action_history(self, kind: str) -> None:
        """``undo`` the lead's latest gold change in this session, or ``redo`` it."""
        ctx = self.adjudicator_app.ctx
        undo = adjudication.undo if kind == "undo" else adjudication.redo
        self.submit(kind, lambda service: undo(service, ctx), None, kind)
        self.refresh_progress()
