"""Annotation sessions: who labels which article, with overlap, under a frozen scheme.

Assignment is deterministic and balanced: articles are taken in import order and
each goes to the ``overlap`` annotators with the fewest units assigned so far
(ties broken by fewest articles, then name). Near-duplicate articles are left out
unless asked for, since labelling a truncated copy twice wastes effort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from annotator.domain import ArticleInfo
from annotator.scheme import Scheme, load_scheme_text
from annotator.service import LABELED_ROLES, NAME_RE, Service, ServiceError, check_name
from annotator.store import articles as q
from annotator.store import campaigns as cq
from annotator.store.models import Campaign


@dataclass(frozen=True, slots=True)
class AnnotatorProgress:
    """One annotator's share of a session."""

    name: str
    articles: int
    articles_done: int
    units: int
    labeled: int


@dataclass(frozen=True, slots=True)
class ArticleCoverage:
    """Who has an article in a session and how far each got."""

    external_id: str
    title: str
    units: int
    annotators: dict[str, int]  # name -> units labeled


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """``annotator session status``."""

    name: str
    scheme: str
    overlap: int
    blind: bool
    annotators: list[AnnotatorProgress] = field(default_factory=list)
    articles: list[ArticleCoverage] = field(default_factory=list)


def plan(
    articles: Sequence[tuple[int, int]],
    annotators: Sequence[str],
    overlap: int,
    load: dict[str, tuple[int, int]] | None = None,
) -> list[tuple[int, str]]:
    """Balanced assignment of ``(article_id, n_units)`` to ``overlap`` annotators each.

    ``load`` gives each annotator's existing (units, articles). Returns
    ``(article_id, annotator)`` pairs in article order.
    """
    current = {name: list((load or {}).get(name, (0, 0))) for name in annotators}
    pairs: list[tuple[int, str]] = []
    for article_id, n_units in articles:
        chosen = sorted(annotators, key=lambda n: (current[n][0], current[n][1], n))[:overlap]
        for name in sorted(chosen):
            current[name][0] += n_units
            current[name][1] += 1
            pairs.append((article_id, name))
    return pairs


def _campaign(session: Session, name: str) -> Campaign:
    campaign = cq.get_campaign(session, name)
    if campaign is None:
        raise ServiceError(f"no session {name!r}; `annotator session list` shows them")
    return campaign


def _resolve_articles(service: Service, spec: str, include_duplicates: bool) -> list[ArticleInfo]:
    """Articles named by ``spec``: ``all``, comma-separated ids, or files/folders to import."""
    if spec != "all" and Path(spec).exists():
        report = service.import_paths([spec])
        if report.errors:
            raise ServiceError(report.errors[0].message)
        wanted = {i.external_id for i in report.items}
        wanted |= {
            i.message.split("same text as ", 1)[1].split(";")[0]
            for i in report.items
            if i.status == "skipped"
        }
        pick = [a for a in service.read(q.list_articles) if a.external_id in wanted]
    else:
        every = service.read(q.list_articles)
        if spec == "all":
            pick = every
        else:
            by_id = {a.external_id: a for a in every}
            names = [s.strip() for s in spec.split(",") if s.strip()]
            missing = [n for n in names if n not in by_id]
            if missing:
                raise ServiceError(
                    f"no article {missing[0]!r}; give ids from `annotator status`, a path, or 'all'"
                )
            pick = [by_id[n] for n in names]
    if not include_duplicates:
        pick = [a for a in pick if a.duplicate_of is None]
    if not pick:
        raise ServiceError("no articles to assign; import some first or check --articles")
    return pick


def create(
    service: Service,
    name: str,
    *,
    articles: str,
    annotators: Sequence[str],
    overlap: int,
    blind: bool,
    scheme: Scheme,
    include_duplicates: bool = False,
) -> SessionStatus:
    """Create a session and assign its articles."""
    if not NAME_RE.match(name):
        raise ServiceError(f"session name {name!r} is not valid; use letters, digits, . _ -")
    people = sorted({check_name(a.strip()) for a in annotators if a.strip()})
    if not people:
        raise ServiceError("a session needs annotators: --annotators alice,bob")
    if not 1 <= overlap <= len(people):
        raise ServiceError(
            f"--overlap must be between 1 and the number of annotators "
            f"({len(people)}), not {overlap}"
        )
    if service.read(lambda s: cq.get_campaign(s, name)) is not None:
        raise ServiceError(f"a session called {name!r} exists already; choose another name")
    chosen = _resolve_articles(service, articles, include_duplicates)

    def run(session: Session) -> None:
        counts = cq.sentence_counts(session, [a.id for a in chosen], LABELED_ROLES)
        pairs = plan([(a.id, counts.get(a.id, 0)) for a in chosen], people, overlap)
        campaign_id = cq.add_campaign(
            session,
            Campaign(
                name=name,
                scheme_yaml=scheme.to_yaml(),
                scheme_hash=scheme.hash,
                scheme_ref=scheme.ref,
                guidelines=scheme.guidelines_text,
                overlap=overlap,
                blind=blind,
            ),
        )
        ids = {p: q.annotator_id(session, p) for p in people}
        position: dict[str, int] = {}
        rows = []
        for article_id, person in pairs:
            position[person] = position.get(person, 0) + 1
            person_id = ids[person]
            assert person_id is not None
            rows.append((article_id, person_id, position[person]))
        cq.add_assignments(session, campaign_id, rows)

    service.write(run)
    return status(service, name)


