"""Import throughput (units/s) against the bare segmenter on the same texts, same run.

10,000 generated articles (seed paragraphs reshuffled, seeded) are written to one
JSONL file and imported into a fresh SQLite database with ``annotator import``'s
code path (reading, validation, segmentation, near-duplicate detection, inserts,
WAL with synchronous=FULL). The baseline is ``annotator.segment.segment`` alone on
the same texts. Target: import ≥ 0.75 × the bare segmenter. A second row shows
nupunkt alone (no news rules) for reference.

The baseline runs in one process; import segments in ``cpu_count() - 1`` worker
processes and in the importing process itself (while it also reads, checks and
writes), so the ratio depends on how many cores are free during the run.

Each side runs ``RUNS`` times, alternating, each import into a fresh database; the medians
are reported (one run of about 2 s moves with the disk's write-back of earlier benchmarks).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import generated_articles, row, table, write_jsonl

N_ARTICLES = 10_000
RUNS = 3
IMPORT_GAP = (
    "the runs gave {runs}. Profiled with cProfile (2026-12-07, this corpus): the importing "
    "process, not segmenting, sets the pace. Of its ~2 s, reading and checking the whole "
    "file takes ~0.5 s (before the write transaction starts, so a bad file never holds the "
    "write lock), the inserts ~0.45 s, near-duplicate matching ~0.14 s, building unit rows "
    "~0.12 s and the commit (WAL fsync and checkpoint of ~70 MB) ~0.26 s; the one worker "
    "process a 2-core machine leaves segments the rest, and the importer segments chunks "
    "itself while it would otherwise wait. Disk and SQLite time does not shrink with a "
    "faster CPU, so the ratio moves with this VM's I/O against its CPU (0.44 before this "
    "work; about 0.6 to 0.93 across runs since). Tried without gain: a writer thread for the "
    "inserts, a second worker, deeper worker queues. With more cores up to four workers "
    "share the segmenting; that is not measured here."
)
"""Why the import target can be missed on a 2-core machine (printed when it is)."""


def run() -> list[dict[str, Any]]:
    """Measure and return the table rows."""
    from annotator.segment import Segmenter, bare_nupunkt_spans
    from annotator.service import Service

    records = generated_articles(N_ARTICLES)
    texts = [r["text"] for r in records]
    segmenter = Segmenter()
    segmenter.split(texts[0])  # load the model outside the timing

    seg_rates: list[float] = []
    import_rates: list[float] = []
    for attempt in range(RUNS):
        t0 = time.perf_counter()
        n_units = sum(len(segmenter.split(t)) for t in texts)
        seg_rates.append(n_units / (time.perf_counter() - t0))
        with tempfile.TemporaryDirectory() as tmp:
            path = write_jsonl(Path(tmp) / "corpus.jsonl", records)
            service = Service.open(f"sqlite:///{Path(tmp) / f'bench{attempt}.db'}")
            t0 = time.perf_counter()
            report = service.import_paths([path])
            elapsed = time.perf_counter() - t0
            imported_units = sum(i.n_units for i in report.items)
            service.close()
        assert not report.errors, report.errors[:1]
        assert imported_units == n_units
        import_rates.append(imported_units / elapsed)
    seg_rate = statistics.median(seg_rates)
    import_rate = statistics.median(import_rates)

    t0 = time.perf_counter()
    n_bare = sum(len(bare_nupunkt_spans(t)) for t in texts)
    bare_rate = n_bare / (time.perf_counter() - t0)
    return [
        row(
            f"import units/s ({N_ARTICLES:,} articles, median of {RUNS}) vs bare segmenter",
            import_rate,
            seg_rate,
            "units/s",
            "≥ 0.75×",
            import_rate >= 0.75 * seg_rate,
            gap=IMPORT_GAP.format(
                runs=", ".join(f"{i / s:.2f}" for i, s in zip(import_rates, seg_rates, strict=True))
            ),
        ),
        row(
            "our segmenter units/s vs nupunkt alone (reference)",
            seg_rate,
            bare_rate,
            "units/s",
            "info",
            True,
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
