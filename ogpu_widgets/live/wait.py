"""The waits: ``wait_for_responses`` and ``wait_for_confirmed_response``.

Each subscribes to the network's one poller *before* its first read (from a few blocks below
the head), so an event that lands between the read and the subscription is not missed; it
reads the task's responses again when an event of the task arrives (and, while the events
name responses that a read did not show yet, a lagging replica's read, at every poll), and
keeps what it read only moving forward (a stale read never un-confirms a response). The one
backward move: when a reorg retracts an event of the task (``removed=True``), what was read is
dropped and the next read is taken as the chain now is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import _strict as strict
from ..chain.codec import to_address
from ..chain.network import NetworkLike, resolve_network
from ..errors import (
    InvalidArgumentError,
    OgpuWidgetsError,
    ReadError,
    SubscriptionEndedError,
    WatchTimeoutError,
)
from ..read.calls import get_task_responses
from ..records import TaskResponse, TaskStatus
from .events import Event, ResponseStatusChanged, ResponseSubmitted, TaskStatusChanged
from .poller import POLL_INTERVAL, REORG_WINDOW
from .registry import POLLERS
from .state import newer_response_status
from .subscription import Subscription
from .subscription import check_seconds as _seconds

__all__ = ["wait_for_confirmed_response", "wait_for_responses"]

log = logging.getLogger("ogpu_widgets.live")


#: The most responses a wait may ask for (far more than any task gets).
MAX_COUNT = 1_000_000


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise InvalidArgumentError(
            f"count={strict.shown(value)} is not a whole number from 1 to {MAX_COUNT:,}",
            argument="count",
        )
    return value


def _merge(found: dict[str, TaskResponse], records: list[TaskResponse]) -> None:
    """Add what was read, keeping states only moving forward (a stale read never un-confirms)."""
    for rec in records:
        old = found.get(rec.address)
        if old is None or newer_response_status(old.status, rec.status).label == rec.status:
            found[rec.address] = rec


class _Reads:
    """The waits' reads of a task's responses. A :class:`ReadError` (a node that keeps
    failing, a read that did not come back whole) is tried again at the next poll rather than
    ending the wait; the typed verdicts about the address (``NotATaskError``...) are raised."""

    def __init__(self, task: str, network: Any) -> None:
        self.task, self.network = task, network
        self.error: ReadError | None = None
        self.succeeded = False

    def into(self, found: dict[str, TaskResponse]) -> bool:
        """Merge a read into ``found``; False when it failed (and is worth another try)."""
        try:
            _merge(found, get_task_responses(self.task, network=self.network))
        except ReadError as exc:
            self.error = exc
            log.debug("reading the responses of %s failed (%s); trying again", self.task, exc)
            return False
        self.error, self.succeeded = None, True
        return True

    def give_up(self) -> None:
        """At the deadline: a wait that never read anything raises the read's error."""
        if not self.succeeded and self.error is not None:
            raise self.error


