"""Hostile inputs through the command line: one clear line, non-zero exit, nothing changed.

Each case of tests/hostile/README.md runs an ``annotator`` command in a folder of its own,
against its own copy of a database holding the seeds and a few labels. A refused input must
give a non-zero exit, exactly one line on stderr (``annotator: error: ...``, or import's
per-file ``error: FILE: ...``) that names the file or place and says what to do after a
``;``, no traceback, and leave the database rows -- and every byte of every file in the
folder -- as they were. The few legitimate inputs (see the README) are accepted, and their
tests check the exact result instead.

Import and database cases each run ``python -m annotator`` in a process of their own, in
parallel. Scheme, label-import and export cases go through ``annotator.cli.main`` one after
the other in a single separate process (starting Python and importing annotator is a second
per process; these cases only differ in their arguments). Each case is a test of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotator.scheme import load_scheme
from annotator.service import Context, Service
from tests.conftest import SCHEME_PATH, SEEDS, db_fingerprint, env_without_user_settings

pytestmark = pytest.mark.sqlite_only  # about files and SQLite; a PostgreSQL pass adds nothing

HOSTILE = Path(__file__).resolve().parent / "hostile"
DB = "annotations.db"
SEED = "002_c4579cf5f0a426bd"
ODD_NAME = ".."
"""A valid annotator name that would leave the folder if used as a path."""
TIMEOUT = 300

Prepare = Callable[[Path], object]


def h(name: str) -> str:
    """A committed case file, as the absolute path given on the command line."""
    return str(HOSTILE / name)


@dataclass(frozen=True)
class Case:
    """One command run against one hostile input."""

    id: str
    args: tuple[str, ...]
    expect: str = ""
    """A phrase the error line must contain (what is wrong)."""
    names: str = ""
    """The file or place the error line must name."""
    prepare: Prepare | None = None
    """Writes generated inputs into the case folder before the run."""
    db: str = DB
    """The database file whose rows must not change."""
    in_process: bool = False
    """Run through ``annotator.cli.main`` in the shared process instead of its own."""


# ---------------------------------------------------------------- generated inputs


def sparse_100mb(folder: Path) -> None:
    with (folder / "huge.txt").open("wb") as f:
        f.write(b"A headline\nA first sentence.\n")
        f.truncate(100 * 1024 * 1024)


def line_10mb(folder: Path) -> None:
    text = "Word. " * (10 * 1024 * 1024 // 6 + 1)
    (folder / "long_line.jsonl").write_text(json.dumps({"id": "big", "text": text}) + "\n")


def good_10k_then_broken(folder: Path) -> None:
    lines = [
        json.dumps({"id": f"r{i}", "text": f"Record {i} reports talks. Officials confirmed it."})
        for i in range(10_000)
    ]
    lines.append('{"id": "r10000", "text": "cut off here')
    (folder / "10k.jsonl").write_text("\n".join(lines) + "\n")


def deep_json(folder: Path) -> None:
    (folder / "deep.jsonl").write_text("[" * 100_000 + "\n")


def fifo(name: str) -> Prepare:
    return lambda folder: os.mkfifo(folder / name)


def scheme_10k(folder: Path) -> None:
    # Distinct one-character keys (CJK ideographs), so the count alone is what is wrong.
    rows = [
        f'      - {{name: c{i:05d}, key: "{chr(0x4E00 + i)}", definition: Label {i}.}}'
        for i in range(10_000)
    ]
    head = 'name: huge\nversion: "1"\ngroups:\n  - name: g\n    kind: single\n    choices:\n'
    (folder / "labels_10000.yaml").write_text(head + "\n".join(rows) + "\n", encoding="utf-8")


def corrupt(path: Path) -> None:
    """Overwrite one 512-byte sector at the start of the unit table's root page."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'unit'").fetchone()
        size = con.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as f:
        f.seek((root[0] - 1) * size)
        f.write(b"\xde\xad\xbe\xef" * 128)


def corrupt_copy(folder: Path) -> None:
    shutil.copy(folder / DB, folder / "other.db")
    corrupt(folder / "other.db")


def newer_schema(folder: Path) -> None:
    with contextlib.closing(sqlite3.connect(folder / DB)) as con, con:
        con.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")


def foreign_sqlite(folder: Path) -> None:
    with contextlib.closing(sqlite3.connect(folder / "places.sqlite")) as con, con:
        con.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        con.execute("INSERT INTO moz_places VALUES (1, 'https://example.org/')")


