"""Alembic environment: runs migrations on the engine handed over by annotator.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import annotator.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
