"""Adjudicated gold reaches the dataset and the agreement report of a session."""

from __future__ import annotations

import json
from pathlib import Path

from annotator import adjudication, sessions
from annotator.scheme import Scheme
from annotator.service import Context, Service
from tests.conftest import SEEDS
from tests.test_cli import run

ARTICLE = "003_490b98aef62dcad9"


def test_export_and_report_use_gold(tmp_path: Path, scheme: Scheme) -> None:
    url = f"sqlite:///{tmp_path / 'annotations.db'}"
    service = Service.open(url)
    service.import_paths([SEEDS])
    sessions.create(
        service,
        "s",
        articles=ARTICLE,
        annotators=["alice", "bob"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    alice, bob = Context("alice", scheme, "s"), Context("bob", scheme, "s")
    view = service.article(alice, ARTICLE)
    picked = [u for u in view.units if u.role == "sentence"][:4]
    units = [u.id for u in picked]
    for key_a, key_b, unit in zip("aaen", "aeen", units, strict=True):
        service.press(alice, unit, key_a)
        service.press(bob, unit, key_b)
    adjudication.press_gold(service, Context("lead", scheme, "s"), units[1], "e")
    service.close()

    out = run("export", "--session", "s", "-o", "units.jsonl", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = (tmp_path / "units.jsonl").read_text().splitlines()
    records = {r["unit"]: r for r in map(json.loads, lines)}
    agreed, adjudicated = records[picked[0].idx], records[picked[1].idx]
    assert agreed["label_source"] == "majority" and agreed["label"]["claim_type"] == "attributed"
    assert adjudicated["label_source"] == "gold"
    assert adjudicated["label"]["claim_type"] == "editorial"
    report = run("agreement", "--session", "s", "--format", "json", "-o", "r.json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["gold"] is not None and data["gold"]["n_units"] == 1
    assert set(data["gold"]["annotators"]) == {"alice", "bob"}
