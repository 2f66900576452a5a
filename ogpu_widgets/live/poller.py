"""One event source per network: a poller of Nexus's log, shared by every subscriber.

How a poll goes (on the poller's daemon thread, every ``interval`` seconds: the shortest
interval its subscribers asked for):

1. ``eth_blockNumber``.
2. ``eth_getLogs`` (``address`` = Nexus, ``topics`` = ``[[the four topics]]``; no parameter is
   indexed, so subscribers select by task, source or client) over the new blocks, a trailing
   window of ``reorg_window`` blocks and any older blocks a subscriber asked for, in pages of
   ``window`` blocks (halved when a node refuses a range, doubled back after
   :data:`REGAIN_AFTER` good pages). The first page goes in one batch with the headers of the
   block read last and of the new head, so an idle poll costs 2 HTTP requests.
3. Reorgs (:mod:`.forks`): a tip whose hash changed, or a head fallen back onto a changed
   block, sends the poller back to the fork point (found by block hashes, at most
   ``reorg_depth`` blocks down; deeper: :class:`~ogpu_widgets.errors.DeepReorgError` in
   ``reorg_error`` and ``last_error``); events it delivered there that are gone are retracted
   (``removed=True``) and the new ones delivered. A head fallen back onto an unchanged block
   is a lagging replica (``lagged``): nothing moves backwards.
4. Each subscriber's :meth:`~.subscription.Subscription.select` of the page is queued to it.

Errors (the node down, 5xx, time-outs, a wrong chain) are counted (``errors``, ``last_error``),
logged as warnings on ``ogpu_widgets.live``, and the poll tried again after an exponential
backoff (≤ ``max_backoff``); a ``BaseException`` ends the poller (:meth:`EventPoller._die`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..chain.network import Network
from ..chain.policy import RetryPolicy
from ..chain.rpc import RpcError
from ..errors import DeepReorgError, ReadError
from ..records import LiveState
from .events import EVENT_TOPICS, Event, decode_log
from .forks import REORG_DEPTH, Forks, block_call, block_hash
from .subscription import Health, Subscription, quantity

__all__ = ["MAX_BACKOFF", "POLL_INTERVAL", "REGAIN_AFTER", "REORG_DEPTH", "REORG_WINDOW",
           "EventPoller"]  # fmt: skip

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
    node answered from an older block), ``vanished`` (delivered logs a lagging replica left
    out), ``retracted`` (delivered events a reorg took back), ``reorg_error``, ``forks``.
    ``reorg_window``, ``reorg_depth`` and ``max_backoff`` may be set (tests do)."""

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
        self.retracted = 0  # delivered events a reorg took back
        self.forks = Forks(REORG_DEPTH)
        self._reorg_from: int | None = None  # first block a reorg replaced, during its re-read
        self._subs: list[Subscription] = []
        self._lock = threading.Condition(threading.RLock())
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._good_pages = 0
        self._failures = 0

    @property
    def reorg_error(self) -> DeepReorgError | None:
        """The last reorg too deep to locate (None: none yet)."""
        return self.forks.error

    @property
    def reorg_depth(self) -> int:
        """Blocks a reorg's fork point is looked for below the tip (:data:`REORG_DEPTH`)."""
        return self.forks.depth

    @reorg_depth.setter
    def reorg_depth(self, blocks: int) -> None:
        self.forks.depth = blocks  # checked there

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
        for sub in subs:
            sub.poller_died(cause)

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
        fork: int | None = None
        if prev is not None and head < prev:
            fork = self.forks.fell_back(self.client, head, prev, self.network)
            if fork is None:
                self.lagged += 1  # a lagging replica: nothing moves backwards
                return
        for sub in subs:
            if sub.start is None:  # the node was not asked at subscribe time
                sub.start = sub.next = head + 1 if prev is None else min(prev, head) + 1
        tip = head if prev is None else min(prev, head)
        lower = max(0, min([tip - self.reorg_window + 1, *(s.next for s in subs)]))
        # the tip read last is checked in the first page's batch (an idle poll: 2 requests)
        check = None if prev is None or fork is not None else prev
        if fork is not None:
            lower = min(lower, self._rewind(subs, fork, head, prev))
        first = True  # the new head's hash too
        while lower <= head and not self._stop.is_set():
            upper = min(head, lower + self.window - 1)
            tips = ([] if check is None else [check]) + ([head] if first and head != check else [])
            got = self._get_logs(lower, upper, tips)
            if got is None:
                continue  # refused: the window was halved
            logs, hashes = got
            for n, value in zip(tips, hashes, strict=True):
                if n == check and value is None:
                    self.lagged += 1  # the node has not got the block read last: it lags
                    return
                if n == check and self.forks.changed(n, value):
                    fork = self.forks.locate(self.client, n, prev, self.network)
                    lower = self._rewind(subs, fork, head, prev)
                    check = None
                    break
                self.forks.note(n, value)
            else:
                check, first = None, False
                self.forks.note_logs(logs)
                self._deliver(subs, logs, lower, upper)
                lower = upper + 1
        if lower > head:
            with self._lock:
                self.head = head
            self.forks.prune(head)
            self._reorg_from = None

    def _rewind(self, subs: list[Subscription], fork: int, head: int, prev: int) -> int:
        """After a reorg that forked after block ``fork``: delivered events above ``head`` are
        taken back now, the ones of ``fork + 1..head`` as their blocks are read again; each
        subscriber's cursor goes back to the fork. The first block to read again."""
        self._reorg_from = fork + 1
        err = self.forks.error
        if err is not None and err.tip == prev:  # too deep: visible in the health
            self.last_error = f"{type(err).__name__}: {err}"
        if head < prev:
            self._deliver(subs, [], max(fork, head) + 1, prev)
        for sub in subs:
            if sub.next is not None and sub.start is not None:
                sub.next = max(sub.start, min(sub.next, fork + 1))
        return max(0, fork + 1)

    def _get_logs(self, lower: int, upper: int, tips: list[int]) -> tuple[list[Any], list] | None:
        """The logs of blocks ``lower..upper`` and the hashes of blocks ``tips`` (None: a block
        the node has not got), in one batch; None when the node refused the range."""
        query = {
            "address": self.network.nexus,
            "topics": [list(EVENT_TOPICS)],
            "fromBlock": hex(lower),
            "toBlock": hex(upper),
        }
        url = self.network.rpc_url
        if tips:
            result, *headers = self.client.batch(
                [("eth_getLogs", [query]), *(block_call(n) for n in tips)]
            )
        else:
            result, headers = self.client.single("eth_getLogs", [query]), []
        hashes = [block_hash(h, n, url) for n, h in zip(tips, headers, strict=True)]
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
        return result, hashes

    def _deliver(self, subs: list[Subscription], logs: list[Any], lower: int, upper: int) -> None:
        nexus = self.network.nexus
        events = []
        for entry in logs:
            ev = decode_log(entry, nexus)
            if ev is not None and lower <= ev.block <= upper:
                events.append(ev)
        events.sort(key=lambda e: (e.block, e.log_index))
        gone = self._note_vanished(events, lower, upper)
        for sub in subs:
            if sub.closed or sub.next is None or sub.start is None:
                continue
            out = sub.select(gone, events, upper, self.reorg_window,
                             max(self.reorg_window, self.forks.depth))  # fmt: skip
            if out and not sub.closed:
                sub.send(out)  # queued: run on the subscriber's own thread

    def _note_vanished(self, events: list[Event], lower: int, upper: int) -> list[Event]:
        """The delivered events of blocks ``lower..upper`` this answer no longer holds: taken
        back (returned, to retract) above a reorg's fork point, else counted (``vanished``: a
        replica on the same chain that lags) and kept (:meth:`Forks.gone`)."""
        taken, kept = self.forks.gone(
            events, lower, upper, self._reorg_from, max(self.reorg_window, self.forks.depth)
        )
        self.vanished += kept
        self.retracted += len(taken)
        return taken
