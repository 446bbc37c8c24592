"""The optional keymap file: binding ids mapped to keys, e.g. ``annotate.next: ctrl+n``.

Every binding of the app has an id (``annotate.next``, ``annotate.undo``, ``articles.filter``
…; the README lists them). A YAML mapping of ids to Textual key strings (several keys
separated by commas) replaces those bindings' keys. The file is ``$ANNOTATOR_KEYMAP`` or
``~/.config/annotator/keymap.yaml``; a broken file is ignored with a one-line message.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

DEFAULT_KEYMAP = Path("~/.config/annotator/keymap.yaml")


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """Read the keymap at ``path`` (default: ``$ANNOTATOR_KEYMAP`` or the user's file).

    Returns the mapping and a problem to show the user (None when all is well; a missing
    default file is not a problem, a missing ``$ANNOTATOR_KEYMAP`` file is).
    """
    env = os.environ.get("ANNOTATOR_KEYMAP")
    chosen = (path or (Path(env) if env else DEFAULT_KEYMAP)).expanduser()
    if not chosen.is_file():
        return {}, (f"keymap {chosen} not found; check ANNOTATOR_KEYMAP" if env else None)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:100]
        return {}, f"keymap {chosen} ignored: {reason}; fix or remove it"
    if data is None:
        return {}, None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return {}, f"keymap {chosen} ignored: write lines like  annotate.next: ctrl+n"
    return data, None
