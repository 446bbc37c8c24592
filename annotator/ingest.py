"""Files and JSONL records -> articles with units: idempotent, with near-duplicate detection.

Each input file is one transaction: a file with any bad record writes nothing, and
the other files are still imported. Reading and validation happen before the
transaction starts, so a bad file never holds the write lock.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlmodel import Session

from annotator.domain import ImportItem, ImportReport
from annotator.segment import Segmenter
from annotator.store import articles as q
from annotator.store.engine import Store

MAX_TEXT_BYTES = 5 * 1024 * 1024
"""Largest article accepted (5 MiB of text); a news article is a few KiB."""
MAX_JSONL_BYTES = 2 * 1024 * 1024 * 1024
"""Largest JSONL file accepted."""
CONTAINMENT = 0.9
"""Share of an article's sentences found in another that makes it a near-duplicate."""
MIN_FINGERPRINTS = 2
"""Articles with fewer distinct sentences than this are never called near-duplicates."""
CHUNK_DOCS = 500
"""Documents segmented and written together."""
PARALLEL_MIN_DOCS = 2000
"""Files with at least this many documents are segmented in worker processes."""
MAX_WORKERS = 4

_EXT_ID_BAD = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class IngestError(ValueError):
    """One input cannot be imported; ``str()`` is the line shown to the user."""


@dataclass(frozen=True, slots=True)
class Document:
    """A decoded article ready to import."""

    external_id: str
    title: str
    text: str
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    sha256: str = field(init=False)
    """Hex sha256 of the UTF-8 text, computed once."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.text.encode("utf-8")).hexdigest())


def load_json_line(line: str) -> Any:
    """``json.loads`` for one line of a JSONL file, stricter than the standard library.

    ``NaN``/``Infinity`` (not JSON), nesting too deep to decode and ``\\udXXX`` escapes of
    unpaired surrogates (text that cannot be stored or written as UTF-8) raise
    :class:`json.JSONDecodeError` like any other syntax error, so callers report them the same way.
    """

    def no_constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not valid JSON", line, line.find(name))

    try:
        obj = json.loads(line, parse_constant=no_constant)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", line, 0) from None
    found = _SURROGATE_ESCAPE.search(line)
    if found is not None:
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            msg = f"unpaired surrogate escape {found.group()}"
            raise json.JSONDecodeError(msg, line, found.start()) from None
    return obj


def decode_bytes(data: bytes, where: str) -> str:
    """Decode an article file: UTF-8 (optional BOM) or UTF-16 with a BOM; refuse binary."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{where}: invalid UTF-16 at byte {exc.start}; re-save the file as UTF-8"
            ) from None
    if b"\x00" in data:
        raise IngestError(
            f"{where}: looks binary (contains NUL bytes); import UTF-8 .txt or .jsonl files only"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{where}: not valid UTF-8 (byte {exc.start}); convert it with iconv -t UTF-8"
        ) from None


def title_of(text: str) -> str:
    """The first non-empty line, stripped."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _check_text(text: str, where: str) -> None:
    if not text.strip():
        raise IngestError(f"{where}: empty text; give the article's text or leave it out")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise IngestError(
            f"{where}: text over {MAX_TEXT_BYTES // (1024 * 1024)} MiB; split it into articles"
        )
    if "\x00" in text:
        raise IngestError(f"{where}: text contains NUL characters; remove them and retry")


def read_txt(path: Path) -> Document:
    """Read one ``.txt`` article (UTF-8, first line = title)."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path}: empty file (0 bytes); add the article's text or leave it out")
    if size > MAX_TEXT_BYTES:
        raise IngestError(
            f"{path}: file is {size / 1048576:.0f} MiB, over the "
            f"{MAX_TEXT_BYTES // 1048576} MiB limit for one article; split it"
        )
    text = decode_bytes(path.read_bytes(), str(path))
    _check_text(text, str(path))
    return Document(external_id=path.stem, title=title_of(text), text=text, source=str(path))


def _record(raw: str, where: str) -> Document:
    try:
        obj = load_json_line(raw)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{where}: not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno}); "
            "fix the line or remove it"
        ) from None
    if not isinstance(obj, dict):
        raise IngestError(
            f'{where}: expected a JSON object with "id" and "text"; write one object per line'
        )
    unknown = set(obj) - {"id", "text", "title", "meta"}
    if unknown:
        raise IngestError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
            "allowed: id, text, title, meta"
        )
    if "text" not in obj:
        raise IngestError(f'{where}: missing "text"; add the article\'s text')
    if "id" not in obj:
        raise IngestError(f'{where}: missing "id"; add an id unique to the article')
    ext, text, title, meta = obj["id"], obj["text"], obj.get("title"), obj.get("meta", {})
    if isinstance(ext, bool) or not isinstance(ext, str | int):
        raise IngestError(
            f'{where}: "id" must be a string or integer, not {type(ext).__name__}; fix it'
        )
    ext = str(ext).strip()
    if not ext or _EXT_ID_BAD.search(ext) or len(ext) > 200:
        raise IngestError(f'{where}: "id" must be 1-200 printable characters; fix it')
    if not isinstance(text, str):
        raise IngestError(f'{where}: "text" must be a string, not {type(text).__name__}; fix it')
    if title is not None and not isinstance(title, str):
        raise IngestError(f'{where}: "title" must be a string; fix it or leave it out')
    if not isinstance(meta, dict):
        raise IngestError(f'{where}: "meta" must be an object; fix it or leave it out')
    _check_text(text, where)
    return Document(
        external_id=ext,
        title=(title or title_of(text)).strip(),
        text=text,
        source=where.rsplit(":", 1)[0],
        meta=meta,
    )


