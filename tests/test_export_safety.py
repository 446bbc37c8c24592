"""Export safety: --force, atomic writes, default paths, sanitised file names."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from annotator.export.safe import ExportError, atomic_writer, inside, safe_component
from annotator.scheme import Scheme
from annotator.service import Context, Service
from tests.conftest import db_fingerprint
from tests.test_export import A3, export, labelled_copy, unit_id


@pytest.fixture
def labelled(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """The seeds labelled by three annotators (see tests/test_export.py)."""
    return labelled_copy(tmp_path_factory, tmp_path)


def test_existing_file_needs_force(
    labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "units.jsonl"
    out.write_text("precious\n", "utf-8")
    assert export(labelled, "-o", str(out)) == 2
    err = capsys.readouterr().err
    fix = "pass --force to overwrite it or choose another -o"
    assert err == f"annotator: error: {out} already exists; {fix}\n"
    assert out.read_text("utf-8") == "precious\n"
    assert export(labelled, "-o", str(out), "--force") == 0
    assert out.read_text("utf-8").startswith('{"id": ')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labelled.db", "units.jsonl"]


def test_multi_file_exports_check_every_file_first(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "splits"
    out.mkdir()
    (out / "test.jsonl").write_text("keep\n", "utf-8")
    assert export(labelled, "--split", "train=0.5,dev=0.25,test=0.25", "-o", str(out)) == 2
    assert sorted(p.name for p in out.iterdir()) == ["test.jsonl"]  # nothing else written
    ls = tmp_path / "ls.json"
    Path(f"{ls}.config.xml").write_text("<View/>", "utf-8")
    assert export(labelled, "--format", "label-studio", "-o", str(ls)) == 2
    assert not ls.exists()


def test_default_paths_under_exports(
    labelled: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert export(labelled) == 0
    assert export(labelled, "--per-annotator") == 0
    assert export(labelled, "--format", "prodigy") == 0
    assert export(labelled, "--format", "label-studio") == 0
    assert export(labelled, "--format", "doccano") == 0
    assert export(labelled, "--split", "train=0.5,dev=0.25,test=0.25") == 0
    printed = capsys.readouterr().out
    for name in (
        "dataset.jsonl",
        "labels.jsonl",
        "prodigy.jsonl",
        "label-studio.json",
        "label-studio.json.config.xml",
        "doccano/doccano-alice.jsonl",
        "splits/train.jsonl",
        "splits/README.md",
    ):
        assert (tmp_path / "exports" / name).is_file(), name
        assert f" to exports/{name}\n" in printed
    assert "wrote 8 units to exports/dataset.jsonl" in printed
    mode = (tmp_path / "exports" / "dataset.jsonl").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", "utf-8")
    with pytest.raises(RuntimeError), atomic_writer(target, force=True) as handle:
        handle.write("half a li")
        raise RuntimeError("disk on fire")
    assert target.read_text("utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    fresh = tmp_path / "new.jsonl"
    with pytest.raises(KeyboardInterrupt), atomic_writer(fresh, force=False) as handle:
        handle.write("x")
        raise KeyboardInterrupt
    assert not fresh.exists() and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


@pytest.mark.parametrize(
    "name", ["..", ".", "../../etc/passwd", "a/b", "a\\b", "x\x00y", "\n", "", ".hidden", "émile"]
)
def test_safe_component_never_escapes(name: str, tmp_path: Path) -> None:
    clean = safe_component(name)
    assert clean and "/" not in clean and "\\" not in clean and not clean.startswith(".")
    assert all(c.isascii() and c.isprintable() for c in clean)
    assert inside(tmp_path, clean).parent == tmp_path
    assert clean != safe_component(name + "x")  # different names never share a file


def test_safe_component_keeps_plain_names() -> None:
    assert safe_component("alice") == "alice"
    assert safe_component("team-1.b_2") == "team-1.b_2"


def test_inside_refuses_escapes(tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        inside(tmp_path, "../x")
    with pytest.raises(ExportError):
        inside(tmp_path, "sub/x")


def test_hostile_annotator_names_stay_in_the_folder(
    labelled: Path, tmp_path: Path, scheme: Scheme
) -> None:
    service = Service.open(f"sqlite:///{labelled}")
    try:
        service.set_labels(
            Context("..", scheme), unit_id(service, A3, 0), {"claim_type": "editorial"}
        )
    finally:
        service.close()
    with sqlite3.connect(labelled) as con:  # a name no check would let in, from a foreign DB
        con.execute("UPDATE annotator SET name = '../../escaped' WHERE name = 'carol'")
    folder = tmp_path / "out" / "doccano"
    assert export(labelled, "--format", "doccano", "-o", str(folder)) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 4 and "doccano-alice.jsonl" in names
    assert all(p.parent == folder for p in folder.iterdir())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["doccano"]
    assert not (tmp_path / "escaped").exists()


def test_bad_option_combinations(
    labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = db_fingerprint(labelled)
    assert export(labelled, "--per-annotator", "--format", "prodigy") == 2
    assert "--per-annotator writes JSONL; leave out --format prodigy" in capsys.readouterr().err
    assert export(labelled, "--split", "a=1", "--per-annotator") == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert export(tmp_path / "absent.db") == 2
    assert "no database at" in capsys.readouterr().err
    assert export(labelled, "-o", str(tmp_path)) == 2
    assert "is a directory; give a file path with -o" in capsys.readouterr().err
    assert db_fingerprint(labelled) == before
