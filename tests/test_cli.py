"""The `annotator` command as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SEEDS, db_fingerprint, env_without_user_settings


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env_without_user_settings(),
        timeout=120,
    )


def test_import_status_and_idempotence(tmp_path: Path) -> None:
    first = run("import", str(SEEDS), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "5 imported (1 near-duplicates), 0 already present, 0 failed" in first.stdout
    assert (tmp_path / "annotations.db").exists()  # the default database in the working dir
    again = run("import", str(SEEDS), cwd=tmp_path)
    assert again.returncode == 0
    assert "0 imported (0 near-duplicates), 5 already present, 0 failed" in again.stdout
    status = run("status", "--format", "json", cwd=tmp_path)
    data = json.loads(status.stdout)
    assert data["articles"] == 5
    assert data["duplicates"] == [
        {"article": "000_ff92629906c65547", "duplicate_of": "001_072d0af660637b2d"}
    ]
    text = run("status", cwd=tmp_path).stdout
    assert "articles    5" in text and "near-duplicate of 001_072d0af660637b2d" in text


def test_segment_json_gives_exact_offsets(tmp_path: Path) -> None:
    path = SEEDS / "003_490b98aef62dcad9.txt"
    out = run("segment", str(path), "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    units = json.loads(out.stdout)
    text = path.read_text(encoding="utf-8")
    assert all(text[u["start"] : u["end"]] == u["text"] for u in units)
    assert units[0] == {
        "start": 0,
        "end": 60,
        "role": "heading",
        "text": "Putin's repeated call for talks met with Kyiv's firm refusal",
    }
    assert {"role": "dateline", "text": "5 November 2024 14:07"}.items() <= next(
        u for u in units if u["role"] == "dateline"
    ).items()
    texts = [u["text"] for u in units]
    assert (
        '"Russia is open to peace talks with Ukraine," Putin declared during a Kremlin '
        "ceremony for presenting credentials to foreign ambassadors."
    ) in texts
    assert "\"These are not only Ukraine's demands." in texts
    assert (
        'These are requirements of international law," emphasized the head of the '
        "Ukrainian president's office, Andriy Yermak."
    ) in texts


def test_binary_file_one_line_nonzero_db_unchanged(tmp_path: Path) -> None:
    run("import", str(SEEDS / "002_c4579cf5f0a426bd.txt"), cwd=tmp_path)
    before = db_fingerprint(tmp_path / "annotations.db")
    blob = tmp_path / "photo.txt"
    blob.write_bytes(bytes(range(256)) * 4)
    out = run("import", str(blob), cwd=tmp_path)
    assert out.returncode != 0
    errors = out.stderr.strip().splitlines()
    assert errors == [
        f"error: {blob}: looks binary (contains NUL bytes); import UTF-8 .txt or .jsonl files only"
    ]
    assert "Traceback" not in out.stderr
    assert db_fingerprint(tmp_path / "annotations.db") == before


def test_invalid_scheme_one_line_nonzero_db_unchanged(tmp_path: Path) -> None:
    run("import", str(SEEDS / "002_c4579cf5f0a426bd.txt"), cwd=tmp_path)
    before = db_fingerprint(tmp_path / "annotations.db")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\ngroups: [\n", encoding="utf-8")
    out = run("annotate", "--as", "alice", "--scheme", str(bad), cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("annotator: error: ") and "bad.yaml" in lines[0]
    assert db_fingerprint(tmp_path / "annotations.db") == before


def test_status_without_database_is_clear(tmp_path: Path) -> None:
    out = run("status", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("annotator: error: no database at annotations.db")
    assert not (tmp_path / "annotations.db").exists()


def test_console_script_and_module_agree() -> None:
    exe = Path(sys.executable).with_name("annotator")
    out = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "annotator 0.1.0"