def copy(source: str, name: str) -> Prepare:
    return lambda folder: shutil.copy(HOSTILE / source, folder / name)


def write(name: str, text: str = "keep me\n") -> Prepare:
    return lambda folder: (folder / name).write_text(text)


def mkdir(name: str) -> Prepare:
    return lambda folder: (folder / name).mkdir()


# ---------------------------------------------------------------- the cases


def imp(id: str, path: str, expect: str, prepare: Prepare | None = None) -> Case:
    return Case(f"import-{id}", ("import", "--db", DB, path), expect, path, prepare)


def scheme(id: str, path: str, expect: str, *via: str) -> Case:
    command = via or ("annotate", "--db", DB, "--as", "alice")
    prepare = scheme_10k if path == "labels_10000.yaml" else None
    args = (*command, "--scheme", path)
    return Case(f"scheme-{id}", args, expect, path, prepare, in_process=True)


def labels(id: str, path: str, expect: str, *extra: str, prepare: Prepare | None = None) -> Case:
    args = ("import-labels", "--db", DB, path, *extra)
    return Case(f"labels-{id}", args, expect, path, prepare, in_process=True)


def export(id: str, args: tuple[str, ...], expect: str, names: str, prep: Prepare | None) -> Case:
    args = ("export", "--db", DB, *args)
    return Case(f"export-{id}", args, expect, names, prep, in_process=True)


def db(
    id: str,
    args: tuple[str, ...],
    expect: str,
    names: str = DB,
    prepare: Prepare | None = None,
    file: str = DB,
) -> Case:
    return Case(f"db-{id}", args, expect, names, prepare, db=file)


FRESH = h("db/fresh.txt")
RO_URL = f"sqlite:///file:{DB}?mode=ro&uri=true"
CORRUPT = "is corrupt (database disk image is malformed)"
NOT_DB = "is not a usable annotator database (file is not a database)"
NO_JSON = "not valid JSON"
SESSION = ("session", "create", "s1", "--db", DB, "--articles", "all", "--annotators", "a,b")
LABELS_VALID = h("labels/valid.jsonl")

