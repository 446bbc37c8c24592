"""The one API that the CLI and the TUI both call.

Every method opens its own short transaction, returns plain domain objects and
never leaves a half-applied change: a label change and its event are written in
one transaction, and a busy database is waited for and retried. Queries made on
an annotator's behalf only ever return that annotator's labels.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from annotator.domain import (
    ArticleView,
    ChangeResult,
    ImportReport,
    Labels,
    Progress,
    StatusReport,
)
from annotator.scheme import Scheme
from annotator.store import articles as q
from annotator.store import campaigns as cq
from annotator.store import labels as lq
from annotator.store import listing
from annotator.store.engine import Store, open_store
from annotator.store.listing import ArticleRows
from annotator.store.models import Campaign

T = TypeVar("T")
NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LABELED_ROLES: tuple[str, ...] = ("sentence",)
"""Unit roles that count towards progress and that navigation stops on by default."""
RETRIES = 8


class ServiceError(ValueError):
    """A request the service refuses; ``str()`` is one line for the user."""


def check_name(name: str) -> str:
    """Validate an annotator name: 1-64 letters, digits, ``.``, ``_`` or ``-``."""
    if not NAME_RE.match(name or ""):
        raise ServiceError(
            f"annotator name {name!r} is not valid; use 1-64 letters, digits, '.', '_' or '-'"
        )
    return name


@dataclass(frozen=True, slots=True)
class Context:
    """On whose behalf, under which scheme and in which session a request is made."""

    annotator: str
    scheme: Scheme
    session: str = ""


class Service:
    """Facade over the store for one database."""

    def __init__(self, store: Store) -> None:
        """Wrap an open store; see :meth:`open`."""
        self.store = store
        self._annotator_ids: dict[str, int] = {}
        self._campaigns: dict[str, Campaign] = {}

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Service:
        """Open (creating or upgrading) the database at ``url``."""
        return cls(open_store(url, create=create))

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def __enter__(self) -> Service:
        """``with Service.open(url) as service:`` closes it afterwards."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the database."""
        self.close()

    # -- transactions ------------------------------------------------------------------

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction, retrying while the database is busy."""
        delay = 0.05
        for attempt in range(RETRIES):
            try:
                with self.store.session() as session:
                    return fn(session)
            except (OperationalError, IntegrityError) as exc:
                if attempt == RETRIES - 1 or not _transient(exc):
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a read transaction."""
        with self.store.session(write=False) as session:
            return fn(session)

    def _key(self, session: Session, ctx: Context) -> lq.LabelKey:
        annotator_id = self._annotator_ids.get(ctx.annotator)
        if annotator_id is None:
            name = check_name(ctx.annotator)
            found = q.annotator_id(session, name, create=False)
            if found is not None:  # committed: safe to remember
                self._annotator_ids[ctx.annotator] = found
            else:  # created in this transaction, which may yet roll back: not cached
                found = q.annotator_id(session, name)
            assert found is not None
            annotator_id = found
        if ctx.session:
            self._campaign(session, ctx)
        return lq.LabelKey(annotator_id, ctx.scheme.hash, ctx.session)

    def _campaign(self, session: Session, ctx: Context) -> Campaign | None:
        """The campaign of ``ctx.session`` (None for a bare session name), scheme checked."""
        if not ctx.session:
            return None
        campaign = self._campaigns.get(ctx.session)
        if campaign is None:
            campaign = cq.get_campaign(session, ctx.session)
            if campaign is not None:  # a campaign's name and scheme never change
                self._campaigns[ctx.session] = campaign
        if campaign is not None and campaign.scheme_hash != ctx.scheme.hash:
            raise ServiceError(
                f"session {ctx.session} uses scheme {campaign.scheme_ref}, not {ctx.scheme.ref}; "
                "leave out --scheme to use the session's own"
            )
        return campaign

    def _allowed(self, session: Session, ctx: Context, key: lq.LabelKey) -> list[int] | None:
        """Article ids ``ctx`` may see in its session, in order; None outside campaigns."""
        campaign = self._campaign(session, ctx)
        if campaign is None or campaign.id is None:
            return None
        return cq.assigned_article_ids(session, campaign.id, key.annotator_id)

    def _check_article(
        self, session: Session, ctx: Context, key: lq.LabelKey, article_id: int, what: str
    ) -> None:
        allowed = self._allowed(session, ctx, key)
        if allowed is not None and article_id not in allowed:
            raise ServiceError(
                f"{what} is not assigned to {ctx.annotator} in session "
                f"{ctx.session}; `annotator session status {ctx.session}` "
                "shows who has what"
            )

    def register(self, name: str) -> None:
        """Create the annotator ``name`` if it does not exist yet."""
        check_name(name)
        self.write(lambda s: q.annotator_id(s, name))

    # -- articles ------------------------------------------------------------------------

    def import_paths(
        self, paths: Iterable[str | Path], *, progress: Callable[[int, int], None] | None = None
    ) -> ImportReport:
        """Import ``.txt`` files, ``.jsonl`` files and folders."""
        from annotator.ingest import import_paths

        return import_paths(self.store, paths, progress=progress)

    def status(self) -> StatusReport:
        """Counts of articles, units, duplicates, annotators and labels."""
        return self.read(lambda s: q.status(s, self.store.url))

    def articles(self, ctx: Context) -> ArticleRows:
        """Every article with the annotator's progress on it, as compact columns
        (:class:`~annotator.store.listing.ArticleRows`; indexing gives ``(ArticleInfo,
        Progress)``).

        In a session: only the articles assigned to the annotator, in their order.
        """
        return self._read_as(
            ctx,
            lambda s, key: listing.article_rows(s, key, LABELED_ROLES, self._allowed(s, ctx, key)),
        )

    def _read_as(self, ctx: Context, fn: Callable[[Session, lq.LabelKey], T]) -> T:
        """``fn(session, key)`` in a read transaction, which never holds up writers; an
        annotator not seen yet is first looked up (created if new) in a write."""
        if ctx.annotator not in self._annotator_ids:
            self.write(lambda s: self._key(s, ctx))
        return self.read(lambda s: fn(s, self._key(s, ctx)))

    def article(self, ctx: Context, ref: int | str) -> ArticleView:
        """An article's text, units and this annotator's labels on them."""

        def run(session: Session) -> ArticleView:
            article = q.get_article(session, ref)
            if article is None or article.id is None:
                raise ServiceError(f"no article {ref!r}; `annotator status` lists them")
            key = self._key(session, ctx)
            self._check_article(session, ctx, key, article.id, f"article {article.external_id}")
            units = q.units_of(session, article.id)
            labels = lq.labels_for_units(session, key, [u.id for u in units])
            return ArticleView(
                article=q.article_info(session, article),
                text=article.text,
                units=tuple(units),
                labels=labels,
            )

        return self.write(run)

    def last_article(self, ctx: Context) -> int | None:
        """The article this annotator last changed a label in, if any."""

        def run(session: Session) -> int | None:
            key = self._key(session, ctx)
            event = lq.last_event(session, key)
            if event is None:
                return None
            unit = q.get_unit(session, event.unit_id)
            allowed = self._allowed(session, ctx, key)
            if unit is None or (allowed is not None and unit.article_id not in allowed):
                return None
            return unit.article_id

        return self.write(run)

    def article_of_unit(self, unit_id: int) -> int | None:
        """The id of the article a unit belongs to (None if there is no such unit)."""

        def run(session: Session) -> int | None:
            unit = q.get_unit(session, unit_id)
            return unit.article_id if unit else None

        return self.read(run)

    def progress(self, ctx: Context, article_ids: Sequence[int] | None = None) -> Progress:
        """Units with a complete label among the labeled roles.

        Counted over ``article_ids``, else the session's assigned articles, else all.
        """

        def run(session: Session, key: lq.LabelKey) -> Progress:
            ids = article_ids if article_ids is not None else self._allowed(session, ctx, key)
            return listing.progress_over(session, key, LABELED_ROLES, ids)

        return self._read_as(ctx, run)

    # -- labels --------------------------------------------------------------------------

    def press(self, ctx: Context, unit_id: int, key: str) -> ChangeResult:
        """Apply a scheme key to the committed labels of a unit (set, clear or toggle)."""
        return self._edit(
            ctx, unit_id, lambda labels, note: (ctx.scheme.apply_key(labels, key), note)
        )

    def set_labels(self, ctx: Context, unit_id: int, labels: Labels) -> ChangeResult:
        """Replace a unit's labels (validated against the scheme)."""
        new = ctx.scheme.normalize_labels(labels)
        return self._edit(ctx, unit_id, lambda _, note: (new, note))

    def set_note(self, ctx: Context, unit_id: int, note: str | None) -> ChangeResult:
        """Set or clear (empty string or None) the note on a unit."""
        cleaned = (note or "").strip() or None
        return self._edit(ctx, unit_id, lambda labels, _: (labels, cleaned))

    def _edit(
        self,
        ctx: Context,
        unit_id: int,
        change: Callable[[Labels, str | None], tuple[Labels, str | None]],
    ) -> ChangeResult:
        """Write ``change(labels, note)`` of a unit's committed labels and note (empty labels
        and no note when it has none yet), in one transaction."""

        def run(session: Session) -> ChangeResult:
            key = self._key(session, ctx)
            current = lq.current_labels(session, key, unit_id)
            labels = current.labels if current else ctx.scheme.empty_labels()
            new, note = change(labels, current.note if current else None)
            return self._write_state(session, key, ctx, unit_id, new, note, current=current)

        return self.write(run)

    def _write_state(
        self,
        session: Session,
        key: lq.LabelKey,
        ctx: Context,
        unit_id: int,
        labels: Labels,
        note: str | None,
        *,
        kind: str = "edit",
        target_id: int | None = None,
        current: lq.Stored | EllipsisType | None = ...,
    ) -> ChangeResult:
        allowed = self._allowed(session, ctx, key)
        if allowed is not None:  # in a campaign: only units of the articles assigned to us
            article_id = q.article_id_of_unit(session, unit_id)
            if article_id is None:
                raise ServiceError(f"no unit with id {unit_id}")
            if article_id not in allowed:
                self._check_article(session, ctx, key, article_id, f"unit {unit_id}")
        # No separate look-up for the unit: the foreign key refuses a unit that does not
        # exist, which keeps the write lock held for one statement less.
        with unit_must_exist(unit_id):
            return lq.apply_change(
                session,
                key,
                unit_id,
                labels,
                note,
                complete=ctx.scheme.is_complete(labels),
                kind=kind,
                target_id=target_id,
                current=current,
            )

    def undo(self, ctx: Context) -> ChangeResult | None:
        """Reverse this annotator's latest edit not yet undone; None when there is none."""
        return self._replay(ctx, "undo")

    def redo(self, ctx: Context) -> ChangeResult | None:
        """Re-apply the latest undone edit; None when there is nothing to redo."""
        return self._replay(ctx, "redo")

    def _replay(self, ctx: Context, kind: str) -> ChangeResult | None:
        """Undo (restore ``before``) or redo (restore ``after``) the edit the log points at."""

        def run(session: Session) -> ChangeResult | None:
            key = self._key(session, ctx)
            find = lq.undo_target if kind == "undo" else lq.redo_target
            target = find(session, key)
            if target is None or target.id is None:
                return None
            labels = target.before if kind == "undo" else target.after
            note = target.note_before if kind == "undo" else target.note_after
            return self._write_state(
                session,
                key,
                ctx,
                target.unit_id,
                labels if labels is not None else ctx.scheme.empty_labels(),
                note,
                kind=kind,
                target_id=target.id,
            )

        return self.write(run)


@contextmanager
def unit_must_exist(unit_id: int) -> Iterator[None]:
    """Turn a foreign key's refusal of a write naming ``unit_id`` (SQLite and PostgreSQL)
    into ``ServiceError("no unit with id N")``."""
    try:
        yield
    except IntegrityError as exc:
        if "foreign key" in str(getattr(exc, "orig", exc)).lower():
            raise ServiceError(f"no unit with id {unit_id}") from None
        raise


def _transient(exc: Exception) -> bool:
    """True for errors that a retry can cure: a busy SQLite file, a lost race on insert."""
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, IntegrityError):
        return "unique" in text or "duplicate key" in text
    return any(s in text for s in ("locked", "busy", "deadlock", "could not serialize"))
