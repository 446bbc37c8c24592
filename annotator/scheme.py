"""Label schemes: loading, validating and hashing the YAML that defines what annotators choose.

A scheme file (``guidelines/claims.yaml`` by default) names groups of choices, each with a
one-character key. :func:`load_scheme` validates it with pydantic and turns every problem into a
:class:`SchemeError` whose message is one line naming the file, the place and the fix. The
validated content (not the prose guideline, not the file path) is hashed so that every stored
label can say exactly which scheme it was made under (:attr:`Scheme.ref`).

This module is the public import path; the work is done in three modules:
:mod:`annotator.scheme_fields` (the rules for single fields and keys, :class:`SchemeError`),
:mod:`annotator.scheme_model` (:class:`Scheme`, :class:`Group`, :class:`Choice`, labels) and
:mod:`annotator.scheme_load` (YAML reading, error explanation, refs, the default path).
"""

from __future__ import annotations

from annotator.scheme_fields import (
    MAX_CHOICES,
    RESERVED_KEY_NAMES,
    RESERVED_KEYS,
    LabelValue,
    SchemeError,
)
from annotator.scheme_load import (
    default_scheme_path,
    load_scheme,
    load_scheme_text,
    parse_ref,
)
from annotator.scheme_model import Choice, Group, Scheme

__all__ = [
    "MAX_CHOICES",
    "RESERVED_KEYS",
    "RESERVED_KEY_NAMES",
    "Choice",
    "Group",
    "LabelValue",
    "Scheme",
    "SchemeError",
    "default_scheme_path",
    "load_scheme",
    "load_scheme_text",
    "parse_ref",
]
