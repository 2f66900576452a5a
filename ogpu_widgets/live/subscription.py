"""One subscriber of an event poller (:class:`Subscription`), the poller's :class:`Health` as
subscribers see it, and the checks of the arguments a subscriber gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, ReadError
from ..records import LiveState
from .events import Event

if TYPE_CHECKING:
    from .poller import EventPoller

__all__ = ["Callback", "Health", "HealthCallback", "Subscription", "check_block", "check_seconds",
           "quantity"]  # fmt: skip

Callback = Callable[[list[Event]], None]


@dataclass(frozen=True, slots=True)
class Health:
    """How an :class:`~ogpu_widgets.live.poller.EventPoller` is doing: ``state``
    (``CONNECTING`` before its first poll, ``LIVE`` after a good one, ``RECONNECTING`` after a
    failed one), ``last_success`` (``time.monotonic()`` of the last good poll, or None),
    ``last_error`` ("" before any), ``head`` (the last block read), ``polls`` and ``errors``."""

    state: LiveState
    last_success: float | None
    last_error: str
    head: int | None
    polls: int
    errors: int


HealthCallback = Callable[[Health], None]


def check_seconds(value: Any, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidArgumentError(
            f"{argument}={value!r} is not a number of seconds > 0", argument=argument
        )
    return float(value)


def check_block(value: Any, argument: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(
            f"{argument}={value!r} is not a block number (an int >= 0)", argument=argument
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
    manager) when done; the last close stops the poller's thread."""

    def __init__(
        self,
        poller: EventPoller,
        callback: Callback,
        start: int | None,
        interval: float,
        on_health: HealthCallback | None = None,
    ) -> None:
        self.poller = poller
        self.callback = callback
        #: Called after every poll with the poller's :class:`Health` (None: not asked).
        self.on_health = on_health
        #: First block whose events this subscriber wants (None: resolved by the next poll).
        self.start = start
        #: First block not read for this subscriber yet.
        self.next = start
        self.interval = interval
        self.closed = False
        #: (tx hash, log index) -> block of what was delivered, over the trailing window.
        self.seen: dict[tuple[str, int], int] = {}

    def close(self) -> None:
        """Stop receiving events (safe to call twice, also from inside the callback)."""
        self.poller.owner.close(self)

    def set_interval(self, seconds: float) -> None:
        """Ask for a poll every ``seconds`` (the poller polls at its subscribers' shortest)."""
        self.interval = check_seconds(seconds, "seconds")
        self.poller.wake()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"from block {self.start}"
        return f"<Subscription of {self.poller.network.name} events, {state}>"