REFUSED: list[Case] = [
    # import: every file is checked whole before its one transaction
    imp("binary", h("import/binary.txt"), "looks binary (contains NUL bytes)"),
    imp("nul-bytes", h("import/nul_bytes.txt"), "looks binary (contains NUL bytes)"),
    imp("invalid-utf8", h("import/invalid_utf8.txt"), "not valid UTF-8 (byte 3)"),
    imp("invalid-utf16", h("import/invalid_utf16.txt"), "invalid UTF-16 at byte 12"),
    imp("empty-file", h("import/empty.txt"), "empty file (0 bytes)"),
    imp("whitespace-only", h("import/whitespace_only.txt"), "empty text"),
    imp("100mb-file", "huge.txt", "file is 100 MiB, over the 5 MiB limit", sparse_100mb),
    imp("10mb-line", "long_line.jsonl", "long_line.jsonl:1: line longer than 10 MiB", line_10mb),
    imp("10k-then-broken", "10k.jsonl", f"10k.jsonl:10001: {NO_JSON}", good_10k_then_broken),
    imp("jsonl-broken-line", h("import/broken_line.jsonl"), f"broken_line.jsonl:2: {NO_JSON}"),
    imp("jsonl-text-type", h("import/text_not_string.jsonl"), ':2: "text" must be a string'),
    imp("jsonl-id-type", h("import/id_not_text.jsonl"), ':1: "id" must be a string or integer'),
    imp("jsonl-duplicate-ids", h("import/duplicate_ids.jsonl"), ":2: duplicate id 'ok1'"),
    imp("jsonl-array", h("import/array_record.jsonl"), ":1: expected a JSON object"),
    imp("jsonl-unknown-field", h("import/unknown_field.jsonl"), "unknown field(s) body"),
    imp("jsonl-nan", h("import/nan_in_meta.jsonl"), "NaN is not valid JSON"),
    imp("jsonl-surrogate", h("import/lone_surrogate.jsonl"), "unpaired surrogate escape \\ud800"),
    imp("jsonl-nul-escape", h("import/nul_escape.jsonl"), "text contains NUL characters"),
    imp(
        "jsonl-deep-nesting", "deep.jsonl", f"deep.jsonl:1: {NO_JSON} (nested too deeply", deep_json
    ),
    imp("jsonl-no-records", h("import/no_records.jsonl"), "no records"),
    imp(
        "jsonl-utf16", h("import/utf16_bom.jsonl"), "JSON Lines must be UTF-8, this file is UTF-16"
    ),
    imp("id-taken", h(f"import/id_taken/{SEED}.txt"), f"id '{SEED}' already holds a different"),
    imp("fifo", "pipe.txt", "not a regular file", fifo("pipe.txt")),
    imp("missing-path", "no_such_file.txt", "no such file or folder"),
    # schemes: checked before anything is opened
    scheme("bad-yaml", h("schemes/bad_yaml.yaml"), "line 4, column 1: invalid YAML"),
    scheme(
        "duplicate-keys", h("schemes/duplicate_keys.yaml"), "invalid YAML (duplicate key 'name')"
    ),
    scheme("key-clash", h("schemes/key_clash.yaml"), "key 'y' is already used by groups[0]"),
    scheme("reserved-key", h("schemes/reserved_key.yaml"), "'j' is reserved for navigation"),
    scheme("unknown-field", h("schemes/unknown_field.yaml"), "colour is not a known field"),
    scheme("10000-labels", "labels_10000.yaml", "groups have 10000 choices in all"),
    scheme("empty", h("schemes/empty.yaml"), "file is empty"),
    scheme("binary", h("schemes/binary.yaml"), "not valid UTF-8 (byte 0x89 at offset 0)"),
    scheme("python-tag", h("schemes/python_tag.yaml"), "could not determine a constructor"),
    scheme("alias-bomb", h("schemes/alias_bomb.yaml"), "choices[1].examples[0] must be text"),
    scheme("top-level-list", h("schemes/top_level_list.yaml"), "top level is list"),
    scheme("via-session-create", h("schemes/key_clash.yaml"), "is already used by", *SESSION),
    scheme(
        "via-import-labels",
        h("schemes/reserved_key.yaml"),
        "is reserved for navigation",
        *("import-labels", "--db", DB, LABELS_VALID),
    ),
    scheme(
        "via-export",
        h("schemes/unknown_field.yaml"),
        "is not a known field",
        *("export", "--db", DB, "-o", "out.jsonl"),
    ),
    # label imports: every line is checked, then one transaction
    labels("unknown-article", h("labels/unknown_article.jsonl"), "unknown article '999_not_"),
    labels("unit-out-of-range", h("labels/unit_out_of_range.jsonl"), f"{SEED} has units 0-"),
    labels("offsets-mismatch", h("labels/offsets_mismatch.jsonl"), "0-5000 do not match unit 3"),
    labels("unknown-choice", h("labels/unknown_choice.jsonl"), "'opinion' is not a choice"),
    labels("wrong-hash", h("labels/wrong_hash.jsonl"), "has a different content hash"),
    labels("other-scheme-ref", h("labels/other_scheme_ref.jsonl"), "scheme stance@2 is not the"),
    labels(
        "wrong-scheme-file",
        LABELS_VALID,
        "scheme claims@1 is not the scheme in use (stance@1+",
        *("--scheme", h("labels/other_scheme.yaml")),
    ),
    labels("json-array", h("labels/array.jsonl"), ":1: a record must be a JSON object"),
    labels("empty-file", h("labels/empty.jsonl"), "no label records (the file is empty)"),
    labels("time-overflow", h("labels/time_overflow.jsonl"), "is not an ISO 8601 time"),
    labels("lone-surrogate", h("labels/lone_surrogate.jsonl"), "unpaired surrogate escape"),
    labels("bad-annotator", h("labels/bad_annotator.jsonl"), "name '../../etc/passwd' is not"),
    labels("duplicate-record", h("labels/duplicate_record.jsonl"), "is already given on line 1"),
    labels("deep-nesting", "deep.jsonl", "nested too deeply", prepare=deep_json),
    # database files
    db("corrupt-status", ("status", "--db", DB), CORRUPT, prepare=lambda f: corrupt(f / DB)),
    db("corrupt-import", ("import", "--db", DB, FRESH), CORRUPT, prepare=lambda f: corrupt(f / DB)),
    db(
        "corrupt-merge",
        ("merge", "--db", DB, "other.db"),
        f"other.db {CORRUPT}",
        "other.db",
        prepare=corrupt_copy,
    ),
    db(
        "newer-schema",
        ("import", "--db", DB, FRESH),
        "was written by a newer annotator",
        prepare=newer_schema,
    ),
    db("read-only-import", ("import", "--db", RO_URL, FRESH), f"{DB} is read-only"),
    db("read-only-labels", ("import-labels", "--db", RO_URL, LABELS_VALID), f"{DB} is read-only"),
    db(
        "text-file",
        ("import", "--db", "notes.db", FRESH),
        NOT_DB,
        "notes.db",
        prepare=copy("db/not_a_database.db", "notes.db"),
        file="notes.db",
    ),
    db(
        "png-file",
        ("status", "--db", "picture.db"),
        NOT_DB,
        "picture.db",
        prepare=copy("db/picture.db", "picture.db"),
        file="picture.db",
    ),
    db(
        "folder",
        ("import", "--db", "folder.db", FRESH),
        "is a folder, not a database file",
        "folder.db",
        prepare=mkdir("folder.db"),
    ),
    db(
        "other-program",
        ("import", "--db", "places.sqlite", FRESH),
        "holds other tables: moz_places",
        "places.sqlite",
        prepare=foreign_sqlite,
        file="places.sqlite",
    ),
    db("missing-folder", ("import", "--db", "nowhere/a.db", FRESH), "does not exist", "nowhere"),
    db(
        "invalid-url",
        ("status", "--db", "postgresql://u@[::1"),
        "is not valid",
        "postgresql://u@[::1",
    ),
    db(
        "server-unreachable",
        ("status", "--db", "postgresql+psycopg://u:pw@127.0.0.1:1/x"),
        "cannot connect",
        "127.0.0.1:1",
    ),
    # export targets
    export(
        "existing-file",
        ("-o", "old.jsonl"),
        "already exists; pass --force",
        "old.jsonl",
        write("old.jsonl"),
    ),
    export(
        "config-exists",
        ("--format", "label-studio", "-o", "ls.json"),
        "already exists",
        "ls.json.config.xml",
        write("ls.json.config.xml"),
    ),
    export(
        "folder-is-a-file",
        ("-o", "notes.txt/out.jsonl"),
        "is a file, not a folder",
        "notes.txt",
        write("notes.txt"),
    ),
    export("target-is-a-folder", ("-o", "outdir"), "is a directory", "outdir", mkdir("outdir")),
    export(
        "target-is-a-pipe",
        ("-o", "pipe.jsonl", "--force"),
        "is not a regular file",
        "pipe.jsonl",
        fifo("pipe.jsonl"),
    ),
    export("target-is-the-db", ("-o", DB, "--force"), "is the database itself", DB, None),
    export("empty-target", ("-o", ""), "-o is empty", "-o", None),
    export(
        "split-into-a-file",
        ("--split", "train=0.8,dev=0.2", "-o", "notes.txt"),
        "is a file, not a folder",
        "notes.txt",
        write("notes.txt"),
    ),
]

