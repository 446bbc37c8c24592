"""``annotator export`` and ``annotator import-labels``: datasets out, labels in.

``export`` writes the unit dataset (``--format jsonl``, the default), the per-annotator
interchange file (``--per-annotator``), train/dev/test splits with a dataset card
(``--split``), or files for Prodigy, Label Studio and doccano. Outputs go to ``exports/``
in the working folder unless ``-o`` says otherwise; an existing file is never replaced
without ``--force``. ``import-labels`` reads an interchange file back in one transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
from pathlib import Path
from typing import Any

from annotator.export import formats, jsonl
from annotator.export.labels_io import import_labels, write_interchange
from annotator.export.safe import ExportError, atomic_writer, check_targets, inside, safe_component
from annotator.scheme import Scheme, default_scheme_path, load_scheme
from annotator.service import Service
from annotator.store import labels_bulk as lb

FORMATS = ("jsonl", "prodigy", "label-studio", "doccano")
EXPORTS = Path("exports")
DEFAULT_NAMES = {
    "jsonl": "dataset.jsonl",
    "per-annotator": "labels.jsonl",
    "prodigy": "prodigy.jsonl",
    "label-studio": "label-studio.json",
    "doccano": "doccano",
    "split": "splits",
}


def _user_error(message: str) -> Exception:
    from annotator.cli import UserError

    return UserError(message)


def _scheme(path: str | None) -> Scheme:
    return load_scheme(Path(path) if path else default_scheme_path())


def _session_scheme(service: Service, name: str, fallback: Scheme) -> Scheme:
    """A session's scheme snapshot; the default scheme for labels with a bare session name."""
    from annotator.service import ServiceError
    from annotator.sessions import session_scheme

    try:
        return session_scheme(service, name)
    except ServiceError:
        return fallback


def _kind(args: argparse.Namespace) -> str:
    if args.per_annotator and args.split:
        raise _user_error("--per-annotator and --split cannot be combined; choose one")
    if (args.per_annotator or args.split) and args.format != "jsonl":
        option = "--per-annotator" if args.per_annotator else "--split"
        raise _user_error(f"{option} writes JSONL; leave out --format {args.format}")
    if args.per_annotator:
        return "per-annotator"
    return "split" if args.split else str(args.format)


def _command(args: argparse.Namespace, output: Path) -> str:
    """The export command as it can be re-run (for the dataset card)."""
    parts = ["annotator", "export", "--split", args.split, "--seed", str(args.seed)]
    for flag, value in (("--scheme", args.scheme), ("--session", args.session)):
        if value is not None:
            parts += [flag, value]
    parts += ["-o", str(output)]
    return shlex.join(parts)


def cmd_export(args: argparse.Namespace) -> int:
    """Write the requested export and print the paths written."""
    kind = _kind(args)
    scheme = _scheme(args.scheme)
    if args.output is not None and not args.output.strip():
        raise _user_error("-o is empty; give a file or folder path, or leave -o out")
    output = Path(args.output) if args.output else EXPORTS / DEFAULT_NAMES[kind]
    _check_not_database(output, args.db)
    service = Service.open(args.db, create=False)
    try:
        if args.session and not args.scheme:
            scheme = _session_scheme(service, args.session, scheme)
        written = _export(service, kind, scheme, output, args)
        others = service.read(lambda s: lb.other_scheme_count(s, scheme_hash=scheme.hash))
    except ExportError as exc:
        raise _user_error(str(exc)) from None
    finally:
        service.close()
    for path, what in written:
        print(f"wrote {what} to {path}")
    if not written:
        print(f"nothing to export: no labels under {scheme.ref}")
    if others:
        print(
            f"note: {others} labels made under other schemes were not exported; "
            "pass --scheme with their YAML to export them"
        )
    return 0