class _Waiter:
    """A subscription that notes the events of one task (for the waits)."""

    def __init__(self, network: Any, task: str, poll_interval: float) -> None:
        self.task = task
        self.lock = threading.Lock()
        self.changed = threading.Event()
        self.responses: set[str] = set()  # responses of the task the events named
        self.finalized = False
        self.reorged = False  # a reorg retracted an event of the task since the last read
        self.network, self.interval, self.closed = network, poll_interval, False
        self.sub = self._subscribe(max(0, POLLERS.head(network) - REORG_WINDOW))

    def _subscribe(self, since: int) -> Subscription:
        return POLLERS.subscribe(self.network, self._on_events, since_block=since,
                                 poll_interval=self.interval, on_end=self._ended)  # fmt: skip

    def _ended(self, error: SubscriptionEndedError) -> None:
        """The subscription ended by itself (its poller died, it fell behind): subscribe again
        from the first block it may have missed (a new poller starts) and read again."""
        since = error.since_block
        with self.lock:
            if self.closed:
                return
            self.reorged = True  # what was read may miss events: read afresh
        try:
            if not isinstance(since, int):
                since = POLLERS.head(self.network)
            sub = self._subscribe(max(0, since - REORG_WINDOW))
        except OgpuWidgetsError as exc:  # the node is down: the reads still run every poll
            log.warning("a wait could not subscribe again after %s: %s", error, exc)
            return
        finally:
            self.changed.set()
        with self.lock:
            self.sub, closed = sub, self.closed
        if closed:
            sub.close()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            sub = self.sub
        sub.close()

    def _on_events(self, events: list[Event]) -> None:
        ours = {ev.tx_hash for ev in events if getattr(ev, "task", None) == self.task}
        with self.lock:
            hit = self._note(events, ours)
        if hit:
            self.changed.set()

    def _note(self, events: list[Event], ours: set[str]) -> bool:
        hit = False
        for ev in events:
            if ev.removed:
                hit |= self._retract(ev, ours)
            elif isinstance(ev, ResponseSubmitted) and ev.task == self.task:
                self.responses.add(ev.response)
                hit = True
            elif isinstance(ev, TaskStatusChanged) and ev.task == self.task:
                self.finalized |= ev.status == TaskStatus.FINALIZED
                hit = True
            elif isinstance(ev, ResponseStatusChanged) and (
                ev.response in self.responses or ev.tx_hash in ours
            ):
                hit = True
        return hit

    def _retract(self, ev: Event, ours: set[str]) -> bool:
        """A reorg took back ``ev``: whether it was about the task (what was read goes)."""
        if isinstance(ev, ResponseSubmitted | TaskStatusChanged) and ev.task == self.task:
            if isinstance(ev, ResponseSubmitted):
                self.responses.discard(ev.response)
            elif ev.status == TaskStatus.FINALIZED:
                self.finalized = False
        elif not (isinstance(ev, ResponseStatusChanged)
                  and (ev.response in self.responses or ev.tx_hash in ours)):  # fmt: skip
            return False
        self.reorged = True
        return True

    def reread(self, found: dict[str, TaskResponse]) -> None:
        """Before a read: after a reorg of the task, forget what was read (states go back)."""
        with self.lock:
            reorged, self.reorged = self.reorged, False
        if reorged:
            found.clear()

    def missing(self, found: dict[str, TaskResponse]) -> bool:
        """Whether events named responses that the last read did not have (it lagged)."""
        with self.lock:
            return bool(self.responses - set(found))

    def know(self, found: dict[str, TaskResponse]) -> None:
        with self.lock:
            self.responses.update(found)

    def wait(self, deadline: float, pending: bool, poll_interval: float) -> bool:
        """Wait for an event of the task (or, ``pending``: a read that lagged behind the
        events, just a poll interval); False when the deadline passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if pending:
            self.changed.wait(min(remaining, poll_interval))
            return True
        return self.changed.wait(remaining)


def _watch(
    task: str,
    network: NetworkLike,
    timeout: float,
    poll_interval: float,
    settle: Callable[[_Waiter, dict[str, TaskResponse], bool], tuple[Any, bool]],
    timed_out: Callable[[dict[str, TaskResponse], float], tuple[str, int]],
) -> Any:
    """The loop both waits share: read, ``settle`` (the answer, or None and whether to read
    again at the next poll), wait for an event of the task, and at the deadline raise
    :class:`WatchTimeoutError` with ``timed_out``'s message and expected count."""
    timeout = _seconds(timeout, "timeout")
    interval = _seconds(poll_interval, "poll_interval")
    net = resolve_network(network)
    deadline = time.monotonic() + timeout
    waiter = _Waiter(net, task, interval)
    found: dict[str, TaskResponse] = {}
    reads = _Reads(task, net)
    try:
        while True:
            waiter.changed.clear()
            waiter.reread(found)
            answer, pending = settle(waiter, found, reads.into(found))
            if answer is not None:
                return answer
            if not waiter.wait(deadline, pending, interval):
                reads.give_up()
                message, expected = timed_out(found, timeout)
                raise WatchTimeoutError(
                    message, task=task, expected=expected, found=list(found.values()),
                    timeout=timeout,
                ) from reads.error  # fmt: skip
    finally:
        waiter.close()


def wait_for_responses(
    task: str,
    count: int = 1,
    *,
    network: NetworkLike = None,
    timeout: float = 60.0,
    poll_interval: float = POLL_INTERVAL,
) -> list[TaskResponse]:
    """The task's responses once it has at least ``count`` (at once if it has them already),
    as :class:`~ogpu_widgets.records.TaskResponse` in slot order. Raises
    :class:`~ogpu_widgets.errors.WatchTimeoutError` (``task``, ``expected``, ``found``: what
    had arrived, ``timeout``) after ``timeout`` seconds, and what ``get_task_responses``
    raises for a bad task."""
    task = to_address(task, "task address")
    count = _count(count)

    def settle(waiter: _Waiter, found: dict[str, TaskResponse], ok: bool) -> tuple[Any, bool]:
        if ok and len(found) >= count:
            return list(found.values()), False
        return None, not ok or waiter.missing(found)  # a failed or lagging read: poll again

    def timed_out(found: dict[str, TaskResponse], seconds: float) -> tuple[str, int]:
        return f"task {task} has {len(found)} response(s), not {count}, after {seconds:g} s", count

    return _watch(task, network, timeout, poll_interval, settle, timed_out)


def wait_for_confirmed_response(
    task: str,
    *,
    network: NetworkLike = None,
    timeout: float = 60.0,
    poll_interval: float = POLL_INTERVAL,
) -> TaskResponse:
    """The task's confirmed response, once there is one (at once if there is): confirmed by
    the client from anywhere (this kernel, another one, the explorer) or by the chain itself
    (a FIRST_RESPONSE source). Raises :class:`~ogpu_widgets.errors.WatchTimeoutError`
    (``found``: the task's responses by then, none confirmed) after ``timeout`` seconds."""
    task = to_address(task, "task address")

    def settle(waiter: _Waiter, found: dict[str, TaskResponse], ok: bool) -> tuple[Any, bool]:
        for rec in found.values():
            if rec.confirmed:
                return rec, False
        waiter.know(found)
        return None, waiter.finalized or not ok  # finalized but not read so: a lagging read

    def timed_out(found: dict[str, TaskResponse], seconds: float) -> tuple[str, int]:
        return f"no response of task {task} was confirmed within {seconds:g} s", 1

    return _watch(task, network, timeout, poll_interval, settle, timed_out)
