"""A fair queue for the writers of a SQLite file: ``flock`` on ``<database>-writer.lock``.

SQLite lets one writer in at a time; a writer that finds the lock taken polls it, sleeping
up to 100 ms between tries, so under contention writers wait far longer than the lock is
held and the same unlucky one can lose again and again. Here every write transaction first
takes an exclusive ``flock`` on a sidecar file, then runs ``BEGIN IMMEDIATE``: waiting
writers, in this process or any other, sleep in the kernel and the next one is woken the
moment the previous one has committed or rolled back.

The lock only orders writers: SQLite's own locking still keeps the data correct. Whenever
the sidecar cannot be used (a read-only folder, a file system without ``flock``, Windows)
writers go on without it and wait on SQLite's busy timeout, as they would without this
module. Properties the rest of the store relies on:

- a :class:`Hold` is taken at a write session's first ``BEGIN`` and must be released after
  its commit or rollback (``Store.session`` does this on every path, exceptions included);
- it is re-entrant per thread: a write session opened inside another one in the same thread
  does not wait for the outer one (the database then reports it busy, as before);
- each hold opens its own descriptor, so threads of one process queue in the kernel just as
  processes do, and a killed holder (even ``kill -9``) releases the lock with its process;
- the sidecar is removed again when a store closes while no one holds it, as SQLite removes
  its ``-wal`` and ``-shm`` files; a writer checks after locking that the file it locked is
  still the one at the path (and starts over if not), so removing it never admits two writers.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading

if sys.platform != "win32":
    import fcntl

SUFFIX = "-writer.lock"
"""Appended to the database file's path to name its lock file."""
ATTEMPTS = 20
"""How often a writer starts over when the lock file was removed or replaced under it."""

_local = threading.local()


def _held() -> set[str]:
    """Lock files whose lock the current thread holds."""
    held: set[str] | None = getattr(_local, "paths", None)
    if held is None:
        held = set()
        _local.paths = held
    return held


class WriterLock:
    """The writer queue of one SQLite database file (see the module docstring)."""

    def __init__(self, database: str) -> None:
        """Queue the writers of the SQLite file ``database``, a path as SQLite opens it."""
        self.path = os.path.realpath(database) + SUFFIX

    def hold(self) -> Hold:
        """A claim for one write session; nothing is locked until :meth:`Hold.take`."""
        return Hold(self)

    def open(self) -> int | None:
        """A new descriptor of the lock file, created if need be; None if it cannot be used."""
        if sys.platform == "win32":
            return None
        flags = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        fd: int | None = None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | flags, 0o666)
        except OSError:  # a read-only folder, or a lock file made by someone else
            with contextlib.suppress(OSError):
                fd = os.open(self.path, os.O_RDONLY | flags)  # flock needs no write access
        if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)  # a folder or a pipe under our name: not ours to lock
            return None
        return fd

    def is_current(self, fd: int) -> bool:
        """True when ``fd`` is the file now at :attr:`path` (not one removed or replaced)."""
        try:
            there = os.stat(self.path, follow_symlinks=False)
            mine = os.fstat(fd)
        except OSError:
            return False
        return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)

    def remove(self) -> None:
        """Delete the lock file if no one holds the lock now (when a store closes)."""
        if sys.platform == "win32":
            return
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if self.is_current(fd):
                os.unlink(self.path)
        except OSError:  # held by a writer (it stays), or the folder is read-only
            pass
        finally:
            os.close(fd)


class Hold:
    """One write session's claim on a :class:`WriterLock`.

    :meth:`take` waits for the lock (the first ``BEGIN`` of the session calls it);
    :meth:`release` gives it up and must follow on every path. Both are safe to call when
    nothing is held, and :meth:`take` does nothing when this thread holds the lock already.
    """

    __slots__ = ("_fd", "_lock", "_marked")

    def __init__(self, lock: WriterLock) -> None:
        """A claim on ``lock``, not yet taken."""
        self._lock = lock
        self._fd: int | None = None
        self._marked = False

    @property
    def locked(self) -> bool:
        """True while this claim holds the lock file's ``flock``."""
        return self._fd is not None

    def take(self) -> None:
        """Wait until this session is the only writer; go on unlocked if the file is unusable."""
        if sys.platform == "win32" or self._marked or self._lock.path in _held():
            return
        self._marked = True  # first: release() then clears the mark whatever happens next
        _held().add(self._lock.path)
        for _ in range(ATTEMPTS):
            self._fd = self._lock.open()
            if self._fd is None:
                return
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except OSError:  # e.g. ENOLCK: this file system does not lock
                self._close()
                return
            if self._lock.is_current(self._fd):
                return
            self._close()  # removed by a closing store while we waited: lock the new one

    def release(self) -> None:
        """Let the next writer in (after commit or rollback); nothing if not held."""
        try:
            self._close()
        finally:
            if self._marked:
                self._marked = False
                _held().discard(self._lock.path)

    def _close(self) -> None:
        fd = self._fd
        if fd is None or sys.platform == "win32":
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)  # also for copies of fd in forked children
        finally:
            self._fd = None
            os.close(fd)
