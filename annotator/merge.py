"""``annotator merge OTHER.db``: bring an offline annotator's database into this one."""

from __future__ import annotations

from pathlib import Path

from annotator.service import Service, ServiceError
from annotator.store.engine import open_store, resolve_url
from annotator.store.merging import MergeReport, merge_into


def merge(service: Service, other: str) -> MergeReport:
    """Merge the database at ``other`` (a path or URL) into the service's database.

    The other database is only read (its schema is brought up to date first if it is
    older). Everything happens in one transaction here: a failure merges nothing.
    """
    url = resolve_url(other)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise ServiceError(f"{other}: no such database file")
    if url == service.store.url:
        raise ServiceError("cannot merge a database into itself")
    theirs = open_store(url, create=False)
    try:
        with theirs.session(write=False) as their_session:
            return service.write(lambda ours: merge_into(ours, their_session))
    finally:
        theirs.close()
