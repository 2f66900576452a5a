"""What a live table says of itself in ``_live_status``: ``{"state", "updated", "error",
"block", "refreshing", "interval"}``, the state a :class:`~ogpu_widgets.records.LiveState`.

The poller reports its own health after every poll (``on_health``, on the subscription's thread):
the status is recomputed then, when the subscription ends by itself (``error``: its poller died,
or it fell behind) and when the feed changes (subscribed, paused, rows applied, refreshing). A
status whose only change is ``updated`` is re-sent at most every :data:`HEARTBEAT` seconds (the
front-end counts the seconds itself)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from ..live.subscription import Health
from ..records import LiveState

if TYPE_CHECKING:
    from .core import TableCore
    from .live import LiveFeed

__all__ = ["HEARTBEAT", "LiveStatus"]

#: ``_live_status["updated"]`` is re-sent at most this often while nothing else changes.
HEARTBEAT = 5.0


class LiveStatus:
    """The ``_live_status`` of one table's live feed."""

    def __init__(self, core: TableCore, feed: LiveFeed) -> None:
        self.core = core
        self.feed = feed
        self.updated: float | None = None
        self.error = ""  # why the feed could not subscribe
        self.refreshing = False
        self._health: Health | None = None  # the poller's, at its last poll since subscribing
        self._lock = threading.Lock()
        self._last_sent = 0.0

    def touched(self) -> None:
        """The rows changed: they are up to date now."""
        self.updated = time.time()

    def subscribing(self) -> None:
        """A new subscription: its poller's health is unknown until its next poll."""
        self._health = None

    def polled(self, health: Health) -> None:
        """The poller's report after a poll (on its thread): cheap, no I/O but the trait."""
        self._health = health
        if health.state == LiveState.LIVE and health.last_success is not None:
            self.updated = max(self.updated or 0.0, _wall(health.last_success))
        self.send()

    def state(self) -> tuple[LiveState, str, int | None]:
        """(state, error, head block)."""
        if not self.core.view.live:
            return LiveState.PAUSED, "", None
        sub = self.feed.sub
        if sub is None:
            return LiveState.OFF, self.error or "not following the chain", None
        head = sub.poller.head if isinstance(sub.poller.head, int) else None
        if sub.error is not None:  # ended by itself: no more events until Pause and Resume
            why = f"Pause, then Resume, to follow again: {sub.error}"
            return LiveState.ERROR, _short(why), head
        health = self._health
        if health is None:
            return LiveState.CONNECTING, "", head
        if health.state in (LiveState.RECONNECTING, LiveState.ERROR):
            return health.state, _short(health.last_error or "the node does not answer"), head
        return health.state, "", head

    def send(self, force: bool = False) -> None:
        if not self.feed.ready:
            return
        with self._lock:
            state, error, head = self.state()
            value: dict[str, Any] = {
                "state": str(state),
                "updated": self.updated,
                "error": error,
                "block": head,
                "refreshing": self.refreshing,
                "interval": self.feed.interval,
            }
            view = self.core.view
            old = dict(view._live_status)
            if old == value:
                return
            now = time.monotonic()
            only_time = {k: v for k, v in old.items() if k != "updated"} == {
                k: v for k, v in value.items() if k != "updated"
            }
            if only_time and not force and now - self._last_sent < HEARTBEAT:
                return
            self._last_sent = now
            view._live_status = value


def _wall(t: float) -> float:
    """A poller's ``time.monotonic()`` as unix seconds."""
    return time.time() - max(0.0, time.monotonic() - float(t))


def _short(error: Any) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:199] + "…"
