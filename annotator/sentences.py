"""Sentence boundaries inside lines: nupunkt with news rules on top.

Every line break is a hard boundary. Inside a line, boundaries come from ``nupunkt``, then
the news rules: lower-case continuation, closing-quote joins, titles (``Mr.``, ``Gen.``),
``No. 5`` and ``Jan. 5``, ``5 p.m. EST``, ``you and I.``, inline lists and the four-dot
ellipsis. :mod:`annotator.segment` gives the resulting units their roles.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import nupunkt

Units = tuple[int, int]  # (start, end) of one unit

_LB = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_OTHER_LB = re.compile(f"[{_LB[1:]}]")
CLOSERS = "\"')]}\u201d\u2019\u00bb\u203a*"
ENDS = ".!?\u2026\u203d"
_EC = re.escape(ENDS + CLOSERS)
# An end character followed by more than closers: only then can nupunkt split anything.
_INTERIOR_END = re.compile(rf"[{ENDS}][{_EC}]*+[^{_EC}]")
_CLOSERS_ONLY = re.compile(rf"[{_EC}\s]+")
_CLOSER_SET = frozenset(ENDS + CLOSERS)
_CLOSER_CHARS, _END_CHARS = frozenset(CLOSERS), frozenset(ENDS)
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
MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
DAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
TZ = r"[ECMP][SD]?T|A[KE][SD]?T|[AH]ST|GMT|UTC|BST|IST|[CEW]ES?T|MSK|JST|KST|HKT|SGT"
_AFTER_AMPM_JOINS = re.compile(rf"(?:{TZ}|{DAYS}|{MONTHS})\b|[A-Z]\w*\s+time\b|\(")
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


def split_lines(text: str) -> list[tuple[int, int, list[Units]]]:
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
    return [unit for _, _, units in split_lines(line) for unit in units]
