"""The label interchange format: one JSON object per annotator x unit, written and read back.

``annotator export --per-annotator`` writes it with :func:`write_interchange`;
``annotator import-labels`` reads it with :func:`import_labels`. A record is::

    {"article": "003_490b98aef62dcad9", "unit": 4, "start": 212, "end": 318,
     "role": "sentence", "text": "...", "annotator": "alice",
     "labels": {"claim_type": "attributed", "flags": ["framing"]}, "note": null,
     "scheme": "claims@1+0123456789ab", "session": "", "updated_at": "2024-05-01T12:00:00.000000Z"}

The import checks every line before writing anything and writes the whole file in one
transaction; the first bad line is reported as ``FILE:LINE: what is wrong; what to do``.
See docs/export-format.md for the field-by-field description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from annotator.export.safe import ExportError
from annotator.ingest import load_json_line
from annotator.scheme import Scheme, SchemeError, parse_ref
from annotator.service import Service, ServiceError, check_name
from annotator.store import articles as aq
from annotator.store import labels_bulk as lb
from annotator.store.engine import Store

REQUIRED = ("article", "unit", "start", "end", "annotator", "labels", "scheme")
OPTIONAL = ("role", "text", "note", "session", "updated_at")
KNOWN = frozenset(REQUIRED + OPTIONAL)
_encode = json.encoder.encode_basestring  # the encoder json.dumps(ensure_ascii=False) uses


class LabelsFileError(ExportError):
    """A line of a labels file is wrong; ``str()`` is ``FILE:LINE: what; what to do``."""


def format_time(value: datetime) -> str:
    """A stored time as ISO 8601 UTC with microseconds: ``2024-05-01T12:00:00.000000Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def write_interchange(
    store: Store,
    out: TextIO,
    scheme: Scheme,
    *,
    session_name: str | None = None,
    annotators: Sequence[str] | None = None,
) -> int:
    """Write every annotation made under ``scheme`` (of ``annotators`` only, when given) as
    interchange JSONL; return the count.

    Rows stream from the database in batches; the stored labels JSON is spliced in as is
    (it was written by :meth:`Scheme.normalize_labels`, so it is already canonical) and
    every string goes through the same encoder ``json.dumps(ensure_ascii=False)`` uses.
    """
    ref = _encode(scheme.ref)
    count = 0
    with store.session(write=False) as session:
        for batch in lb.iter_label_rows(
            session, scheme_hash=scheme.hash, session_name=session_name, annotators=annotators
        ):
            parts = []
            for art, idx, start, end, role, text, name, labels, note, sess, at in batch:
                parts.append(
                    f'{{"article": {_encode(art)}, "unit": {idx}, "start": {start}, '
                    f'"end": {end}, "role": {_encode(role)}, "text": {_encode(text)}, '
                    f'"annotator": {_encode(name)}, "labels": {labels}, '
                    f'"note": {"null" if note is None else _encode(note)}, "scheme": {ref}, '
                    f'"session": {_encode(sess)}, "updated_at": "{format_time(at)}"}}\n'
                )
            out.write("".join(parts))
            count += len(parts)
    return count


@dataclass(frozen=True)
class LabelRecord:
    """One checked line of a labels file, labels already in canonical form."""

    line: int
    article: str
    unit: int
    start: int
    end: int
    role: str | None
    text: str | None
    annotator: str
    labels: dict[str, Any]
    note: str | None
    session: str
    updated_at: datetime | None


@dataclass
class ImportSummary:
    """What an import did: records read, rows created, changed and left as they were."""

    records: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    new_annotators: list[str] = field(default_factory=list)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _check_scheme(value: object, scheme: Scheme, accepted: set[str]) -> None:
    """Refuse a scheme ref other than ``scheme``'s; refs already accepted are skipped."""
    if isinstance(value, str) and value in accepted:
        return
    if not isinstance(value, str):
        raise ValueError(f"scheme must be a text like {scheme.ref}; fix it")
    try:
        name, version, hash12 = parse_ref(value)
    except SchemeError as exc:
        raise ValueError(str(exc)) from None
    if (name, version) != (scheme.name, scheme.version):
        raise ValueError(
            f"scheme {value} is not the scheme in use ({scheme.ref}); "
            "pass --scheme with the YAML these labels were made under"
        )
    if hash12 is not None and hash12 != scheme.hash[:12]:
        raise ValueError(
            f"scheme {value} has a different content hash from the scheme in use "
            f"({scheme.ref}); pass --scheme with the YAML these labels were made under"
        )
    accepted.add(value)


