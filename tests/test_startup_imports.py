"""What starting a command loads: no Alembic for a database at head, no other commands' modules.

Each check runs in a fresh interpreter, so modules imported by other tests do not count.
"""

from __future__ import annotations

import subprocess
import sys

from alembic.script import ScriptDirectory

from annotator.store.engine import open_store
from annotator.store.migrate import MIGRATIONS, head_revision, known_revisions


def loaded_after(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_head_found_without_alembic_is_alembics_head() -> None:
    revisions, head = known_revisions()
    script = ScriptDirectory(str(MIGRATIONS))
    assert head == head_revision() == script.get_current_head()
    assert revisions == {rev.revision for rev in script.walk_revisions()}


def test_opening_a_database_at_head_does_not_load_alembic(db_url: str) -> None:
    open_store(db_url).close()  # created (and migrated) with Alembic
    loaded = loaded_after(
        f"from annotator.store.engine import open_store\nopen_store({db_url!r}).close()"
    )
    assert "annotator.store.engine" in loaded
    assert not {m for m in loaded if m == "alembic" or m.startswith("alembic.")}


def test_a_core_command_does_not_load_the_other_commands() -> None:
    loaded = loaded_after(
        "from annotator import cli\nparser = cli.build_parser('annotate')\n"
        "parser.parse_args(['annotate', '--as', 'alice'])"
    )
    assert "annotator.cli" in loaded
    assert not {m for m in loaded if m.startswith(("annotator.export", "annotator.ingest"))}
    assert "annotator.serve" not in loaded and "annotator.session_cmd" not in loaded
    everything = loaded_after("from annotator import cli\ncli.build_parser()")
    assert {"annotator.export.commands", "annotator.session_cmd"} <= everything


def test_errors_are_still_one_line_without_the_early_imports() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "annotator", "status", "--db", "/nonexistent/folder/x.db"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("annotator: error: database folder /nonexistent/folder")
    assert out.stderr.count("\n") == 1
