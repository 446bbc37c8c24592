"""Segmentation for import: chunks of texts split in worker processes and in this one.

A big file is cut into chunks as it is read. A few chunks at a time go to worker
processes (:class:`~annotator.ingest_workers.Workers`); whenever the importer needs
the next chunk's units and they are not ready, it splits the next unclaimed chunk
itself instead of waiting, unless the chunks it still has to write would then keep it
busy for longer than the workers need to finish theirs. So on two cores the importing
process writes *and* segments, and both cores stay busy to the end of the file.
Results always come back in file order.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Hashable, Iterator

from annotator.ingest_workers import Prepared, Workers, prepare
from annotator.segment import Segmenter

__all__ = ["DEPTH", "Prepared", "Segmentation", "Workers", "prepare", "start_workers"]

DEPTH = 2
"""Chunks held by each worker: one being split, one waiting, so it never idles while
the importer writes or splits a chunk of its own."""

_FILES = itertools.count()


def start_workers(segmenter: Segmenter, count: int) -> Workers | None:
    """``count`` worker processes with ``segmenter``'s rules, or None if they cannot start."""
    try:
        return Workers(segmenter, count)
    except (OSError, ValueError, NotImplementedError):  # no forkserver, no processes, ...
        return None


class Segmentation:
    """Chunks of one file's texts, added in order, segmented by ``workers`` and here.

    Iterating yields each chunk's :class:`Prepared` list, in the order added.
    """

    def __init__(self, segmenter: Segmenter, workers: Workers | None = None) -> None:
        """Segment with ``segmenter`` here and with ``workers`` (None: only here)."""
        self._segmenter = segmenter
        self._workers = workers if workers is not None and len(workers) else None
        self._file = next(_FILES)  # results of an earlier, abandoned file are dropped
        self._texts: list[list[str]] = []
        self._done: dict[int, list[Prepared]] = {}
        self._sent: set[int] = set()  # chunks held by workers
        self._next = 0  # chunks from here on are claimed by no one
        self._clock = [0.0, 0.0]  # seconds spent segmenting a chunk here, using one
        self._counts = [0, 0]

    def add(self, texts: list[str]) -> None:
        """Queue one chunk of texts."""
        self._texts.append(texts)
        self._pump()

    def _pump(self, wait: bool = False) -> None:
        """Collect finished chunks and keep every worker :data:`DEPTH` chunks deep."""
        workers = self._workers
        if workers is None:
            return
        self._take(workers.pump(wait))
        while self._next < len(self._texts) and len(workers) and min(workers.queued()) < DEPTH:
            chunk: Hashable = (self._file, self._next)
            if not workers.submit(chunk, self._texts[self._next]):
                break
            self._sent.add(self._next)
            self._next += 1
        self._take(workers.pump())  # send what was just queued
        if not len(workers):
            self._workers = None

    def _take(self, results: list[tuple[Hashable, list[Prepared] | None]]) -> None:
        for key, result in results:
            if not isinstance(key, tuple) or key[0] != self._file:
                continue  # a chunk of an abandoned file
            index = key[1]
            self._sent.discard(index)
            if result is None:  # its worker died: do it here
                self._here(index)
            else:
                self._done[index] = result

    def _here(self, index: int) -> None:
        started = time.perf_counter()
        self._done[index] = [prepare(self._segmenter, text) for text in self._texts[index]]
        self._clock[0] += time.perf_counter() - started
        self._counts[0] += 1

    def _worth_stealing(self, index: int) -> bool:
        """Whether segmenting another chunk here, rather than waiting, ends the file sooner."""
        if self._workers is None or not all(self._counts):
            return True
        segment, use = (c / n for c, n in zip(self._clock, self._counts, strict=True))
        mine = (len(self._texts) - index) * use + segment  # with the stolen chunk
        left = len(self._sent) + len(self._texts) - self._next
        return mine < left * segment / len(self._workers)

    def __iter__(self) -> Iterator[list[Prepared]]:
        """Each chunk's results, in order, segmenting here whenever that saves waiting."""
        for index in range(len(self._texts)):
            while index not in self._done:
                self._pump()
                if index in self._done:
                    break
                if self._next < len(self._texts) and (
                    index >= self._next or self._worth_stealing(index)
                ):
                    self._next += 1
                    self._here(self._next - 1)
                else:
                    self._pump(wait=True)
            self._texts[index] = []
            handed = time.perf_counter()
            yield self._done.pop(index)
            self._clock[1] += time.perf_counter() - handed
            self._counts[1] += 1

    def close(self) -> None:
        """Drop what was not collected (an abandoned file; workers' results are ignored)."""
        self._done.clear()
        self._texts.clear()
