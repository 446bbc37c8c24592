"""The ``annotator`` command: import, segment, status, annotate and the rest.

Every failure a user can cause ends in one line on stderr that says what is wrong
and what to do, and a non-zero exit status; never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from annotator import __version__

EXIT_USAGE = 2
EXIT_FAILED = 1

Handler = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """An error to show as one line, with exit status 2."""


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def cmd_segment(args: argparse.Namespace) -> int:
    """Print how a file would be split into units, before importing it."""
    from annotator.ingest import decode_bytes
    from annotator.segment import segment

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    text = decode_bytes(path.read_bytes(), str(path))
    spans = segment(text)
    if args.format == "json":
        _print_json(
            [{"start": s.start, "end": s.end, "role": s.role, "text": s.text} for s in spans]
        )
    else:
        width = len(str(len(text)))
        for span in spans:
            print(f"{span.start:>{width}}-{span.end:<{width}} {span.role:<11} {span.text}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import .txt/.jsonl files and folders into the database."""
    from annotator.ingest import expand_paths
    from annotator.service import Service

    service = Service.open(args.db)
    files = list(expand_paths(args.paths))
    bar = _progress_bar(len(files)) if len(files) >= 20 and sys.stderr.isatty() else None
    try:
        report = service.import_paths(files, progress=bar)
    finally:
        service.close()
        if bar is not None:
            print(file=sys.stderr)
    for item in report.items:
        if item.status == "error":
            print(f"error: {item.message}", file=sys.stderr)
        elif item.status == "skipped":
            print(f"skipped {item.external_id}: {item.message}")
        elif item.status == "duplicate":
            print(f"imported {item.external_id} ({item.n_units} units), {item.message}")
        elif not args.quiet or item.message:
            extra = f", {item.message}" if item.message else ""
            print(f"imported {item.external_id} ({item.n_units} units){extra}")
    imported = report.count("imported") + report.count("duplicate")
    print(
        f"{imported} imported ({report.near_duplicates} near-duplicates), "
        f"{report.count('skipped')} already present, {len(report.errors)} failed"
    )
    return EXIT_FAILED if report.errors else 0


