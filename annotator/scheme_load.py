"""Reading a label scheme from YAML: parse safely, validate, explain every problem in one line.

:func:`load_scheme` reads a file, :func:`load_scheme_text` a string; both attach the guideline
Markdown when it can be found. Every failure (unreadable file, bad YAML, a repeated key, a
pydantic validation error) becomes a :class:`SchemeError` naming the file, the place and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from annotator.scheme_fields import REF_PART, SchemeError, show
from annotator.scheme_model import Scheme

_REF_RE = re.compile(rf"({REF_PART})@({REF_PART})(?:\+([0-9a-f]{{12}}))?\Z")
_TOP_FIELDS = ("name", "version", "description", "guidelines", "groups")
_FIELDS = {
    "scheme": "name, version, description, guidelines, groups",
    "group": "name, kind, description, choices",
    "choice": "name, key, definition, examples",
}


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key repeated within one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _place(loc: tuple[int | str, ...], extra: str = "") -> str:
    """``('groups', 1, 'choices', 0, 'key')`` → ``groups[1].choices[0].key``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f"{'.' if out else ''}{part}"
    if extra:
        out += extra if extra.startswith("[") or not out else f".{extra}"
    return out or "top level"


def _describe(err: ErrorDetails) -> str:
    """One pydantic error as ``place problem; fix``."""
    loc, kind, value = err["loc"], err["type"], err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "scheme_rule":
        return f"{_place(loc, str(ctx['place']))} {ctx['detail']}"
    place = _place(loc)
    if kind == "extra_forbidden":
        level = "choice" if "choices" in loc else "group" if "groups" in loc else "scheme"
        return f"{place} is not a known field; remove it or fix the spelling ({_FIELDS[level]})"
    if kind == "missing":
        hint = " (single or multi)" if loc[-1] == "kind" else ""
        return f"{place} is missing; add it{hint}"
    if kind == "literal_error":
        return f"{place} {show(value)} is not allowed; use {ctx.get('expected')}"
    if kind == "string_type":
        return f"{place} must be text, got {show(value)}; write a (quoted) string"
    if kind == "too_short":
        return f"{place} is empty; add at least one {str(loc[-1]).rstrip('s')}"
    if kind == "list_type":
        return f"{place} must be a list, got {show(value)}; write it as a YAML list (- item)"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{place} must be a mapping (field: value), got {show(value)}"
    return f"{place}: {err['msg']}; fix this value"


def _one_line(text: str) -> str:
    """Messages are single lines whatever the values in them contain."""
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _yaml_problem(source: str, exc: yaml.YAMLError) -> str:
    """A YAML syntax error as one line with its position."""
    where, problem = "", str(exc)
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        where = f" line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}:"
        problem = str(exc.problem or exc.context or "syntax error")
    fix = "keep only one" if problem.startswith("duplicate key") else "fix the syntax there"
    return f"{source}:{where} invalid YAML ({' '.join(problem.split())}); {fix}"


def _read_text(path: Path, what: str, fix: str) -> str:
    """Read a UTF-8 file, turning every failure into a one-line :class:`SchemeError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SchemeError(f"{path}: {what} not found; {fix}") from None
    except IsADirectoryError:
        raise SchemeError(f"{path}: is a directory, not a {what}; give a file path") from None
    except OSError as exc:
        raise SchemeError(f"{path}: cannot read {what} ({exc.strerror}); check it") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise SchemeError(f"{path}: {what} is not valid UTF-8 ({byte}); save it as UTF-8") from None


def _build(text: str, source: str, base_dir: Path | None, default_md: Path | None) -> Scheme:
    """Parse and validate scheme YAML; attach the guideline Markdown if it can be found."""
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise SchemeError(_one_line(_yaml_problem(source, exc))) from None
    expected = "expected a mapping with name, version and groups (see guidelines/claims.yaml)"
    if data is None:
        raise SchemeError(f"{source}: file is empty; {expected}")
    if not isinstance(data, dict):
        raise SchemeError(_one_line(f"{source}: top level is {show(data)}; {expected}"))
    for field in data:
        if field not in _TOP_FIELDS:
            name = field if isinstance(field, str) else show(field)
            fix = f"remove it or fix the spelling ({_FIELDS['scheme']})"
            raise SchemeError(_one_line(f"{source}: {name} is not a known field; {fix}"))
    data = dict(data)
    guidelines = data.pop("guidelines", None)
    if guidelines is not None and (not isinstance(guidelines, str) or not guidelines.strip()):
        fix = "give the Markdown file's path relative to the scheme file"
        raise SchemeError(f"{source}: guidelines {show(guidelines)} is not a path; {fix}")
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        n = len(errors) - 1
        more = f" (and {n} more problem{'s' * (n > 1)})" if n else ""
        raise SchemeError(_one_line(f"{source}: {_describe(errors[0])}{more}")) from None
    md_path = default_md if default_md is not None and default_md.is_file() else None
    if guidelines is not None and base_dir is not None:
        md_path = base_dir / guidelines
    if md_path is None:
        return scheme
    md = _read_text(md_path, "guideline", "fix the guidelines path or remove the field")
    return scheme.model_copy(update={"guidelines_path": md_path, "guidelines_text": md})


def load_scheme_text(
    text: str, *, source: str = "<string>", base_dir: Path | None = None
) -> Scheme:
    """Validate scheme YAML given as text; ``source`` names it in error messages.

    With ``base_dir`` the guideline Markdown is looked up relative to it (the ``guidelines``
    field, else ``<stem of source>.md``); without it ``guidelines_text`` stays empty.
    """
    default_md = None
    if base_dir is not None and not source.startswith("<"):
        default_md = Path(base_dir) / (Path(source).stem + ".md")
    return _build(text, source, Path(base_dir) if base_dir else None, default_md)


def load_scheme(path: str | Path) -> Scheme:
    """Load and validate a scheme file; every problem is a one-line :class:`SchemeError`."""
    path = Path(path)
    text = _read_text(path, "scheme file", "check the path or set ANNOTATOR_SCHEME")
    scheme = _build(text, str(path), path.parent, path.with_suffix(".md"))
    return scheme.model_copy(update={"source_path": path.resolve()})


def default_scheme_path() -> Path:
    """``$ANNOTATOR_SCHEME``, else ``./guidelines/claims.yaml`` if present, else the bundled one."""
    env = os.environ.get("ANNOTATOR_SCHEME")
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / "guidelines" / "claims.yaml"
    if local.is_file():
        return local
    return Path(__file__).resolve().parent.parent / "guidelines" / "claims.yaml"


def parse_ref(ref: str) -> tuple[str, str, str | None]:
    """Split ``name@version+hash12`` (or ``name@version``) into ``(name, version, hash12|None)``."""
    match = _REF_RE.match(ref) if isinstance(ref, str) else None
    if match is None:
        example = "e.g. claims@1+0123456789ab"
        raise SchemeError(
            _one_line(
                f"{show(ref)} is not a scheme reference; write name@version[+hash12], {example}"
            )
        )
    return match.group(1), match.group(2), match.group(3)
