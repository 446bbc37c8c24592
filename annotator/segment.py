"""Split article text into annotation units with exact character offsets.

Every line break is a hard boundary: the breaks of :meth:`str.splitlines` (``\\n``,
``\\r\\n``, a lone ``\\r``, ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``,
``\\u2029``). Inside a line, boundaries come from ``nupunkt`` with news rules on top:
lower-case continuation, closing-quote joins, titles (``Mr.``, ``Gen.``), ``No. 5`` and
``Jan. 5``, ``5 p.m. EST``, ``you and I.``, inline lists and the four-dot ellipsis.
Each unit gets a role (``sentence``, ``heading``, ``dateline``, ``boilerplate``);
``text[start:end]`` is always the unit, trimmed of surrounding whitespace.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from annotator.sentences import (
    CLOSERS,
    DAYS,
    ENDS,
    MONTHS,
    TZ,
    Units,
    bare_nupunkt_spans,
    sentence_spans,
    split_lines,
)

__all__ = [
    "DEFAULT_BOILERPLATE_PATTERNS",
    "ROLES",
    "Role",
    "Segmenter",
    "SegmenterError",
    "Span",
    "Units",
    "bare_nupunkt_spans",
    "segment",
    "sentence_spans",
]
Role = Literal["sentence", "heading", "dateline", "boilerplate"]
ROLES: tuple[Role, ...] = ("sentence", "heading", "dateline", "boilerplate")


class SegmenterError(ValueError):
    """Invalid segmenter configuration or input (the message is one user-facing line)."""


@dataclass(frozen=True, slots=True)
class Span:
    """One unit: ``text == original[start:end]``, trimmed, never crossing a line break."""

    start: int
    end: int
    role: Role
    text: str


DEFAULT_BOILERPLATE_PATTERNS: tuple[str, ...] = (
    # Site disclaimers.
    r"opinions (?:posted|expressed|published)\b[^.]{0,60}?\b(?:do not|don't|does not)\b",
    r"solely responsible for\b",
    r"^as per the it policy\b",
    r"^the views expressed\b",
    r"^disclaimer\s*:",
    r"all rights reserved\b",
    r"^copyright\b",
    r"^this (?:article|story) (?:was|has been|is) (?:originally |first )?(?:re)?published\b",
    # Calls to action and link lines.
    r"^subscribe\b",
    r"^sign up (?:for|to)\b",
    r"^(?:follow|like|join) us\b",
    r"^(?:read|see) (?:more|also|next)\b",
    r"^also read\b",
    r"^related(?: articles?| stories| coverage| news)?\s*:",
    r"^click here\b",
    r"^share this\b",
    r"^advertisement$",
    r"^sources?\s*:",
    # Photo credits, and captions carrying one.
    r"©",
    r"^(?:photo|photos|image|images|picture|video|photograph)(?:\s+credits?)?\s*:",
    r"^(?:photo|image|picture)\s+(?:by|courtesy)\b",
    r"\((?:photo\s*)?(?:source|photo|image|picture|credit|credits|courtesy)\s*:[^()]*\)$",
    r"reuters/\w",
    r"ap photo/\w",
    r"afp/\w",
    r"via getty images\b",
)

_NOT_HEADING_END = frozenset(ENDS + ",;:")

_TIME = (
    r"\d{1,2}(?:[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?|\s*[ap]\.?m\.?)"
    rf"(?:\s*\(?(?:{TZ}|(?:GMT|UTC)?\s*[+-]\d{{1,2}}(?::?\d{{2}})?|Z)\)?)?"
)
_DATE = (
    rf"(?:(?:{DAYS}|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?,?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?,?(?:\s+\d{{4}})?"
    rf"|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:T{_TIME})?|\d{{1,2}}[./-]\d{{1,2}}[./-](?:\d{{4}}|\d{{2}}))"
)
_STAMP = (
    r"(?:(?:(?:last|first)\s+)?(?:updated|published|posted|modified|created|edited|uploaded"
    r"|date)(?:\s+(?:on|at))?\s*:?\s*)?"
    rf"(?:{_DATE}(?:\s*(?:[,|•·/–—-]|\bat\b)?\s*{_TIME})?|{_TIME}(?:\s*[,|•·/–—-]?\s*{_DATE})?)"
)
_DATELINE = re.compile(rf"{_STAMP}(?:\s*[|•·,;–—-]?\s*{_STAMP})*\.?", re.IGNORECASE)

_ESCAPE_OR_CLASS = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]", re.DOTALL)
_INNER_GROUP = re.compile(r"\([^()]*\)")
_LITERAL_PREFIX = re.compile(r"(?:\\\W|[^\\.^$*+?{}\[\]|()])*")


def _top_level_alternation(pattern: str) -> bool:
    """Whether ``pattern`` may have a ``|`` outside every group (``True`` when unsure)."""
    rest = _ESCAPE_OR_CLASS.sub("", pattern)
    while (inner := _INNER_GROUP.sub("", rest)) != rest:
        rest = inner
    return "|" in rest


def _gate(pattern: str) -> str:
    """The literal text every match of ``pattern`` starts with ("" if none is known)."""
    prefix = _LITERAL_PREFIX.match(pattern)
    chars = [token[-1] for token in re.findall(r"\\\W|[^\\]", prefix.group())] if prefix else []
    if prefix and pattern[prefix.end() : prefix.end() + 1] in ("*", "?", "{"):
        chars.pop()  # the last character is optional or repeated
    return "".join(chars)


class Segmenter:
    """Text to role-tagged units; the boilerplate regexes are compiled once per instance."""

    __slots__ = ("_first", "_gated", "_other", "patterns")

    def __init__(self, boilerplate_patterns: Sequence[str] | None = None) -> None:
        """Compile ``boilerplate_patterns`` (case-insensitive; ``None`` means the defaults).

        Raises :class:`SegmenterError` (a ``ValueError``) naming the bad pattern.
        """
        if boilerplate_patterns is None:
            boilerplate_patterns = DEFAULT_BOILERPLATE_PATTERNS
        elif isinstance(boilerplate_patterns, str | bytes):
            raise SegmenterError("boilerplate_patterns must be a list of regexes, not one string")
        self.patterns: tuple[str, ...] = tuple(boilerplate_patterns)
        anchored: list[str] = []
        gated: list[tuple[str, bytes | None, re.Pattern[str]]] = []
        other: list[re.Pattern[str]] = []
        for p in self.patterns:
            if not isinstance(p, str):
                raise SegmenterError(f"boilerplate pattern {p!r} is not a string")
            try:
                rx = re.compile(p, re.IGNORECASE)
            except re.error as exc:
                raise SegmenterError(f"invalid boilerplate pattern {p!r}: {exc}") from None
            if rx.search("") is not None:
                raise SegmenterError(
                    f"boilerplate pattern {p!r} matches empty text, so every line would be "
                    "boilerplate; make it more specific"
                )
            # For speed, "^..." patterns are merged into one regex tried at each line start,
            # and patterns opening with an ASCII literal only run on texts containing it.
            alternation = _top_level_alternation(p)
            gate = "" if alternation else _gate(p).lower()  # (ASCII or caseless: see below)
            if p.startswith("^") and not alternation and rx.groups == 0:
                anchored.append(p[1:])
            elif gate and (gate.isascii() or gate.upper() == gate):
                gated.append((gate, None if gate.upper() == gate else gate.encode(), rx))
            else:
                other.append(rx)
        first: re.Pattern[str] | None = None
        if anchored:
            try:
                first = re.compile("|".join(f"(?:{p})" for p in anchored), re.IGNORECASE)
            except re.error:  # e.g. inline global flags: keep them apart
                other.extend(re.compile(f"^{p}", re.IGNORECASE) for p in anchored)
        self._first = first
        self._gated = tuple(gated)
        self._other = tuple(other)

    def _boilerplate_lines(self, text: str, bounds: list[tuple[int, int]]) -> set[int]:
        """Indexes of the lines (``bounds`` into ``text``) that are boilerplate."""
        hits: set[int] = set()
        if self._first is not None:
            match = self._first.match
            hits.update(i for i, (a, b) in enumerate(bounds) if match(text, a, b) is not None)
        for rx in self._other:
            hits.update(i for i, (a, b) in enumerate(bounds) if rx.search(text[a:b]) is not None)
        if not self._gated or not bounds:
            return hits
        folded: bytes | None = None
        low: str | None = None
        starts = [a for a, _ in bounds]
        for gate, gate_bytes, rx in self._gated:
            # Every match starts with the gate, so only try ``match`` where the gate occurs.
            if gate_bytes is None:  # nothing to fold: look in the text itself
                hay = text
            else:
                if folded is None:  # cheap ASCII-only folding to rule the gate out first
                    folded = text.encode("utf-8", "surrogatepass").lower()
                if gate_bytes not in folded:
                    continue
                hay = low = text.lower() if low is None else low
                if len(hay) != len(text):  # folding changed offsets: search every line
                    hits.update(i for i, ab in enumerate(bounds) if rx.search(text, *ab))
                    continue
            at = hay.find(gate)
            while at >= 0:
                i = bisect_right(starts, at) - 1
                end = bounds[i][1]
                if i >= 0 and at < end and rx.match(text, at, end) is not None:
                    hits.add(i)
                    at = hay.find(gate, end)
                else:
                    at = hay.find(gate, at + 1)
        return hits

    def split(self, text: str) -> list[Span]:
        """Split ``text`` into ordered, non-overlapping, trimmed units with roles."""
        if not isinstance(text, str):
            raise SegmenterError(f"text must be str, not {type(text).__name__}; decode it first")
        lines = split_lines(text)
        boiler = self._boilerplate_lines(text, [(a, b) for a, b, _ in lines])
        spans: list[Span] = []
        append = spans.append
        for i, (a, b, units) in enumerate(lines):
            role: Role = "sentence"
            last = text[b - 1]
            if i in boiler:
                role = "boilerplate"
            elif (
                b - a <= 64
                and (last.isdigit() or last.isupper() or last in ".)mM")
                and _DATELINE.fullmatch(text, a, b)
            ):
                append(Span(a, b, "dateline", text[a:b]))
                continue
            elif len(units) == 1:
                k = b - 1
                while k > a and last in CLOSERS:
                    k -= 1
                    last = text[k]
                if last not in _NOT_HEADING_END:
                    role = "heading"
            for x, y in units:
                append(Span(x, y, role, text[x:y]))
        return spans


@cache
def _default_segmenter() -> Segmenter:
    """The module's default :class:`Segmenter`, created on first use."""
    return Segmenter()


def segment(text: str) -> list[Span]:
    """Split ``text`` with the default :class:`Segmenter` (created once, on first use)."""
    return _default_segmenter().split(text)
