"""Shared fixtures: a fresh database per test, the seeds, the default scheme."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from annotator.scheme import Scheme, load_scheme
from annotator.service import Context, Service

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SCHEME_PATH = ROOT / "guidelines" / "claims.yaml"


ON_POSTGRES = bool(os.environ.get("ANNOTATOR_TEST_PG"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip SQLite-file tests in the PostgreSQL pass, and PostgreSQL tests without a server."""
    for item in items:
        if ON_POSTGRES and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite-specific; runs in the SQLite pass"))
        if not ON_POSTGRES and item.get_closest_marker("postgres"):
            item.add_marker(
                pytest.mark.skip(
                    reason="needs a PostgreSQL server: set ANNOTATOR_TEST_PG=postgresql+psycopg://"
                    "USER:PASS@HOST/DB (CI does)"
                )
            )


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a user's database, name or scheme from the environment."""
    for name in ("ANNOTATOR_DB", "ANNOTATOR_NAME", "ANNOTATOR_SCHEME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a new SQLite file, or with ``ANNOTATOR_TEST_PG`` set
    (a PostgreSQL server URL), a new database on that server, dropped afterwards."""
    server = os.environ.get("ANNOTATOR_TEST_PG")
    if not server:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    from tests.pg import temporary_database

    with temporary_database(server) as url:
        yield url


@pytest.fixture
def db_state(db_url: str) -> Callable[[], str]:
    """A function returning a hash of every row of the test database (see db_fingerprint)."""
    return lambda: db_fingerprint(db_url)


@pytest.fixture
def service(db_url: str) -> Iterator[Service]:
    """An open service on a fresh database."""
    svc = Service.open(db_url)
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def scheme() -> Scheme:
    """The default claims scheme."""
    return load_scheme(SCHEME_PATH)


@pytest.fixture
def seeded(service: Service) -> Service:
    """A service whose database holds the five seed articles."""
    report = service.import_paths([SEEDS])
    assert not report.errors
    return service


@pytest.fixture
def alice(scheme: Scheme) -> Context:
    """Annotator alice under the default scheme, outside any session."""
    return Context("alice", scheme)


def db_fingerprint(where: Path | str) -> str:
    """A hash of every row of every table: equal before and after means nothing changed.

    ``where`` is a SQLite file path or a database URL (SQLite or PostgreSQL).
    """
    if isinstance(where, Path):
        if not where.exists():
            return "absent"
        where = f"sqlite:///{where}"
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(where)
    digest = hashlib.sha256()
    try:
        with engine.connect() as con:
            for table in sorted(inspect(con).get_table_names()):
                digest.update(table.encode())
                rows = con.execute(text(f'SELECT * FROM "{table}"')).all()
                for row in sorted(repr(tuple(r)) for r in rows):
                    digest.update(row.encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


def env_without_user_settings() -> dict[str, str]:
    """The environment for subprocess tests, minus annotator settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATOR_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env
