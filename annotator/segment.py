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
from typing import Any, Literal

import nupunkt

Units = tuple[int, int]  # (start, end) of one unit
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

_LB = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_OTHER_LB = re.compile(f"[{_LB[1:]}]")
_CLOSERS = "\"')]}\u201d\u2019\u00bb\u203a*"
_ENDS = ".!?\u2026\u203d"
_EC = re.escape(_ENDS + _CLOSERS)
# An end character followed by more than closers: only then can nupunkt split anything.
_INTERIOR_END = re.compile(rf"[{_ENDS}][{_EC}]*+[^{_EC}]")
_CLOSERS_ONLY = re.compile(rf"[{_EC}\s]+")
_CLOSER_SET = frozenset(_ENDS + _CLOSERS)
_CLOSER_CHARS, _END_CHARS = frozenset(_CLOSERS), frozenset(_ENDS)
_LIST_FIRST = frozenset("•⁃‣◦▪*–-0123456789")
_ENUM_ONLY = re.compile(r"[•⁃‣◦▪*–—-]?\s*\(?(?:\d{1,3}|[A-Za-z])[.)]\)?")
# The word before a final period: a title never ends a sentence, "No."/"Jan." not before
# a digit, "a.m."/"p.m." not before a time zone, weekday or month.
_ABBR_END = re.compile(r"(?<![\w.])(?:(?P<w>[A-Za-z]{1,7}|N°|№)|[aApP]\.[mM])\.\Z")


def _words(words: str) -> frozenset[str]:
    """The set of space-separated ``words``."""
    return frozenset(words.split())


_TITLES = _words(
    "Mr Mrs Ms Mme Mmes Messrs Mlle Sen Sens Rep Reps Gov Govs Lt Gen Col Maj Sgt Cpl "
    "Pvt Capt Cmdr Adm Brig Dr Drs Prof St Ste Mt Ft Rev Hon Pres Supt Insp Det Fr "
    "Amb Atty"
)
_NUMBER_ABBRS = _words(
    "No Nos Nr N° № Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Vol Art "
    "Fig Sec Ch Para Op p pp"
)
_MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_DAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_TZ = r"[ECMP][SD]?T|A[KE][SD]?T|[AH]ST|GMT|UTC|BST|IST|[CEW]ES?T|MSK|JST|KST|HKT|SGT"
_AFTER_AMPM_JOINS = re.compile(rf"(?:{_TZ}|{_DAYS}|{_MONTHS})\b|[A-Z]\w*\s+time\b|\(")
# a.m./p.m. before a typical sentence opener ends the sentence ("at 6 P.M. Mr. Smith") ...
_AMPM_SPLIT = re.compile(
    r"(?<![\w.])(?:[ap]\.m|[AP]\.M)\.(?=\s+[\"“‘']?(?:(?:The|A|An|He|She|It|They|We|I|You|His|Her|Its"
    r"|Their|Our|My|This|That|These|Those|There|But|And|So|Yet|However|Meanwhile|Then|In|On|At"
    r"|After|Before|When|While|Officials|Police)\b|(?:Mr|Mrs|Ms|Dr)\.))"
)
# ... unless the unit opens with that time ("At 5 a.m. Mr. Smith went to the bank.").
_FRONT_TIME = re.compile(
    r"[\"“‘'(]?(?:At|By|Until|Till|Before|After|From|Around|About|Since|Shortly (?:after|before)"
    r"|Just (?:after|before)|Starting at|Beginning at|Early|Late)(?:\s+(?:about|around|roughly"
    r"|approximately|nearly|some|at|exactly|precisely))?\s+\d{1,2}(?:[:.]\d{2})?\s*"
)
# The pronoun after a lower-case word ends a sentence ("you and I. Did you ...").
_PRONOUN_I_SPLIT = re.compile(r"(?<![\w'’])[a-z][a-z'’]*\s+I\.(?=\s+[\"“‘']?[A-Z])")
# "compounds. . . . The": the word's period ends the sentence, the ellipsis opens the next.
_FOUR_DOT = re.compile(r"(?<=[^\s.])\.((?:\s\.){3})\Z")
# A line opening an inline list ("1.) ", "1) ", "1. ", "• 9. ", "a. ") is split before
# each successor marker of the same shape ("2.)", "10.", "b.").
_LIST_START = re.compile(r"([•⁃‣◦▪*–-]\s*)?(\d{1,3}|[a-zA-Z])(\.\)|\)|\.)\s")
_NOT_HEADING_END = frozenset(_ENDS + ",;:")

