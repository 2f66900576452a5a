"""The worker pool of one ``fetch_results`` call: daemon threads, and the calling thread as
their watchdog.

Each fetch runs on a worker under its own :class:`~.policy.Limits` (its time-out from when it
starts, within the call's budget). The calling thread waits for the results and, at each
fetch's deadline, :meth:`~.policy.Limits.expire`\\ s it: the sockets of that exchange are shut
down, so however slowly a server sends, the worker's read returns and the fetch ends "timed
out". At the budget's end, or when the call is left, every running fetch is expired the same
way and the queue dropped; the workers, daemon threads, are gone a moment later, with their
sockets, and never keep the process from exiting. A fetch still not back :data:`GRACE` seconds
after its deadline (stuck where no socket exists yet, as in a DNS look-up) is given up as timed
out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import ResultError, ResultTimeoutError
from .cid import locate
from .fetch import describe
from .outcome import Outcome
from .policy import Limits

__all__ = ["GRACE", "failed", "run"]

log = logging.getLogger("ogpu_widgets.results")

#: Seconds after its deadline a fetch is given up even if its worker has not come back.
GRACE = 0.5
#: Seconds the call waits, once done, for its workers to finish unwinding.
_JOIN = 0.25


def run(
    fetch: Callable[[Any, Limits], Outcome],
    new_limits: Callable[[], Limits],
    datas: list[Any],
    workers: int,
    budget_end: float | None,
    on_done: Callable[[int], None] | None = None,
) -> dict[Any, Outcome]:
    """The outcome of ``fetch(data, limits)`` for each of ``datas``, on at most ``workers``
    daemon threads, each within ``new_limits()`` (made as the fetch starts) and ``budget_end``.
    ``on_done(n)``: n more results are in (called on this thread)."""
    pool = _Pool(fetch, new_limits, datas)
    threads = [
        threading.Thread(target=pool.work, name=f"ogpu-results-{i}", daemon=True)
        for i in range(min(workers, len(datas)))
    ]
    for t in threads:
        t.start()
    try:
        pool.watch(budget_end, on_done)
    finally:
        pool.stop()
        end = time.monotonic() + _JOIN
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
    with pool.cond:
        out = dict(pool.out)
    for d in datas:
        if d not in out:
            out[d] = Outcome(error=ResultTimeoutError("timed out: the time budget ran out"))
    return out


class _Pool:
    def __init__(
        self, fetch: Callable[[Any, Limits], Outcome], new_limits: Callable[[], Limits], datas
    ) -> None:
        self.fetch = fetch
        self.new_limits = new_limits
        self.total = len(datas)
        self.queue: deque[Any] = deque(datas)
        self.running: dict[Any, Limits] = {}
        self.out: dict[Any, Outcome] = {}
        self.cond = threading.Condition()
        self.stopped = False

    def work(self) -> None:
        while True:
            with self.cond:
                if self.stopped or not self.queue:
                    return
                data = self.queue.popleft()
                limits = self.running[data] = self.new_limits()
            try:
                outcome = self.fetch(data, limits)
            except Exception as exc:  # a decoder's or a bug: that row's error, not a hang
                outcome = failed(data, exc)
            with self.cond:
                self.running.pop(data, None)
                self.out.setdefault(data, outcome)
                self.cond.notify_all()

    def watch(self, budget_end: float | None, on_done: Callable[[int], None] | None) -> None:
        """Wait for every result, expiring each fetch at its deadline (the calling thread)."""
        seen = 0
        with self.cond:
            while True:
                if len(self.out) > seen and on_done is not None:
                    on_done(len(self.out) - seen)
                seen = len(self.out)
                if seen >= self.total:
                    return
                now = time.monotonic()
                if budget_end is not None and now >= budget_end:
                    return
                wake = budget_end
                for data, limits in list(self.running.items()):
                    end = limits.end
                    if not limits.expired and now >= end:
                        limits.expire()
                    if limits.expired and now >= end + GRACE:
                        del self.running[data]
                        self.out.setdefault(data, _late(limits))
                        continue
                    at = end + GRACE if limits.expired else end
                    wake = at if wake is None else min(wake, at)
                if len(self.out) > seen:
                    continue
                self.cond.wait(None if wake is None else max(0.0, wake - now))

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.queue.clear()
            running = list(self.running.values())
        for limits in running:
            limits.cancel.set()
            limits.expire()


def failed(data: Any, exc: Exception) -> Outcome:
    """The outcome of a fetch of ``data`` that raised ``exc`` (a decoder's ``RecursionError``,
    ``MemoryError``, a bug): that one result's typed :class:`ResultError`, logged; the other
    results of the call are kept."""
    log.exception("fetching the result of %s failed", describe(data))
    located = locate(data) if isinstance(data, str) else None
    cid = str(located.cid) if located is not None else None
    reason = f"the result could not be read ({type(exc).__name__}: {str(exc)[:200]})"
    return Outcome(None, None, cid, ResultError(reason, cid=cid))


def _late(limits: Limits) -> Outcome:
    try:
        limits.remaining()
    except ResultTimeoutError as exc:
        return Outcome(error=exc)
    return Outcome(error=ResultTimeoutError(f"timed out after {limits.timeout:g} s"))
