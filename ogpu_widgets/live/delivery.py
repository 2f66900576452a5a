"""One subscriber's callbacks, run off the poller's thread: :class:`Delivery`.

The poller only queues calls here (never waits for a subscriber): each subscription has one
bounded queue and one daemon thread (started by its first call, ended by ``stop`` or after its
last call) that makes the calls in the order they were queued. A call that raises an
``Exception`` is logged and the next one runs; one that raises any other ``BaseException``
(``SystemExit``, ``KeyboardInterrupt``...) is handed to ``on_fault``, which ends the subscriber.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["JOIN_TIMEOUT", "MAX_PENDING", "Delivery"]

log = logging.getLogger("ogpu_widgets.live")

#: Calls a subscriber may have waiting before it is ended with ``EventsLostError``.
MAX_PENDING = 1_000
#: Seconds ``stop`` waits for a call that is running to return.
JOIN_TIMEOUT = 5.0

Call = tuple[Callable[[Any], Any], Any]


class Delivery:
    """The calls of one subscriber, in order, on a thread of its own (see the module)."""

    def __init__(
        self, name: str, on_fault: Callable[[BaseException], None], capacity: int | None = None
    ) -> None:
        self.name = name
        self.capacity = MAX_PENDING if capacity is None else capacity
        self._on_fault = on_fault
        self._calls: deque[Call] = deque()
        self._last: Call | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False  # nothing more is taken
        self._stopped = False  # nothing more is called

    @property
    def pending(self) -> int:
        """Calls waiting (the one running not included)."""
        with self._cond:
            return len(self._calls) + (self._last is not None)

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def put(self, call: Callable[[Any], Any], arg: Any) -> bool:
        """Queue ``call(arg)``; False (nothing queued) when ``capacity`` calls already wait."""
        with self._cond:
            if self._closed:
                return True
            if len(self._calls) >= self.capacity:
                return False
            self._calls.append((call, arg))
            self._start()
        return True

    def finish(self, call: Callable[[Any], Any], arg: Any, drop: bool = False) -> None:
        """The last call: ``call(arg)`` after what is queued (``drop``: instead of it); nothing
        is taken after it, and the thread ends once it returns."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            if drop:
                self._calls.clear()
            self._last = (call, arg)
            self._start()

    def stop(self) -> None:
        """Drop what is queued; the thread ends after the call running now (waited for up to
        :data:`JOIN_TIMEOUT` seconds, unless this is that thread)."""
        with self._cond:
            self._closed = self._stopped = True
            self._calls.clear()
            self._last = None
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("a live callback on %s is still running %.0f s after its "
                            "subscription closed; its thread ends when it returns",
                            self.name, JOIN_TIMEOUT)  # fmt: skip

    def _start(self) -> None:  # under the lock
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _next(self) -> tuple[Call, bool] | None:
        with self._cond:
            self._cond.wait_for(lambda: self._calls or self._last or self._stopped)
            if self._stopped:
                return None
            if self._calls:
                return self._calls.popleft(), False
            last, self._last = self._last, None
            assert last is not None
            return last, True

    def _run(self) -> None:
        while (item := self._next()) is not None:
            (call, arg), last = item
            try:
                call(arg)
            except Exception:  # a subscriber's bug: logged, its next call runs
                log.exception("a live callback raised; its subscriber goes on")
            except BaseException as exc:  # SystemExit, KeyboardInterrupt...: this one ends
                if last:
                    log.error("the last live callback of %s raised %s", self.name,
                              type(exc).__name__, exc_info=exc)  # fmt: skip
                    return
                self._on_fault(exc)
            if last:
                return
