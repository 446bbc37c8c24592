"""The ``annotator agreement`` command: the agreement report as Markdown, HTML or JSON.

``annotator agreement [--format md|html|json] [-o PATH] [--scheme FILE] [--session NAME]
[--force] [--n-boot N] [--seed N]``.  Without ``-o`` the report goes to stdout.  With ``-o``
it is written atomically (a temporary file in the same folder, fsynced, then renamed), and an
existing file is only replaced with ``--force``.  The format defaults to the ``-o`` suffix
(``.html``, ``.json``), else Markdown.  With ``--session NAME`` and no ``--scheme`` the
session's scheme snapshot is compared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from annotator.scheme import Scheme
    from annotator.service import Service

FORMATS = {"md": "Markdown", "html": "HTML", "json": "JSON"}
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}


def _user_error(message: str) -> Exception:
    from annotator.cli import UserError

    return UserError(message)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def register(sub: Any) -> None:
    """Add ``agreement`` to the ``annotator`` sub-command parsers."""
    from annotator.cli import add_db_option

    text = "report inter-annotator agreement per field (Markdown, HTML or JSON)"
    p = sub.add_parser("agreement", help=text, description=text)
    add_db_option(p)
    p.add_argument(
        "--format",
        choices=list(FORMATS),
        help="output format (default: from the -o suffix, else md)",
    )
    p.add_argument("-o", "--output", metavar="PATH", help="write to PATH instead of stdout")
    p.add_argument(
        "--scheme",
        metavar="FILE",
        help="scheme YAML (default: the session's scheme with --session, else the claims scheme)",
    )
    p.add_argument(
        "--session",
        metavar="NAME",
        help='only this annotation session ("" = labels made outside sessions; default: all)',
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument(
        "--n-boot",
        type=_positive,
        default=1000,
        metavar="N",
        help="bootstrap resamples for the 95%% intervals (default 1000)",
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.set_defaults(handler=cmd_agreement)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output:
        return SUFFIXES.get(Path(args.output).suffix.lower(), "md")
    return "md"


def _check_target(path: Path, force: bool) -> None:
    """Refuse, before any work, a target that cannot or must not be written."""
    if path.is_dir():
        raise _user_error(f"{path} is a folder; give a file name such as {path / 'report.html'}")
    if not path.parent.is_dir():
        raise _user_error(f"folder {path.parent} does not exist; create it first")
    if path.exists() and not force:
        raise _user_error(f"{path} already exists; pass --force to overwrite it")


def write_atomic(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` all at once: never a half-written file, no silent overwrite.

    Without ``force`` the temporary file is hard-linked into place, which fails if ``path``
    appeared meanwhile; where hard links are not supported it falls back to check-and-rename.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        if force:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise _user_error(f"{path} already exists; pass --force to overwrite it") from None
        except OSError:
            if path.exists():
                raise _user_error(f"{path} already exists; pass --force to overwrite it") from None
            os.replace(tmp, path)
    except OSError as exc:
        raise _user_error(f"cannot write {path} ({exc.strerror}); check the folder") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _scheme(service: Service, path: str | None, session_name: str | None) -> Scheme:
    """``--scheme FILE``; else the scheme snapshot of ``--session NAME``; else the default.

    A session name with no session record (labels written with that session name through the
    API) falls back to the default scheme.
    """
    from annotator.scheme import default_scheme_path, load_scheme
    from annotator.service import ServiceError

    if path:
        return load_scheme(path)
    if session_name:
        try:
            from annotator.sessions import session_scheme
        except ModuleNotFoundError:  # pragma: no cover - sessions are optional
            pass
        else:
            with contextlib.suppress(ServiceError):
                return session_scheme(service, session_name)
    return load_scheme(default_scheme_path())


def cmd_agreement(args: argparse.Namespace) -> int:
    """Build the agreement report and print it or write it to ``-o``."""
    from annotator.agreement import AgreementError
    from annotator.export.matrix import ReportError
    from annotator.export.report import (
        agreement_report,
        render_html,
        render_markdown,
        report_json,
    )
    from annotator.service import Service

    fmt = _format(args)
    target = Path(args.output).expanduser() if args.output else None
    if target is not None:
        _check_target(target, args.force)
    service = Service.open(args.db, create=False)
    try:
        scheme = _scheme(service, args.scheme, args.session)
        gold = None
        if args.session:
            from annotator.adjudication import gold_map

            gold = gold_map(service, scheme, args.session) or None
        report = agreement_report(
            service,
            scheme,
            session_name=args.session,
            gold=gold,
            n_boot=args.n_boot,
            seed=args.seed,
        )
    except (ReportError, AgreementError) as exc:
        raise _user_error(str(exc)) from None
    finally:
        service.close()
    if fmt == "json":
        text = json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = render_html(report)
    else:
        text = render_markdown(report)
    if target is None:
        sys.stdout.write(text)
        return 0
    write_atomic(target, text, force=args.force)
    print(
        f"wrote {FORMATS[fmt]} agreement report to {target}: {len(report.fields)} fields, "
        f"{report.n_units} units, {len(report.annotators)} annotators",
        file=sys.stderr,
    )
    return 0