def _check_not_database(output: Path, db: str | None) -> None:
    """Refuse an output path that is the SQLite database being exported (even with --force)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from annotator.store.engine import resolve_url, sqlite_path

    try:
        path = sqlite_path(make_url(resolve_url(db)))
    except (ArgumentError, ValueError):  # an invalid URL is reported when the database is opened
        return
    if path is not None and output.resolve() == Path(path).expanduser().resolve():
        raise _user_error(f"-o {output} is the database itself; choose another -o")


def _export(
    service: Service, kind: str, scheme: Scheme, output: Path, args: argparse.Namespace
) -> list[tuple[Path, str]]:
    session_name: str | None = args.session
    gold = _gold(service, scheme, session_name)
    if kind == "per-annotator":
        with atomic_writer(output, force=args.force) as out:
            n = write_interchange(service.store, out, scheme, session_name=session_name)
        return [(output, f"{n} annotations")]
    if kind == "split":
        from annotator.export.splits import parse_split, write_splits

        ratios = parse_split(args.split)
        result = write_splits(
            service,
            output,
            scheme,
            ratios,
            seed=args.seed,
            session_name=session_name,
            force=args.force,
            command=_command(args, output),
            gold=gold,
        )
        rows = [
            (p, f"{result.counts[n]} units of {result.articles[n]} articles")
            for (n, _), p in zip(ratios, result.paths, strict=False)
        ]
        return [*rows, (result.paths[-1], "the dataset card")]
    if kind == "doccano":
        return _doccano(service, scheme, output, args.force, session_name)
    if kind == "label-studio":
        config = output.with_name(output.name + ".config.xml")
        check_targets([output, config], force=args.force)
        domain = None if args.label_studio_users == "none" else args.email_domain
        with atomic_writer(output, force=args.force) as out:
            n = service.read(
                lambda s: formats.write_label_studio(
                    s, out, scheme, session_name=session_name, email_domain=domain
                )
            )
        with atomic_writer(config, force=args.force) as out:
            out.write(formats.label_studio_config(scheme))
        return [(output, f"{n} tasks"), (config, "the labeling config")]
    with atomic_writer(output, force=args.force) as out:
        if kind == "prodigy":
            dataset = args.dataset or scheme.name
            n = service.read(
                lambda s: formats.write_prodigy(
                    s, out, scheme, dataset=dataset, session_name=session_name
                )
            )
            return [(output, f"{n} annotations")]
        n = service.read(
            lambda s: jsonl.write_units(s, out, scheme, session_name=session_name, gold=gold)
        )
    return [(output, f"{n} units")]


def _gold(service: Service, scheme: Scheme, session_name: str | None) -> jsonl.Gold | None:
    """The adjudicated gold labels of ``--session`` (used as the aggregated label)."""
    if not session_name:
        return None
    from annotator.adjudication import gold_map

    return gold_map(service, scheme, session_name) or None


def _doccano(
    service: Service, scheme: Scheme, folder: Path, force: bool, session_name: str | None
) -> list[tuple[Path, str]]:
    """One ``doccano-NAME.jsonl`` per annotator in ``folder``; names are sanitised."""

    def run(session: Any) -> list[tuple[Path, str]]:
        names = lb.annotators_with_labels(
            session, scheme_hash=scheme.hash, session_name=session_name
        )
        paths = {n: inside(folder, f"doccano-{safe_component(n)}.jsonl") for n in names}
        check_targets(paths.values(), force=force)
        counts = dict.fromkeys(names, 0)
        with contextlib.ExitStack() as stack:
            handles = {
                n: stack.enter_context(atomic_writer(p, force=force)) for n, p in paths.items()
            }
            for name, line in formats.iter_doccano(session, scheme, session_name=session_name):
                handles[name].write(line)
                counts[name] += 1
        return [(paths[n], f"{counts[n]} annotations") for n in names]

    return service.read(run)


def cmd_import_labels(args: argparse.Namespace) -> int:
    """Import an interchange labels file; all or nothing."""
    scheme = _scheme(args.scheme)
    service = Service.open(args.db, create=False)
    try:
        summary = import_labels(service, Path(args.file), scheme, session=args.session or "")
    except ExportError as exc:
        raise _user_error(str(exc)) from None
    finally:
        service.close()
    extra = ""
    if summary.new_annotators:
        extra = f"; new annotators: {', '.join(summary.new_annotators)}"
    print(
        f"imported {args.file}: {summary.records} records, {summary.created} new, "
        f"{summary.changed} changed, {summary.unchanged} unchanged{extra}"
    )
    return 0


def register(sub: Any) -> None:
    """Add ``export`` and ``import-labels`` to the ``annotator`` sub-command parsers."""
    from annotator.cli import add_db_option

    p = sub.add_parser(
        "export",
        help="write labels as a dataset, splits, or for Prodigy, Label Studio or doccano",
        description="Write labels as a dataset, train/dev/test splits, the per-annotator "
        "interchange file, or files for Prodigy, Label Studio and doccano. "
        "See docs/export-format.md.",
    )
    p.set_defaults(handler=cmd_export)
    add_db_option(p)
    p.add_argument(
        "--format", choices=FORMATS, default="jsonl", help="output format (default jsonl)"
    )
    p.add_argument(
        "--per-annotator",
        action="store_true",
        help="one line per annotator x unit (the format import-labels reads)",
    )
    p.add_argument(
        "--split", metavar="NAME=R,...", help="e.g. train=0.8,dev=0.1,test=0.1; -o is a folder"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the split assignment (default 0)")
    p.add_argument(
        "-o", "--output", metavar="PATH", help="output file or folder (default: exports/...)"
    )
    p.add_argument(
        "--scheme",
        metavar="YAML",
        help="scheme whose labels to export (default: guidelines/claims.yaml)",
    )
    p.add_argument("--session", metavar="NAME", help="only this annotation session (default: all)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument(
        "--dataset", metavar="NAME", help="Prodigy dataset name (default: the scheme's name)"
    )
    p.add_argument(
        "--label-studio-users",
        choices=("email", "none"),
        default="email",
        help="Label Studio completed_by: NAME@DOMAIN emails (default) or none (the importing user)",
    )
    p.add_argument(
        "--email-domain",
        default="annotator.local",
        metavar="DOMAIN",
        help="domain of the Label Studio user emails (default annotator.local)",
    )

    p = sub.add_parser(
        "import-labels",
        help="import labels from an interchange JSONL file (export --per-annotator)",
        description="Import labels from a JSONL file in the interchange format; the whole "
        "file is one transaction. See docs/export-format.md.",
    )
    p.set_defaults(handler=cmd_import_labels)
    add_db_option(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--scheme", metavar="YAML", help="scheme of the labels (default: guidelines/claims.yaml)"
    )
    p.add_argument(
        "--session",
        metavar="NAME",
        help="session for records that name none (default: outside sessions)",
    )
