"""Files and JSONL records -> articles with units: idempotent, with near-duplicate detection.

Each input file is one transaction: a file with any bad record writes nothing, and
the other files are still imported. Reading and validation happen before the
transaction starts, so a bad file never holds the write lock; meanwhile the records
already read are being segmented (:mod:`annotator.ingest_pool`).

The pieces: :mod:`annotator.ingest_read` reads and checks files,
:mod:`annotator.ingest_pool` segments, :mod:`annotator.near_dup` finds near-duplicates
and :mod:`annotator.store.ingest_rows` writes; this module puts them together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.engine import Connection

from annotator.domain import ImportItem, ImportReport
from annotator.ingest_pool import Prepared, Segmentation, Workers, start_workers
from annotator.ingest_read import (
    MAX_JSONL_BYTES,
    MAX_TEXT_BYTES,
    Document,
    IngestError,
    decode_bytes,
    expand_paths,
    iter_documents,
    load_json_line,
    read_any,
    read_jsonl,
    read_txt,
    title_of,
)
from annotator.near_dup import CONTAINMENT, MIN_FINGERPRINTS, Fingerprints
from annotator.segment import ROLES, Segmenter
from annotator.store import ingest_rows as rows
from annotator.store.engine import Store

__all__ = [
    "CHUNK_CHARS",
    "CHUNK_DOCS",
    "CONTAINMENT",
    "MAX_JSONL_BYTES",
    "MAX_TEXT_BYTES",
    "MAX_WORKERS",
    "MIN_FINGERPRINTS",
    "PARALLEL_MIN_BYTES",
    "Document",
    "Importer",
    "IngestError",
    "decode_bytes",
    "expand_paths",
    "import_paths",
    "iter_documents",
    "load_json_line",
    "read_any",
    "read_jsonl",
    "read_txt",
    "title_of",
]

CHUNK_DOCS = 500
"""Most documents segmented and written together."""
CHUNK_CHARS = 256 * 1024
"""Characters of text after which a chunk is closed early (about 20 ms of segmenting)."""
PARALLEL_MIN_BYTES = 1024 * 1024
"""JSONL files at least this big are segmented by worker processes too, and written
with a larger database cache (:func:`annotator.store.ingest_rows.bulk_cache`)."""
MAX_WORKERS = 4
"""Most worker processes; one core always stays with the importing process."""


class _Abort(Exception):
    """Roll back the current file's transaction; carries the failing item."""


