"""The core must not import Textual: only annotator.tui may."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import annotator

TEXTUAL_IMPORT = re.compile(r"(import|from) textual(\.|\s|$)")  # not textual_serve

PACKAGE = Path(annotator.__file__).parent

# Every module of the package outside annotator.tui, found on disk so a new module is
# covered the day it is added (not __main__, which runs the CLI, nor the Alembic scripts,
# which run only inside Alembic; the source scan below covers those).
CORE = sorted(
    ".".join(("annotator", *path.relative_to(PACKAGE).with_suffix("").parts))
    for path in PACKAGE.rglob("*.py")
    if not {"tui", "migrations"} & set(path.relative_to(PACKAGE).parts)
    and path.name not in ("__init__.py", "__main__.py")
)


def test_core_list_is_complete() -> None:
    for name in ("annotator.scheme", "annotator.service", "annotator.cli", "annotator.serve"):
        assert name in CORE
    assert not any(name.startswith("annotator.tui") for name in CORE)


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
    package = PACKAGE
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
