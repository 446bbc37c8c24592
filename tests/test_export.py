"""Every export format, field by field, on the seeds labelled by three annotators."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.export import formats
from annotator.export.jsonl import unit_records
from annotator.scheme import Scheme, load_scheme
from annotator.service import Context, Service
from annotator.store import articles as aq
from tests.conftest import SCHEME_PATH, SEEDS

A0, A1, A2, A3, A4 = (
    "000_ff92629906c65547",
    "001_072d0af660637b2d",
    "002_c4579cf5f0a426bd",
    "003_490b98aef62dcad9",
    "004_39dcb224b8f820fa",
)
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")
# (article, unit, annotator, claim_type, flags)
LABELS = [
    (A3, 0, "alice", "attributed", ["framing"]),
    (A3, 0, "bob", "attributed", []),
    (A3, 0, "carol", "editorial", []),
    (A3, 1, "alice", "editorial", []),
    (A3, 1, "bob", "editorial", []),
    (A3, 1, "carol", "editorial", []),
    (A3, 2, "alice", "no_claim", []),
    (A3, 2, "bob", "attributed", []),
    (A3, 3, "alice", None, ["disputed"]),
    (A3, 4, "carol", "attributed", []),  # emptied again below: a row with nothing chosen
    (A0, 0, "alice", "attributed", []),
    (A1, 0, "alice", "attributed", []),
    (A1, 0, "bob", "attributed", []),
    (A2, 1, "carol", "no_claim", []),
    (A4, 2, "bob", "editorial", []),
    (A4, 2, "carol", "editorial", ["framing", "disputed"]),
]
NOTE = (A3, 1, "bob", 'check the "source" — ünïcode')
PER_ANNOTATOR_ROWS = len(LABELS)
LABELLED_UNITS = 8  # distinct (article, unit) above with a choice set, A3:4 excluded


def unit_id(service: Service, article: str, idx: int) -> int:
    """The database id of unit ``idx`` of ``article``."""

    def run(session: object) -> int:
        info = aq.get_article(session, article)  # type: ignore[arg-type]
        assert info is not None and info.id is not None
        return next(u.id for u in aq.units_of(session, info.id) if u.idx == idx)  # type: ignore[arg-type]

    return service.read(run)


def build_labelled(path: Path, scheme: Scheme) -> None:
    """A database at ``path`` with the seeds and :data:`LABELS`."""
    service = Service.open(f"sqlite:///{path}")
    try:
        assert not service.import_paths([SEEDS]).errors
        for article, idx, name, claim, flags in LABELS:
            labels = {"claim_type": claim, "flags": flags}
            service.set_labels(Context(name, scheme), unit_id(service, article, idx), labels)
        service.set_labels(Context("carol", scheme), unit_id(service, A3, 4), {})
        article, idx, name, note = NOTE
        service.set_note(Context(name, scheme), unit_id(service, article, idx), note)
    finally:
        service.close()


_TEMPLATES: dict[str, Path] = {}


def labelled_copy(factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A private copy of a labelled database built once per test session."""
    if "labelled" not in _TEMPLATES:
        template = factory.mktemp("template") / "labelled.db"
        build_labelled(template, load_scheme(SCHEME_PATH))
        _TEMPLATES["labelled"] = template
    path = tmp_path / "labelled.db"
    shutil.copy(_TEMPLATES["labelled"], path)
    return path


