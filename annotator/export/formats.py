"""Exports for other annotation tools: Prodigy, Label Studio and doccano.

* Prodigy: JSONL annotated tasks of the ``choice`` interface, one per annotator x unit, with
  32-bit signed MurmurHash3 ``_input_hash``/``_task_hash`` like Prodigy's own.
* Label Studio: a JSON list of tasks, one per unit, each annotator's labels as an entry of
  ``annotations`` with one ``choices`` result per group, plus the matching labeling config.
* doccano: text-classification JSONL, ``{"text", "label": [...]}``, one file per annotator.

Only annotations with at least one choice set are exported. docs/export-format.md cites the
documentation each format follows.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO
from xml.sax.saxutils import quoteattr

from sqlmodel import Session

from annotator.export.jsonl import has_label
from annotator.export.labels_io import format_time
from annotator.scheme import Scheme
from annotator.store import articles as aq
from annotator.store.dataset import AnnotationRow, iter_annotations

_M32 = 0xFFFFFFFF


def murmurhash3_32(data: bytes | str, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit as a signed int (what ``mmh3.hash`` and ``murmurhash`` return).

    ``murmurhash3_32("foo") == -156908512``; strings are hashed as UTF-8.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _M32
    body = len(raw) - len(raw) % 4
    for (k,) in struct.iter_unpack("<I", raw[:body]):
        k = (k * c1) & _M32
        k = ((k << 15) | (k >> 17)) & _M32
        h ^= (k * c2) & _M32
        h = ((h << 13) | (h >> 19)) & _M32
        h = (h * 5 + 0xE6546B64) & _M32
    tail = raw[body:]
    if tail:
        k = 0
        for i, byte in enumerate(tail):
            k |= byte << (8 * i)
        k = (k * c1) & _M32
        k = ((k << 15) | (k >> 17)) & _M32
        h ^= (k * c2) & _M32
    h ^= len(raw)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def _unix(value: datetime) -> int:
    """Seconds since the epoch; stored times without a zone are UTC."""
    return int((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def input_hash(text: str) -> int:
    """Prodigy ``_input_hash``: MurmurHash3 of the canonical JSON ``{"text": text}``."""
    return murmurhash3_32(_canonical({"text": text}))


def task_hash(in_hash: int, options: list[dict[str, str]]) -> int:
    """Prodigy ``_task_hash``: MurmurHash3 of the input hash followed by ``{"options": ...}``."""
    return murmurhash3_32(str(in_hash) + _canonical({"options": options}))


def prodigy_options(scheme: Scheme) -> list[dict[str, str]]:
    """Every choice of every group as ``{"id": "group:choice", "text": "choice"}``."""
    return [{"id": f"{g.name}:{c.name}", "text": c.name} for g in scheme.groups for c in g.choices]


def chosen(scheme: Scheme, labels: dict[str, Any]) -> list[tuple[str, str]]:
    """``(group, choice)`` of every choice set in ``labels``, in scheme order."""
    out: list[tuple[str, str]] = []
    for group in scheme.groups:
        value = labels.get(group.name)
        picked = set(value or []) if group.kind == "multi" else {value}
        out.extend((group.name, c.name) for c in group.choices if c.name in picked)
    return out


def _labelled_rows(
    session: Session, scheme: Scheme, session_name: str | None
) -> Iterator[AnnotationRow]:
    for row in iter_annotations(session, scheme_hash=scheme.hash, session_name=session_name):
        if has_label(scheme, row.labels):
            yield row


def write_prodigy(
    session: Session,
    out: TextIO,
    scheme: Scheme,
    *,
    dataset: str,
    session_name: str | None = None,
) -> int:
    """Prodigy ``choice`` tasks, one line per annotator x labelled unit; return the count."""
    options = prodigy_options(scheme)
    hashes: dict[int, tuple[int, int]] = {}
    count = 0
    for row in _labelled_rows(session, scheme, session_name):
        if row.unit_id not in hashes:
            hashes.clear()  # rows come unit by unit: keep only the current unit's hashes
            ih = input_hash(row.text)
            hashes[row.unit_id] = (ih, task_hash(ih, options))
        ih, th = hashes[row.unit_id]
        record = {
            "text": row.text,
            "meta": {
                "id": f"{row.article}:{row.unit}",
                "article": row.article,
                "unit": row.unit,
                "start": row.start,
                "end": row.end,
                "role": row.role,
                "annotator": row.annotator,
                "note": row.note,
                "scheme": scheme.ref,
            },
            "options": options,
            "accept": [f"{g}:{c}" for g, c in chosen(scheme, row.labels)],
            "answer": "accept",
            "_input_hash": ih,
            "_task_hash": th,
            "_annotator_id": f"{dataset}-{row.annotator}",
            "_session_id": f"{dataset}-{row.annotator}",
            "_view_id": "choice",
            "_timestamp": _unix(row.updated_at),
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def note_control(scheme: Scheme) -> str:
    """Name of the Label Studio TextArea holding notes (``note`` unless a group uses it)."""
    names = {g.name for g in scheme.groups}
    name = "note"
    while name in names:
        name += "_text"
    return name


def label_studio_config(scheme: Scheme) -> str:
    """The Label Studio labeling config (XML) that matches :func:`write_label_studio`."""
    lines = ["<View>", '  <Text name="text" value="$text"/>']
    for group in scheme.groups:
        kind = "single" if group.kind == "single" else "multiple"
        if group.description:
            lines.append(f"  <Header value={quoteattr(group.description)}/>")
        lines.append(f'  <Choices name={quoteattr(group.name)} toName="text" choice="{kind}">')
        for choice in group.choices:
            hint = f" hint={quoteattr(choice.definition)}" if choice.definition else ""
            lines.append(f"    <Choice value={quoteattr(choice.name)}{hint}/>")
        lines.append("  </Choices>")
    note = quoteattr(note_control(scheme))
    lines += [f'  <TextArea name={note} toName="text" placeholder="note"/>', "</View>", ""]
    return "\n".join(lines)


def _ls_annotation(
    scheme: Scheme, row: AnnotationRow, note_name: str, email_domain: str | None
) -> dict[str, Any]:
    result: list[dict[str, Any]] = []
    for group in scheme.groups:
        picked = [c for g, c in chosen(scheme, row.labels) if g == group.name]
        if picked:
            result.append(
                {
                    "from_name": group.name,
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": picked},
                }
            )
    if row.note:
        result.append(
            {
                "from_name": note_name,
                "to_name": "text",
                "type": "textarea",
                "value": {"text": [row.note]},
            }
        )
    annotation: dict[str, Any] = {"result": result, "ground_truth": False, "was_cancelled": False}
    if email_domain:
        annotation["completed_by"] = {"email": f"{row.annotator}@{email_domain}"}
    annotation["updated_at"] = format_time(row.updated_at)
    return annotation


def write_label_studio(
    session: Session,
    out: TextIO,
    scheme: Scheme,
    *,
    session_name: str | None = None,
    email_domain: str | None = "annotator.local",
) -> int:
    """A Label Studio task list (JSON array), one task per labelled unit; return the count.

    ``completed_by`` is ``{"email": "NAME@email_domain"}`` so Label Studio can attribute each
    annotation to a user with that email; with ``email_domain=None`` it is left out and Label
    Studio assigns the annotations to the importing user.
    """
    titles = {a.id: a.title for a in aq.list_articles(session)}
    note_name = note_control(scheme)
    count = 0
    out.write("[")
    task: dict[str, Any] | None = None
    current = -1
    for row in _labelled_rows(session, scheme, session_name):
        if row.unit_id != current:
            if task is not None:
                out.write(("," if count else "") + "\n" + json.dumps(task, ensure_ascii=False))
                count += 1
            current = row.unit_id
            task = {
                "data": {
                    "text": row.text,
                    "id": f"{row.article}:{row.unit}",
                    "article": row.article,
                    "title": titles.get(row.article_id, ""),
                    "unit": row.unit,
                    "start": row.start,
                    "end": row.end,
                    "role": row.role,
                },
                "meta": {"scheme": scheme.ref},
                "annotations": [],
            }
        assert task is not None
        task["annotations"].append(_ls_annotation(scheme, row, note_name, email_domain))
    if task is not None:
        out.write(("," if count else "") + "\n" + json.dumps(task, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def doccano_names(scheme: Scheme) -> dict[tuple[str, str], str]:
    """Label name of each ``(group, choice)``: the bare choice name, or ``group:choice`` for
    every choice when two groups share a choice name."""
    pairs = [(g.name, c.name) for g in scheme.groups for c in g.choices]
    bare = [c for _, c in pairs]
    unique = len(set(bare)) == len(bare)
    return {(g, c): c if unique else f"{g}:{c}" for g, c in pairs}


def doccano_record(scheme: Scheme, row: AnnotationRow, names: dict[tuple[str, str], str]) -> str:
    """One doccano text-classification line; ``article`` and ``unit`` become doccano metadata."""
    record = {
        "text": row.text,
        "label": [names[pair] for pair in chosen(scheme, row.labels)],
        "article": row.article,
        "unit": row.unit,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


def iter_doccano(
    session: Session, scheme: Scheme, *, session_name: str | None = None
) -> Iterator[tuple[str, str]]:
    """``(annotator, JSONL line)`` for every labelled annotation, in unit order."""
    names = doccano_names(scheme)
    for row in _labelled_rows(session, scheme, session_name):
        yield row.annotator, doccano_record(scheme, row, names)
