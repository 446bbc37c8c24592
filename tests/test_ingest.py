"""Import: seeds, idempotence, near-duplicates, JSONL, and every kind of bad input."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.ingest import MAX_TEXT_BYTES
from annotator.ingest_pool import Workers, start_workers
from annotator.segment import Segmenter
from annotator.service import Service
from tests.conftest import SEEDS

SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_seeds_import_with_truncated_copy_flagged(service: Service) -> None:
    report = service.import_paths([SEEDS])
    assert report.errors == []
    status = service.status()
    assert status.articles == 5
    assert status.duplicates == [("000_ff92629906c65547", "001_072d0af660637b2d")]
    with service.store.session(write=False) as s:
        from annotator.store.articles import get_article, units_of

        article = get_article(s, "003_490b98aef62dcad9")
        assert article is not None and article.id is not None
        assert article.title == "Putin's repeated call for talks met with Kyiv's firm refusal"
        text = (SEEDS / "003_490b98aef62dcad9.txt").read_text(encoding="utf-8")
        assert article.text == text
        units = units_of(s, article.id)
        assert all(text[u.start : u.end] == u.text for u in units)
        assert [u.idx for u in units] == list(range(len(units)))


def test_reimport_adds_nothing(service: Service, db_state: Callable[[], str]) -> None:
    service.import_paths([SEEDS])
    before = db_state()
    again = service.import_paths([SEEDS])
    assert [i.status for i in again.items] == ["skipped"] * 5
    assert db_state() == before


def test_duplicate_flagged_whichever_comes_first(service: Service, tmp_path: Path) -> None:
    service.import_paths([SEEDS / "001_072d0af660637b2d.txt"])
    report = service.import_paths([SEEDS / "000_ff92629906c65547.txt"])
    assert report.items[0].status == "duplicate"
    assert report.items[0].duplicate_of == "001_072d0af660637b2d"


def test_unrelated_articles_are_not_duplicates(service: Service) -> None:
    service.import_paths([SEEDS / "002_c4579cf5f0a426bd.txt", SEEDS / "004_39dcb224b8f820fa.txt"])
    assert service.status().duplicates == []


def test_jsonl_records(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    rows = [
        {"id": "a1", "text": "Headline here\nThe minister said it was fine.", "meta": {"x": 1}},
        {"id": 7, "title": "Custom", "text": "Officials denied it. They said so twice."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    report = service.import_paths([path])
    assert [(i.external_id, i.status) for i in report.items] == [
        ("a1", "imported"),
        ("7", "imported"),
    ]
    with service.store.session(write=False) as s:
        from annotator.store.articles import get_article

        a1, seven = get_article(s, "a1"), get_article(s, "7")
        assert a1 is not None and a1.title == "Headline here" and a1.meta == {"x": 1}
        assert seven is not None and seven.title == "Custom"


def _bad_jsonl(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "ok1", "text": "A fine sentence. Another one."})


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
        ("latin1.txt", "Caf\u00e9 au lait.".encode("latin-1"), "not valid UTF-8 (byte 3)"),
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n \t\n", "empty text"),
        ("broken.jsonl", (GOOD + "\n{not json\n").encode(), "bad.jsonl:2: not valid JSON"),
        ("notext.jsonl", (GOOD + '\n{"id": "x"}\n').encode(), 'bad.jsonl:2: missing "text"'),
        ("noid.jsonl", b'{"text": "t t t."}\n', 'bad.jsonl:1: missing "id"'),
        ("types.jsonl", b'{"id": "x", "text": 5}\n', '"text" must be a string'),
        ("array.jsonl", b"[1, 2]\n", "expected a JSON object"),
        (
            "dupid.jsonl",
            (GOOD + "\n" + GOOD.replace("fine", "good") + "\n").encode(),
            "duplicate id 'ok1' (first on line 1)",
        ),
        ("unknown.jsonl", b'{"id": "x", "text": "t.", "body": 1}\n', "unknown field(s) body"),
    ],
)
def test_bad_input_writes_nothing_and_says_why(
    service: Service,
    tmp_path: Path,
    db_state: Callable[[], str],
    name: str,
    content: bytes,
    expected: str,
) -> None:
    service.import_paths([SEEDS / "002_c4579cf5f0a426bd.txt"])
    before = db_state()
    path = tmp_path / ("bad.jsonl" if name.endswith(".jsonl") else name)
    path.write_bytes(content)
    report = service.import_paths([path])
    assert len(report.errors) == 1
    message = report.errors[0].message
    assert expected in message
    assert "\n" not in message and str(path) in message
    assert db_state() == before


def test_oversized_file_refused(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(MAX_TEXT_BYTES + 1)
    report = service.import_paths([path])
    assert "over the 5 MiB limit" in report.errors[0].message


def test_good_files_kept_when_another_fails(service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "good.txt").write_text("Title\nSomething happened today.", "utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\xfd" + b"\x00" * 10)
    (folder / "ignored.csv").write_text("a,b", "utf-8")
    report = service.import_paths([folder])
    assert [(i.external_id, i.status) for i in report.items if i.status != "error"] == [
        ("good", "imported")
    ]
    assert len(report.errors) == 1
    assert service.status().articles == 1


def test_jsonl_file_is_one_transaction(service: Service, tmp_path: Path) -> None:
    path = _bad_jsonl(tmp_path, [GOOD, json.dumps({"id": "b", "text": "x y."}), "{oops"])
    report = service.import_paths([path])
    assert len(report.items) == 1 and report.items[0].status == "error"
    assert service.status().articles == 0


def test_same_id_different_text_refused(service: Service, tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "story.txt", tmp_path / "b" / "story.txt"
    one.parent.mkdir()
    two.parent.mkdir()
    one.write_text("First\nOne text here.", "utf-8")
    two.write_text("Second\nAnother text here.", "utf-8")
    report = service.import_paths([one, two])
    assert report.items[0].status == "imported"
    assert "already holds a different text" in report.errors[0].message


def test_crlf_and_bom_keep_exact_offsets(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffTitle line\r\nHe said it. She agreed.\r\n".encode())
    service.import_paths([path])
    with service.store.session(write=False) as s:
        from annotator.store.articles import get_article, units_of

        article = get_article(s, "crlf")
        assert article is not None and article.id is not None
        assert article.text == "Title line\r\nHe said it. She agreed.\r\n"
        units = units_of(s, article.id)
        assert [u.text for u in units] == ["Title line", "He said it.", "She agreed."]
        assert all(article.text[u.start : u.end] == u.text for u in units)


def test_parallel_segmentation_writes_the_same_units(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator import ingest

    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(texts * 3)),
        encoding="utf-8",
    )

    def units(url: str) -> list[tuple[object, ...]]:
        svc = Service.open(url)
        report = svc.import_paths([path])
        with svc.store.engine.connect() as con:
            from sqlalchemy import text

            rows = con.execute(
                text(
                    'SELECT a.external_id, a.duplicate_of IS NULL, u.idx, u.start, u."end", '
                    "u.role, u.text FROM unit u JOIN article a ON a.id = u.article_id "
                    "ORDER BY a.external_id, u.idx"
                )
            ).all()
        svc.close()
        assert [i.status for i in report.items] == ["imported"] * 5 + ["skipped"] * 10
        assert report.near_duplicates == 1
        return [tuple(r) for r in rows]

    sequential = units(f"sqlite:///{tmp_path / 'seq.db'}")
    # Chunks of two documents: some segmented by the two workers, some by the importer.
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest, "CHUNK_DOCS", 2)
    monkeypatch.setattr(ingest.os, "cpu_count", lambda: 3)
    parallel = units(f"sqlite:///{tmp_path / 'par.db'}")
    assert parallel == sequential and len(parallel) > 100
    monkeypatch.setattr(ingest.os, "cpu_count", lambda: 1)  # no workers, many chunks
    chunked = units(f"sqlite:///{tmp_path / 'one.db'}")
    assert chunked == sequential

    def dead_on_arrival(segmenter: Segmenter, count: int) -> Workers | None:
        workers = start_workers(segmenter, count)
        assert workers is not None
        for pid in workers.pids:
            os.kill(pid, signal.SIGKILL)
        return workers

    monkeypatch.setattr(ingest.os, "cpu_count", lambda: 3)
    monkeypatch.setattr(ingest, "start_workers", dead_on_arrival)
    orphaned = units(f"sqlite:///{tmp_path / 'dead.db'}")  # this process does it all
    assert orphaned == sequential
