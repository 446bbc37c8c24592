"""Near-duplicate detection: articles sharing most of their sentences.

An article's evidence is the set of its sentences at least :data:`MIN_KEY_CHARS`
long, lower-cased; each is kept as a 64-bit hash of that text (:func:`sentence_key`),
the same in every process, so segmentation workers compute keys and send them cheaply,
and the index of a large database stays small. An article whose keys are
:data:`CONTAINMENT` found in another is a near-duplicate of it. This module imports
only the standard library: worker processes load it.
"""

from __future__ import annotations

import sys
from array import array
from collections import defaultdict
from collections.abc import Iterable
from hashlib import blake2b

CONTAINMENT = 0.9
"""Share of an article's sentences found in another that makes it a near-duplicate."""
MIN_FINGERPRINTS = 2
"""Articles with fewer distinct sentences than this are never called near-duplicates."""
MIN_KEY_CHARS = 20
"""Shorter sentences ("He said no.") are too common to be evidence of copying."""


def _digest(sentence: str) -> bytes:
    return blake2b(sentence.lower().encode("utf-8", "surrogatepass"), digest_size=8).digest()


def sentence_key(sentence: str) -> int:
    """The key of one sentence: a signed 64-bit hash of its lower-cased text."""
    return int.from_bytes(_digest(sentence), sys.byteorder, signed=True)


def sentence_keys(sentences: Iterable[str]) -> array[int]:
    """The distinct keys of the sentences long enough to be evidence, as an ``array("q")``.

    Equal to ``{sentence_key(s) for s in sentences if len(s) >= MIN_KEY_CHARS}``, built
    from the raw digests without making an ``int`` of each.
    """
    keys = array("q")
    keys.frombytes(b"".join({_digest(s) for s in sentences if len(s) >= MIN_KEY_CHARS}))
    return keys


class Fingerprints:
    """Sentence keys -> articles (external ids), for near-duplicate detection.

    A sentence found in more than ``COMMON`` articles (a slogan, a boilerplate line)
    is not evidence of copying and is ignored, which also keeps matching linear. Most
    keys belong to one article, so they map to its id; only shared ones hold a list.
    """

    COMMON = 20

    def __init__(self, rows: Iterable[tuple[str, str]] = ()) -> None:
        """Start from ``(external id, sentence text)`` rows, e.g. of the articles stored."""
        self.by_key: dict[int, str | list[str]] = {}
        self.size: dict[str, int] = defaultdict(int)
        grouped: dict[str, list[str]] = defaultdict(list)
        for article_id, text in rows:
            grouped[article_id].append(text)
        for article_id, texts in grouped.items():
            self.add(article_id, sentence_keys(texts))

    def add(self, article_id: str, keys: Iterable[int]) -> None:
        """Record the (distinct) sentence keys of an article."""
        fresh: dict[int, str | list[str]] = dict.fromkeys(keys, article_id)
        by_key = self.by_key
        for key in fresh.keys() & by_key.keys():
            found = by_key[key]
            if isinstance(found, str):
                fresh[key] = [found, article_id]
            else:
                found.append(article_id)
                fresh[key] = found
        by_key.update(fresh)
        self.size[article_id] += len(fresh)

    def match(self, keys: Iterable[int]) -> tuple[str | None, str | None]:
        """(an article containing these keys, an article contained in them), by external id."""
        keys = set(keys)
        evidence = len(keys)
        shared: dict[str, int] = defaultdict(int)
        by_key = self.by_key
        for key in keys & by_key.keys():
            found = by_key[key]
            if isinstance(found, str):
                shared[found] += 1
            elif len(found) > self.COMMON:
                evidence -= 1
            else:
                for article_id in found:
                    shared[article_id] += 1
        if evidence < MIN_FINGERPRINTS or not shared:
            return None, None
        container = contained = None
        for article_id, n in sorted(shared.items(), key=lambda kv: -kv[1]):
            if container is None and n >= CONTAINMENT * evidence:
                container = article_id
            elif (
                contained is None
                and self.size[article_id] >= MIN_FINGERPRINTS
                and n >= CONTAINMENT * self.size[article_id]
            ):
                contained = article_id
        return container, contained