_TIME = (
    r"\d{1,2}(?:[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?|\s*[ap]\.?m\.?)"
    rf"(?:\s*\(?(?:{_TZ}|(?:GMT|UTC)?\s*[+-]\d{{1,2}}(?::?\d{{2}})?|Z)\)?)?"
)
_DATE = (
    rf"(?:(?:{_DAYS}|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?,?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?(?:\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:T{_TIME})?|\d{{1,2}}[./-]\d{{1,2}}[./-](?:\d{{4}}|\d{{2}}))"
)
_STAMP = (
    r"(?:(?:(?:last|first)\s+)?(?:updated|published|posted|modified|created|edited|uploaded"
    r"|date)(?:\s+(?:on|at))?\s*:?\s*)?"
    rf"(?:{_DATE}(?:\s*(?:[,|•·/–—-]|\bat\b)?\s*{_TIME})?|{_TIME}(?:\s*[,|•·/–—-]?\s*{_DATE})?)"
)
_DATELINE = re.compile(rf"{_STAMP}(?:\s*[|•·,;–—-]?\s*{_STAMP})*\.?", re.IGNORECASE)


@cache
def _tokenizer() -> Any:
    """The default nupunkt model, loaded once on first use."""
    return nupunkt.load("default")


def bare_nupunkt_spans(text: str) -> list[tuple[int, int]]:
    """``nupunkt.sent_spans`` on the whole text, no news rules (the benchmark baseline).

    The spans are contiguous and include surrounding whitespace, as nupunkt returns them.
    """
    return nupunkt.sent_spans(text)


def _merge(s: str, a: int, b: int, cuts: list[int]) -> list[tuple[int, int]]:
    """Trimmed pieces of ``s[a:b]`` between nupunkt's ``cuts``, joined by the news rules."""
    out: list[tuple[int, int]] = []
    prev = a
    for cut in (*cuts, b):
        x, y, prev = prev, cut, cut
        while y > x and s[y - 1].isspace():
            y -= 1
        while x < y and s[x].isspace():
            x += 1
        if x == y:
            continue
        if not out:
            out.append((x, y))
            continue
        pa, pb = out[-1]
        first = s[x]
        if first.islower():
            join = not (y - x > 1 and s[x + 1].isupper())  # "iPhone" may open a sentence
        elif (first in _CLOSER_SET and _CLOSERS_ONLY.fullmatch(s, x, y)) or (
            pb - pa <= 12
            and (_CLOSERS_ONLY.fullmatch(s, pa, pb) or _ENUM_ONLY.fullmatch(s, pa, pb))
        ):
            join = True
        elif s[pb - 1] == "." and (m := _ABBR_END.search(s, max(pa, pb - 9), pb)) is not None:
            w = m.group("w")
            if w is None:
                join = _AFTER_AMPM_JOINS.match(s, x) is not None
            else:
                join = w in _TITLES or (first.isdigit() and w in _NUMBER_ABBRS)
        else:
            join = False
        if join:
            out[-1] = (pa, y)
            continue
        if first in _CLOSER_CHARS:  # stray closers opening the piece end the previous one
            k = x + 1
            while k < y and s[k] in _CLOSER_CHARS:
                k += 1
            if s[k].isspace():
                out[-1] = (pa, k)
                x = k + 1
                while s[x].isspace():
                    x += 1
        elif s[pb - 2].isspace() and (m := _FOUR_DOT.search(s, max(pa, pb - 8), pb)):
            out[-1] = (pa, m.start() + 1)
            x = m.start(1) + 1
        out.append((x, y))
    return out


def _split_after(
    s: str, units: list[tuple[int, int]], pattern: re.Pattern[str], *, front: bool
) -> list[tuple[int, int]]:
    """Split units after each ``pattern`` match (with ``front``, not after an opening time)."""
    out: list[tuple[int, int]] = []
    for a, b in units:
        for m in pattern.finditer(s, a, b):
            if front and _FRONT_TIME.fullmatch(s, a, m.start()):
                continue
            out.append((a, m.end()))
            a = m.end() + 1
            while s[a].isspace():
                a += 1
        out.append((a, b))
    return out


