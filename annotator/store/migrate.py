"""Alembic migrations run from code: create a new database at head, upgrade an old one.

A database whose revision this version of annotator does not know was written by
a newer annotator and is refused rather than guessed at; a database that holds tables
but no revision belongs to another program and is refused rather than added to.

Alembic takes a fifth of a second to import, so opening a database that is already at
head does not load it: the stored revision is read with a plain ``SELECT`` and compared
with the head found in the migration files (:func:`known_revisions`). Alembic is imported
only to create, upgrade or refuse a database.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from annotator.store.engine import StoreError, database_name

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the packaged migrations and bound to ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine.execution_options(annotator_write=True)
    return config


@cache
def known_revisions() -> tuple[frozenset[str], str | None]:
    """Every revision in the packaged migration files, and the head (read without Alembic).

    The head is the one revision no other revision names as its ``down_revision``; None
    when the files do not form one straight line (then Alembic decides).
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        down = _DOWN.search(source)
        if found is None or down is None:
            continue
        revisions.add(found.group(1))
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return frozenset(revisions), (next(iter(heads)) if len(heads) == 1 else None)


def head_revision() -> str:
    """The newest revision this version of annotator knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stored_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version`` by a plain query; None when it cannot be read
    plainly (no such table, no row or several, not a database): then Alembic decides."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema; refuse a database from a newer annotator."""
    if revision == "head":
        _, head = known_revisions()
        if head is not None and stored_revision(engine) == head:
            return  # already at head: no need to import Alembic
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    with engine.connect() as connection:  # one read transaction: one consistent snapshot
        current = MigrationContext.configure(connection).get_current_revision()
        tables = set(inspect(connection).get_table_names()) if current is None else set()
    if current is None:
        foreign = sorted(tables - {"alembic_version"})
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise StoreError(
                f"{database_name(engine.url)} is not an annotator database (it holds other "
                f"tables: {shown}); choose another --db path"
            )
    else:
        known = {rev.revision for rev in script.walk_revisions()}
        if current not in known:
            raise StoreError(
                f"{database_name(engine.url)} was written by a newer annotator (schema "
                f"revision {current}); "
                "upgrade annotator (pip install -U annotator) before opening it"
            )
        if current == script.get_current_head() and revision == "head":
            return
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema to ``revision`` (used by migration tests)."""
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