def read_jsonl(path: Path) -> list[Document]:
    """Read every record of a ``.jsonl`` file; the first bad line fails the whole file."""
    if path.stat().st_size > MAX_JSONL_BYTES:
        raise IngestError(f"{path}: over {MAX_JSONL_BYTES // 1024**3} GiB; split the file")
    docs: list[Document] = []
    seen: dict[str, int] = {}
    with path.open("rb") as handle:
        if handle.read(2) in _UTF16_BOMS:
            raise IngestError(
                f"{path}: JSON Lines must be UTF-8, this file is UTF-16; re-save it as UTF-8"
            )
        handle.seek(0)
        for number, raw_line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if len(raw_line) > MAX_TEXT_BYTES * 2:
                raise IngestError(
                    f"{where}: line longer than {MAX_TEXT_BYTES * 2 // 1048576} "
                    "MiB; split the article"
                )
            line = decode_bytes(raw_line, where).strip()
            if not line:
                continue
            doc = _record(line, where)
            if doc.external_id in seen:
                raise IngestError(
                    f"{where}: duplicate id {doc.external_id!r} "
                    f"(first on line {seen[doc.external_id]}); ids must be unique"
                )
            seen[doc.external_id] = number
            docs.append(doc)
    if not docs:
        raise IngestError(f"{path}: no records; expected one JSON object per line")
    return docs


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and ``.txt``/``.jsonl`` files found recursively in folders, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and p.suffix in {".txt", ".jsonl"}]
            yield from sorted(found)
        else:
            yield path


def read_any(path: Path) -> list[Document]:
    """Read a ``.txt`` or ``.jsonl`` path into documents; IngestError on anything bad."""
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder; check the path")
    if not path.is_file():
        raise IngestError(
            f"{path}: not a regular file (a pipe, device or socket); import .txt or .jsonl files"
        )
    try:
        if path.suffix == ".jsonl":
            return read_jsonl(path)
        return [read_txt(path)]
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror})") from None


class _Fingerprints:
    """Normalised sentence texts -> articles, for near-duplicate detection.

    A sentence found in more than ``COMMON`` articles (a slogan, a boilerplate line)
    is not evidence of copying and is ignored, which also keeps matching linear.
    """

    COMMON = 20

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        self.by_text: dict[str, list[str]] = defaultdict(list)
        self.size: dict[str, int] = defaultdict(int)
        grouped: dict[str, list[str]] = defaultdict(list)
        for article_id, text in rows:
            grouped[article_id].append(text)
        for article_id, texts in grouped.items():
            self.add(article_id, self.keys(texts))

    @staticmethod
    def keys(texts: Iterable[str]) -> set[str]:
        """Normalised forms of the sentences long enough to be evidence."""
        return {t.lower() for t in texts if len(t) >= 20}

    def add(self, article_id: str, keys: set[str]) -> None:
        """Record the sentences of an article."""
        for key in keys:
            self.by_text[key].append(article_id)
        self.size[article_id] += len(keys)

    def match(self, keys: set[str]) -> tuple[str | None, str | None]:
        """(an article containing these keys, an article contained in them), by external id."""
        shared: dict[str, int] = defaultdict(int)
        evidence = 0
        for key in keys:
            found = self.by_text.get(key)
            if found is not None and len(found) > self.COMMON:
                continue
            evidence += 1
            for article_id in found or ():
                shared[article_id] += 1
        if evidence < MIN_FINGERPRINTS:
            return None, None
        container = contained = None
        for article_id, n in sorted(shared.items(), key=lambda kv: -kv[1]):
            if container is None and n >= CONTAINMENT * evidence:
                container = article_id
            elif (
                contained is None
                and self.size[article_id] >= MIN_FINGERPRINTS
                and n >= CONTAINMENT * self.size[article_id]
            ):
                contained = article_id
        return container, contained