ACCEPTED: dict[str, Case] = {
    case.id: case
    for case in [
        Case("accept-utf16-bom-txt", ("import", "--db", DB, h("import/utf16_bom.txt"))),
        Case("accept-crlf-txt", ("import", "--db", DB, h("import/crlf.txt"))),
        Case("accept-crlf-jsonl", ("import", "--db", DB, h("import/crlf.jsonl"))),
        Case(
            "accept-zero-byte-db",
            ("import", "--db", "empty.db", FRESH),
            prepare=write("empty.db", ""),
            db="empty.db",
        ),
        Case("accept-doccano-odd-name", ("export", "--db", DB, "--format", "doccano", "-o", "out")),
    ]
}


# ---------------------------------------------------------------- running them

State = tuple[dict[str, str], str]


@dataclass
class Outcome:
    """What a case's command printed and what its folder held before and after."""

    folder: Path
    returncode: int
    stdout: str
    stderr: str
    before: State
    after: State


def state(folder: Path, db: str) -> State:
    """Every file in ``folder`` (hashed) and a hash of the rows of ``folder/db``.

    SQLite's shared-memory index (``-shm``) and an empty write-ahead log are left out: they
    hold no data and a read-only connection cannot remove them.
    """
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel.endswith("-shm") or (rel.endswith("-wal") and path.stat().st_size == 0):
            continue
        if path.is_dir():
            files[rel] = "folder"
        elif not path.is_file():
            files[rel] = "special"
        elif path.stat().st_size > 1 << 20:
            files[rel] = f"{path.stat().st_size} bytes, modified {path.stat().st_mtime_ns}"
        else:
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    target = folder / db
    try:
        rows = db_fingerprint(target) if target.is_file() else "no database file"
    except Exception as exc:  # not a database, or corrupt: its bytes are compared above
        rows = f"unreadable: {type(exc).__name__}"
    return files, rows


