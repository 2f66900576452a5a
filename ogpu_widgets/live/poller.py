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
from collections.abc import Callable
from typing import Any

from ..chain.network import Network, NetworkLike, resolve_network
from ..chain.policy import RetryPolicy
from ..chain.rpc import RpcError
from ..errors import InvalidArgumentError, ReadError
from .events import EVENT_TOPICS, Event, decode_log

__all__ = [
    "MAX_BACKOFF",
    "POLLERS",
    "POLL_INTERVAL",
    "REGAIN_AFTER",
    "REORG_WINDOW",
    "EventPoller",
    "Pollers",
    "Subscription",
    "subscribe",
]

log = logging.getLogger("ogpu_widgets.live")

#: Seconds between polls unless a subscriber asks otherwise.
POLL_INTERVAL = 2.0
#: Blocks below the last head read again by every poll (reorgs, lagging replicas).
REORG_WINDOW = 12
#: Longest pause (seconds) between tries while the node keeps failing.
MAX_BACKOFF = 30.0
#: Good ``eth_getLogs`` pages after which a halved window doubles again.
REGAIN_AFTER = 4
#: The poller's own requests: one quick retry inside the client; the poller backs off itself.
POLL_RETRY = RetryPolicy(attempts=2, backoff=0.2, max_backoff=1.0)

Callback = Callable[[list[Event]], None]


def _seconds(value: Any, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidArgumentError(
            f"{argument}={value!r} is not a number of seconds > 0", argument=argument
        )
    return float(value)


def _block(value: Any, argument: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(
            f"{argument}={value!r} is not a block number (an int >= 0)", argument=argument
        )
    return value


def _quantity(value: Any, what: str, url: str) -> int:
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
        self, poller: EventPoller, callback: Callback, start: int | None, interval: float
    ) -> None:
        self.poller = poller
        self.callback = callback
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
        POLLERS.close(self)

    def set_interval(self, seconds: float) -> None:
        """Ask for a poll every ``seconds`` (the poller polls at its subscribers' shortest)."""
        self.interval = _seconds(seconds, "seconds")
        self.poller.wake()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"from block {self.start}"
        return f"<Subscription of {self.poller.network.name} events, {state}>"


class EventPoller:
    """The log poller of one network endpoint (see the module's docstring). Made and stopped
    by :data:`POLLERS`; read its figures, don't drive it: ``head`` (last block read),
    ``polls``, ``requests`` (HTTP requests), ``errors``, ``last_error``, ``last_poll``
    (``time.monotonic()``), ``subscribers``, ``running``, ``window`` (blocks per
    ``eth_getLogs``), ``refusals`` (ranges refused), ``lagged`` (polls ignored because the
    node answered from an older block), ``vanished`` (delivered logs a reorg took back).
    ``reorg_window`` and ``max_backoff`` may be set (tests do)."""

    def __init__(self, network: Network, key: tuple) -> None:
        self.network = network
        self.key = key
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
            thread.join(self.network.request_timeout + 5.0)

    # ---- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            delay = self._poll_once()
            self._wake.wait(delay)

    def _poll_once(self) -> float:
        try:
            self._poll()
        except Exception as exc:  # every failure is counted, logged and tried again
            self._failures += 1
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            interval = self.interval
            delay = max(interval, min(self.max_backoff, interval * 2**self._failures))
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
                self._lock.notify_all()

    def _poll(self) -> None:
        self.network.verify()
        url = self.network.rpc_url
        head = _quantity(self.client.call("eth_blockNumber"), "eth_blockNumber", url)
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
                try:
                    sub.callback(out)
                except Exception:  # a subscriber's bug must not stop the others
                    log.exception("a live-events callback raised; the poller goes on")

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


class Pollers:
    """The process-wide event pollers, one per network endpoint (RPC URL, chain id, Nexus):
    the first :meth:`subscribe` to an endpoint makes its :class:`EventPoller` and starts its
    thread; the last :meth:`close` stops the thread and forgets the poller. The one instance
    is :data:`POLLERS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pollers: dict[tuple, EventPoller] = {}

    @staticmethod
    def key(network: Network) -> tuple:
        return (network.rpc_url, network.chain_id, network.nexus)

    def get(self, network: NetworkLike) -> EventPoller | None:
        """The running poller of ``network``'s endpoint, if any."""
        net = resolve_network(network)
        with self._lock:
            return self._pollers.get(self.key(net))

    def pollers(self) -> list[EventPoller]:
        with self._lock:
            return list(self._pollers.values())

    def head(self, network: NetworkLike) -> int:
        """The last block the endpoint's poller read, else the node's head (asked now)."""
        net = resolve_network(network)
        poller = self.get(net)
        if poller is not None and poller.head is not None:
            return poller.head
        client = net.client(policy=POLL_RETRY)
        return _quantity(client.call("eth_blockNumber"), "eth_blockNumber", net.rpc_url)

    def subscribe(
        self,
        network: NetworkLike,
        callback: Callback,
        *,
        since_block: int | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> Subscription:
        """See :func:`subscribe`."""
        if not callable(callback):
            raise InvalidArgumentError(
                f"callback={callback!r} is not callable", argument="callback"
            )
        start = _block(since_block, "since_block")
        interval = _seconds(poll_interval, "poll_interval")
        net = resolve_network(network)
        if start is None:
            poller = self.get(net)
            head = poller.head if poller is not None else None
            if head is None:
                try:
                    head = self.head(net)
                except Exception as exc:  # the poller resolves it at its first good poll
                    log.debug("no head for a new subscriber (%s); the next poll sets it", exc)
            start = None if head is None else head + 1
        key = self.key(net)
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None:
                poller = self._pollers[key] = EventPoller(net, key)
            sub = Subscription(poller, callback, start, interval)
            poller._add(sub)
        return sub

    def close(self, sub: Subscription) -> None:
        """Drop a subscription; the last one of a poller stops it (its thread ends)."""
        with self._lock:
            if sub.closed:
                return
            poller = sub.poller
            last = poller._remove(sub)
            if last and self._pollers.get(poller.key) is poller:
                del self._pollers[poller.key]
        if last:
            poller._stop_thread()

    def close_all(self) -> None:
        """Close every subscription of every poller (their threads end)."""
        for poller in self.pollers():
            with poller._lock:
                subs = list(poller._subs)
            for sub in subs:
                self.close(sub)

    def __repr__(self) -> str:
        return f"<Pollers: {len(self.pollers())} running>"


#: The one owner of the process's event pollers.
POLLERS = Pollers()


def subscribe(
    network: NetworkLike,
    callback: Callback,
    *,
    since_block: int | None = None,
    poll_interval: float = POLL_INTERVAL,
) -> Subscription:
    """Call ``callback(events)`` with the new Nexus events of ``network`` (see the module's
    docstring), on the network's one poller thread, in chain order, each event once per
    subscriber. ``since_block``: deliver the events of that block and later ones (default: of
    blocks after the current head, i.e. only new ones). ``poll_interval``: seconds between
    polls (the poller polls at its subscribers' shortest). Exceptions raised by ``callback``
    are logged and do not stop the poller. ``close()`` the returned :class:`Subscription`."""
    return POLLERS.subscribe(
        network, callback, since_block=since_block, poll_interval=poll_interval
    )
