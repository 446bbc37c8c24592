"""``annotator import-labels``: round trip, idempotence, the keyboard's write path, refusals."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.scheme import Scheme
from annotator.service import Context, Service
from tests.conftest import SCHEME_PATH, SEEDS, db_fingerprint, env_without_user_settings
from tests.test_export import A3, PER_ANNOTATOR_ROWS, export, labelled_copy


@pytest.fixture
def labelled(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The seeds labelled by three annotators (see tests/test_export.py)."""
    return labelled_copy(tmp_path_factory, tmp_path)


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A database holding only the seeds."""
    path = tmp_path / "fresh.db"
    service = Service.open(f"sqlite:///{path}")
    assert not service.import_paths([SEEDS]).errors
    service.close()
    return path


def import_labels(db: Path, file: Path, *args: str) -> int:
    return main(["import-labels", "--db", str(db), str(file), *args])


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def write_lines(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def test_round_trip_is_identical(labelled: Path, fresh: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert export(labelled, "--per-annotator", "-o", str(first)) == 0
    assert import_labels(fresh, first) == 0
    assert export(fresh, "--per-annotator", "-o", str(second)) == 0
    assert second.read_bytes() == first.read_bytes()
    # the same write path as the keyboard: one edit event per imported annotation
    assert rows(fresh, "SELECT kind, count(*) FROM annotation_event GROUP BY kind") == [
        ("edit", PER_ANNOTATOR_ROWS)
    ]
    assert rows(fresh, "SELECT name FROM annotator ORDER BY name") == [
        ("alice",),
        ("bob",),
        ("carol",),
    ]
    # complete is set as the scheme says: every single group chosen
    complete = rows(fresh, "SELECT labels, complete FROM annotation")
    assert all(bool(c) == (json.loads(labels)["claim_type"] is not None) for labels, c in complete)


def test_reimport_is_idempotent(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    export(labelled, "--per-annotator", "-o", str(out))
    before = db_fingerprint(labelled)
    assert import_labels(labelled, out) == 0
    assert db_fingerprint(labelled) == before


def test_changed_record_writes_one_event(
    labelled: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "labels.jsonl"
    export(labelled, "--per-annotator", "-o", str(out))
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    target = next(r for r in records if (r["article"], r["unit"], r["annotator"]) == (A3, 2, "bob"))
    target["labels"] = {"claim_type": "no_claim", "flags": []}
    target["updated_at"] = "2025-01-02T03:04:05Z"
    write_lines(out, records)
    n_events = rows(labelled, "SELECT count(*) FROM annotation_event")[0][0]
    capsys.readouterr()
    assert import_labels(labelled, out) == 0
    assert "1 changed" in capsys.readouterr().out
    events = rows(labelled, "SELECT kind, before, after FROM annotation_event ORDER BY id")
    assert len(events) == n_events + 1
    kind, before, after = events[-1]
    assert kind == "edit"
    assert json.loads(str(before)) == {"claim_type": "attributed", "flags": []}
    assert json.loads(str(after)) == {"claim_type": "no_claim", "flags": []}
    stored = rows(
        labelled,
        "SELECT an.updated_at FROM annotation an JOIN annotator n ON n.id = an.annotator_id "
        "JOIN unit u ON u.id = an.unit_id WHERE n.name = 'bob' AND u.idx = 2 "
        "AND u.article_id = (SELECT id FROM article WHERE external_id = '" + A3 + "')",
    )
    assert stored == [("2025-01-02 03:04:05.000000",)]  # the file's time is kept


def test_hand_written_file_with_short_scheme_ref(fresh: Path, tmp_path: Path) -> None:
    record = {
        "article": A3,
        "unit": 0,
        "start": 0,
        "end": 60,
        "annotator": "dana",
        "labels": {"claim_type": "attributed"},
        "scheme": "claims@1",
    }
    file = write_lines(tmp_path / "hand.jsonl", [record])
    file.write_text(file.read_text("utf-8") + "\n   \n", "utf-8")  # blank lines are skipped
    assert import_labels(fresh, file) == 0
    assert rows(fresh, "SELECT name FROM annotator") == [("dana",)]
    labels, complete, note = rows(fresh, "SELECT labels, complete, note FROM annotation")[0]
    assert json.loads(str(labels)) == {"claim_type": "attributed", "flags": []}
    assert complete == 1 and note is None


def test_other_scheme_with_scheme_option(fresh: Path, tmp_path: Path, scheme: Scheme) -> None:
    yaml_text = SCHEME_PATH.read_text("utf-8").replace('version: "1"', 'version: "2"', 1)
    assert yaml_text != SCHEME_PATH.read_text("utf-8")
    other = tmp_path / "claims2.yaml"
    other.write_text(yaml_text, "utf-8")
    shutil.copy(SCHEME_PATH.with_suffix(".md"), tmp_path / "claims.md")
    record = {
        "article": A3,
        "unit": 0,
        "start": 0,
        "end": 60,
        "annotator": "dana",
        "labels": {"claim_type": "editorial"},
        "scheme": "claims@2",
    }
    file = write_lines(tmp_path / "v2.jsonl", [record])
    before = db_fingerprint(fresh)
    assert import_labels(fresh, file) == 2  # the default scheme is claims@1
    assert db_fingerprint(fresh) == before
    assert import_labels(fresh, file, "--scheme", str(other)) == 0
    (stored,) = rows(fresh, "SELECT scheme_hash FROM annotation")
    assert stored[0] != scheme.hash


GOOD = {
    "article": A3,
    "unit": 1,
    "start": 61,
    "end": 184,
    "annotator": "dana",
    "labels": {"claim_type": "editorial", "flags": []},
    "scheme": "claims@1",
}
THIRD = dict(GOOD, annotator="erin")  # a third line that repeats nothing


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"article": "nope"', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (dict(THIRD, article="999_missing"), "unknown article '999_missing'; import the article"),
        (dict(THIRD, unit=500), f"article {A3} has units 0-30, not 500"),
        (dict(THIRD, start=60), "offsets 60-184 do not match unit 1"),
        (dict(THIRD, role="heading"), "role 'heading' does not match unit 1"),
        (dict(THIRD, text="Something else"), "text does not match unit 1"),
        (dict(THIRD, labels={"claim_type": "opinion"}), "'opinion' is not a choice of this group"),
        (dict(THIRD, labels={"stance": "pro"}), "group 'stance' is not in the scheme"),
        (dict(THIRD, scheme="claims@1+0123456789ab"), "has a different content hash"),
        (dict(THIRD, scheme="other@1"), "is not the scheme in use"),
        (dict(THIRD, scheme="claims"), "is not a scheme reference"),
        (dict(THIRD, annotator="no spaces"), "annotator name 'no spaces' is not valid"),
        (dict(THIRD, unit="1"), '"unit" must be a whole number'),
        (dict(THIRD, updated_at="yesterday"), "is not an ISO 8601 time"),
        (dict(THIRD, notes="typo"), "unknown field 'notes'"),
        ({k: v for k, v in THIRD.items() if k != "labels"}, "field 'labels' is missing"),
        (GOOD, "is already given on line 2"),
    ],
)
def test_bad_line_is_refused_with_its_number_and_nothing_written(
    fresh: Path, tmp_path: Path, line: object, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    good_first = dict(GOOD, unit=0, start=0, end=60)
    file = tmp_path / "bad.jsonl"
    third = line if isinstance(line, str) else json.dumps(line)
    file.write_text(json.dumps(good_first) + "\n" + json.dumps(GOOD) + "\n" + third + "\n", "utf-8")
    before = db_fingerprint(fresh)
    assert import_labels(fresh, file) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"annotator: error: {file}:3: ")
    assert expected in err
    assert "\n" not in err
    assert db_fingerprint(fresh) == before


def test_cli_refusal_is_one_line_without_traceback(fresh: Path, tmp_path: Path) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text(json.dumps(dict(GOOD, labels={"claim_type": "opinion"})) + "\n", "utf-8")
    before = db_fingerprint(fresh)
    done = subprocess.run(
        [sys.executable, "-m", "annotator", "import-labels", "--db", str(fresh), str(file)],
        capture_output=True,
        text=True,
        env=env_without_user_settings(),
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"annotator: error: {file}:1: labels for claims@1+")
    assert db_fingerprint(fresh) == before


def test_missing_file_and_missing_database(
    tmp_path: Path, fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_labels(fresh, tmp_path / "absent.jsonl") == 2
    assert "absent.jsonl: no such file; check the path" in capsys.readouterr().err
    file = write_lines(tmp_path / "ok.jsonl", [GOOD])
    assert import_labels(tmp_path / "nodb.db", file) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "nodb.db").exists()


def test_interchange_can_be_limited_to_one_annotator(seeded: Service, scheme: Scheme) -> None:
    import io

    from annotator.export.labels_io import write_interchange

    units = [
        u.id
        for u in seeded.article(Context("alice", scheme), "003_490b98aef62dcad9").units
        if u.role == "sentence"
    ]
    seeded.press(Context("alice", scheme), units[0], "a")
    seeded.press(Context("bob", scheme), units[0], "e")
    seeded.press(Context("bob", scheme), units[1], "e")
    out = io.StringIO()
    assert write_interchange(seeded.store, out, scheme, annotators=["alice"]) == 1
    assert '"annotator": "alice"' in out.getvalue() and "bob" not in out.getvalue()