RUNNER = """
import contextlib, io, json, os, sys, traceback
from annotator.cli import main

results = []
for folder, args in json.load(sys.stdin):
    os.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
    results.append([code, out.getvalue(), err.getvalue()])
json.dump(results, sys.stdout)
"""
"""Runs cases through ``annotator.cli.main`` as ``python -m annotator`` would, one by one."""


def run(argv: list[str], cwd: Path, stdin: str | None = None) -> tuple[int, str, str]:
    """Run ``python ARGV`` in ``cwd``; (exit status, stdout, stderr)."""
    try:
        proc = subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env_without_user_settings(),
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {TIMEOUT} s (did a valid input open the app?)"
    return proc.returncode, proc.stdout, proc.stderr


def run_batch(cases: list[Case], folders: dict[str, Path]) -> list[tuple[int, str, str]]:
    """Run ``cases`` one after the other through ``annotator.cli.main`` in one new process."""
    if not cases:
        return []
    batch = json.dumps([(str(folders[c.id]), list(c.args)) for c in cases])
    code, out, err = run(["-c", RUNNER], cwd=folders[cases[0].id], stdin=batch)
    if code != 0:  # the runner itself failed: every case shows why
        return [(-1, out, err)] * len(cases)
    return [(int(c), str(o), str(e)) for c, o, e in json.loads(out)]


def make_base(folder: Path) -> Path:
    """The seeds, with labels by alice and by an annotator called '..'."""
    path = folder / DB
    service = Service.open(f"sqlite:///{path}")
    try:
        assert not service.import_paths([SEEDS]).errors
        claims = load_scheme(SCHEME_PATH)
        units = service.article(Context("alice", claims), SEED).units
        attributed = {"claim_type": "attributed", "flags": ["framing"]}
        service.set_labels(Context("alice", claims), units[3].id, attributed)
        service.set_labels(Context("alice", claims), units[4].id, {"claim_type": "editorial"})
        service.set_labels(Context(ODD_NAME, claims), units[3].id, {"claim_type": "editorial"})
    finally:
        service.close()
    assert not Path(f"{path}-wal").exists()  # fully checkpointed: the file is the database
    return path


def selected(request: pytest.FixtureRequest) -> list[Case]:
    """The cases of the tests pytest is about to run (all, unless -k or node ids narrow it)."""
    wanted: dict[str, Case] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        here = getattr(item, "module", None) is sys.modules[__name__]
        if here and callspec and "case" in callspec.params:
            case = callspec.params["case"]
            wanted[case.id] = case
    return list(wanted.values())


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    """Every selected case run once, keyed by case id."""
    root = tmp_path_factory.mktemp("hostile")
    base = make_base(tmp_path_factory.mktemp("base"))
    cases = selected(request)
    folders = {c.id: root / c.id for c in cases}

    def setup(case: Case) -> State:
        folders[case.id].mkdir()
        shutil.copy(base, folders[case.id] / DB)
        if case.prepare is not None:
            case.prepare(folders[case.id])
        return state(folders[case.id], case.db)

    shared = [c for c in cases if c.in_process]
    own = [c for c in cases if not c.in_process]
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2) + 1)) as pool:
        before = dict(zip(folders, pool.map(setup, cases), strict=True))
        batch = pool.submit(run_batch, shared, folders)
        ran = pool.map(lambda c: run(["-m", "annotator", *c.args], cwd=folders[c.id]), own)
        results = dict(zip([c.id for c in own], ran, strict=True))
        results |= dict(zip([c.id for c in shared], batch.result(), strict=True))
        after = dict(
            zip(folders, pool.map(lambda c: state(folders[c.id], c.db), cases), strict=True)
        )
    yield {c.id: Outcome(folders[c.id], *results[c.id], before[c.id], after[c.id]) for c in cases}


# ---------------------------------------------------------------- refused


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_refused_with_one_line_and_nothing_changed(
    case: Case, outcomes: dict[str, Outcome]
) -> None:
    out = outcomes[case.id]
    assert "Traceback" not in out.stdout + out.stderr, out.stderr
    assert out.returncode > 0, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    line = lines[0]
    assert line.startswith(("annotator: error: ", "error: ")), line
    assert case.names in line, line
    assert case.expect in line, line
    what, _, todo = line.rpartition("; ")
    assert what and len(todo.split()) >= 2, f"no advice after '; ' in: {line}"
    assert out.after == out.before


