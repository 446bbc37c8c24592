"""Label schemes: loading, validating and hashing the YAML that defines what annotators choose.

A scheme file (``guidelines/claims.yaml`` by default) names groups of choices, each with a
one-character key. :func:`load_scheme` validates it with pydantic and turns every problem into a
:class:`SchemeError` whose message is one line naming the file, the place and the fix. The
validated content (not the prose guideline, not the file path) is hashed so that every stored
label can say exactly which scheme it was made under (:attr:`Scheme.ref`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

LabelValue = str | None | list[str]
"""A group's label: a choice name or ``None`` for single groups, a list of names for multi."""


class SchemeError(ValueError):
    """A scheme file or a labels dict is invalid; ``str()`` is one line with the place and fix."""


RESERVED_KEYS: frozenset[str] = frozenset("jkgGN[]uc?q/:H ")
"""Single characters the TUI uses for navigation; no choice may use them (digits are allowed)."""

RESERVED_KEY_NAMES: frozenset[str] = frozenset({"space", "up", "down", "enter", "escape", "tab"})
"""Named keys the TUI uses; they can never clash because choice keys are one character."""

MAX_CHOICES: int = sum(chr(c) not in RESERVED_KEYS for c in range(33, 127))
"""Most choices a scheme may have in all (80): one per printable ASCII key not used to navigate."""

_KEY_ROLES = dict.fromkeys("jk", "j/k move") | dict.fromkeys("gG", "g/G jump to first/last")
_KEY_ROLES |= {"N": "N jumps to the next unlabelled sentence", "[": "[/] switch article"}
_RESERVED_LIST = "j k g G N [ ] u c ? q / : H space"
_IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")
_REF_PART = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_REF_RE = re.compile(rf"({_REF_PART})@({_REF_PART})(?:\+([0-9a-f]{{12}}))?\Z")
_TOP_FIELDS = ("name", "version", "description", "guidelines", "groups")
_FIELDS = {
    "scheme": "name, version, description, guidelines, groups",
    "group": "name, kind, description, choices",
    "choice": "name, key, definition, examples",
}


def _rule(detail: str, place: str = "") -> PydanticCustomError:
    """A validation error whose text we control; ``place`` is relative to the failing model."""
    return PydanticCustomError("scheme_rule", "{detail}", {"place": place, "detail": detail})


def _show(value: object) -> str:
    """A short, single-line rendering of a bad value for messages."""
    if value is None:
        return "nothing (null)"
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return text if isinstance(value, str) else f"{type(value).__name__} {text}"


def _ident(value: str) -> str:
    """Check a group or choice name is a lower-case identifier."""
    if not _IDENT.match(value):
        raise _rule(
            f"{value!r} is not a valid name; use lower-case letters, digits and _ (a-z first)"
        )
    return value


def _text(value: object) -> object:
    """Treat an empty YAML value as an empty string and strip surrounding whitespace."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def _key_type(value: object) -> object:
    """Accept an unquoted digit (YAML reads ``key: 1`` as a number); reject other non-strings."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        return str(value)
    if not isinstance(value, str):
        raise _rule(f'must be one character in quotes, e.g. key: "x" (got {_show(value)})')
    return value


def _key_value(value: str) -> str:
    """A key is one printable, non-space character not reserved for navigation."""
    if value in RESERVED_KEYS:
        role = _KEY_ROLES.get(value, f"reserved: {_RESERVED_LIST}")
        raise _rule(f"{value!r} is reserved for navigation ({role}); choose another key")
    if len(value) != 1:
        raise _rule(f"{value!r} must be exactly one character; choose a single letter or digit")
    if not value.isprintable() or value.isspace():
        raise _rule(f"{value!r} is not a printable character; choose a letter or digit")
    return value


def _one_line_text(value: object) -> object:
    """A definition: stripped, non-empty, a single line."""
    value = _text(value)
    if value == "":
        raise _rule("is empty; write a one-line definition")
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise _rule("must be one line; move longer explanations into the Markdown guideline")
    return value


