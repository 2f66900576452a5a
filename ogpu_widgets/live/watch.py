"""``watch_responses``: the events of a scope, on the network's one event poller
(:mod:`.poller`); the waits are in :mod:`.wait`.

A :class:`ResponseWatcher` selects the events of its scope from the poller's stream: a
``tasks=`` list is fixed; ``source=``/``client=`` also take in tasks published after the
watcher started (``TaskPublished`` of the source, or of any source whose client is the
client: a source seen for the first time is read once). A ``ResponseStatusChanged`` names only
a response: it is placed by the responses the watcher saw submitted, by the task events of
the same transaction (a confirmation finalizes its task in the same transaction), and only
when both say nothing by reading the response once. Each ``ResponseSubmitted`` it delivers
carries ``record``, the :class:`~ogpu_widgets.records.TaskResponse` read from the chain when
the event is delivered (so it may be further along: already confirmed), or ``None``, with a
warning, when the node could not give it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

from ..chain.network import NetworkLike, resolve_network
from ..errors import InvalidArgumentError, OgpuWidgetsError, SubscriptionEndedError
from ..read.calls import discover_tasks
from ..read.rows import OK
from ..read.session import Session
from ..read.validate import check_tasks, selector_value
from ..records import TaskResponse
from .events import (
    Event,
    ResponseStatusChanged,
    ResponseSubmitted,
    TaskPublished,
    TaskStatusChanged,
)
from .poller import POLL_INTERVAL
from .registry import POLLERS
from .subscription import Subscription
from .subscription import check_block as _block
from .subscription import check_seconds as _seconds

__all__ = ["ResponseWatcher", "watch_responses"]

log = logging.getLogger("ogpu_widgets.live")

T = TypeVar("T")

_STOP = object()
#: How many out-of-scope responses and sources a watcher remembers (then forgets the oldest).
FOREIGN_MEMORY = 10_000


class ResponseWatcher:
    """The events of a scope (see the module's docstring), as they happen.

    Iterate it (blocking) for :data:`~ogpu_widgets.live.events.Event` values, or give
    ``on_event=`` a callable (called on the watcher's own thread, never the shared poller's;
    an ``Exception`` it raises is logged and the watcher goes on, any other ``BaseException``
    ends this watcher only): with a callback the watcher is not iterable. :meth:`get` waits
    with a time-out. :meth:`stop` (or leaving a ``with`` block) unsubscribes; iteration then
    ends after the events already queued. A ``for`` loop owns the watcher: leaving it before
    the watcher ended (an exception, Ctrl-C, ``break``) unsubscribes too (:meth:`get` takes
    events without that). A watcher that ended by itself (its poller died, it fell behind:
    :attr:`error`, a :class:`~ogpu_widgets.errors.SubscriptionEndedError`) raises that error
    from :meth:`get` and the iteration once the events queued before are taken. Made by
    :func:`watch_responses`."""

    def __init__(
        self,
        kind: str,
        value: Any,
        *,
        network: NetworkLike = None,
        since_block: int | None = None,
        poll_interval: float = POLL_INTERVAL,
        on_event: Callable[[Event], Any] | None = None,
    ) -> None:
        if on_event is not None and not callable(on_event):
            raise InvalidArgumentError(f"on_event={on_event!r} is not callable",
                                       argument="on_event")  # fmt: skip
        since = _block(since_block, "since_block")
        interval = _seconds(poll_interval, "poll_interval")
        self.network = resolve_network(network)
        self.kind, self.value = kind, value
        self._on_event = on_event
        self._queue: queue.Queue | None = None if on_event is not None else queue.Queue()
        self._lock = threading.Lock()
        self._ended = False  # the iterator's end is queued
        self._responses: dict[str, str] = {}  # response -> task, in scope
        self._foreign: dict[str, None] = {}  # responses known to be out of scope
        self._sources: set[str] = set()
        self._foreign_sources: dict[str, None] = {}
        session = Session(self.network, "auto")
        head = int(session.block, 16)
        if kind == "tasks":
            rows = session.tasks(value)
            check_tasks(rows, self.network)
            tasks = value
        else:
            tasks = discover_tasks(session, kind, value)
            if kind == "source":
                self._sources.add(value)
            else:
                self._sources.update(session.client_sources(value))
        self._tasks: set[str] = set(tasks)
        #: The first block whose events the watcher delivers.
        self.since_block = head + 1 if since is None else since
        self.subscription: Subscription = POLLERS.subscribe(
            self.network, self._on_events, since_block=self.since_block,
            poll_interval=interval, on_end=self._on_end,
        )  # fmt: skip

    # ---- what is watched -----------------------------------------------------------------------

    @property
    def tasks(self) -> frozenset[str]:
        """The tasks in scope now (a source or client scope grows as tasks are published)."""
        with self._lock:
            return frozenset(self._tasks)

    @property
    def stopped(self) -> bool:
        return self.subscription.closed

    @property
    def poller(self):
        return self.subscription.poller

    @property
    def error(self) -> SubscriptionEndedError | None:
        """Why the watcher ended by itself (None while it runs, or after :meth:`stop`)."""
        return self.subscription.error

    # ---- consuming -----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Event]:
        if self._queue is None:
            raise InvalidArgumentError(
                "this watcher delivers to its on_event callback; watch without on_event= to "
                "iterate",
                argument="on_event",
            )
        return self._loop()

    def _loop(self) -> Iterator[Event]:
        """One ``for`` loop: left before the watcher ended, it stops the watcher."""
        ended = False
        try:
            while (item := self.get()) is not None:
                yield item
            ended = True
        finally:
            if not ended:
                self.stop()

    def __next__(self) -> Event:
        try:
            item = self.get()
        except BaseException:  # Ctrl-C while waiting, or the watcher's own end
            self.stop()
            raise
        if item is None:
            raise StopIteration
        return item

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting up to ``timeout`` seconds (None: until one comes; at most a
        week); None on time-out, or when the watcher is stopped and nothing is left. Raises
        :attr:`error` once nothing is left of a watcher that ended by itself."""
        if self._queue is None:
            raise InvalidArgumentError("this watcher delivers to its on_event callback",
                                       argument="on_event")  # fmt: skip
        wait = None if timeout is None else _seconds(timeout, "timeout", zero=True)
        try:
            item = self._queue.get(timeout=wait)
        except queue.Empty:
            return None
        if item is _STOP:
            self._queue.put(_STOP)  # every later call ends too
            if self.error is not None:
                raise self.error
            return None
        return item

    def stop(self) -> None:
        """Unsubscribe (safe to call twice, also from ``on_event``)."""
        self.subscription.close()
        self._end_queue()

    def _on_end(self, error: SubscriptionEndedError) -> None:
        """The subscription ended by itself (on its thread, after the events before)."""
        self._end_queue()

    def _end_queue(self) -> None:
        with self._lock:
            if self._queue is None or self._ended:
                return
            self._ended = True
        self._queue.put(_STOP)

    def __enter__(self) -> ResponseWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else f"from block {self.since_block}"
        scope = f"{len(self._tasks)} tasks" if self.kind == "tasks" else f"{self.kind} {self.value}"
        return f"<ResponseWatcher of {scope} on {self.network.name}, {state}>"

    # ---- selecting (on the subscription's thread) ----------------------------------------------------

    def _on_events(self, events: list[Event]) -> None:
        for ev in self._select(events):
            if self.subscription.closed:
                return
            if self._queue is not None:
                self._queue.put(ev)
            else:
                try:
                    self._on_event(ev)  # type: ignore[misc]
                except Exception:
                    log.exception("an on_event callback of a ResponseWatcher raised; it goes on")

    def _select(self, events: list[Event]) -> list[Event]:
        # what each transaction says about tasks (a confirmation finalizes its own task)
        tx_tasks: dict[str, set[str]] = {}
        for ev in events:
            if isinstance(ev, TaskStatusChanged | ResponseSubmitted | TaskPublished):
                tx_tasks.setdefault(ev.tx_hash, set()).add(ev.task)
        unknown_sources = [
            ev.source
            for ev in events
            if isinstance(ev, TaskPublished) and self.kind == "client"
            and ev.source not in self._sources and ev.source not in self._foreign_sources
        ]  # fmt: skip
        if unknown_sources:
            self._place_sources(list(dict.fromkeys(unknown_sources)))
        out: list[Event] = []
        unplaced: list[str] = []
        for ev in events:
            if isinstance(ev, TaskPublished):
                if ev.source in self._sources:
                    with self._lock:
                        self._tasks.add(ev.task)
                    out.append(ev)
            elif isinstance(ev, ResponseSubmitted | TaskStatusChanged):
                if ev.task in self._tasks:
                    if isinstance(ev, ResponseSubmitted):
                        self._responses[ev.response] = ev.task
                    out.append(ev)
            elif ev.response in self._responses:
                out.append(ev)
            elif ev.response not in self._foreign:
                named = tx_tasks.get(ev.tx_hash, set())
                if len(named) == 1:
                    self._place(ev.response, next(iter(named)))
                    if ev.response in self._responses:
                        out.append(ev)
                else:
                    unplaced.append(ev.response)
                    out.append(ev)  # decided below, after one read
        if unplaced:
            self._read_tasks_of(list(dict.fromkeys(unplaced)))
            out = [
                ev
                for ev in out
                if not isinstance(ev, ResponseStatusChanged) or ev.response in self._responses
            ]
        return self._with_records(out)

    def _place(self, response: str, task: str) -> None:
        if task in self._tasks:
            self._responses[response] = task
        else:
            _remember(self._foreign, response)

    def _place_sources(self, sources: list[str]) -> None:
        rows = self._read(lambda s: s.sources(sources),
                          f"the clients of sources {', '.join(sources)}",
                          "their new tasks")  # fmt: skip
        if rows is None:
            return
        for row in rows:
            if row.flags == OK and row.client == self.value:
                self._sources.add(row.address)
            else:
                _remember(self._foreign_sources, row.address)

    def _read_tasks_of(self, responses: list[str]) -> None:
        got = self._read(lambda s: s.responses(responses),
                         f"the tasks of responses {', '.join(responses)}",
                         "their status changes")  # fmt: skip
        if got is None:
            return
        for address, (_, record) in zip(responses, got, strict=True):
            if record is not None:
                self._place(address, record.task)

    def _read(self, read: Callable[[Session], list[T]], what: str, dropped: str) -> list[T] | None:
        """``read`` on a fresh session; None when it fails, with a warning that ``what`` did not
        read and ``dropped`` are left out."""
        try:
            return read(Session(self.network, "auto"))
        except OgpuWidgetsError as exc:
            log.warning("could not read %s (%s); %s are left out", what, exc, dropped)
            return None

    def _with_records(self, events: list[Event]) -> list[Event]:
        wanted = [e.response for e in events if isinstance(e, ResponseSubmitted) and not e.removed]
        if not wanted:
            return events
        records = _read_records(self.network, wanted)
        return [
            replace(ev, record=records.get(ev.response))
            if isinstance(ev, ResponseSubmitted) and not ev.removed  # a retraction: no record
            else ev
            for ev in events
        ]


def _remember(memory: dict[str, None], key: str) -> None:
    memory[key] = None
    if len(memory) > FOREIGN_MEMORY:
        del memory[next(iter(memory))]


def _read_records(network: Any, responses: list[str], tries: int = 3) -> dict[str, TaskResponse]:
    """The responses as read (a replica that lags may not have them yet: asked again)."""
    found: dict[str, TaskResponse] = {}
    todo = list(dict.fromkeys(responses))
    for attempt in range(tries):
        try:
            got = Session(network, "auto").responses(todo)
        except OgpuWidgetsError as exc:
            got, error = [], exc
        else:
            error = None
        for address, (_, record) in zip(todo, got, strict=False):
            if record is not None:
                found[address] = record
        todo = [a for a in todo if a not in found]
        if not todo:
            break
        if attempt + 1 < tries:
            time.sleep(0.25 * (attempt + 1))
    if todo:
        log.warning("responses %s did not read (%s); their events carry record=None",
                    ", ".join(todo), error or "no response contract yet")  # fmt: skip
    return found


def watch_responses(
    *,
    tasks: Iterable[str] | str | None = None,
    source: str | None = None,
    client: str | None = None,
    network: NetworkLike = None,
    since_block: int | None = None,
    poll_interval: float = POLL_INTERVAL,
    on_event: Callable[[Event], Any] | None = None,
) -> ResponseWatcher:
    """Watch the responses and statuses of the selected tasks as they change on chain.

    Pass exactly one selector, as to :func:`~ogpu_widgets.load_responses`: ``tasks`` (task
    addresses), ``source`` (its tasks, also those published later) or ``client`` (the tasks of
    its sources, also later ones). Returns a :class:`ResponseWatcher`: iterate it for
    :class:`ResponseSubmitted` (with ``record``), :class:`ResponseStatusChanged`
    (``status`` CONFIRMED: a confirmation, wherever it was sent from),
    :class:`TaskStatusChanged` and :class:`TaskPublished` events, or pass ``on_event=``.
    ``since_block``: deliver from that block (default: only what happens from now on).
    ``poll_interval``: seconds between polls of the network's one shared poller. Raises
    ``SelectorError``, ``InvalidAddressError``, ``NotATaskError``/``NotASourceError`` (as
    ``load_responses``) and ``NodeUnavailableError`` before watching anything."""
    kind, value = selector_value(tasks, source, client)
    return ResponseWatcher(
        kind,
        value,
        network=network,
        since_block=since_block,
        poll_interval=poll_interval,
        on_event=on_event,
    )