def session_scheme(service: Service, name: str) -> Scheme:
    """The scheme snapshot a session was created with (with its guideline text)."""
    campaign = service.read(lambda s: _campaign(s, name))
    scheme = load_scheme_text(campaign.scheme_yaml, source=f"session {name}")
    return scheme.model_copy(update={"guidelines_text": campaign.guidelines})


def list_sessions(service: Service) -> list[Campaign]:
    """Every session."""
    return service.read(cq.list_campaigns)


def status(service: Service, name: str) -> SessionStatus:
    """Per-annotator progress and per-article coverage of a session."""

    def run(session: Session) -> SessionStatus:
        campaign = _campaign(session, name)
        assert campaign.id is not None
        rows = cq.assignments(session, campaign.id)
        article_ids = sorted({r.article_id for r in rows})
        units = cq.sentence_counts(session, article_ids, LABELED_ROLES)
        done = cq.done_counts(session, campaign, LABELED_ROLES)
        infos = {a.id: a for a in q.list_articles(session, article_ids)}
        people: dict[str, list[int]] = {}
        coverage: dict[int, dict[str, int]] = {}
        for r in rows:
            n, d = units.get(r.article_id, 0), done.get((r.annotator, r.article_id), 0)
            stats = people.setdefault(r.annotator, [0, 0, 0, 0])
            stats[0] += 1
            stats[1] += int(d >= n)
            stats[2] += n
            stats[3] += d
            coverage.setdefault(r.article_id, {})[r.annotator] = d
        return SessionStatus(
            name=campaign.name,
            scheme=campaign.scheme_ref,
            overlap=campaign.overlap,
            blind=campaign.blind,
            annotators=[AnnotatorProgress(n, *v) for n, v in sorted(people.items())],
            articles=[
                ArticleCoverage(infos[a].external_id, infos[a].title, units.get(a, 0), coverage[a])
                for a in article_ids
                if a in infos
            ],
        )

    return service.read(run)


def add_annotator(service: Service, name: str, annotator: str) -> SessionStatus:
    """Add an annotator and give them a fair share of the articles nobody has started."""
    check_name(annotator)

    def run(session: Session) -> None:
        campaign = _campaign(session, name)
        assert campaign.id is not None
        rows = cq.assignments(session, campaign.id)
        if any(r.annotator == annotator for r in rows):
            raise ServiceError(f"{annotator} is in session {name} already")
        new_id = q.annotator_id(session, annotator)
        assert new_id is not None
        people = [*sorted({r.annotator for r in rows}), annotator]
        done = cq.done_counts(session, campaign, LABELED_ROLES)
        units = cq.sentence_counts(session, [r.article_id for r in rows], LABELED_ROLES)
        share = sum(units.get(r.article_id, 0) for r in rows) // len(people)
        load = 0
        position = 0
        # Take unstarted assignments from whoever holds the most units, until fair.
        holdings = {
            p: sum(units.get(r.article_id, 0) for r in rows if r.annotator == p)
            for p in people[:-1]
        }
        for r in sorted(rows, key=lambda r: (-holdings[r.annotator], r.position)):
            if load >= share:
                break
            n = units.get(r.article_id, 0)
            if done.get((r.annotator, r.article_id), 0) or holdings[r.annotator] - n < share:
                continue
            if any(x.article_id == r.article_id and x.annotator == annotator for x in rows):
                continue
            holder = q.annotator_id(session, r.annotator, create=False)
            assert holder is not None
            cq.remove_assignment(session, campaign.id, r.article_id, holder)
            position += 1
            cq.add_assignments(session, campaign.id, [(r.article_id, new_id, position)])
            holdings[r.annotator] -= n
            load += n

    service.write(run)
    return status(service, name)


def reassign(service: Service, name: str, article: str, source: str, target: str) -> SessionStatus:
    """Move one article from one annotator to another; labels already given stay theirs."""
    check_name(target)

    def run(session: Session) -> None:
        campaign = _campaign(session, name)
        assert campaign.id is not None
        found = q.get_article(session, article)
        if found is None or found.id is None:
            raise ServiceError(f"no article {article!r}")
        from_id = q.annotator_id(session, source, create=False)
        if from_id is None or not cq.is_assigned(session, campaign.id, from_id, found.id):
            raise ServiceError(f"{article} is not assigned to {source} in session {name}")
        to_id = q.annotator_id(session, target)
        assert to_id is not None
        if cq.is_assigned(session, campaign.id, to_id, found.id):
            raise ServiceError(f"{article} is assigned to {target} already")
        cq.remove_assignment(session, campaign.id, found.id, from_id)
        last = max((r.position for r in cq.assignments(session, campaign.id, target)), default=0)
        cq.add_assignments(session, campaign.id, [(found.id, to_id, last + 1)])

    service.write(run)
    return status(service, name)