def _ref_part(value: object) -> object:
    """Scheme name and version go into refs, so they may not contain '@', '+' or spaces."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, float):
        raise _rule(f'{value!r} must be written as a quoted string, e.g. version: "{value}"')
    if isinstance(value, str) and not re.fullmatch(_REF_PART, value):
        raise _rule(f"{value!r} may only use letters, digits, '.', '_' and '-'; rename it")
    return value


_Ident = Annotated[str, AfterValidator(_ident)]
_Text = Annotated[str, BeforeValidator(_text)]


class _Model(BaseModel):
    """Common config: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    """One option of a group, chosen with a single-character key."""

    name: _Ident
    key: Annotated[str, BeforeValidator(_key_type), AfterValidator(_key_value)]
    definition: Annotated[str, BeforeValidator(_one_line_text)]
    examples: Annotated[list[_Text], BeforeValidator(lambda v: [] if v is None else v)] = Field(
        default_factory=list
    )


class Group(_Model):
    """A set of choices: ``single`` (at most one applies) or ``multi`` (independent flags)."""

    name: _Ident
    kind: Literal["single", "multi"]
    description: _Text = ""
    choices: list[Choice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_choices(self) -> Self:
        seen: dict[str, int] = {}
        for i, choice in enumerate(self.choices):
            if choice.name in seen:
                where = f"choices[{seen[choice.name]}]"
                detail = f"{choice.name!r} is already used by {where}; choose another name"
                raise _rule(detail, f"choices[{i}].name")
            seen[choice.name] = i
        return self

    def choice(self, name: str) -> Choice:
        """The choice called ``name``; ``KeyError`` if the group has none."""
        for choice in self.choices:
            if choice.name == name:
                return choice
        raise KeyError(name)


class Scheme(_Model):
    """A validated label scheme; immutable, identified by :attr:`ref`."""

    name: Annotated[str, BeforeValidator(_ref_part)]
    version: Annotated[str, BeforeValidator(_ref_part)]
    description: _Text = ""
    groups: list[Group] = Field(min_length=1)
    source_path: Path | None = Field(default=None, exclude=True)
    guidelines_path: Path | None = Field(default=None, exclude=True)
    guidelines_text: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        total = sum(len(group.choices) for group in self.groups)
        if total > MAX_CHOICES:
            detail = (
                f"have {total} choices in all, more than the {MAX_CHOICES} keys there are "
                "to choose them with; merge choices or split the scheme"
            )
            raise _rule(detail, "groups")
        names: dict[str, int] = {}
        keys: dict[str, tuple[str, str]] = {}
        for g, group in enumerate(self.groups):
            if group.name in names:
                detail = f"{group.name!r} is already used by groups[{names[group.name]}]"
                raise _rule(f"{detail}; choose another name", f"groups[{g}].name")
            names[group.name] = g
            for c, choice in enumerate(group.choices):
                here = f"groups[{g}].choices[{c}]"
                if choice.key in keys:
                    where, label = keys[choice.key]
                    detail = f"{choice.key!r} is already used by {where} ({label})"
                    raise _rule(f"{detail}; choose another key", f"{here}.key")
                keys[choice.key] = (here, f"{group.name}.{choice.name}")
        return self

    def content(self) -> dict[str, Any]:
        """The hashed content: everything in the YAML except the guideline path and prose."""
        return self.model_dump(mode="json")

    @property
    def hash(self) -> str:
        """Full sha256 hex of the canonical JSON of :meth:`content`."""
        canonical = json.dumps(
            self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def ref(self) -> str:
        """``name@version+hash12``: what stored labels record as their scheme."""
        return f"{self.name}@{self.version}+{self.hash[:12]}"

    def group(self, name: str) -> Group:
        """The group called ``name``; ``KeyError`` if there is none."""
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def key_map(self) -> dict[str, tuple[str, str]]:
        """Every choice key mapped to ``(group name, choice name)``, in scheme order."""
        return {c.key: (g.name, c.name) for g in self.groups for c in g.choices}

    def empty_labels(self) -> dict[str, LabelValue]:
        """Labels with nothing chosen: ``None`` for single groups, ``[]`` for multi groups."""
        return {g.name: (None if g.kind == "single" else []) for g in self.groups}

    def _bad(self, place: str, detail: str) -> SchemeError:
        return SchemeError(f"labels for {self.ref}: {place} {detail}")

    def normalize_labels(self, labels: Mapping[str, object]) -> dict[str, LabelValue]:
        """Check ``labels`` against the scheme and return them in canonical form.

        Missing groups are filled with empty values; multi lists are deduplicated and put in
        scheme order. Unknown groups or choices and wrong value types raise :class:`SchemeError`.
        """
        if not isinstance(labels, Mapping):
            raise self._bad("labels", f"must be a mapping of group to label, got {_show(labels)}")
        known = ", ".join(g.name for g in self.groups)
        for name in labels:
            if not isinstance(name, str) or name not in {g.name for g in self.groups}:
                raise self._bad(f"group {_show(name)}", f"is not in the scheme; use {known}")
        out = self.empty_labels()
        for group in self.groups:
            value = labels.get(group.name, out[group.name])
            names = [c.name for c in group.choices]
            allowed = f"use one of {', '.join(names)}"
            place = f"labels.{group.name}"
            if group.kind == "single":
                if value is not None and not isinstance(value, str):
                    raise self._bad(place, f"must be a choice name or null, got {_show(value)}")
                if value is not None and value not in names:
                    raise self._bad(place, f"{value!r} is not a choice of this group; {allowed}")
                out[group.name] = value
                continue
            if not isinstance(value, list | tuple | set | frozenset):
                raise self._bad(place, f"must be a list of choice names, got {_show(value)}")
            for i, item in enumerate(value):
                if not isinstance(item, str) or item not in names:
                    where = f"{place}[{i}]" if isinstance(value, list | tuple) else place
                    raise self._bad(
                        where, f"{_show(item)} is not a choice of this group; {allowed}"
                    )
            out[group.name] = [n for n in names if n in value]
        return out

    def apply_key(self, labels: Mapping[str, object], key: str) -> dict[str, LabelValue]:
        """Labels after pressing ``key``: a single-group key sets its choice, or clears it if it
        was already set; a multi-group key toggles its flag. ``KeyError`` if no choice uses it."""
        group_name, choice_name = self.key_map()[key]
        out = self.normalize_labels(labels)
        current = out[group_name]
        if isinstance(current, list):
            flags = set(current) ^ {choice_name}
            out[group_name] = [c.name for c in self.group(group_name).choices if c.name in flags]
        else:
            out[group_name] = None if current == choice_name else choice_name
        return out

    def is_complete(self, labels: Mapping[str, object]) -> bool:
        """True when every single group has a choice (multi groups may stay empty)."""
        out = self.normalize_labels(labels)
        return all(out[g.name] is not None for g in self.groups if g.kind == "single")

    def to_yaml(self) -> str:
        """Canonical YAML of :meth:`content`; :func:`load_scheme_text` reads it back to the
        same :attr:`hash`. Used to snapshot a scheme into a session."""
        body = yaml.safe_dump(
            self.content(),
            sort_keys=False,
            allow_unicode=True,
            width=10_000,
            default_flow_style=False,
        )
        return f"# {self.ref}\n{body}"


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
        return f"{place} {_show(value)} is not allowed; use {ctx.get('expected')}"
    if kind == "string_type":
        return f"{place} must be text, got {_show(value)}; write a (quoted) string"
    if kind == "too_short":
        return f"{place} is empty; add at least one {str(loc[-1]).rstrip('s')}"
    if kind == "list_type":
        return f"{place} must be a list, got {_show(value)}; write it as a YAML list (- item)"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{place} must be a mapping (field: value), got {_show(value)}"
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
        raise SchemeError(_one_line(f"{source}: top level is {_show(data)}; {expected}"))
    for field in data:
        if field not in _TOP_FIELDS:
            name = field if isinstance(field, str) else _show(field)
            fix = f"remove it or fix the spelling ({_FIELDS['scheme']})"
            raise SchemeError(_one_line(f"{source}: {name} is not a known field; {fix}"))
    data = dict(data)
    guidelines = data.pop("guidelines", None)
    if guidelines is not None and (not isinstance(guidelines, str) or not guidelines.strip()):
        fix = "give the Markdown file's path relative to the scheme file"
        raise SchemeError(f"{source}: guidelines {_show(guidelines)} is not a path; {fix}")
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
                f"{_show(ref)} is not a scheme reference; write name@version[+hash12], {example}"
            )
        )
    return match.group(1), match.group(2), match.group(3)
