"""The core must not import Textual: only annotator.tui may."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import annotator

TEXTUAL_IMPORT = re.compile(r"(import|from) textual(\.|\s|$)")  # not textual_serve

CORE = [
    "annotator.scheme",
    "annotator.segment",
    "annotator.ingest",
    "annotator.store.engine",
    "annotator.store.models",
    "annotator.store.articles",
    "annotator.store.labels",
    "annotator.store.migrate",
    "annotator.agreement",
    "annotator.service",
    "annotator.cli",
    "annotator.domain",
    "annotator.sessions",
    "annotator.adjudication",
    "annotator.merge",
    "annotator.serve",
    "annotator.export.commands",
    "annotator.export.report",
    "annotator.export.agreement_cmd",
]


def test_core_modules_do_not_load_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(bad)); print(bad[:5])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, sample = out.stdout.splitlines()
    assert count == "0", f"core imported textual: {sample}"


def test_no_textual_import_outside_tui() -> None:
    package = Path(annotator.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "tui" not in path.relative_to(package).parts
        and any(
            TEXTUAL_IMPORT.match(line.strip())
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
