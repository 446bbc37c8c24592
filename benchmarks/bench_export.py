"""Export of 1,000,000 annotations to the interchange JSONL vs a bare sqlite3 + json.dumps loop.

A database of 2,000 articles x 100 units x 5 annotators (1,000,000 annotation rows) is built
once with the schema from ``Service.open`` and bulk ``executemany`` inserts, and cached in
``benchmarks/.data/`` (git-ignored). Ours is ``annotator export --per-annotator`` run
in-process through ``annotator.cli.main`` (opening the database, checking the schema, the
streamed query and the atomic write included). The baseline runs the same joined, ordered
query on a bare ``sqlite3`` cursor and writes each row with ``json.dumps`` of a dict holding
the same fields. Both outputs must be byte-identical. Target: ours <= 1.5 x the baseline.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DATA, best_of, row, seed_sentences, table

N_ARTICLES = 2_000
UNITS_PER_ARTICLE = 100
ANNOTATORS = ("alice", "bob", "carol", "dave", "erin")
DB_PATH = DATA / f"export_{N_ARTICLES}x{UNITS_PER_ARTICLE}x{len(ANNOTATORS)}.db"

QUERY = """
SELECT a.external_id, u.idx, u.start, u."end", u.role, u.text, n.name, an.labels, an.note,
       an.session, an.updated_at
FROM annotation an
JOIN unit u ON u.id = an.unit_id
JOIN article a ON a.id = u.article_id
JOIN annotator n ON n.id = an.annotator_id
WHERE an.scheme_hash = ?
ORDER BY a.id, u.idx, n.name, an.session
"""


def build(path: Path, scheme_hash: str) -> None:
    """Create the benchmark database at ``path`` (schema via Service.open, rows via sqlite3)."""
    from annotator.service import Service

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    Service.open(f"sqlite:///{tmp}").close()
    rng = random.Random(11)
    lines = seed_sentences()
    choices = ("attributed", "editorial", "no_claim", None)
    stamp = "2024-05-01 12:00:00.000000"
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.executemany(
        "INSERT INTO annotator (id, name, created_at) VALUES (?, ?, ?)",
        [(i + 1, name, stamp) for i, name in enumerate(ANNOTATORS)],
    )
    unit_id = 0
    for a in range(N_ARTICLES):
        texts = [rng.choice(lines) for _ in range(UNITS_PER_ARTICLE)]
        texts[0] = f"Story {a}: {texts[0]}"
        body, units, offset = [], [], 0
        for idx, text in enumerate(texts):
            units.append(
                (unit_id + idx + 1, a + 1, idx, offset, offset + len(text), "sentence", text)
            )
            body.append(text)
            offset += len(text) + 1
        article_text = "\n".join(body)
        sha = f"{a:064x}"
        con.execute(
            "INSERT INTO article (id, external_id, title, source, sha256, text, meta, created_at)"
            " VALUES (?, ?, ?, '', ?, ?, '{}', ?)",
            (a + 1, f"gen-{a:06d}", texts[0][:80], sha, article_text, stamp),
        )
        con.executemany(
            'INSERT INTO unit (id, article_id, idx, start, "end", role, text)'
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            units,
        )
        annotations = []
        for uid, *_ in units:
            for k in range(len(ANNOTATORS)):
                labels = {
                    "claim_type": rng.choice(choices),
                    "flags": ["framing"] if rng.random() < 0.1 else [],
                }
                note = "unsure" if rng.random() < 0.01 else None
                annotations.append(
                    (
                        k + 1,
                        uid,
                        scheme_hash,
                        "",
                        json.dumps(labels),
                        labels["claim_type"] is not None,
                        note,
                        stamp,
                        f"2024-05-01 12:{uid % 60:02d}:{k:02d}.{uid % 1000000:06d}",
                    )
                )
        con.executemany(
            "INSERT INTO annotation (annotator_id, unit_id, scheme_hash, session, labels,"
            " complete, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            annotations,
        )
        unit_id += len(units)
    con.commit()
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    tmp.replace(path)


def baseline(db: Path, out: Path, scheme_ref: str, scheme_hash: str) -> int:
    """The same fields with a bare sqlite3 cursor and one json.dumps per row."""
    con = sqlite3.connect(db)
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for art, idx, start, end, role, text, name, labels, note, sess, at in con.execute(
            QUERY, (scheme_hash,)
        ):
            record: dict[str, Any] = {
                "article": art,
                "unit": idx,
                "start": start,
                "end": end,
                "role": role,
                "text": text,
                "annotator": name,
                "labels": json.loads(labels),
                "note": note,
                "scheme": scheme_ref,
                "session": sess,
                "updated_at": f"{at[:10]}T{at[11:]}Z",
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    con.close()
    return n


def run() -> list[dict[str, Any]]:
    """Measure and return the table rows."""
    from annotator.cli import main
    from annotator.scheme import default_scheme_path, load_scheme

    scheme = load_scheme(default_scheme_path())
    if not DB_PATH.exists():
        t0 = time.perf_counter()
        build(DB_PATH, scheme.hash)
        print(f"  built {DB_PATH.name} in {time.perf_counter() - t0:.0f} s")
    ours_out = DATA / "export_ours.jsonl"
    base_out = DATA / "export_baseline.jsonl"

    def ours() -> None:
        args = ["export", "--db", str(DB_PATH), "--per-annotator", "-o", str(ours_out), "--force"]
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(args)
        assert code == 0

    base_time, n = best_of(lambda: baseline(DB_PATH, base_out, scheme.ref, scheme.hash), repeat=2)
    ours_time, _ = best_of(ours, repeat=2)
    assert n == len(ANNOTATORS) * N_ARTICLES * UNITS_PER_ARTICLE
    assert ours_out.read_bytes() == base_out.read_bytes(), "outputs differ"
    ours_out.unlink()
    base_out.unlink()
    ratio = ours_time / base_time
    return [
        row(
            f"export --per-annotator of {n:,} annotations, s (vs sqlite3 + json.dumps)",
            ours_time,
            base_time,
            "s",
            "≤ 1.5×",
            ratio <= 1.5,
        )
    ]


if __name__ == "__main__":
    print(table(run()))