def test_the_readme_lists_every_case_and_every_file_is_used() -> None:
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    cases = [*REFUSED, *ACCEPTED.values()]
    assert len(REFUSED) >= 30
    assert len({c.id for c in cases}) == len(cases)
    assert [c.id for c in cases if f"`{c.id}`" not in readme] == []
    used = " ".join(" ".join(c.args) for c in cases) + " db/not_a_database.db db/picture.db"
    files = [p.relative_to(HOSTILE).as_posix() for p in HOSTILE.rglob("*") if p.is_file()]
    unused = [f for f in files if f not in {"README.md", ".gitattributes"} and f not in used]
    assert unused == []
    assert [f for f in files if f"`{f}`" not in readme and f != "README.md"] == []


# ---------------------------------------------------------------- accepted


def rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as con:
        return con.execute(sql, params).fetchall()


def units(db: Path, external_id: str) -> list[tuple[object, ...]]:
    return rows(
        db,
        'SELECT u.start, u."end", u.role, u.text FROM unit u JOIN article a ON a.id = u.article_id'
        " WHERE a.external_id = ? ORDER BY u.idx",
        external_id,
    )


def accepted(outcomes: dict[str, Outcome], case: Case) -> Outcome:
    out = outcomes[case.id]
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    return out


def only(case_id: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", [ACCEPTED[case_id]], ids=[case_id])


@only("accept-utf16-bom-txt")
def test_utf16_with_bom_is_decoded_with_exact_offsets(
    case: Case, outcomes: dict[str, Outcome]
) -> None:
    db = accepted(outcomes, case).folder / DB
    text = (HOSTILE / "import/utf16_bom.txt").read_bytes().decode("utf-16")
    assert rows(db, "SELECT text FROM article WHERE external_id = 'utf16_bom'") == [(text,)]
    assert units(db, "utf16_bom") == [
        (0, 22, "heading", "Talks resume in Geneva"),
        (23, 70, "sentence", "The minister said talks would resume on Monday."),
        (71, 103, "sentence", "Critics called the plan \u201cna\u00efve\u201d."),
    ]


@only("accept-crlf-txt")
def test_crlf_text_keeps_its_line_ends_and_exact_offsets(
    case: Case, outcomes: dict[str, Outcome]
) -> None:
    db = accepted(outcomes, case).folder / DB
    text = (HOSTILE / "import/crlf.txt").read_bytes().decode("utf-8")
    assert text.count("\r\n") == 2
    assert rows(db, "SELECT text FROM article WHERE external_id = 'crlf'") == [(text,)]
    assert units(db, "crlf") == [
        (0, 22, "heading", "Talks resume in Geneva"),
        (24, 71, "sentence", "The minister said talks would resume on Monday."),
        (72, 102, "sentence", "Critics called the plan naive."),
    ]


@only("accept-crlf-jsonl")
def test_crlf_jsonl_records_are_read(case: Case, outcomes: dict[str, Outcome]) -> None:
    db = accepted(outcomes, case).folder / DB
    assert rows(db, "SELECT external_id, text FROM article WHERE source LIKE '%crlf.jsonl'") == [
        ("crlf1", "Talks resumed on Monday. Officials said so."),
        ("crlf2", "Critics disagreed. They said so on Tuesday."),
    ]


@only("accept-zero-byte-db")
def test_zero_byte_file_is_an_empty_database(case: Case, outcomes: dict[str, Outcome]) -> None:
    out = accepted(outcomes, case)
    assert "1 imported (0 near-duplicates), 0 already present, 0 failed" in out.stdout
    assert units(out.folder / "empty.db", "fresh") == [
        (0, 11, "heading", "Fresh talks"),
        (12, 56, "sentence", "The envoy said a new round would start soon."),
        (57, 77, "sentence", "Nobody confirmed it."),
    ]


@only("accept-doccano-odd-name")
def test_doccano_file_of_an_odd_name_stays_in_its_folder(
    case: Case, outcomes: dict[str, Outcome]
) -> None:
    out = accepted(outcomes, case)
    odd = f"doccano-_-{hashlib.sha256(ODD_NAME.encode()).hexdigest()[:8]}.jsonl"
    assert sorted(p.name for p in (out.folder / "out").iterdir()) == [odd, "doccano-alice.jsonl"]
    assert set(out.after[0]) - set(out.before[0]) == {
        "out",
        "out/doccano-alice.jsonl",
        f"out/{odd}",
    }
    record = json.loads((out.folder / "out" / odd).read_text())
    assert (record["article"], record["unit"], record["label"]) == (SEED, 3, ["editorial"])
    assert out.after[1] == out.before[1]
