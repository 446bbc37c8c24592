"""PostgreSQL test databases: one fresh database per test on the server in ANNOTATOR_TEST_PG."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


@contextmanager
def temporary_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named database on ``server_url``'s server; drop it afterwards."""
    name = f"annotator_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        # A test's own threads may still be closing their connections: retry, and leave a
        # throw-away database behind rather than fail a test that passed.
        for _ in range(10):
            try:
                with admin.connect() as con:
                    con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except DBAPIError:
                time.sleep(0.2)
        admin.dispose()
