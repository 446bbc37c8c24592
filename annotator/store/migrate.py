"""Alembic migrations run from code: create a new database at head, upgrade an old one.

A database whose revision this version of annotator does not know was written by
a newer annotator and is refused rather than guessed at; a database that holds tables
but no revision belongs to another program and is refused rather than added to.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from annotator.store.engine import StoreError, database_name

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the packaged migrations and bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine.execution_options(annotator_write=True)
    return config


def head_revision() -> str:
    """The newest revision this version of annotator knows."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema; refuse a database from a newer annotator."""
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
    command.downgrade(alembic_config(engine), revision)
