"""What one field of a label scheme may hold: names, choice keys, definitions, name and version.

Each rule is a pydantic validator that raises an error whose text we control (:func:`rule`), so
that :mod:`annotator.scheme_load` can turn it into a one-line :class:`SchemeError`. The keys the
TUI keeps for navigation (:data:`RESERVED_KEYS`) are defined here, next to the key rule.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

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

REF_PART = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
"""Pattern of a scheme name or version: what may stand on either side of ``@`` in a ref."""

_KEY_ROLES = dict.fromkeys("jk", "j/k move") | dict.fromkeys("gG", "g/G jump to first/last")
_KEY_ROLES |= {"N": "N jumps to the next unlabelled sentence", "[": "[/] switch article"}
_RESERVED_LIST = "j k g G N [ ] u c ? q / : H space"
_IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")


def rule(detail: str, place: str = "") -> PydanticCustomError:
    """A validation error whose text we control; ``place`` is relative to the failing model."""
    return PydanticCustomError("scheme_rule", "{detail}", {"place": place, "detail": detail})


def show(value: object) -> str:
    """A short, single-line rendering of a bad value for messages."""
    if value is None:
        return "nothing (null)"
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return text if isinstance(value, str) else f"{type(value).__name__} {text}"


def _ident(value: str) -> str:
    """Check a group or choice name is a lower-case identifier."""
    if not _IDENT.match(value):
        raise rule(
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
        raise rule(f'must be one character in quotes, e.g. key: "x" (got {show(value)})')
    return value


def _key_value(value: str) -> str:
    """A key is one printable, non-space character not reserved for navigation."""
    if value in RESERVED_KEYS:
        role = _KEY_ROLES.get(value, f"reserved: {_RESERVED_LIST}")
        raise rule(f"{value!r} is reserved for navigation ({role}); choose another key")
    if len(value) != 1:
        raise rule(f"{value!r} must be exactly one character; choose a single letter or digit")
    if not value.isprintable() or value.isspace():
        raise rule(f"{value!r} is not a printable character; choose a letter or digit")
    return value


def _one_line_text(value: object) -> object:
    """A definition: stripped, non-empty, a single line."""
    value = _text(value)
    if value == "":
        raise rule("is empty; write a one-line definition")
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise rule("must be one line; move longer explanations into the Markdown guideline")
    return value


def _ref_part(value: object) -> object:
    """Scheme name and version go into refs, so they may not contain '@', '+' or spaces."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, float):
        raise rule(f'{value!r} must be written as a quoted string, e.g. version: "{value}"')
    if isinstance(value, str) and not re.fullmatch(REF_PART, value):
        raise rule(f"{value!r} may only use letters, digits, '.', '_' and '-'; rename it")
    return value


Ident = Annotated[str, AfterValidator(_ident)]
"""A group or choice name: a lower-case identifier."""

Text = Annotated[str, BeforeValidator(_text)]
"""Free text; an empty YAML value reads as ``""``, surrounding whitespace is stripped."""

Key = Annotated[str, BeforeValidator(_key_type), AfterValidator(_key_value)]
"""A choice key: one printable character not reserved for navigation."""

Definition = Annotated[str, BeforeValidator(_one_line_text)]
"""A choice's definition: non-empty, one line."""

Examples = Annotated[list[Text], BeforeValidator(lambda v: [] if v is None else v)]
"""A choice's examples; an empty YAML value reads as no examples."""

RefPart = Annotated[str, BeforeValidator(_ref_part)]
"""A scheme name or version: matches :data:`REF_PART`; an unquoted integer is accepted."""
