"""The validated label scheme: groups of choices, labels checked against them, the content hash.

:class:`Scheme` is immutable and identified by :attr:`Scheme.ref` (``name@version+hash12``);
the hash covers the validated content only, not the guideline prose or the file path. Reading
a scheme from YAML is :mod:`annotator.scheme_load`; the rules for single fields (names, keys,
definitions) are :mod:`annotator.scheme_fields`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from annotator.scheme_fields import (
    MAX_CHOICES,
    Definition,
    Examples,
    Ident,
    Key,
    LabelValue,
    RefPart,
    SchemeError,
    Text,
    rule,
    show,
)


class _Model(BaseModel):
    """Common config: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    """One option of a group, chosen with a single-character key."""

    name: Ident
    key: Key
    definition: Definition
    examples: Examples = Field(default_factory=list)


class Group(_Model):
    """A set of choices: ``single`` (at most one applies) or ``multi`` (independent flags)."""

    name: Ident
    kind: Literal["single", "multi"]
    description: Text = ""
    choices: list[Choice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_choices(self) -> Self:
        seen: dict[str, int] = {}
        for i, choice in enumerate(self.choices):
            if choice.name in seen:
                where = f"choices[{seen[choice.name]}]"
                detail = f"{choice.name!r} is already used by {where}; choose another name"
                raise rule(detail, f"choices[{i}].name")
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

    name: RefPart
    version: RefPart
    description: Text = ""
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
            raise rule(detail, "groups")
        names: dict[str, int] = {}
        keys: dict[str, tuple[str, str]] = {}
        for g, group in enumerate(self.groups):
            if group.name in names:
                detail = f"{group.name!r} is already used by groups[{names[group.name]}]"
                raise rule(f"{detail}; choose another name", f"groups[{g}].name")
            names[group.name] = g
            for c, choice in enumerate(group.choices):
                here = f"groups[{g}].choices[{c}]"
                if choice.key in keys:
                    where, label = keys[choice.key]
                    detail = f"{choice.key!r} is already used by {where} ({label})"
                    raise rule(f"{detail}; choose another key", f"{here}.key")
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
            raise self._bad("labels", f"must be a mapping of group to label, got {show(labels)}")
        known = ", ".join(g.name for g in self.groups)
        for name in labels:
            if not isinstance(name, str) or name not in {g.name for g in self.groups}:
                raise self._bad(f"group {show(name)}", f"is not in the scheme; use {known}")
        out = self.empty_labels()
        for group in self.groups:
            value = labels.get(group.name, out[group.name])
            names = [c.name for c in group.choices]
            allowed = f"use one of {', '.join(names)}"
            place = f"labels.{group.name}"
            if group.kind == "single":
                if value is not None and not isinstance(value, str):
                    raise self._bad(place, f"must be a choice name or null, got {show(value)}")
                if value is not None and value not in names:
                    raise self._bad(place, f"{value!r} is not a choice of this group; {allowed}")
                out[group.name] = value
                continue
            if not isinstance(value, list | tuple | set | frozenset):
                raise self._bad(place, f"must be a list of choice names, got {show(value)}")
            for i, item in enumerate(value):
                if not isinstance(item, str) or item not in names:
                    where = f"{place}[{i}]" if isinstance(value, list | tuple) else place
                    raise self._bad(where, f"{show(item)} is not a choice of this group; {allowed}")
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
