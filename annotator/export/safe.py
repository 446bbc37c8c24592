"""Safe output files: atomic writes, no silent overwrites, no paths outside the chosen folder.

Every export goes through :func:`atomic_writer`: the content is written to a hidden
temporary file in the destination folder, flushed and fsynced, then renamed over the
destination with :func:`os.replace`. A crash or an error part-way leaves the old file (or no
file) and never a half-written one. An existing destination is only replaced when the user
passed ``--force`` (:func:`check_targets` checks every file of a multi-file export before the
first byte is written). File names built from article ids or annotator names go through
:func:`safe_component`, and :func:`inside` refuses any path that would leave the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_COMPONENT = 100


class ExportError(ValueError):
    """An export or import that cannot be done; ``str()`` is one line with the fix."""


def safe_component(name: str) -> str:
    """A file-name component derived from ``name`` that cannot escape its folder.

    Letters, digits, ``.``, ``_`` and ``-`` are kept; anything else (``/``, ``\\``, spaces,
    control characters) becomes ``_``; leading dots are dropped so the result is never
    ``.``, ``..`` or a hidden file. When anything had to change, an 8-hex-digit hash of the
    original is appended so that two different names never map to the same file.
    """
    clean = _UNSAFE.sub("_", name).lstrip(".")[:MAX_COMPONENT]
    if clean == name and clean:
        return clean
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{clean or '_'}-{digest}"


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` after checking that it stays inside ``folder``."""
    base = folder.resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise ExportError(f"{name!r} would be written outside {folder}; this is a bug, report it")
    return folder / target.name


def check_targets(paths: Iterable[Path], *, force: bool) -> None:
    """Refuse (one line) when any of ``paths`` exists and ``force`` is not set.

    Also refuses a destination that is a directory or another non-regular file (even with
    ``force``: the rename would replace a device or pipe), or whose folder exists as a file.
    """
    for path in paths:
        if path.is_dir():
            raise ExportError(f"{path} is a directory; give a file path with -o")
        if path.exists() and not path.is_file():  # replacing it would remove a device or pipe
            raise ExportError(
                f"{path} is not a regular file (a device, pipe or socket); give a file path with -o"
            )
        if path.exists() and not force:
            raise ExportError(
                f"{path} already exists; pass --force to overwrite it or choose another -o"
            )
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            raise ExportError(f"{parent} is a file, not a folder; choose another -o")


def prepare_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if needed, as one clear error if that fails."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder; choose another -o")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create folder {folder} ({exc.strerror}); check -o") from None


@contextlib.contextmanager
def atomic_writer(path: Path, *, force: bool, buffering: int = 1 << 20) -> Iterator[TextIO]:
    """Yield a UTF-8 text file whose content replaces ``path`` only if the block succeeds.

    The temporary file lives in the same folder (so the rename is atomic) and is removed on
    any error, including KeyboardInterrupt.
    """
    check_targets([path], force=force)
    prepare_folder(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name[:60]}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise ExportError(
            f"cannot write in {path.parent} ({exc.strerror}); check permissions or choose -o"
        ) from None
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        with open(fd, "w", encoding="utf-8", newline="\n", buffering=buffering) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and not force:  # appeared while we were writing
            raise ExportError(
                f"{path} already exists; pass --force to overwrite it or choose another -o"
            )
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, force=force) as handle:
        handle.write(text)
