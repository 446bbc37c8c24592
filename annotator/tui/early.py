"""The reads the annotation app starts with, begun in a thread before the app exists.

``annotator annotate --as NAME`` knows who is annotating before it imports the TUI, so
:class:`EarlyStart` registers the name, finds where to begin and reads the article list in
one background thread while Textual loads and the app draws its first frame. The app's own
start-up and list workers then wait for these results instead of asking the service again;
an error is raised to them, so it is reported exactly as if they had made the call.

Nothing here imports Textual: the thread starts before it is loaded.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from annotator.service import Context, Service
from annotator.store.listing import ArticleRows


class EarlyStart:
    """Register ``ctx.annotator``, find the article to begin with, read the article list.

    The three service calls run in this order in one thread, the same calls the app's
    ``start`` worker and the article list make (``article`` set: that article is where to
    begin, as with ``--article``). The list is read whether or not an article opens first:
    the list screen under the article and the article's "n of m" both need it.
    """

    def __init__(self, service: Service, ctx: Context, article: str | None = None) -> None:
        """Start the reads in a background thread."""
        self.ctx, self.article = ctx, article
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="annotator-early")
        self._where = self._pool.submit(self._begin, service)
        self._rows: Future[ArticleRows] | None = self._pool.submit(self._articles, service)
        self._pool.shutdown(wait=False)

    def _begin(self, service: Service) -> int | str | None:
        service.register(self.ctx.annotator)
        return self.article or service.last_article(self.ctx)

    def _articles(self, service: Service) -> ArticleRows:
        self._where.result()  # the list is not read when starting failed
        return service.articles(self.ctx)

    def where(self) -> int | str | None:
        """The article to open first (None: the list); waits; raises what the calls raised."""
        return self._where.result()

    def articles(self) -> ArticleRows | None:
        """The article list as read at start (None once forgotten); waits; raises what the
        read raised."""
        rows = self._rows
        return None if rows is None else rows.result()

    def forget(self) -> None:
        """Let go of the article list (the app has read its own since, or needs none)."""
        self._rows = None

    def close(self) -> None:
        """Wait for the thread to finish (before the service is closed)."""
        self._pool.shutdown(wait=True)
