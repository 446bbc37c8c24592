"""Reading import files: ``.txt`` articles and ``.jsonl`` records, decoded and validated.

Everything here is pure Python with no database: it turns a path into
:class:`Document` objects or raises :class:`IngestError` with the one line a user
sees. A JSON Lines file is read as a stream (:func:`iter_documents`) so that the
importer can hand early records to segmentation workers while later ones are read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_TEXT_BYTES = 5 * 1024 * 1024
"""Largest article accepted (5 MiB of text); a news article is a few KiB."""
MAX_JSONL_BYTES = 2 * 1024 * 1024 * 1024
"""Largest JSONL file accepted."""

_EXT_ID_BAD = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"  # counted out of error offsets, as "utf-8-sig" does
# The first line holding a non-space character, up to its line break (str.splitlines' breaks).
_FIRST_LINE = re.compile(r"\S[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*")
_FIELDS = frozenset({"id", "text", "title", "meta"})


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

    @property
    def sha256(self) -> str:
        """Hex sha256 of the UTF-8 text (computed on each use; the importer gets it with
        the text's units, from whichever process segmented it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class _Constant(Exception):
    """``NaN``/``Infinity`` met while decoding (they are not JSON)."""


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


# One decoder for every line: ``json.loads`` with options builds a new decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def load_json_line(line: str) -> Any:
    """``json.loads`` for one line of a JSONL file, stricter than the standard library.

    ``NaN``/``Infinity`` (not JSON), nesting too deep to decode and ``\\udXXX`` escapes of
    unpaired surrogates (text that cannot be stored or written as UTF-8) raise
    :class:`json.JSONDecodeError` like any other syntax error, so callers report them the same way.
    """
    if line.startswith("\ufeff"):  # as json.loads says it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
    try:
        if line[:1].isspace() or line[-1:].isspace():
            obj = _DECODER.decode(line)
        else:  # decode() without its two whitespace-skipping regex matches
            obj, end = _DECODER.raw_decode(line)
            if end != len(line):
                at = len(line) - len(line[end:].lstrip(" \t\n\r"))  # as decode() reports it
                raise json.JSONDecodeError("Extra data", line, at)
    except _Constant as exc:
        name = str(exc.args[0])
        raise json.JSONDecodeError(f"{name} is not valid JSON", line, line.find(name)) from None
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
        text = data.decode("utf-8")  # the C codec ("utf-8-sig" is a Python one)
    except UnicodeDecodeError as exc:
        at = exc.start - len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else exc.start
        raise IngestError(
            f"{where}: not valid UTF-8 (byte {at}); convert it with iconv -t UTF-8"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def title_of(text: str) -> str:
    """The first non-empty line, stripped."""
    found = _FIRST_LINE.search(text)
    return "" if found is None else found.group().strip()


def _check_text(text: str, where: str) -> None:
    if not text or text.isspace():
        raise IngestError(f"{where}: empty text; give the article's text or leave it out")
    # A character is at most 4 bytes of UTF-8: only long texts need encoding to be measured.
    if len(text) > MAX_TEXT_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > (
        MAX_TEXT_BYTES
    ):
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


def _record(raw: str, where: str, source: str) -> Document:
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
    if not _FIELDS.issuperset(obj):
        raise IngestError(
            f"{where}: unknown field(s) {', '.join(sorted(set(obj) - _FIELDS))}; "
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
    if not ext or len(ext) > 200 or _EXT_ID_BAD.search(ext):
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
        source=source,
        meta=meta,
    )


def iter_jsonl(path: Path) -> Iterator[Document]:
    """The records of a ``.jsonl`` file as they are read; IngestError at the first bad line."""
    if path.stat().st_size > MAX_JSONL_BYTES:
        raise IngestError(f"{path}: over {MAX_JSONL_BYTES // 1024**3} GiB; split the file")
    seen: dict[str, int] = {}
    source = str(path)
    limit = MAX_TEXT_BYTES * 2
    with path.open("rb") as handle:
        if handle.read(2) in _UTF16_BOMS:
            raise IngestError(
                f"{path}: JSON Lines must be UTF-8, this file is UTF-16; re-save it as UTF-8"
            )
        handle.seek(0)
        for number, raw_line in enumerate(handle, start=1):
            if len(raw_line) > limit:
                raise IngestError(
                    f"{path}:{number}: line longer than {limit // 1048576} MiB; split the article"
                )
            where = f"{source}:{number}"
            line = decode_bytes(raw_line, where).strip()
            if not line:
                continue
            doc = _record(line, where, source)
            first = seen.setdefault(doc.external_id, number)
            if first != number:
                raise IngestError(
                    f"{where}: duplicate id {doc.external_id!r} "
                    f"(first on line {first}); ids must be unique"
                )
            yield doc
    if not seen:
        raise IngestError(f"{path}: no records; expected one JSON object per line")


def read_jsonl(path: Path) -> list[Document]:
    """Read every record of a ``.jsonl`` file; the first bad line fails the whole file."""
    return list(iter_jsonl(path))


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and ``.txt``/``.jsonl`` files found recursively in folders, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and p.suffix in {".txt", ".jsonl"}]
            yield from sorted(found)
        else:
            yield path


def iter_documents(path: Path) -> Iterator[Document]:
    """The documents of a ``.txt`` or ``.jsonl`` path, streamed; IngestError on anything bad."""
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder; check the path")
    if not path.is_file():
        raise IngestError(
            f"{path}: not a regular file (a pipe, device or socket); import .txt or .jsonl files"
        )
    try:
        if path.suffix == ".jsonl":
            yield from iter_jsonl(path)
        else:
            yield read_txt(path)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror})") from None


def read_any(path: Path) -> list[Document]:
    """Read a ``.txt`` or ``.jsonl`` path into documents; IngestError on anything bad."""
    return list(iter_documents(path))