def parse_record(
    obj: object,
    scheme: Scheme,
    line: int,
    default_session: str,
    accepted: set[str] | None = None,
) -> LabelRecord:
    """Check one decoded line against the format and the scheme (not yet the database).

    Raises ``ValueError`` with ``what is wrong; what to do`` (no file or line prefix).
    ``accepted`` caches scheme refs already checked (pass the same set for a whole file).
    """
    if not isinstance(obj, dict):
        raise ValueError("a record must be a JSON object {...}; write one object per line")
    unknown = sorted(str(k) for k in obj if k not in KNOWN)
    if unknown:
        known = ", ".join(REQUIRED + OPTIONAL)
        raise ValueError(f"unknown field {unknown[0]!r}; remove it or fix the spelling ({known})")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise ValueError(
            f"field {missing[0]!r} is missing; add it (required: {', '.join(REQUIRED)})"
        )
    if not isinstance(obj["article"], str) or not obj["article"]:
        raise ValueError('"article" must be the article\'s id as text; fix it')
    for name in ("unit", "start", "end"):
        if not _is_int(obj[name]) or obj[name] < 0:
            raise ValueError(f'"{name}" must be a whole number >= 0, got {obj[name]!r}; fix it')
    for name in ("role", "text", "note", "session"):
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f'"{name}" must be text or null, got {value!r}; fix it')
    if not isinstance(obj["annotator"], str):
        raise ValueError('"annotator" must be a name as text; fix it')
    try:
        annotator = check_name(obj["annotator"])
    except ServiceError as exc:
        raise ValueError(str(exc)) from None
    _check_scheme(obj["scheme"], scheme, set() if accepted is None else accepted)
    try:
        labels = scheme.normalize_labels(obj["labels"])
    except SchemeError as exc:
        raise ValueError(str(exc)) from None
    try:
        updated_at = _time(obj.get("updated_at"))
    except (ValueError, OverflowError):
        raise ValueError(
            f'"updated_at" {obj.get("updated_at")!r} is not an ISO 8601 time; '
            "write e.g. 2024-05-01T12:00:00Z or leave the field out"
        ) from None
    session = obj.get("session")
    return LabelRecord(
        line=line,
        article=obj["article"],
        unit=obj["unit"],
        start=obj["start"],
        end=obj["end"],
        role=obj.get("role"),
        text=obj.get("text"),
        annotator=annotator,
        labels=labels,
        note=(obj.get("note") or "").strip() or None,
        session=default_session if session is None else session,
        updated_at=updated_at,
    )