@pytest.fixture
def labelled(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The seeds labelled as in :data:`LABELS`, in a private database file."""
    return labelled_copy(tmp_path_factory, tmp_path)


def export(db: Path, *args: str) -> int:
    """Run ``annotator export --db db ARGS`` in-process."""
    return main(["export", "--db", str(db), *args])


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_unit_jsonl_record_field_by_field(labelled: Path, tmp_path: Path, scheme: Scheme) -> None:
    out = tmp_path / "units.jsonl"
    assert export(labelled, "-o", str(out)) == 0
    records = read_jsonl(out)
    assert len(records) == LABELLED_UNITS
    assert [r["id"] for r in records] == [
        f"{A0}:0",
        f"{A1}:0",
        f"{A2}:1",
        f"{A3}:0",
        f"{A3}:1",
        f"{A3}:2",
        f"{A3}:3",
        f"{A4}:2",
    ]
    first = next(r for r in records if r["id"] == f"{A3}:0")
    annotations = first.pop("annotations")
    assert first == {
        "id": f"{A3}:0",
        "article": A3,
        "title": "Putin's repeated call for talks met with Kyiv's firm refusal",
        "unit": 0,
        "start": 0,
        "end": 60,
        "role": "heading",
        "text": "Putin's repeated call for talks met with Kyiv's firm refusal",
        "n_annotators": 3,
        "label": {"claim_type": "attributed", "flags": {"framing": False, "disputed": False}},
        "label_source": "majority",
        "tie": {"claim_type": False, "flags": {"framing": False, "disputed": False}},
        "agreement": {"claim_type": 0.3333, "flags": {"framing": 0.3333, "disputed": 1.0}},
        "scheme": scheme.ref,
    }
    assert isinstance(annotations, list)
    assert [a["annotator"] for a in annotations] == ["alice", "bob", "carol"]
    assert annotations[0]["labels"] == {
        "claim_type": "attributed",
        "flags": {"framing": True, "disputed": False},
    }
    assert annotations[0]["note"] == "" and annotations[0]["session"] == ""
    assert all(TIME.match(a["updated_at"]) for a in annotations)


def test_unit_jsonl_ties_single_annotator_and_notes(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "units.jsonl"
    export(labelled, "-o", str(out))
    by_id = {r["id"]: r for r in read_jsonl(out)}
    tied = by_id[f"{A3}:2"]  # no_claim vs attributed
    assert tied["label"]["claim_type"] == "" and tied["tie"]["claim_type"] is True
    assert tied["agreement"]["claim_type"] == 0.0
    alone = by_id[f"{A3}:3"]  # alice alone, only the disputed flag
    assert alone["n_annotators"] == 1
    assert alone["agreement"] == {"claim_type": None, "flags": {"framing": None, "disputed": None}}
    assert alone["label"] == {"claim_type": "", "flags": {"framing": False, "disputed": True}}
    assert alone["tie"]["claim_type"] is False
    agreed = by_id[f"{A3}:1"]
    assert agreed["agreement"]["claim_type"] == 1.0
    assert [a["note"] for a in agreed["annotations"]] == ["", NOTE[3], ""]
    flags = by_id[f"{A4}:2"]  # bob none, carol both: one of two is a tie for each flag
    assert flags["tie"]["flags"] == {"framing": True, "disputed": True}
    assert flags["label"]["flags"] == {"framing": False, "disputed": False}


def test_gold_labels_replace_the_majority(labelled: Path, scheme: Scheme) -> None:
    service = Service.open(f"sqlite:///{labelled}")
    try:
        uid = unit_id(service, A3, 2)
        gold = {uid: {"claim_type": "attributed", "flags": ["disputed"]}}
        records = service.read(lambda s: list(unit_records(s, scheme, gold=gold)))
    finally:
        service.close()
    record = next(r.data for r in records if r.unit_id == uid)
    assert record["label_source"] == "gold"
    assert record["label"] == {
        "claim_type": "attributed",
        "flags": {"framing": False, "disputed": True},
    }
    assert record["tie"] == {"claim_type": False, "flags": {"framing": False, "disputed": False}}
    assert record["agreement"]["claim_type"] == 0.0  # agreement still describes the annotators


def test_per_annotator_interchange_records(labelled: Path, tmp_path: Path, scheme: Scheme) -> None:
    out = tmp_path / "labels.jsonl"
    assert export(labelled, "--per-annotator", "-o", str(out)) == 0
    records = read_jsonl(out)
    assert len(records) == PER_ANNOTATOR_ROWS
    bob = next(r for r in records if (r["article"], r["unit"], r["annotator"]) == (A3, 1, "bob"))
    updated_at = bob.pop("updated_at")
    assert isinstance(updated_at, str) and TIME.match(updated_at)
    assert bob == {
        "article": A3,
        "unit": 1,
        "start": 61,
        "end": 184,
        "role": "sentence",
        "text": bob["text"],
        "annotator": "bob",
        "labels": {"claim_type": "editorial", "flags": []},
        "note": NOTE[3],
        "scheme": scheme.ref,
        "session": "",
    }
    seed_text = (SEEDS / f"{A3}.txt").read_text(encoding="utf-8")
    assert seed_text[61:184] == bob["text"]
    emptied = next(r for r in records if (r["article"], r["unit"]) == (A3, 4))
    assert emptied["labels"] == {"claim_type": None, "flags": []}
    assert list(bob) == [
        "article",
        "unit",
        "start",
        "end",
        "role",
        "text",
        "annotator",
        "labels",
        "note",
        "scheme",
        "session",
    ]


@pytest.mark.parametrize(
    ("data", "seed", "expected"),
    [
        (b"foo", 0, -156908512),  # mmh3 documentation
        (b"foo", 42, -1322301282),
        (b"", 0, 0),
        (b"", 1, 0x514E28B7),
        (b"", 0xFFFFFFFF, 0x81F16F39 - (1 << 32)),
        (b"\0\0\0\0", 0, 0x2362F9DE),
        (b"aaaa", 0x9747B28C, 0x5A97808A),
        (b"Hello, world!", 0x9747B28C, 0x24884CBA),
        (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
    ],
)
def test_murmurhash3_matches_published_vectors(data: bytes, seed: int, expected: int) -> None:
    assert formats.murmurhash3_32(data, seed) == expected


def test_prodigy_records(labelled: Path, tmp_path: Path, scheme: Scheme) -> None:
    out = tmp_path / "prodigy.jsonl"
    assert export(labelled, "--format", "prodigy", "-o", str(out)) == 0
    records = read_jsonl(out)
    assert len(records) == PER_ANNOTATOR_ROWS - 1  # the emptied row has nothing to accept
    alice = next(
        r for r in records if r["meta"]["id"] == f"{A3}:0" and r["_annotator_id"] == "claims-alice"
    )
    options = [
        {"id": "claim_type:attributed", "text": "attributed"},
        {"id": "claim_type:editorial", "text": "editorial"},
        {"id": "claim_type:no_claim", "text": "no_claim"},
        {"id": "flags:framing", "text": "framing"},
        {"id": "flags:disputed", "text": "disputed"},
    ]
    text = "Putin's repeated call for talks met with Kyiv's firm refusal"
    in_hash = formats.murmurhash3_32('{"text":"' + text + '"}')
    task_hash = formats.murmurhash3_32(
        str(in_hash) + json.dumps({"options": options}, sort_keys=True, separators=(",", ":"))
    )
    assert isinstance(alice.pop("_timestamp"), int)
    assert alice == {
        "text": text,
        "meta": {
            "id": f"{A3}:0",
            "article": A3,
            "unit": 0,
            "start": 0,
            "end": 60,
            "role": "heading",
            "annotator": "alice",
            "note": None,
            "scheme": scheme.ref,
        },
        "options": options,
        "accept": ["claim_type:attributed", "flags:framing"],
        "answer": "accept",
        "_input_hash": in_hash,
        "_task_hash": task_hash,
        "_annotator_id": "claims-alice",
        "_session_id": "claims-alice",
        "_view_id": "choice",
    }
    assert -(2**31) <= in_hash < 2**31 and -(2**31) <= task_hash < 2**31
    same_unit = [r for r in records if r["meta"]["id"] == f"{A3}:0"]
    assert {r["_input_hash"] for r in same_unit} == {in_hash}
    assert {r["_task_hash"] for r in same_unit} == {task_hash}
    other = next(r for r in records if r["meta"]["id"] == f"{A3}:1")
    assert other["_input_hash"] != in_hash
    alone = next(r for r in records if r["meta"]["id"] == f"{A3}:3")
    assert alone["accept"] == ["flags:disputed"]


def test_prodigy_dataset_name(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    export(labelled, "--format", "prodigy", "--dataset", "claims_v1", "-o", str(out))
    assert {r["_session_id"] for r in read_jsonl(out)} == {
        "claims_v1-alice",
        "claims_v1-bob",
        "claims_v1-carol",
    }


def test_label_studio_tasks_and_config(labelled: Path, tmp_path: Path, scheme: Scheme) -> None:
    out = tmp_path / "ls.json"
    assert export(labelled, "--format", "label-studio", "-o", str(out)) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(tasks, list) and len(tasks) == LABELLED_UNITS
    task = next(t for t in tasks if t["data"]["id"] == f"{A3}:1")
    assert task["data"] == {
        "text": task["data"]["text"],
        "id": f"{A3}:1",
        "article": A3,
        "title": "Putin's repeated call for talks met with Kyiv's firm refusal",
        "unit": 1,
        "start": 61,
        "end": 184,
        "role": "sentence",
    }
    assert task["meta"] == {"scheme": scheme.ref}
    assert [a["completed_by"] for a in task["annotations"]] == [
        {"email": "alice@annotator.local"},
        {"email": "bob@annotator.local"},
        {"email": "carol@annotator.local"},
    ]
    bob = task["annotations"][1]
    assert bob["result"] == [
        {
            "from_name": "claim_type",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": ["editorial"]},
        },
        {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": [NOTE[3]]}},
    ]
    assert bob["ground_truth"] is False and bob["was_cancelled"] is False
    flagged = next(t for t in tasks if t["data"]["id"] == f"{A4}:2")["annotations"][1]
    assert flagged["result"][1] == {
        "from_name": "flags",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": ["framing", "disputed"]},
    }
    config = ET.fromstring((tmp_path / "ls.json.config.xml").read_text(encoding="utf-8"))
    assert config.tag == "View"
    assert config.find("Text").attrib == {"name": "text", "value": "$text"}
    controls = {c.attrib["name"]: c for c in config.iter("Choices")}
    assert controls["claim_type"].attrib["choice"] == "single"
    assert controls["flags"].attrib["choice"] == "multiple"
    assert [c.attrib["value"] for c in controls["claim_type"]] == [
        "attributed",
        "editorial",
        "no_claim",
    ]
    names = set(controls) | {t.attrib["name"] for t in config.iter("TextArea")}
    for t in tasks:
        for a in t["annotations"]:
            assert all(r["from_name"] in names and r["to_name"] == "text" for r in a["result"])


def test_label_studio_without_users(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "ls.json"
    export(labelled, "--format", "label-studio", "--label-studio-users", "none", "-o", str(out))
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert all("completed_by" not in a for t in tasks for a in t["annotations"])


def test_doccano_one_file_per_annotator(labelled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "doccano"
    assert export(labelled, "--format", "doccano", "-o", str(folder)) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "doccano-alice.jsonl",
        "doccano-bob.jsonl",
        "doccano-carol.jsonl",
    ]
    alice = read_jsonl(folder / "doccano-alice.jsonl")
    assert [(r["article"], r["unit"]) for r in alice] == [
        (A0, 0),
        (A1, 0),
        (A3, 0),
        (A3, 1),
        (A3, 2),
        (A3, 3),
    ]
    assert alice[2] == {
        "text": "Putin's repeated call for talks met with Kyiv's firm refusal",
        "label": ["attributed", "framing"],
        "article": A3,
        "unit": 0,
    }
    assert alice[5]["label"] == ["disputed"]
    carol = read_jsonl(folder / "doccano-carol.jsonl")
    assert [r["label"] for r in carol] == [
        ["no_claim"],
        ["editorial"],
        ["editorial"],
        ["editorial", "framing", "disputed"],
    ]
