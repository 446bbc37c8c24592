"""Worker processes that segment chunks of texts for import, driven without threads.

Whoever segments a text also hashes it and computes its near-duplicate keys
(:func:`prepare`), so the importing process only slices unit texts and writes; the
result of a text is a compact :class:`Prepared` (flat ``array`` objects, not one
object per unit).

:class:`Workers` talks to its processes through plain pipes from the importing
thread itself: it pushes chunks and pulls results (:meth:`Workers.pump`) between its
own steps, with non-blocking file descriptors, widened on Linux so that a whole chunk
fits. ``concurrent.futures`` would move every chunk through two helper threads of
this process, and each of them waits for the GIL (up to ``sys.getswitchinterval()``,
5 ms, several times per chunk) while this process segments or writes, which left the
workers idle a fifth of the time. This module imports no database code, so a worker
starts in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import select
import signal
import struct
import sys
from array import array
from collections import deque
from collections.abc import Hashable
from hashlib import sha256
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple

from annotator.near_dup import sentence_keys
from annotator.segment import ROLES, Segmenter

_CODE = {role: code for code, role in enumerate(ROLES)}
_HEADER = struct.Struct("!i")  # the frame header of multiprocessing.connection.Connection
_PIPE_BYTES = 1 << 20  # Linux's default limit for an unprivileged process
_READ_BYTES = 1 << 20
_POLL_SECONDS = 1.0  # a dead worker is noticed within this even without end-of-file


class Prepared(NamedTuple):
    """What the importer needs of one text besides the text itself."""

    starts: array[int]
    """Where each unit starts (``array("i")``)."""
    ends: array[int]
    """Where each unit ends."""
    roles: bytes
    """Each unit's role, as an index into :data:`annotator.segment.ROLES`."""
    keys: array[int]
    """Near-duplicate keys (:func:`annotator.near_dup.sentence_key`) of its sentences."""
    sha256: str
    """Hex sha256 of the UTF-8 text."""


def prepare(segmenter: Segmenter, text: str) -> Prepared:
    """Segment ``text``, hash it and compute its near-duplicate keys."""
    spans = segmenter.split(text)
    code = _CODE
    return Prepared(
        array("i", [s.start for s in spans]),
        array("i", [s.end for s in spans]),
        bytes([code[s.role] for s in spans]),
        sentence_keys(s.text for s in spans if s.role == "sentence"),
        sha256(text.encode("utf-8")).hexdigest(),
    )


def _serve(tasks: Connection, results: Connection, patterns: tuple[str, ...]) -> None:
    """A worker's life: segment each chunk received, until the importer closes the pipe.

    Any failure ends the process quietly; the importer then segments the chunks it had
    sent here itself, and meets (and reports) the same error if it is not a fluke.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importer's to handle
    try:
        segmenter = Segmenter(patterns)
        while True:
            key, texts = pickle.loads(tasks.recv_bytes())
            done = [prepare(segmenter, text) for text in texts]
            results.send_bytes(pickle.dumps((key, done), pickle.HIGHEST_PROTOCOL))
    except Exception:  # end of file (the importer is done), a closed pipe, a bug
        return


def _widen(fd: int) -> None:
    """Let the pipe hold a whole chunk (Linux; elsewhere a chunk moves in pieces)."""
    if sys.platform != "linux":
        return
    import fcntl

    with contextlib.suppress(OSError):  # over /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class _Worker:
    """One process and this side of its two pipes."""

    __slots__ = ("inbox", "outbox", "process", "queued", "results", "sent", "tasks")

    def __init__(self, process: BaseProcess, tasks: Connection, results: Connection) -> None:
        self.process, self.tasks, self.results = process, tasks, results
        self.outbox = bytearray()  # frames not yet written to the task pipe
        self.sent = 0  # bytes of outbox already written
        self.inbox = bytearray()  # bytes read from the result pipe, not yet a whole frame
        self.queued: deque[Hashable] = deque()  # keys sent, in order, results pending

    def flush(self) -> None:
        """Write what the task pipe takes now."""
        while self.sent < len(self.outbox):
            try:
                self.sent += os.write(self.tasks.fileno(), memoryview(self.outbox)[self.sent :])
            except BlockingIOError:
                return
        self.outbox.clear()
        self.sent = 0

    def receive(self) -> list[tuple[Hashable, list[Prepared]]]:
        """Every whole result readable now; EOFError when the process is gone."""
        while True:
            try:
                data = os.read(self.results.fileno(), _READ_BYTES)
            except BlockingIOError:
                break
            if not data:
                raise EOFError
            self.inbox += data
        done: list[tuple[Hashable, list[Prepared]]] = []
        while len(self.inbox) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.inbox)
            end = _HEADER.size + size
            if len(self.inbox) < end:
                break
            done.append(pickle.loads(self.inbox[_HEADER.size : end]))
            del self.inbox[:end]
            self.queued.popleft()
        return done

    def stop(self) -> None:
        """Close the pipes (the process ends on end-of-file) and reap the process."""
        self.tasks.close()
        self.results.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


class Workers:
    """Processes segmenting chunks of texts with a segmenter's rules.

    They are forked from a clean server process (``forkserver``), never from this
    one, which may hold database connections and threads. Results of one worker come
    back in the order its chunks were sent. A worker that dies is dropped and the keys
    it held are reported with ``None``, to be done elsewhere.
    """

    def __init__(self, segmenter: Segmenter, count: int) -> None:
        """Start ``count`` processes (OSError, ValueError: they cannot be started here)."""
        context: Any = multiprocessing.get_context("forkserver")
        self._workers: list[_Worker] = []
        try:
            for _ in range(count):
                task_out, task_in = context.Pipe(duplex=False)
                result_out, result_in = context.Pipe(duplex=False)
                process = context.Process(
                    target=_serve, args=(task_out, result_in, segmenter.patterns), daemon=True
                )
                process.start()
                task_out.close()
                result_in.close()
                for end in (task_in, result_out):
                    _widen(end.fileno())
                    os.set_blocking(end.fileno(), False)
                self._workers.append(_Worker(process, task_in, result_out))
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        """The number of live workers."""
        return len(self._workers)

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def queued(self) -> list[int]:
        """How many chunks each live worker holds."""
        return [len(w.queued) for w in self._workers]

    def submit(self, key: Hashable, texts: list[str]) -> bool:
        """Send a chunk to the least busy worker; False when none is left."""
        if not self._workers:
            return False
        worker = min(self._workers, key=lambda w: len(w.queued))
        payload = pickle.dumps((key, texts), pickle.HIGHEST_PROTOCOL)
        worker.outbox += _HEADER.pack(len(payload))
        worker.outbox += payload
        worker.queued.append(key)
        return True

    def pump(self, wait: bool = False) -> list[tuple[Hashable, list[Prepared] | None]]:
        """Move chunks and results along; with ``wait``, block until some result is in.

        Returns ``(key, results)`` pairs, ``results`` None for the chunks of a worker
        that died.
        """
        done: list[tuple[Hashable, list[Prepared] | None]] = []
        while True:
            for worker in list(self._workers):
                try:
                    worker.flush()
                    if worker.queued:
                        done.extend(worker.receive())
                except (EOFError, OSError):  # the process died (killed, out of memory, ...)
                    done.extend((key, None) for key in worker.queued)
                    self._workers.remove(worker)
                    worker.stop()
            busy = [w for w in self._workers if w.queued]
            if done or not wait or not busy:
                return done
            select.select(
                [w.results for w in busy], [w.tasks for w in busy if w.outbox], [], _POLL_SECONDS
            )

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
