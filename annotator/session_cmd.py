"""``annotator session …`` and ``annotator merge``: campaigns of several annotators."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from annotator.service import Service
from annotator.sessions import SessionStatus


def _service(args: argparse.Namespace) -> Service:
    return Service.open(args.db)


def _print_status(status: SessionStatus, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(asdict(status), indent=2, ensure_ascii=False))
        return
    mode = "blind" if status.blind else "open"
    print(f"session {status.name}: {status.scheme}, overlap {status.overlap}, {mode}")
    print(f"\n{'annotator':<16} {'articles':>9} {'done':>5} {'labeled':>9} {'units':>6}  progress")
    for p in status.annotators:
        share = p.labeled / p.units if p.units else 0.0
        bar = "#" * int(share * 20)
        print(
            f"{p.name:<16} {p.articles:>9} {p.articles_done:>5} {p.labeled:>9} {p.units:>6}  "
            f"{bar:<20} {share:>4.0%}"
        )
    print(f"\n{'article':<24} {'units':>5}  annotators (labeled units)")
    for a in status.articles:
        who = ", ".join(f"{n} {d}/{a.units}" for n, d in sorted(a.annotators.items()))
        print(f"{a.external_id:<24} {a.units:>5}  {who}")


def cmd_create(args: argparse.Namespace) -> int:
    """Create a session and assign its articles."""
    from annotator import sessions
    from annotator.scheme import default_scheme_path, load_scheme

    scheme = load_scheme(args.scheme or default_scheme_path())
    with _service(args) as service:
        status = sessions.create(
            service,
            args.name,
            articles=args.articles,
            annotators=args.annotators.split(","),
            overlap=args.overlap,
            blind=args.blind,
            scheme=scheme,
            include_duplicates=args.include_duplicates,
        )
    _print_status(status, args.format)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List sessions."""
    from annotator import sessions

    with _service(args) as service:
        rows = sessions.list_sessions(service)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "name": c.name,
                        "scheme": c.scheme_ref,
                        "overlap": c.overlap,
                        "blind": c.blind,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c in rows
                ],
                indent=2,
            )
        )
    elif not rows:
        print("no sessions yet; create one with `annotator session create`")
    for c in rows if args.format == "text" else []:
        print(
            f"{c.name:<20} {c.scheme_ref:<28} overlap {c.overlap}  "
            f"{'blind' if c.blind else 'open'}  created {c.created_at:%Y-%m-%d %H:%M}"
        )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Show a session's progress and coverage."""
    from annotator import sessions

    with _service(args) as service:
        status = sessions.status(service, args.name)
    _print_status(status, args.format)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add an annotator to a session."""
    from annotator import sessions

    with _service(args) as service:
        status = sessions.add_annotator(service, args.name, args.annotator)
    _print_status(status, args.format)
    return 0


def cmd_reassign(args: argparse.Namespace) -> int:
    """Move an article from one annotator to another."""
    from annotator import sessions

    with _service(args) as service:
        status = sessions.reassign(service, args.name, args.article, args.source, args.target)
    _print_status(status, args.format)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """Merge another annotator database into this one."""
    from annotator.merge import merge
    from annotator.store.engine import check_integrity

    check_integrity(args.other)  # name a damaged OTHER.db before reading half of it
    with _service(args) as service:
        report = merge(service, args.other)
    print(
        f"articles added {len(report.articles_added)}, labels added {report.labels_added}, "
        f"updated {report.labels_updated}, unchanged {report.labels_same}, gold added "
        f"{report.gold_added}, events added {report.events_added}, sessions added "
        f"{len(report.sessions_added)}"
    )
    for line in report.conflicts:
        print(f"conflict: {line}")
    for line in report.unmatched:
        print(f"unmatched: {line}")
    return 1 if report.conflicts or report.unmatched else 0


def register(sub: Any) -> None:
    """Add ``session`` and ``merge`` to the command line."""
    from annotator.cli import add_db_option

    session = sub.add_parser(
        "session",
        help="multi-annotator sessions: create, list, status, add-annotator, reassign",
        description="Multi-annotator sessions (campaigns).",
    )
    verbs = session.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, handler: Any, text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = verbs.add_parser(name, help=text, description=text)
        p.set_defaults(handler=handler)
        add_db_option(p)
        p.add_argument("--format", choices=["text", "json"], default="text")
        return p

    p = verb("create", cmd_create, "create a session and assign articles to annotators")
    p.add_argument("name")
    p.add_argument(
        "--articles",
        required=True,
        metavar="PATH_OR_IDS",
        help="'all', comma-separated article ids, or files/folders to import",
    )
    p.add_argument("--annotators", required=True, help="comma-separated names: alice,bob,carol")
    p.add_argument("--overlap", type=int, default=1, help="annotators per article (default 1)")
    p.add_argument("--blind", action="store_true", help="no annotator can see another's labels")
    p.add_argument("--scheme", help="scheme YAML (default guidelines/claims.yaml); snapshotted")
    p.add_argument(
        "--include-duplicates",
        action="store_true",
        help="also assign articles marked as near-duplicates",
    )
    verb("list", cmd_list, "list sessions")
    p = verb("status", cmd_status, "progress per annotator and coverage per article")
    p.add_argument("name")
    p = verb("add-annotator", cmd_add, "add an annotator, giving them unstarted articles")
    p.add_argument("name")
    p.add_argument("annotator")
    p = verb("reassign", cmd_reassign, "move an article from one annotator to another")
    p.add_argument("name")
    p.add_argument("--article", required=True)
    p.add_argument("--from", dest="source", required=True)
    p.add_argument("--to", dest="target", required=True)

    m = sub.add_parser(
        "merge",
        help="merge another annotator database (e.g. an offline laptop's) into this one",
        description="Merge another database in.",
    )
    m.set_defaults(handler=cmd_merge)
    add_db_option(m)
    m.add_argument("other", metavar="OTHER.db")