@dataclass
class Importer:
    """Imports documents into a store, one transaction per input file.

    Worker processes, started for the first big file, serve every later file too;
    call :meth:`close` when done (``import_paths`` does).
    """

    store: Store
    segmenter: Segmenter = field(default_factory=Segmenter)
    _fingerprints: Fingerprints | None = None
    _workers: Workers | None = None

    def _prints(self, connection: Connection) -> Fingerprints:
        if self._fingerprints is None:
            self._fingerprints = Fingerprints(rows.fingerprint_rows(connection))
        return self._fingerprints

    def _segmentation(self, path: Path, big: bool) -> Segmentation:
        """Where ``path``'s texts will be segmented: here only, or in workers too."""
        workers = min((os.cpu_count() or 1) - 1, MAX_WORKERS)
        if not big or workers < 1:
            return Segmentation(self.segmenter, None)
        if self._workers is None:
            self._workers = start_workers(self.segmenter, workers)
        return Segmentation(self.segmenter, self._workers)

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    def import_path(self, path: Path) -> list[ImportItem]:
        """Import one file; on any error nothing of it is written."""
        big = _is_big(path)
        segmentation = self._segmentation(path, big)
        try:
            try:
                chunks = _read_chunks(path, segmentation)
            except IngestError as exc:
                return [_error(str(path), None, str(exc))]
            items: list[ImportItem] = []
            try:
                with self.store.session() as session:
                    connection = session.connection()
                    with rows.bulk_cache(connection) if big else nullcontext():
                        for docs, units in zip(chunks, segmentation, strict=True):
                            items.extend(self._write(connection, docs, units))
            except _Abort as abort:
                self._fingerprints = None  # rebuilt from the database on next use
                bad: ImportItem = abort.args[0]
                return [_error(str(path), bad.external_id, bad.message)]
            except BaseException:
                self._fingerprints = None
                raise
            return items
        finally:
            segmentation.close()

    def _write(
        self, connection: Connection, docs: list[Document], prepared: list[Prepared]
    ) -> list[ImportItem]:
        """Write one chunk of documents with their units; return what happened to each."""
        prints = self._prints(connection)
        shas = rows.existing_shas(connection, [p.sha256 for p in prepared])
        taken = rows.existing_external_ids(connection, [doc.external_id for doc in docs])
        items: list[ImportItem] = []
        new: list[tuple[Document, Prepared]] = []
        links: list[tuple[str, str, int]] = []  # (duplicate, original, index of item to patch)
        for doc, ready in zip(docs, prepared, strict=True):
            if ready.sha256 in shas:
                message = f"same text as {shas[ready.sha256]}; skipped"
                items.append(ImportItem(doc.source, doc.external_id, "skipped", message))
                continue
            if doc.external_id in taken:
                message = (
                    f"{doc.source}: id {doc.external_id!r} already holds a different text; "
                    "rename the file or give the record a new id"
                )
                raise _Abort(ImportItem(doc.source, doc.external_id, "error", message))
            container, contained = prints.match(ready.keys)
            prints.add(doc.external_id, ready.keys)
            shas[ready.sha256] = doc.external_id
            taken.add(doc.external_id)
            new.append((doc, ready))
            item = ImportItem(doc.source, doc.external_id, "imported", n_units=len(ready.starts))
            if container is not None:
                item = replace(
                    item,
                    status="duplicate",
                    duplicate_of=container,
                    message=f"near-duplicate of {container}",
                )
                links.append((doc.external_id, container, -1))
            elif contained is not None:
                links.append((contained, doc.external_id, len(items)))
            items.append(item)
        ids = rows.new_article_ids(connection, len(new))
        rows.insert_articles(
            connection,
            [
                (i, d.external_id, d.title, d.source, p.sha256, d.text, d.meta)
                for i, (d, p) in zip(ids, new, strict=True)
            ],
        )
        for duplicate, original, index in links:
            if rows.mark_duplicate(connection, duplicate, original) and index >= 0:
                items[index] = replace(
                    items[index],
                    contains=duplicate,
                    message=f"{duplicate} is a near-duplicate of it",
                )
        rows.insert_units(connection, _unit_values(ids, new))
        return items


def _unit_values(ids: list[int], new: list[tuple[Document, Prepared]]) -> list[object]:
    """``article_id, idx, start, end, role, text`` of every unit of the new articles, flat.

    Filled column by column (slice assignment): about a third faster than building a
    tuple per unit and flattening them.
    """
    values: list[object] = []
    for article_id, (doc, ready) in zip(ids, new, strict=True):
        starts, ends, text = ready.starts, ready.ends, doc.text
        n = len(starts)
        row: list[object] = [article_id] * (6 * n)
        row[1::6] = range(n)
        row[2::6] = starts
        row[3::6] = ends
        row[4::6] = [ROLES[r] for r in ready.roles]
        row[5::6] = [text[a:b] for a, b in zip(starts, ends, strict=True)]
        values += row
    return values


def _is_big(path: Path) -> bool:
    """Whether ``path`` is a JSONL file big enough for workers and a bulk cache."""
    try:
        return path.suffix == ".jsonl" and path.stat().st_size >= PARALLEL_MIN_BYTES
    except OSError:  # reading it will say what is wrong
        return False


def _error(source: str, external_id: str | None, message: str) -> ImportItem:
    return ImportItem(source=source, external_id=external_id, status="error", message=message)


def _read_chunks(path: Path, segmentation: Segmentation) -> list[list[Document]]:
    """Read and check every document of ``path`` in chunks, queueing each for segmentation."""
    chunks: list[list[Document]] = []
    chunk: list[Document] = []
    size = 0
    for doc in iter_documents(path):
        chunk.append(doc)
        size += len(doc.text)
        if len(chunk) >= CHUNK_DOCS or size >= CHUNK_CHARS:
            chunks.append(chunk)
            segmentation.add([d.text for d in chunk])
            chunk, size = [], 0
    if chunk:
        chunks.append(chunk)
        segmentation.add([d.text for d in chunk])
    return chunks


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    progress: Callable[[int, int], None] | None = None,
    segmenter: Segmenter | None = None,
) -> ImportReport:
    """Import files and folders; returns what happened to each file or record."""
    files = list(expand_paths(paths))
    importer = Importer(store, segmenter or Segmenter())
    report = ImportReport()
    try:
        for number, path in enumerate(files, start=1):
            report.items.extend(importer.import_path(path))
            if progress is not None:
                progress(number, len(files))
    finally:
        importer.close()
    return report
