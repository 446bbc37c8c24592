"""Writes label changes to the database one at a time, in order, off the UI thread.

Every change the annotator makes becomes a :class:`Job` on one FIFO queue. One dedicated
writer thread (started with the first job, stopped with the app) drains the queue: it runs
each job (one service call, one transaction), and only moves on once that job has committed.
A long-lived thread rather than a Textual worker per job: starting a worker costs a few
milliseconds of event-loop time on every key, and the queue must be drained in order anyway.

A job that fails because the database is busy or unreachable is retried with backoff *in
place*, so later changes never overtake it and nothing is dropped; every failed attempt is
reported to the screen that queued the job, which shows it as NOT SAVED. A job the service
refuses outright (a :class:`ValueError` such as ``ServiceError``) cannot succeed by
retrying: it is reported once as a permanent failure.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump

from annotator.service import Service


@dataclass(eq=False)
class Job:
    """One change to save: ``run(service)`` makes exactly one committed change."""

    describe: str
    run: Callable[[Service], Any]
    target: MessagePump | None = None
    unit_id: int | None = None
    kind: str = "press"
    seq: int = field(default=0)


def error_text(exc: BaseException) -> str:
    """A one-line reason for a failed save, e.g. ``database is locked``."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:120]


class Saver:
    """The ordered write queue of one app."""

    class Committed(Message):
        """A job committed; ``result`` is what its service call returned."""

        bubble = False

        def __init__(self, job: Job, result: Any) -> None:
            super().__init__()
            self.job = job
            self.result = result

    class Failed(Message):
        """A job's attempt failed; unless ``permanent`` it will be retried."""

        bubble = False

        def __init__(self, job: Job, error: str, attempt: int, permanent: bool) -> None:
            super().__init__()
            self.job = job
            self.error = error
            self.attempt = attempt
            self.permanent = permanent

    class Drained(Message):
        """The queue is empty and nothing is being written."""

    def __init__(
        self,
        app: App[Any],
        service: Service,
        *,
        base_delay: float = 0.25,
        max_delay: float = 5.0,
    ) -> None:
        """Bind the queue to an app (whose workers run it) and a service."""
        self.app = app
        self.service = service
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._queue: deque[Job] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._announce = False
        self._seq = 0
        self._in_progress = 0
        self.failing: str | None = None
        """The latest error while a job keeps failing; None when writes succeed."""
        self.attempt = 0
        """How many attempts the job at the head of the queue has failed."""

    @property
    def pending(self) -> int:
        """Jobs queued or being written."""
        with self._lock:
            return len(self._queue) + self._in_progress

    def submit(self, job: Job) -> Job:
        """Queue a job after every job queued before it; start the writer if needed."""
        with self._lock:
            self._seq += 1
            job.seq = self._seq
            self._queue.append(job)
            self._idle.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._drain, name="annotator-saver", daemon=True
                )
                self._thread.start()
        return job

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block a worker thread until every queued job has committed (or ``timeout``)."""
        with self._idle:
            return self._idle.wait_for(
                lambda: not self._queue and not self._in_progress, timeout=timeout
            )

    def stop(self) -> None:
        """Stop the writer thread once the job in hand is done (the app is closing)."""
        with self._lock:
            self._stopping = True
            self._idle.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._idle.notify_all()
                    if self._in_progress == 0 and self._announce:
                        self._announce = False
                        self.app.post_message(Saver.Drained())
                    self._idle.wait_for(lambda: bool(self._queue) or self._stopping)
                if self._stopping:
                    return
                job = self._queue.popleft()
                self._in_progress = 1
                self._announce = True
            self._run(job)
            with self._lock:
                self._in_progress = 0

    def _run(self, job: Job) -> None:
        attempt = 0
        while True:
            try:
                result = job.run(self.service)
            except ValueError as exc:  # ServiceError / SchemeError: retrying cannot help
                self.failing, self.attempt = None, 0
                with self._lock:  # done with this job before the screen hears of it
                    self._in_progress = 0
                self._report(job, Saver.Failed(job, error_text(exc), attempt + 1, True))
                return
            except Exception as exc:  # busy, locked, disconnected: retry until it commits
                attempt += 1
                self.failing, self.attempt = error_text(exc), attempt
                self._report(job, Saver.Failed(job, self.failing, attempt, False))
                with self._lock:
                    self._idle.wait_for(
                        lambda: self._stopping,
                        timeout=min(self.base_delay * 2 ** (attempt - 1), self.max_delay),
                    )
                    if self._stopping:
                        return
                continue
            self.failing, self.attempt = None, 0
            with self._lock:
                self._in_progress = 0
            self._report(job, Saver.Committed(job, result))
            return

    def _report(self, job: Job, message: Message) -> None:
        target = job.target
        if target is not None and target.is_attached:
            target.post_message(message)
        else:
            self.app.post_message(message)
