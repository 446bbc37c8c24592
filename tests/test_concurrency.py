"""Several annotators writing at once: nothing lost, nobody errors (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.service import Service

WRITERS = 8
LABELS_EACH = 2000


def _writer(url: str, name: str, unit_ids: list[int], out: str) -> None:
    """One annotator in their own process: press a key on each unit, one commit each."""
    from annotator.scheme import default_scheme_path, load_scheme
    from annotator.service import Context, Service

    scheme = load_scheme(default_scheme_path())
    service = Service.open(url)
    ctx = Context(name, scheme)
    errors: list[str] = []
    for i, unit in enumerate(unit_ids):
        try:
            service.press(ctx, unit, "aen"[i % 3])
        except Exception as exc:  # recorded and asserted on by the test
            errors.append(f"{type(exc).__name__}: {exc}")
    service.close()
    Path(out).write_text(json.dumps(errors), encoding="utf-8")


def _reader(url: str, stop: str, out: str) -> None:
    """A lead reading while annotators write: agreement reports and exports in a loop."""
    import io

    from annotator.export.labels_io import write_interchange
    from annotator.export.matrix import ReportError
    from annotator.export.report import agreement_report, report_json
    from annotator.scheme import default_scheme_path, load_scheme
    from annotator.service import Service

    scheme = load_scheme(default_scheme_path())
    service = Service.open(url)
    errors: list[str] = []
    rounds = exported = 0
    while not Path(stop).exists() or rounds == 0:
        try:
            buffer = io.StringIO()
            exported = max(exported, write_interchange(service.store, buffer, scheme))
            with contextlib.suppress(ReportError):  # nothing labelled yet at the very start
                report_json(agreement_report(service, scheme, n_boot=20))
            rounds += 1
            time.sleep(0.5)  # a lead re-running reports, not a busy loop
        except Exception as exc:  # recorded and asserted on by the test
            errors.append(f"{type(exc).__name__}: {exc}")
            break
    service.close()
    Path(out).write_text(
        json.dumps({"errors": errors, "rounds": rounds, "exported": exported}), encoding="utf-8"
    )


@pytest.fixture
def fast_db(db_url: str, tmp_path: Path) -> Iterator[str]:
    """The test database; for SQLite, on tmpfs when there is one.

    This test is about locking and retries under contention, not about fsync: a file in
    memory keeps the commit rate high enough for 16,000 commits to finish quickly, with
    exactly the same locking. Durability on disk is the kill -9 test's business.
    """
    shm = Path("/dev/shm")
    if not db_url.startswith("sqlite") or not shm.is_dir():
        yield db_url
        return
    folder = Path(tempfile.mkdtemp(dir=shm))
    try:
        yield f"sqlite:///{folder / 'concurrency.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def service(fast_db: str) -> Iterator[Service]:
    """An open service on the fast database."""
    svc = Service.open(fast_db)
    yield svc
    svc.close()


@pytest.fixture
def big_article(service: Service, tmp_path: Path) -> list[int]:
    """One article of LABELS_EACH sentences."""
    body = "\n".join(
        f"Official number {i} said the talks would resume soon." for i in range(LABELS_EACH)
    )
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": "Big story\n" + body}) + "\n", "utf-8")
    assert not service.import_paths([path]).errors
    with service.store.engine.connect() as con:
        ids = con.execute(text("SELECT id FROM unit WHERE role = 'sentence' ORDER BY idx"))
        return [int(i) for i in ids.scalars()]


@pytest.mark.slow
def test_eight_writers_and_two_readers_lose_nothing(
    service: Service, fast_db: str, big_article: list[int], tmp_path: Path
) -> None:
    assert len(big_article) == LABELS_EACH
    context = multiprocessing.get_context("spawn")
    procs = []
    for w in range(WRITERS):
        out = tmp_path / f"w{w}.json"
        # each writer walks the units in a different order, so they contend on the same rows
        order = big_article[w:] + big_article[:w]
        p = context.Process(target=_writer, args=(fast_db, f"writer{w}", order, str(out)))
        p.start()
        procs.append((p, out))
    stop = tmp_path / "stop"
    readers = []
    for r in range(2):
        out = tmp_path / f"r{r}.json"
        p = context.Process(target=_reader, args=(fast_db, str(stop), str(out)))
        p.start()
        readers.append((p, out))
    for p, _ in procs:
        p.join(timeout=600)
    stop.touch()
    for p, _ in readers:
        p.join(timeout=300)
    assert [p.exitcode for p, _ in readers] == [0, 0]
    for _, out in readers:
        result = json.loads(out.read_text())
        assert result["errors"] == [] and result["rounds"] >= 1
    assert [p.exitcode for p, _ in procs] == [0] * WRITERS
    assert [json.loads(out.read_text()) for _, out in procs] == [[]] * WRITERS
    with service.store.engine.connect() as con:
        per_writer = dict(
            con.execute(
                text(
                    "SELECT a.name, count(*) FROM annotation n "
                    "JOIN annotator a ON a.id = n.annotator_id "
                    "GROUP BY a.name"
                )
            ).all()
        )
        events = con.execute(text("SELECT count(*) FROM annotation_event")).scalar()
        complete = con.execute(text("SELECT count(*) FROM annotation WHERE complete")).scalar()
    assert per_writer == {f"writer{w}": LABELS_EACH for w in range(WRITERS)}
    assert events == complete == WRITERS * LABELS_EACH
    if fast_db.startswith("sqlite"):
        with service.store.engine.connect() as con:
            assert con.execute(text("PRAGMA integrity_check")).scalar() == "ok"