def read_labels_file(path: Path, scheme: Scheme, *, session: str = "") -> list[LabelRecord]:
    """Read and check every line of ``path``; the first problem raises :class:`LabelsFileError`.

    Blank lines are skipped; a file without any record is refused. A second record for the
    same annotator, unit and session is an error, since the file would not say which to keep.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LabelsFileError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise LabelsFileError(f"{path}: is a folder; give the labels JSONL file") from None
    except OSError as exc:
        raise LabelsFileError(f"{path}: cannot read it ({exc.strerror}); check it") from None
    records: list[LabelRecord] = []
    accepted: set[str] = set()
    seen: dict[tuple[str, str, int, str], int] = {}
    for number, line in enumerate(raw.split(b"\n"), start=1):
        where = f"{path}:{number}"
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError:
            raise LabelsFileError(f"{where}: not valid UTF-8; save the file as UTF-8") from None
        if not text:
            continue
        try:
            obj = load_json_line(text)
        except json.JSONDecodeError as exc:
            raise LabelsFileError(
                f"{where}: not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno}); "
                "fix the line or remove it"
            ) from None
        try:
            record = parse_record(obj, scheme, number, session, accepted)
        except ValueError as exc:
            raise LabelsFileError(f"{where}: {exc}") from None
        key = (record.annotator, record.article, record.unit, record.session)
        if key in seen:
            raise LabelsFileError(
                f"{where}: annotator {record.annotator} on article {record.article} unit "
                f"{record.unit} is already given on line {seen[key]}; keep only one of the two"
            )
        seen[key] = number
        records.append(record)
    if not records:
        raise LabelsFileError(
            f"{path}: no label records (the file is empty); "
            "write one JSON object per line, e.g. from annotator export --per-annotator"
        )
    return records


def _locate(
    record: LabelRecord,
    path: Path,
    articles: Mapping[str, int],
    units: Mapping[int, list[lb.UnitRef]],
) -> int:
    """The unit id a record names, after checking article, index, offsets, role and text."""
    where = f"{path}:{record.line}"
    article_id = articles.get(record.article)
    if article_id is None:
        raise LabelsFileError(
            f"{where}: unknown article {record.article!r}; import the article first "
            "(annotator import) or fix its id"
        )
    its_units = units.get(article_id, [])
    if record.unit >= len(its_units):
        raise LabelsFileError(
            f"{where}: article {record.article} has units 0-{len(its_units) - 1}, "
            f'not {record.unit}; fix "unit"'
        )
    unit = its_units[record.unit]
    if (record.start, record.end) != (unit.start, unit.end):
        raise LabelsFileError(
            f"{where}: offsets {record.start}-{record.end} do not match unit {record.unit} of "
            f"{record.article} ({unit.start}-{unit.end}); the labels were made on another "
            "segmentation of the text, export them again from the same import"
        )
    if record.role is not None and record.role != unit.role:
        raise LabelsFileError(
            f"{where}: role {record.role!r} does not match unit {record.unit} of "
            f'{record.article} ({unit.role!r}); fix "role" or leave it out'
        )
    if record.text is not None and record.text != unit.text:
        raise LabelsFileError(
            f"{where}: text does not match unit {record.unit} of {record.article}; "
            'fix "text" or leave it out'
        )
    return unit.unit_id


def apply_records(
    session: Session, records: list[LabelRecord], scheme: Scheme, path: Path
) -> ImportSummary:
    """Check ``records`` against the database and write them, in the caller's transaction.

    A record whose labels and note equal what is stored is left alone (no event), so
    importing the same file twice changes nothing the second time.
    """
    summary = ImportSummary(records=len(records))
    articles = lb.article_ids(session, (r.article for r in records))
    units = lb.units_by_article(session, articles.values())
    unit_ids = [_locate(r, path, articles, units) for r in records]
    known = set(aq.annotator_names(session))
    annotator_ids: dict[str, int] = {}
    for name in sorted({r.annotator for r in records}):
        found = aq.annotator_id(session, name, create=True)
        assert found is not None
        annotator_ids[name] = found
        if name not in known:
            summary.new_annotators.append(name)
    current = lb.current_labels(session, scheme_hash=scheme.hash, unit_ids=unit_ids)
    changes: list[lb.Change] = []
    for record, unit_id in zip(records, unit_ids, strict=True):
        annotator_id = annotator_ids[record.annotator]
        stored = current.get((annotator_id, unit_id, record.session))
        if stored is not None and stored.labels == record.labels and stored.note == record.note:
            summary.unchanged += 1
            continue
        changes.append(
            lb.Change(
                annotator_id=annotator_id,
                unit_id=unit_id,
                session=record.session,
                labels=record.labels,
                note=record.note,
                complete=scheme.is_complete(record.labels),
                updated_at=record.updated_at,
                before=stored,
            )
        )
        if stored is None:
            summary.created += 1
        else:
            summary.changed += 1
    lb.write_changes(session, scheme.hash, changes)
    return summary


def import_labels(
    service: Service, path: Path, scheme: Scheme, *, session: str = ""
) -> ImportSummary:
    """Import a labels file in one transaction: any bad line and nothing is written.

    ``session`` is the annotation session for records that do not name one.
    """
    records = read_labels_file(path, scheme, session=session)
    return service.write(lambda s: apply_records(s, records, scheme, path))