def _line_units(
    s: str, a: int, b: int, cuts: list[int], pron: bool = True, ampm: bool = True
) -> list[Units]:
    """Units of the trimmed line ``s[a:b]``, given nupunkt's cut positions inside it.

    ``pron``/``ampm`` say whether the text may hold "I." or "a.m."/"p.m." at all.
    """
    lm = _LIST_START.match(s, a) if s[a] in _LIST_FIRST or s[a + 1 : a + 2] in (".", ")") else None
    if lm is not None and (lm.group(1) or lm.group(2) in "1a"):  # not "A. Smith and B. Jones"
        bullet, mark, delim = lm.group(1) or "", lm.group(2), lm.group(3)
        items = [a]
        while True:
            mark = str(int(mark) + 1) if mark.isdigit() else chr(ord(mark) + 1)
            at = s.find(f"{bullet}{mark}{delim}", items[-1] + 1, b)
            end = at + len(bullet) + len(mark) + len(delim)
            if at < 0 or end >= b or not s[at - 1].isspace() or not s[end].isspace():
                break
            items.append(at)
        if len(items) > 1:
            out: list[Units] = []
            for x, y in zip(items, [*items[1:], b], strict=True):
                y = x + len(s[x:y].rstrip())
                out += _line_units(s, x, y, [c for c in cuts if x < c < y], pron, ampm)
            return out
    units = _merge(s, a, b, cuts) if cuts else [(a, b)]
    if ampm:
        units = _split_after(s, units, _AMPM_SPLIT, front=True)
    if pron:
        units = _split_after(s, units, _PRONOUN_I_SPLIT, front=False)
    return units


def _line_bounds(text: str) -> tuple[list[tuple[int, int]], str]:
    """Trimmed ``(start, end)`` of every non-blank line, and the text nupunkt should see.

    In that text every line break is ``\\n`` and the end punctuation closing a line is
    blanked: a line end is a boundary anyway, so nupunkt need not decide it.
    """
    if any(c in text for c in _LB[1:]):
        text = _OTHER_LB.sub("\n", text)  # same length; "\r\n" becomes a blank line
    bounds: list[tuple[int, int]] = []
    parts: list[str] = []
    pos = done = 0
    for line in text.split("\n"):
        n = len(line)
        a, b = pos, pos + n
        pos = b + 1
        if not n:
            continue
        if line[0].isspace() or line[-1].isspace():
            body = line.strip()
            if not body:
                continue
            a += n - len(line.lstrip())
            b = a + len(body)
        bounds.append((a, b))
        k = b
        while k > a and text[k - 1] in _CLOSER_CHARS:
            k -= 1
        j = k
        while j > a and text[j - 1] in _END_CHARS:
            j -= 1
        if j < k:
            parts += (text[done:j], " " * (k - j))
            done = k
    parts.append(text[done:])
    return bounds, "".join(parts)


def _lines(text: str) -> list[tuple[int, int, list[Units]]]:
    """Each non-blank line as ``(start, end, units)``; nupunkt runs once on the whole text."""
    bounds, flat = _line_bounds(text)
    cuts: list[int] = []
    if _INTERIOR_END.search(flat) is not None:
        cuts = [start for start, _ in _tokenizer().span_tokenize(flat)]
    pron = " I." in text
    ampm = (".m." in text and ("a.m." in text or "p.m." in text)) or (
        ".M." in text and ("A.M." in text or "P.M." in text)
    )
    out: list[tuple[int, int, list[Units]]] = []
    ci, n = 0, len(cuts)
    for a, b in bounds:
        while ci < n and cuts[ci] <= a:
            ci += 1
        cj = ci
        while cj < n and cuts[cj] < b:
            cj += 1
        if cj > ci or pron or ampm or text[a] in _LIST_FIRST or text[a + 1 : a + 2] in (".", ")"):
            out.append((a, b, _line_units(text, a, b, cuts[ci:cj], pron, ampm)))
        else:
            out.append((a, b, [(a, b)]))
        ci = cj
    return out


def sentence_spans(line: str) -> list[tuple[int, int]]:
    """Sentence spans of ``line`` (nupunkt plus the news rules), as offsets into ``line``.

    Spans are trimmed of whitespace; a line break inside ``line`` is a hard boundary.
    """
    return [unit for _, _, units in _lines(line) for unit in units]


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
        lines = _lines(text)
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
                while k > a and last in _CLOSERS:
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
