"""The article list as the service reads it (``Service.articles``), checked against the tables.

Every article is listed in id order with its own unit counts and the annotator's progress,
also an article that has no units at all (the counts are then matched up one by one).
"""

from __future__ import annotations

from sqlmodel import Session

from annotator.scheme import Scheme
from annotator.service import Context, Service
from annotator.store.models import Article
from tests.conftest import SEEDS
from tests.test_tui import A003, query


def test_an_article_without_units_is_listed_and_the_others_keep_their_counts(
    service: Service, scheme: Scheme
) -> None:
    def add_empty(session: Session) -> None:
        session.add(
            Article(external_id="empty", title="Nothing", source="t", sha256="0" * 64, text="")
        )

    service.write(add_empty)  # the lowest id: every later article is matched up by id
    service.import_paths([SEEDS])
    alice = Context("alice", scheme)
    sentences = [u for u in service.article(alice, A003).units if u.role == "sentence"]
    for unit in sentences[:2]:
        service.press(alice, unit.id, "a")
    rows = service.articles(alice)
    expected = query(
        service,
        "SELECT a.external_id, COUNT(u.id), COUNT(CASE WHEN u.role = 'sentence' THEN 1 END) "
        "FROM article a LEFT JOIN unit u ON u.article_id = a.id GROUP BY a.id ORDER BY a.id",
    )
    got = [
        (info.external_id, info.n_units, progress.total, progress.labeled)
        for info, progress in rows
    ]
    assert got == [(e, n, k, 2 if e == A003 else 0) for e, n, k in expected]
    assert got[0] == ("empty", 0, 0, 0) and len(got) == 6
    assert rows.overall() == service.progress(alice)