def _progress_bar(total: int) -> Callable[[int, int], None]:
    def show(done: int, of: int) -> None:
        filled = int(30 * done / max(of, 1))
        print(
            f"\rimporting [{'#' * filled}{'.' * (30 - filled)}] {done}/{of}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show


def cmd_status(args: argparse.Namespace) -> int:
    """Print articles, units by role, duplicates, annotators and labels."""
    from annotator.service import Service

    service = Service.open(args.db, create=False)
    try:
        report = service.status()
    finally:
        service.close()
    if args.format == "json":
        data = asdict(report)
        data["duplicates"] = [{"article": a, "duplicate_of": b} for a, b in report.duplicates]
        _print_json(data)
        return 0
    print(f"database    {report.database}")
    print(f"articles    {report.articles}")
    units = sum(report.units_by_role.values())
    roles = ", ".join(f"{n} {role}" for role, n in sorted(report.units_by_role.items()))
    print(f"units       {units} ({roles})" if units else "units       0")
    for article, original in report.duplicates:
        print(f"duplicate   {article} is a near-duplicate of {original}")
    print(f"annotators  {len(report.annotators)}")
    for name in report.annotators:
        print(f"  {name:<20} {report.labels_by_annotator.get(name, 0)} labeled units")
    return 0


def cmd_annotate(args: argparse.Namespace) -> int:
    """Open the annotation app.

    The name comes from ``--as``, else ``$ANNOTATOR_NAME``, else the app asks for it.
    ``ANNOTATOR_AUTO_ADVANCE=0`` keeps the cursor on a unit after labelling it. With
    ``--session`` the session's own scheme is used and only the assigned articles are listed.
    """
    # Start-up creates a few hundred thousand long-lived objects (modules, classes) and hardly
    # any garbage: the cyclic collector only slows it down. It is off until the app is built,
    # then everything made so far is frozen (never scanned again) and it is on again.
    gc.disable()
    try:
        return _annotate(args)
    finally:
        gc.enable()


def _annotate(args: argparse.Namespace) -> int:
    from annotator.scheme import default_scheme_path, load_scheme
    from annotator.service import Context, Service, check_name

    name = args.as_ or os.environ.get("ANNOTATOR_NAME") or None
    if name:
        check_name(name)
    given = load_scheme(args.scheme) if args.scheme else None
    _fast_frames()
    service = Service.open(args.db)
    early = None
    try:
        if args.session:
            scheme, blind = _session_scheme(service, args.session, given)
        else:
            scheme, blind = given or load_scheme(default_scheme_path()), False
        if name:  # where to begin and the article list are read while the TUI loads
            from annotator.tui.early import EarlyStart

            early = EarlyStart(service, Context(name, scheme, args.session or ""), args.article)
        from annotator.tui.app import AnnotatorApp

        app = AnnotatorApp(
            service,
            scheme,
            annotator=name,
            article=args.article,
            session=args.session or "",
            blind=blind,
            auto_advance=_auto_advance(),
            early=early,
        )
        gc.freeze()
        gc.enable()
        app.run()
    finally:
        if early is not None:
            early.close()
        service.close()
    return int(app.return_code or 0)


def cmd_adjudicate(args: argparse.Namespace) -> int:
    """Open the adjudication app: set gold labels where a session's annotators disagree."""
    from annotator.scheme import load_scheme
    from annotator.service import Service, check_name

    lead = args.as_ or os.environ.get("ANNOTATOR_NAME") or None
    if not lead:
        raise UserError("who is adjudicating? pass --as NAME (or set ANNOTATOR_NAME)")
    check_name(lead)
    given = load_scheme(args.scheme) if args.scheme else None
    _fast_frames()
    service = Service.open(args.db, create=False)
    try:
        scheme, _ = _session_scheme(service, args.session, given)
        from annotator.tui.adjudicate_app import AdjudicatorApp

        app = AdjudicatorApp(
            service,
            scheme,
            args.session,
            lead,
            all_units=args.all_units,
            hide_names=args.hide_names,
            auto_advance=_auto_advance(),
        )
        app.run()
    finally:
        service.close()
    return int(app.return_code or 0)


def _session_scheme(service: Any, session: str, given: Any) -> tuple[Any, bool]:
    """The scheme to use in ``session`` (its snapshot, or ``given`` if the same) and whether
    the session is blind; a missing session or a different scheme is a :class:`UserError`."""
    from annotator import sessions

    snapshot = sessions.session_scheme(service, session)  # ServiceError: no such session
    if given is not None and given.hash != snapshot.hash:
        raise UserError(
            f"session {session} uses scheme {snapshot.ref}, not {given.ref}; "
            "leave out --scheme to use the session's own"
        )
    blind = any(c.name == session and c.blind for c in sessions.list_sessions(service))
    return (given or snapshot), blind


def _auto_advance() -> bool:
    advance = os.environ.get("ANNOTATOR_AUTO_ADVANCE", "1").strip().lower()
    return advance not in {"0", "false", "off", "no"}


def _fast_frames() -> None:
    # Up to 120 frames a second (Textual's default is 60): the wait for the next frame is
    # part of every key's latency. Textual reads it on import, so set it before importing.
    os.environ.setdefault("TEXTUAL_FPS", "120")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Add the common ``--db`` option to a sub-command parser."""
    parser.add_argument(
        "--db", help="database URL or SQLite file (default: $ANNOTATOR_DB or annotations.db)"
    )


def _plugins() -> list[Callable[[Any], None]]:
    """``register(subparsers)`` functions of commands that live beside their feature."""
    from annotator import serve, session_cmd
    from annotator.export import agreement_cmd, commands

    return [commands.register, agreement_cmd.register, session_cmd.register, serve.register]


CORE_COMMANDS = frozenset({"import", "segment", "status", "annotate", "adjudicate"})
"""Commands defined in this module; the others live beside their feature (:func:`_plugins`)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every sub-command.

    When ``command`` is one of :data:`CORE_COMMANDS` the other modules' commands are left
    out (their modules are not imported): ``annotator annotate`` starts faster.
    """
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Label the claims in news articles, sentence by sentence.",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Handler, help_text: str, *, db: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        if db:
            add_db_option(p)
        return p

    p = add("import", cmd_import, "import .txt/.jsonl files or folders of them")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-q", "--quiet", action="store_true", help="only print problems and totals")

    p = add("segment", cmd_segment, "show how a file will be split into units", db=False)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = add("status", cmd_status, "summarise the database")
    p.add_argument("--format", choices=["text", "json"], default="text")

    if command not in CORE_COMMANDS:
        for register in _plugins():
            register(sub)

    p = add("annotate", cmd_annotate, "open the annotation app")
    p.add_argument(
        "--as",
        dest="as_",
        metavar="NAME",
        help="annotator name (default: $ANNOTATOR_NAME, else asked)",
    )
    p.add_argument("--article", help="open this article (external id)")
    p.add_argument(
        "--scheme",
        help="scheme YAML (default: guidelines/claims.yaml, or the session's own with --session)",
    )
    p.add_argument(
        "--session", metavar="NAME", help="work in this session: only your assigned articles"
    )

    p = add("adjudicate", cmd_adjudicate, "set gold labels where a session's annotators disagree")
    p.add_argument("--session", metavar="NAME", required=True, help="the session to adjudicate")
    p.add_argument(
        "--as",
        dest="as_",
        metavar="NAME",
        help="who is adjudicating (default: $ANNOTATOR_NAME)",
    )
    p.add_argument(
        "--all",
        dest="all_units",
        action="store_true",
        help="review every labelled unit, not only disagreements",
    )
    p.add_argument(
        "--hide-names",
        action="store_true",
        help='show annotators as "annotator 1..n"',
    )
    p.add_argument("--scheme", help="scheme YAML (default: the session's own)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(args_list)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("annotator: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        message = _user_message(exc, getattr(args, "db", None))
        if message is None:
            raise
        print(f"annotator: error: {message}", file=sys.stderr)
        return EXIT_USAGE


def _user_message(exc: Exception, db: str | None) -> str | None:
    """The one line to show for an error the user can act on; None for anything else.

    The error types are imported here, on the way out, so that starting a command does not
    load the modules of every other command.
    """
    from sqlalchemy.exc import DBAPIError

    from annotator.ingest import IngestError
    from annotator.scheme import SchemeError
    from annotator.service import ServiceError
    from annotator.store.engine import StoreError, explain_error

    if isinstance(exc, (UserError, IngestError, SchemeError, ServiceError, StoreError)):
        return str(exc)
    if isinstance(exc, DBAPIError):  # met after opening: a corrupt page, a read-only file, ...
        return explain_error(db, exc)
    return None
