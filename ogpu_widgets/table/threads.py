"""Every thread a ``ResponseTable`` starts, with its owner and its bound.

* :class:`Threads`, one per table: starts named daemon threads, keeps them, and joins them all
  (within a bounded time) when the table closes;
* :class:`Serial`: one thread at a time for one kind of work (the live feed's reads, the
  history scan, a refresh); a kick while it runs makes it run once more afterwards (at most one
  running and one queued, however many kicks);
* :class:`Pool`: a few threads over a queue of keyed jobs (the review panel's fee estimates):
  a job asked again while it waits is answered by the same run; the queue is bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["JOIN_TIMEOUT", "Pool", "Serial", "Threads"]

#: Seconds ``close()`` waits, in all, for the table's threads to end.
JOIN_TIMEOUT = 5.0


class Threads:
    """The threads of one table (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        #: Set by :meth:`close`: long waits (a confirmation being mined) stop following.
        self.closed = threading.Event()
        self._on_close: list[Callable[[], None]] = []

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the table closes (at once if it has): a wait that cannot
        watch :attr:`closed` is woken by it."""
        with self._lock:
            if not self.closed.is_set():
                self._on_close.append(callback)
                return
        callback()

    def start(self, name: str, target: Callable[..., Any], *args: Any) -> threading.Thread | None:
        """Start ``target(*args)`` on a thread of this table (None once closed)."""
        with self._lock:
            if self.closed.is_set():
                return None
            thread = threading.Thread(target=target, args=args, name=name, daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
            return thread

    def alive(self) -> list[threading.Thread]:
        with self._lock:
            return [t for t in self._threads if t.is_alive()]

    def close(self, timeout: float = JOIN_TIMEOUT) -> bool:
        """Stop starting threads and join the running ones (``timeout`` seconds in all); True
        when none is left."""
        with self._lock:
            self.closed.set()
            callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()
        return join(self.alive(), timeout)


def join(threads: list[threading.Thread], timeout: float | None) -> bool:
    """Join ``threads`` within ``timeout`` seconds in all (never the calling thread)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    me = threading.current_thread()
    for t in threads:
        if t is not me:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads if t is not me)


class Serial:
    """One thread at a time running ``work()``; :meth:`kick` while it runs queues one more run."""

    def __init__(self, threads: Threads, name: str, work: Callable[[], None]) -> None:
        self._threads, self._name, self._work = threads, name, work
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def kick(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._thread = self._threads.start(self._name, self._run)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the running work (and what was queued behind it); True when idle."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if thread is threading.current_thread():
                return False
            thread.join(left)

    def _run(self) -> None:
        while True:
            try:
                self._work()
            except Exception:
                log.exception("%s failed unexpectedly", self._name)
            with self._lock:
                if not self._again or self._threads.closed.is_set():
                    self._thread = None
                    return
                self._again = False


class Pool:
    """At most ``workers`` threads over a queue of at most ``limit`` keyed jobs. A job is
    ``work()``, whose result goes to every ``done`` given with its key while it waited (at most
    ``waiters`` of them)."""

    def __init__(
        self, threads: Threads, name: str, workers: int, limit: int, waiters: int = 100
    ) -> None:
        self._threads, self._name, self._workers, self._limit = threads, name, workers, limit
        self._waiters = waiters
        self._lock = threading.Lock()
        self._queue: OrderedDict[str, tuple[Callable[[], Any], list[Callable[[Any], None]]]]
        self._queue = OrderedDict()
        self._running = 0
        #: Jobs run (for tests and logs).
        self.runs = 0

    def submit(self, key: str, work: Callable[[], Any], done: Callable[[Any], None]) -> bool:
        """Queue ``work`` under ``key`` (joining a job of that key that still waits); False
        (nothing queued) when the queue or the job's waiters are full, or the table closed."""
        with self._lock:
            if self._threads.closed.is_set():
                return False
            job = self._queue.get(key)
            if job is not None:
                if len(job[1]) >= self._waiters:
                    return False
                job[1].append(done)
                return True
            if len(self._queue) >= self._limit:
                return False
            self._queue[key] = (work, [done])
            if self._running < self._workers:
                self._running += 1
                if self._threads.start(self._name, self._run) is None:
                    self._running -= 1
        return True

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._queue and not self._running

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._threads.closed.is_set():
                    self._queue.clear()  # a closed table answers nobody
                if not self._queue:
                    self._running -= 1
                    return
                _, (work, waiters) = self._queue.popitem(last=False)
                self.runs += 1
            try:
                result = work()
            except Exception:
                log.exception("%s failed unexpectedly", self._name)
                continue
            for done in waiters:
                try:
                    done(result)
                except Exception:
                    log.exception("answering a %s job failed", self._name)
