"""One event source per network: a poller of Nexus's log, shared by every subscriber.

How a poll goes (on the poller's daemon thread, every ``interval`` seconds: the shortest
interval its subscribers asked for):

1. ``eth_blockNumber``. A head lower than the last one read (a lagging replica, or a chain
   that a reorg made shorter) is ignored: the poll ends there and nothing moves backwards.
2. ``eth_getLogs`` with ``address`` = Nexus and ``topics`` = ``[[the four topics]]``, in ONE
   query. No parameter is indexed, so selecting by task, source or client happens in the
   subscribers. The range is the new blocks *and* a trailing window of ``reorg_window``
   blocks below them (plus, when a subscriber asked for older blocks, those), in pages of
   ``window`` blocks: a node that refuses a range ("query returned more than 10000
   results", "block range too large") has the window halved and the page asked again, and
   the window doubles back after :data:`REGAIN_AFTER` good pages, up to the network's
   ``log_window``. An idle poll therefore costs 2 HTTP requests, whatever the number of
   subscribers or of rows they show. No ``eth_newFilter``: nothing on the server can expire.
3. Logs with ``removed: true`` and logs of other contracts are dropped; each subscriber gets,
   in chain order, the events of its range it was not given yet, deduped by (transaction
   hash, log index) over the trailing window. A log that re-appears (a lagging replica
   catching up, a reorg moving a transaction to another block) is not delivered twice, and a
   new log in a block already read (a reorg's replacement) is delivered.

When a reorg takes back a log that was delivered, nothing is taken back: consumers keep
states that only move forward (:mod:`ogpu_widgets.live.state`), so a row never moves back,
and a response that a reorg erased simply never changes again (``vanished`` counts these).
Errors (the node down, 5xx, time-outs, a wrong chain) are counted in ``errors`` and
``last_error``, logged at warning level on ``logging.getLogger("ogpu_widgets.live")``, and the
poll is tried again after an exponential backoff (capped at ``max_backoff``); the first good
poll after them is logged too and delivers what happened meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..chain.network import Network
from ..chain.policy import RetryPolicy
from ..chain.rpc import RpcError
from ..errors import PollerDiedError, ReadError
from ..records import LiveState
from .events import EVENT_TOPICS, Event, decode_log
from .subscription import Health, Subscription, quantity

__all__ = ["MAX_BACKOFF", "POLL_INTERVAL", "REGAIN_AFTER", "REORG_WINDOW", "EventPoller"]

log = logging.getLogger("ogpu_widgets.live")

#: Seconds between polls unless a subscriber asks otherwise.
POLL_INTERVAL = 2.0
#: Blocks below the last head read again by every poll (reorgs, lagging replicas).
REORG_WINDOW = 12
#: Longest pause (seconds) between tries while the node keeps failing.
MAX_BACKOFF = 30.0
#: Good ``eth_getLogs`` pages after which a halved window doubles again.
REGAIN_AFTER = 4
#: Longest pause (seconds) between two polls, whatever the interval and backoff say.
MAX_PAUSE = 3600.0
#: The poller's own requests: one quick retry inside the client; the poller backs off itself.
POLL_RETRY = RetryPolicy(attempts=2, backoff=0.2, max_backoff=1.0)


class EventPoller:
    """The log poller of one network endpoint (see the module's docstring). Made and stopped
    by :data:`~ogpu_widgets.live.registry.POLLERS`; read its figures, don't drive it: ``head`` (last block read),
    ``polls``, ``requests`` (HTTP requests), ``errors``, ``last_error``, ``last_poll``
    (``time.monotonic()``), ``subscribers``, ``running``, ``window`` (blocks per
    ``eth_getLogs``), ``refusals`` (ranges refused), ``lagged`` (polls ignored because the
    node answered from an older block), ``vanished`` (delivered logs a reorg took back).
    ``reorg_window`` and ``max_backoff`` may be set (tests do)."""

    def __init__(self, network: Network, key: tuple, owner: Any) -> None:
        self.network = network
        self.key = key
        #: The :class:`~ogpu_widgets.live.registry.Pollers` that made this poller (its
        #: subscriptions close through it).
        self.owner = owner
        self.client = network.client(policy=POLL_RETRY)
        self.reorg_window = REORG_WINDOW
        self.max_backoff = MAX_BACKOFF
        self.max_window = max(1, int(network.log_window))
        self.window = self.max_window
        self.head: int | None = None
        self.polls = 0
        self.errors = 0
        self.last_error: str | None = None
        self.last_poll: float | None = None
        #: ``time.monotonic()`` of the last good poll (None before one).
        self.last_success: float | None = None
        #: CONNECTING before the first poll, then LIVE after a good poll and RECONNECTING
        #: after a failed one.
        self.state = LiveState.CONNECTING
        self.refusals = 0
        self.lagged = 0
        self.vanished = 0
        self._subs: list[Subscription] = []
        self._lock = threading.Condition(threading.RLock())
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._good_pages = 0
        self._failures = 0
        self._recent: dict[tuple[str, int], int] = {}  # every log of the trailing window

    # ---- figures ---------------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """HTTP requests this poller made (retries included)."""
        return self.client.requests

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    @property
    def interval(self) -> float:
        """Seconds between polls: the shortest any subscriber asked for."""
        with self._lock:
            return min((s.interval for s in self._subs), default=POLL_INTERVAL)

    def health(self) -> Health:
        """The poller's health now (a cheap read; subscribers also get it after every poll)."""
        with self._lock:
            return Health(self.state, self.last_success, self.last_error or "", self.head,
                          self.polls, self.errors)  # fmt: skip

    def wait_polls(self, count: int, timeout: float) -> bool:
        """Wait until ``polls >= count`` (True) or ``timeout`` seconds pass (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: self.polls >= count, timeout)

    def wake(self) -> None:
        """Poll now rather than at the end of the current pause."""
        self._wake.set()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"<EventPoller of {self.network.name} at {self.network.rpc_url}: {state}, "
                f"{self.subscribers} subscribers, head {self.head}, {self.polls} polls, "
                f"{self.errors} errors>")  # fmt: skip

    # ---- subscribers (called by POLLERS under its lock) ------------------------------------------

    def _add(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.append(sub)
            behind = sub.start is not None and self.head is not None and sub.start <= self.head
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"ogpu-live-{self.network.name}", daemon=True
                )
                self._thread.start()
        if behind:
            self.wake()

    def _remove(self, sub: Subscription) -> bool:
        """Drop ``sub``; True when it was the last one."""
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)
            sub.closed = True
            return not self._subs

    def _stop_thread(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(min(float(self.network.request_timeout), MAX_PAUSE) + 5.0)

    @property
    def dead(self) -> bool:
        """Whether its thread ended without being stopped (it died: see :meth:`_die`)."""
        thread = self._thread
        return self.state is LiveState.ERROR or (
            thread is not None and not thread.is_alive() and not self._stop.is_set()
        )

    # ---- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.clear()
                delay = self._poll_once()
                self._wake.wait(min(max(delay, 0.0), MAX_PAUSE))
        except BaseException as exc:  # nothing may end the thread silently
            self._die(exc)

    def _die(self, exc: BaseException) -> None:
        """The loop ended on ``exc``: the poller is marked dead (state ``ERROR``), its
        registry forgets it (the next subscribe starts a new one), and each subscriber gets
        this last health and then ends with :class:`~ogpu_widgets.errors.PollerDiedError`."""
        cause = f"{type(exc).__name__}: {exc}"
        log.error("the live-events poller of %s at %s died (%s); its subscribers end, the next "
                  "subscription starts a new poller", self.network.name, self.network.rpc_url,
                  cause, exc_info=exc)  # fmt: skip
        with self._lock:
            self.state, self.last_error = LiveState.ERROR, cause
            self._lock.notify_all()
        self.owner._forget(self)  # from now on, no subscriber joins this poller
        with self._lock:
            subs = list(self._subs)
        self._report(subs)
        name = self.network.name
        for sub in subs:
            sub.end(PollerDiedError(
                f"the {name} events poller died ({cause}); this subscription ended: subscribe "
                f"again (a new poller starts)", network=name, since_block=sub.next, cause=cause,
            ))  # fmt: skip

    def _poll_once(self) -> float:
        try:
            self._poll()
        except Exception as exc:  # every failure is counted, logged and tried again
            self._failures += 1
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            interval = self.interval
            backoff = interval * 2.0 ** min(self._failures, 32)
            delay = max(interval, min(self.max_backoff, backoff))
            log.warning(
                "live events of %s at %s: poll failed (%s); %d failure(s) in a row, next try in "
                "%.1f s", self.network.name, self.network.rpc_url, self.last_error,
                self._failures, delay,
            )  # fmt: skip
            return delay
        else:
            if self._failures:
                log.warning("live events of %s at %s: resumed after %d failed poll(s)",
                            self.network.name, self.network.rpc_url, self._failures)  # fmt: skip
                self._failures = 0
            return self.interval
        finally:
            with self._lock:
                self.polls += 1
                self.last_poll = time.monotonic()
                if self._failures:
                    self.state = LiveState.RECONNECTING
                else:
                    self.state, self.last_success = LiveState.LIVE, self.last_poll
                self._lock.notify_all()
                subs = list(self._subs)
            self._report(subs)

    def _report(self, subs: list[Subscription]) -> None:
        """Tell each subscriber that asked (``on_health``) how the poll went."""
        health = self.health()
        for sub in subs:
            sub.report(health)  # queued: run on the subscriber's own thread

    def _poll(self) -> None:
        self.network.verify()
        url = self.network.rpc_url
        head = quantity(self.client.call("eth_blockNumber"), "eth_blockNumber", url)
        with self._lock:
            subs = list(self._subs)
            prev = self.head
        if prev is not None and head < prev:
            self.lagged += 1
            log.debug("the node at %s answered head %d below %d read before; ignored",
                      url, head, prev)  # fmt: skip
            return
        for sub in subs:
            if sub.start is None:  # the node was not asked at subscribe time
                sub.start = sub.next = head + 1 if prev is None else prev + 1
        tip = head if prev is None else prev
        lower = max(0, min([tip - self.reorg_window + 1, *(s.next for s in subs)]))
        while lower <= head and not self._stop.is_set():
            upper = min(head, lower + self.window - 1)
            logs = self._get_logs(lower, upper)
            if logs is None:
                continue  # refused: the window was halved
            self._deliver(subs, logs, lower, upper)
            lower = upper + 1
        if lower > head:
            with self._lock:
                self.head = head

    def _get_logs(self, lower: int, upper: int) -> list[Any] | None:
        """The logs of blocks ``lower..upper``, or None when the node refused the range."""
        query = {
            "address": self.network.nexus,
            "topics": [list(EVENT_TOPICS)],
            "fromBlock": hex(lower),
            "toBlock": hex(upper),
        }
        result = self.client.single("eth_getLogs", [query])
        if isinstance(result, RpcError):
            span = upper - lower + 1
            if span == 1:
                raise ReadError(f"eth_getLogs of block {lower} refused: {result.message}")
            self.window = max(1, min(self.window, span) // 2)
            self._good_pages = 0
            self.refusals += 1
            log.info("the node at %s refused eth_getLogs over %d blocks (%s); window now %d",
                     self.network.rpc_url, span, result.message, self.window)  # fmt: skip
            return None
        if result is None:
            result = []
        if not isinstance(result, list):
            raise ReadError(f"the node at {self.network.rpc_url} answered eth_getLogs with "
                            f"{type(result).__name__}, not a list of logs")  # fmt: skip
        self._good_pages += 1
        if self._good_pages >= REGAIN_AFTER and self.window < self.max_window:
            self.window = min(self.max_window, self.window * 2)
            self._good_pages = 0
        return result

    def _deliver(self, subs: list[Subscription], logs: list[Any], lower: int, upper: int) -> None:
        nexus = self.network.nexus
        events = []
        for entry in logs:
            ev = decode_log(entry, nexus)
            if ev is not None and lower <= ev.block <= upper:
                events.append(ev)
        events.sort(key=lambda e: (e.block, e.log_index))
        self._note_vanished(events, lower, upper)
        for sub in subs:
            if sub.closed or sub.next is None or sub.start is None:
                continue
            floor = max(sub.start, sub.next - self.reorg_window)
            out = []
            for ev in events:
                key = (ev.tx_hash, ev.log_index)
                if ev.block < floor:
                    continue
                if key in sub.seen:
                    sub.seen[key] = max(sub.seen[key], ev.block)
                    continue
                sub.seen[key] = ev.block
                out.append(ev)
            sub.next = max(sub.next, upper + 1)
            cutoff = sub.next - self.reorg_window
            for key in [k for k, b in sub.seen.items() if b < cutoff]:
                del sub.seen[key]
            if out and not sub.closed:
                sub.send(out)  # queued: run on the subscriber's own thread

    def _note_vanished(self, events: list[Event], lower: int, upper: int) -> None:
        """Count logs of the trailing window that an answer no longer holds (a reorg took them
        back, or a replica lags): nothing is re-delivered or taken back for them."""
        now = {(e.tx_hash, e.log_index): e.block for e in events}
        gone = [k for k, b in self._recent.items() if lower <= b <= upper and k not in now]
        if gone:
            self.vanished += len(gone)
            log.info("%d delivered event(s) of blocks %d..%d are gone from the node's answer "
                     "(a reorg or a lagging replica); states only move forward", len(gone),
                     lower, upper)  # fmt: skip
            for k in gone:
                del self._recent[k]
        self._recent.update(now)
        cutoff = upper - self.reorg_window
        for k in [k for k, b in self._recent.items() if b <= cutoff]:
            del self._recent[k]