@dataclass
class Importer:
    """Imports documents into a store, one transaction per input file."""

    store: Store
    segmenter: Segmenter = field(default_factory=Segmenter)
    _fingerprints: _Fingerprints | None = None

    def _prints(self, session: Session) -> _Fingerprints:
        if self._fingerprints is None:
            self._fingerprints = _Fingerprints(q.fingerprint_rows(session))
        return self._fingerprints

    def import_path(self, path: Path) -> list[ImportItem]:
        """Import one file; on any error nothing of it is written."""
        try:
            docs = read_any(path)
        except IngestError as exc:
            return [
                ImportItem(source=str(path), external_id=None, status="error", message=str(exc))
            ]
        items: list[ImportItem] = []
        try:
            with self.store.session() as session:
                for chunk in self._segmented(docs):
                    items.extend(self._batch(session, chunk))
                    bad = next((item for item in items if item.status == "error"), None)
                    if bad is not None:
                        raise _Abort(bad)
        except _Abort as abort:
            self._fingerprints = None  # rebuilt from the database on next use
            bad = abort.args[0]
            return [
                ImportItem(
                    source=str(path),
                    external_id=bad.external_id,
                    status="error",
                    message=bad.message,
                )
            ]
        except BaseException:
            self._fingerprints = None
            raise
        return items

    def _segmented(self, docs: list[Document]) -> Iterator[list[tuple[Document, Prepared]]]:
        """Documents with their units, in chunks, in order.

        Large files are segmented by worker processes while this process writes the
        previous chunk, so a big import is limited by the slower of the two, not their sum.
        """
        # One core stays with this process, which reads, checks and writes to the database.
        workers = min((os.cpu_count() or 1) - 1, MAX_WORKERS)
        if len(docs) < PARALLEL_MIN_DOCS or workers < 1:
            for start in range(0, len(docs), CHUNK_DOCS):
                chunk = docs[start : start + CHUNK_DOCS]
                yield [(doc, _pieces(self.segmenter, doc.text)) for doc in chunk]
            return
        chunks = [docs[i : i + CHUNK_DOCS] for i in range(0, len(docs), CHUNK_DOCS)]
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.segmenter.patterns,),
        ) as pool:
            texts = ([doc.text for doc in chunk] for chunk in chunks)
            for chunk, pieces in zip(chunks, pool.map(_segment_texts, texts), strict=True):
                yield list(zip(chunk, pieces, strict=True))

    def _batch(
        self, session: Session, segmented: list[tuple[Document, Prepared]]
    ) -> list[ImportItem]:
        prints = self._prints(session)
        shas = q.existing_shas(session, [doc.sha256 for doc, _ in segmented])
        taken = q.existing_external_ids(session, [doc.external_id for doc, _ in segmented])
        items: list[ImportItem] = []
        new: list[tuple[Document, list[Piece]]] = []
        links: list[tuple[str, str, int]] = []  # (duplicate, original, index of item to patch)
        for doc, (spans, keys) in segmented:
            item = ImportItem(
                source=doc.source,
                external_id=doc.external_id,
                status="imported",
                n_units=len(spans),
            )
            if doc.sha256 in shas:
                items.append(
                    replace(
                        item,
                        status="skipped",
                        n_units=0,
                        message=f"same text as {shas[doc.sha256]}; skipped",
                    )
                )
                continue
            if doc.external_id in taken:
                items.append(
                    replace(
                        item,
                        status="error",
                        message=(
                            f"{doc.source}: id {doc.external_id!r} already holds a different text; "
                            "rename the file or give the record a new id"
                        ),
                    )
                )
                return items
            container, contained = prints.match(keys)
            prints.add(doc.external_id, keys)
            shas[doc.sha256] = doc.external_id
            taken.add(doc.external_id)
            new.append((doc, spans))
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
        ids = q.insert_articles(
            session,
            [
                {
                    "external_id": d.external_id,
                    "title": d.title,
                    "source": d.source,
                    "sha256": d.sha256,
                    "text": d.text,
                    "meta": d.meta,
                }
                for d, _ in new
            ],
        )
        for duplicate, original, index in links:
            if q.mark_duplicate(session, duplicate, original) and index >= 0:
                items[index] = replace(
                    items[index],
                    contains=duplicate,
                    message=f"{duplicate} is a near-duplicate of it",
                )
        q.insert_units(
            session,
            [(ids[d.external_id], i, *piece) for d, spans in new for i, piece in enumerate(spans)],
        )
        return items


Piece = tuple[int, int, str, str]
"""A unit as ``(start, end, role, text)``: cheap to send between processes."""
Prepared = tuple[list[Piece], set[str]]
"""A document's units and its near-duplicate keys, computed in a worker."""

_WORKER_SEGMENTER: Segmenter | None = None


def _pieces(segmenter: Segmenter, text: str) -> Prepared:
    pieces: list[Piece] = [(s.start, s.end, s.role, s.text) for s in segmenter.split(text)]
    return pieces, _Fingerprints.keys(p[3] for p in pieces if p[2] == "sentence")


def _init_worker(patterns: tuple[str, ...]) -> None:
    global _WORKER_SEGMENTER
    _WORKER_SEGMENTER = Segmenter(patterns)


def _segment_texts(texts: list[str]) -> list[Prepared]:
    assert _WORKER_SEGMENTER is not None
    return [_pieces(_WORKER_SEGMENTER, text) for text in texts]


class _Abort(Exception):
    """Roll back the current file's transaction; carries the failing item."""


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
    for number, path in enumerate(files, start=1):
        report.items.extend(importer.import_path(path))
        if progress is not None:
            progress(number, len(files))
    return report
