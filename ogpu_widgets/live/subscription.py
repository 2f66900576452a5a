"""One subscriber of an event poller (:class:`Subscription`: its callbacks delivered off the
poller's thread by its :class:`~.delivery.Delivery`), the poller's :class:`Health` as
subscribers see it, and the checks of the arguments a subscriber gives."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import _strict as strict
from ..errors import (
    EventsLostError,
    InvalidArgumentError,
    PollerDiedError,
    ReadError,
    SubscriptionEndedError,
)
from ..records import LiveState
from .delivery import Delivery
from .events import Event, retracted

if TYPE_CHECKING:
    from .poller import EventPoller

__all__ = ["MAX_POLL_INTERVAL", "MAX_TIMEOUT", "Callback", "EndCallback", "Health",
           "HealthCallback", "Subscription", "check_block", "check_seconds", "quantity",
           "seconds_problem"]  # fmt: skip

log = logging.getLogger("ogpu_widgets.live")

Callback = Callable[[list[Event]], None]
EndCallback = Callable[[SubscriptionEndedError], None]

#: The longest poll interval accepted (seconds).
MAX_POLL_INTERVAL = 3600.0
#: The longest time-out accepted (seconds: a week); a longer wait is no wait at all.
MAX_TIMEOUT = 7 * 86400.0
#: Block numbers are below this (a node's quantities are 64-bit).
MAX_BLOCK = 2**63
#: The longest value of each argument of seconds, by name (others: :data:`MAX_TIMEOUT`).
_MAXIMA = {"poll_interval": MAX_POLL_INTERVAL, "seconds": MAX_POLL_INTERVAL}


@dataclass(frozen=True, slots=True)
class Health:
    """How an :class:`~ogpu_widgets.live.poller.EventPoller` is doing: ``state``
    (``CONNECTING`` before its first poll, ``LIVE`` after a good one, ``RECONNECTING`` after a
    failed one, ``ERROR`` once it died), ``last_success`` (``time.monotonic()`` of the last good
    poll, or None), ``last_error`` ("" before any), ``head`` (the last block read), ``polls``
    and ``errors``."""

    state: LiveState
    last_success: float | None
    last_error: str
    head: int | None
    polls: int
    errors: int


HealthCallback = Callable[[Health], None]


def seconds_problem(
    value: Any, argument: str, maximum: float | None = None, zero: bool = False
) -> str | None:
    """What is wrong with ``value`` as ``argument``, a number of seconds greater than 0 (or
    ``zero``: at least 0) and at most ``maximum`` (default: by the argument's name); None when
    nothing is. The one check of seconds (:func:`ogpu_widgets._strict.seconds_problem`) with
    the live room's maxima."""
    top = _MAXIMA.get(argument, MAX_TIMEOUT) if maximum is None else maximum
    return strict.seconds_problem(value, argument, zero=zero, maximum=top)


def check_seconds(
    value: Any, argument: str, maximum: float | None = None, zero: bool = False
) -> float:
    """``value`` as seconds (see :func:`seconds_problem`), else :class:`InvalidArgumentError`."""
    problem = seconds_problem(value, argument, maximum, zero)
    if problem is not None:
        raise InvalidArgumentError(problem, argument=argument)
    return float(value)


def check_block(value: Any, argument: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_BLOCK:
        raise InvalidArgumentError(
            f"{argument}={strict.shown(value)} is not a block number (an int >= 0 and < 2**63)",
            argument=argument,
        )
    return value


def quantity(value: Any, what: str, url: str) -> int:
    if isinstance(value, str) and value[:2].lower() == "0x":
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise ReadError(f"the node at {url} answered {what} with {value!r}, not a hex quantity")


class Subscription:
    """One subscriber of an :class:`EventPoller`: ``close()`` it (or use it as a context
    manager) when done; the last close stops the poller's thread.

    Its callbacks (``callback`` with each poll's new events, ``on_health`` after every poll,
    ``on_end`` once if it ends by itself) run in order on a thread of its own, never on the
    poller's: a slow one delays this subscriber only. It ends by itself, with ``error`` set (a
    :class:`~ogpu_widgets.errors.SubscriptionEndedError`, logged), when a callback raises a
    ``BaseException`` that is not an ``Exception``, when its calls fall
    :data:`~.delivery.MAX_PENDING` behind (:class:`~ogpu_widgets.errors.EventsLostError`), or
    when its poller dies (:class:`~ogpu_widgets.errors.PollerDiedError`)."""

    def __init__(
        self,
        poller: EventPoller,
        callback: Callback,
        start: int | None,
        interval: float,
        on_health: HealthCallback | None = None,
        on_end: EndCallback | None = None,
    ) -> None:
        self.poller = poller
        self.callback = callback
        #: Called after every poll with the poller's :class:`Health` (None: not asked).
        self.on_health = on_health
        #: Called once with :attr:`error` when the subscription ends by itself (None: not asked).
        self.on_end = on_end
        #: First block whose events this subscriber wants (None: resolved by the next poll).
        self.start = start
        #: First block not read for this subscriber yet.
        self.next = start
        self.interval = interval
        self.closed = False
        #: Why it ended by itself (None while it runs, or when ``close()`` ended it).
        self.error: SubscriptionEndedError | None = None
        #: (tx hash, log index) -> block of what was delivered, over the trailing window.
        self.seen: dict[tuple[str, int], int] = {}
        self._delivery = Delivery(f"ogpu-live-{poller.network.name}-subscriber", self._fault)
        self._ending = threading.Lock()

    @property
    def thread(self) -> threading.Thread | None:
        """The thread its callbacks run on (None before the first call)."""
        return self._delivery.thread

    def close(self) -> None:
        """Stop receiving events (safe to call twice, also from inside the callback); a
        callback running now is waited for (a few seconds at most)."""
        self.poller.owner.close(self)

    def _detach(self) -> None:
        """Closed (by ``POLLERS``): its thread ends, after ``on_end`` if it ended by itself."""
        if self.error is None:
            self._delivery.stop()

    def set_interval(self, seconds: float) -> None:
        """Ask for a poll every ``seconds`` (the poller polls at its subscribers' shortest)."""
        self.interval = check_seconds(seconds, "seconds")
        self.poller.wake()

    # ---- the poller's side (on its thread): queue, never wait ---------------------------------

    def send(self, events: list[Event]) -> None:
        """Queue ``callback(events)``."""
        if not self.closed and not self._delivery.put(self.callback, events):
            self._lost(events[0].block if events else self.next)

    def report(self, health: Health) -> None:
        """Queue ``on_health(health)``, if asked."""
        on_health = self.on_health
        if on_health is not None and not self.closed and not self._delivery.put(on_health, health):
            self._lost(self.next)

    def select(
        self, gone: list[Event], events: list[Event], upper: int, window: int, keep: int
    ) -> list[Event]:
        """What this subscriber is given of a poller's page of blocks up to ``upper``:
        retractions of what it was given that a reorg took back (``gone``), then, in chain
        order, the ``events`` of its range (from ``window`` blocks below its cursor) it was not
        given yet, deduped by (transaction hash, log index); what it was given is remembered
        for ``keep`` blocks (to dedupe and retract)."""
        floor = max(self.start or 0, (self.next or 0) - window)
        out = [retracted(ev) for ev in gone
               if self.seen.pop((ev.tx_hash, ev.log_index), None) is not None]  # fmt: skip
        for ev in events:
            key = (ev.tx_hash, ev.log_index)
            if ev.block < floor:
                continue
            if key in self.seen:
                self.seen[key] = max(self.seen[key], ev.block)
                continue
            self.seen[key] = ev.block
            out.append(ev)
        self.next = max(self.next or 0, upper + 1)
        cutoff = self.next - keep
        for key in [k for k, b in self.seen.items() if b < cutoff]:
            del self.seen[key]
        return out

    def end(self, error: SubscriptionEndedError, drop: bool = False) -> None:
        """End by itself: off the poller, ``error`` logged and kept, then (after what is queued,
        or instead of it: ``drop``) ``on_end(error)``; its thread ends after that."""
        with self._ending:
            if self.closed or self.error is not None:
                return
            self.error = error
        log.error("%s", error)
        self.poller.owner.close(self)
        self._delivery.finish(self._ended, error, drop=drop)

    def _ended(self, error: SubscriptionEndedError) -> None:
        if self.on_end is not None:
            self.on_end(error)

    def _lost(self, block: int | None) -> None:
        name, capacity = self.poller.network.name, self._delivery.capacity
        since = "" if block is None else f" from block {block} on"
        self.end(EventsLostError(
            f"a subscriber of the {name} events fell {capacity} callbacks behind: its events"
            f"{since} were dropped and it was ended; subscribe again"
            f"{'' if block is None else f' with since_block={block}'} and keep callbacks quick",
            network=name, since_block=block, capacity=capacity,
        ))  # fmt: skip

    def poller_died(self, cause: str) -> None:
        """Its poller died on ``cause``: end with :class:`PollerDiedError` (after what is
        queued)."""
        name = self.poller.network.name
        self.end(PollerDiedError(
            f"the {name} events poller died ({cause}); this subscription ended: subscribe "
            f"again (a new poller starts)", network=name, since_block=self.next, cause=cause,
        ))  # fmt: skip

    def _fault(self, exc: BaseException) -> None:
        """A callback raised ``exc`` (not an ``Exception``): this subscriber ends, no other."""
        log.error("a live callback raised %s; its subscriber ends, the poller goes on",
                  type(exc).__name__, exc_info=exc)  # fmt: skip
        name = self.poller.network.name
        self.end(SubscriptionEndedError(
            f"a callback of a subscriber of the {name} events raised {type(exc).__name__}"
            f"({exc!s}), so it was ended (the other subscribers go on); subscribe again",
            network=name, since_block=self.next,
        ), drop=True)  # fmt: skip

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"from block {self.start}"
        if self.error is not None:
            state = f"ended: {type(self.error).__name__}"
        return f"<Subscription of {self.poller.network.name} events, {state}>"
