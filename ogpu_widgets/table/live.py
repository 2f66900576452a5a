"""The live feed of a ``ResponseTable``: new responses of the table's scope become new rows, and
status changes (confirmations made anywhere, FIRST_RESPONSE auto-confirmations, task status
changes) patch the rows, while the table is shown.

The feed subscribes to its network's one shared poller (:mod:`ogpu_widgets.live`). The
subscription's callback only files the events (no I/O on its thread); the feed's one worker
(:class:`~.threads.Serial`) reads the new rows with :func:`~ogpu_widgets.read.read_responses`
(one read per poll) and sends them to the front-end as a patch of their own size: the table is
never re-sent. States only move forward (``ogpu_widgets.live.state``): a lagging replica never
turns a confirmed row back into a submitted one; a reorg does (:mod:`.reorgs`). The poller
reports its own health after every poll (``on_health``), which :class:`~.livestatus.LiveStatus`
turns into ``_live_status`` (also ``error`` when the subscription ends by itself: Pause and
Resume subscribe again); a refresh runs on a serial worker too (at most one running and one
queued). See ``docs/widget-protocol.md``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import OgpuWidgetsError, ResponseTableError
from ..live import registry
from ..live.events import ResponseStatusChanged, ResponseSubmitted, TaskPublished, TaskStatusChanged
from ..live.state import forward_changes, newer_response_label, newer_task_label
from ..live.subscription import Health, Subscription, seconds_problem
from ..read import load_responses, read_responses
from ..records import ResponseStatus, TaskResponse, TaskStatus
from .livescope import Scope, task_response
from .livestatus import LiveStatus
from .reorgs import Reorgs
from .threads import Serial

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["MAX_RETRIES", "MUTABLE", "RETRY_DELAY", "LiveFeed", "forward_changes"]

#: Columns that change on chain (everything else of a response is fixed once submitted).
MUTABLE = ("status", "confirmed", "task_status")
#: Times a failed read of new rows is tried again (on later polls) before it is given up.
MAX_RETRIES = 20
#: Seconds between two tries of a failed read.
RETRY_DELAY = 2.0


class LiveFeed:
    """The live part of one table (see the module's docstring)."""

    def __init__(self, core: TableCore, selectors: dict[str, Any], poll_interval: Any) -> None:
        if (problem := seconds_problem(poll_interval, "poll_interval")) is not None:
            raise ResponseTableError(problem)
        self.core = core
        self.selectors = selectors
        self.interval = float(poll_interval)
        self.sub: Subscription | None = None
        self.following = False  # events are taken (set before subscribing: none is lost)
        self._lock = threading.Lock()  # guards the queue and retries (never I/O)
        self.events: list[Any] = []
        self.ready = False  # the first snapshot is set: events may be applied
        self.closed = False
        self.retry: dict[str, int] = {}  # new responses whose read failed → failures
        self.retry_at = 0.0
        self._retry_due = False
        self.callbacks: list[Callable[[TaskResponse], None]] = []
        self.scope: Scope | None = None
        self.resume_from: int | None = None
        self.status = LiveStatus(core, self)
        self.worker = Serial(core.threads, "ogpu-table-live", self._work)
        self.refresher = Serial(core.threads, "ogpu-table-refresh", self._refresh_from_front_end)
        self.refresh_lock = threading.Lock()
        self.reorgs = Reorgs(core)

    def start(self, df: pd.DataFrame) -> None:
        """The first snapshot is set: learn the scope, then apply what arrived meanwhile."""
        self.scope = Scope.of(self.selectors, df)
        self.status.touched()
        self.ready = True
        self.status.send(force=True)
        self.kick()

    def wait_live(self, timeout: float | None = None) -> bool:
        """See ``ResponseTable.wait_live`` (which checked ``timeout``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        target = None
        if self.sub is not None:
            try:
                head = self.core.network.client().call("eth_blockNumber")
                target = int(head, 16) if isinstance(head, str) else int(head)
            except (OgpuWidgetsError, ValueError, TypeError) as exc:
                log.debug("wait_live: no head (%s)", exc)
        while True:
            sub = self.sub
            if sub is None or sub.error is not None:  # not live, or no longer
                return False
            with self._lock:
                idle = not self.worker.running and not self.events
            head = sub.poller.head
            if idle and (target is None or (isinstance(head, int) and head >= target)):
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def close(self) -> None:
        self.closed = True
        self.unsubscribe()

    # ---- subscribing ---------------------------------------------------------------------------

    def set_live(self, on: bool) -> None:
        """The ``live`` trait changed (from Python or the front-end)."""
        if self.closed:
            if on:
                self.core.view.live = False
            return
        if on:
            self.subscribe()
        else:
            self.unsubscribe()
        self.status.send(force=True)

    def subscribe(self) -> None:
        if self.sub is not None or self.closed:
            return
        ref = weakref.ref(self)

        def relay(method: str) -> Callable[[Any], None]:  # the subscription keeps no feed alive
            return lambda arg: None if (feed := ref()) is None else getattr(feed, method)(arg)

        self.following = True
        self.status.subscribing()
        try:
            sub = registry.subscribe(
                self.core.network, relay("_on_poll"), since_block=self.resume_from,
                poll_interval=self.interval, on_health=relay("_on_health"),
                on_end=relay("_on_end"),
            )  # fmt: skip
        except OgpuWidgetsError as exc:
            self.following = False
            self.status.error = str(exc)
            log.warning("the table cannot follow the chain: %s", exc)
            return
        self.status.error = ""
        self.resume_from = None
        self.sub = sub

    def unsubscribe(self) -> None:
        self.following = False
        sub, self.sub = self.sub, None
        if sub is not None:
            # resuming reads the blocks missed while paused (the poller pages through them),
            # or those of a subscription that ended by itself
            head, lost = sub.poller.head, getattr(sub.error, "since_block", None)
            self.reorgs.paused(head, sub.poller.forks.hashes)
            if isinstance(lost, int) and not self.closed:
                self.resume_from = lost
            elif isinstance(head, int) and not self.closed:
                self.resume_from = head + 1
            try:
                sub.close()
            except Exception:
                log.exception("closing the table's subscription failed")
        with self._lock:
            self.events.clear()

    # ---- the subscription's thread: file the events and the health, nothing else ------------

    def _on_poll(self, events: list[Any]) -> None:
        if not self.following or not events:
            return
        with self._lock:
            self.events.extend(events)
        self.kick()

    def _on_health(self, health: Health) -> None:
        if not self.following:
            return
        if self.retry and time.monotonic() >= self.retry_at:
            self.kick(retry=True)
        self.status.polled(health)

    def _on_end(self, error: Any) -> None:  # the subscription ended by itself: say so
        self.status.send(force=True)

    def kick(self, retry: bool = False) -> None:
        """Start the worker if there is work (and the snapshot is set)."""
        with self._lock:
            if not self.ready or self.closed:
                return
            self._retry_due = self._retry_due or retry
            if not self.events and not (self._retry_due and self.retry):
                return
        self.worker.kick()

    def _work(self) -> None:
        while True:
            with self._lock:
                events, self.events = self.events, []
                again = list(self.retry) if self._retry_due or events else []
                self._retry_due = False
                if not events and not again:
                    return
            try:
                self.apply(events, again)
            except Exception:
                log.exception("applying chain events to the table failed")

    # ---- applying events ---------------------------------------------------------------------

    def apply(self, events: list[Any], retry: list[str]) -> None:
        """One poll's events, in chain order: new rows first (one read), then statuses."""
        scope = self.scope
        if self.closed or scope is None:
            return
        new: list[str] = []
        task_statuses: dict[str, str] = {}
        response_statuses: dict[str, str] = {}
        reread: set[str] = set()
        with self.core.lock:
            events = self.reorgs.file(events)  # retractions: their tasks are read again
        undone = self.reorgs.take()
        with self.core.lock:
            known = self.core.df.index
            for ev in events:
                if isinstance(ev, TaskPublished):
                    scope.published(ev.task, ev.source)
                elif isinstance(ev, ResponseSubmitted):
                    if ev.response not in known and scope.contains(ev.task) is not False:
                        new.append(ev.response)
                elif isinstance(ev, ResponseStatusChanged):
                    status = ResponseStatus(ev.status).label
                    before = response_statuses.get(ev.response, status)
                    response_statuses[ev.response] = newer_response_label(before, status)
                    if status == "confirmed" and ev.response in known:
                        reread.add(str(self.core.df.at[ev.response, "task"]))
                    if status == "confirmed":  # its transaction, for the row's history
                        self.core.history.seen(ev.response, ev.tx_hash, ev.block)
                elif isinstance(ev, TaskStatusChanged):
                    status = TaskStatus(ev.status).label
                    task_statuses[ev.task] = newer_task_label(
                        task_statuses.get(ev.task, status), status
                    )
            new = list(dict.fromkeys(new + [a for a in retry if a not in known]))
            siblings = [a for a in known[self.core.df["task"].isin(list(reread))] if a not in new]
            siblings += [a for a in undone if a not in new and a not in siblings]
        fresh = self._read(new, siblings)
        added: list[str] = []
        with self.core.lock:
            if self.closed:
                return
            changes: dict[str, dict[str, Any]] = {}
            if fresh is not None and len(fresh):
                candidates = fresh[fresh.index.isin(new)]
                keep = set(scope.learn(candidates))
                rows = candidates[
                    candidates.index.isin(list(keep)) & ~candidates.index.isin(self.core.df.index)
                ]
                # what was read is the truth at its block, applied forward only
                for a in fresh.index.intersection(self.core.df.index):
                    self._merge(changes, a, {c: fresh.at[a, c] for c in MUTABLE})
                if len(rows):
                    added = list(rows.index)
                    self.core.append_rows(rows)
                    by_task = dict(zip(rows["task"], rows["task_status"], strict=True))
                    for t, s in by_task.items():
                        for a in self.core.df.index[self.core.df["task"] == t]:
                            if a not in added:
                                self._merge(changes, a, {"task_status": str(s)})
            self.reorgs.apply(changes, fresh, undone)  # the one backward move
            for response, status in response_statuses.items():
                if response not in self.core.df.index:
                    continue
                fields: dict[str, Any] = {"status": status}
                if status == "confirmed":  # the contract finalizes the task in the same call
                    fields["confirmed"] = True
                    task = self.core.df.at[response, "task"]
                    for a in self.core.df.index[self.core.df["task"] == task]:
                        self._merge(changes, a, {"task_status": "finalized"})
                self._merge(changes, response, fields)
                if status == "confirmed":
                    history = self.core.history.take(response)
                    if history:
                        changes.setdefault(response, {}).update(history)
            for task, status in task_statuses.items():
                for a in self.core.df.index[self.core.df["task"] == task]:
                    self._merge(changes, a, {"task_status": status})
            if changes:
                self.core.patch_changes(changes)
            if added or changes:
                self.status.touched()
        if added or changes:
            self.status.send(force=True)
        self._announce(added)

    def _merge(self, changes: dict[str, dict[str, Any]], address: str, new: dict[str, Any]) -> None:
        """Add the forward moves of ``new`` for row ``address`` to ``changes`` (under the lock)."""
        current = {c: self.core.df.at[address, c] for c in MUTABLE}
        current.update(changes.get(address, {}))
        moved = forward_changes(current, new)
        if moved:
            changes.setdefault(address, {}).update(moved)

    def _read(self, new: list[str], siblings: list[str]) -> pd.DataFrame | None:
        """The rows of the ``new`` and ``siblings`` responses in one read; None when it failed
        (the new ones are tried again on a later tick)."""
        wanted = list(dict.fromkeys(new + siblings))
        if not wanted:
            return None
        try:
            fresh = read_responses(wanted, network=self.core.network)
        except OgpuWidgetsError as exc:  # a lagging replica, the node down: try again later
            log.debug("reading %d rows failed: %s", len(wanted), exc)
            with self._lock:
                for a in new:
                    n = self.retry.get(a, 0) + 1
                    if n > MAX_RETRIES:
                        self.retry.pop(a, None)
                        log.warning("giving up reading response %s: %s", a, exc)
                    else:
                        self.retry[a] = n
                self.retry_at = time.monotonic() + RETRY_DELAY
            return None
        with self._lock:
            for a in new:
                self.retry.pop(a, None)
        return fresh

    def _announce(self, added: list[str]) -> None:
        if not added or not self.callbacks:
            return
        with self.core.lock:
            rows = [(a, self.core.df.loc[a]) for a in added if a in self.core.df.index]
        for a, row in rows:
            response = task_response(a, row)
            for cb in list(self.callbacks):
                try:
                    cb(response)
                except Exception:  # a user's callback must not break the table
                    log.exception("on_response callback failed")

    # ---- refresh ---------------------------------------------------------------------------------

    def read_scope(self) -> pd.DataFrame:
        if self.selectors:
            return load_responses(**self.selectors, network=self.core.network, progress=False)
        scope = self.scope
        tasks = scope.refresh_tasks() if scope is not None else []
        if tasks:
            return load_responses(tasks=tasks, network=self.core.network, progress=False)
        with self.core.lock:
            keys = list(self.core.df.index)
        return read_responses(keys, network=self.core.network)

    def refresh(self) -> None:
        with self.refresh_lock:
            self.status.refreshing = True
            self.status.send(force=True)
            try:
                with self.core.lock:
                    keys = list(self.core.df.index)
                back = self.reorgs.for_refresh(keys)  # re-checks confirmations: off the lock
                at = self.reorgs.head_block()  # the read below is at least as new
                df = self.read_scope()
                with self.core.lock:
                    old = self.core.df
                    added = [a for a in df.index if a not in old.index]
                    df = self.reorgs.refreshed(old, df, back)
                    self.reorgs.read_at = at or self.reorgs.read_at
                    self.core.set_snapshot(df)
                    self.reorgs.remark(df.index)
                    if self.scope is not None:
                        self.scope.learn(df)
                    self.status.touched()
            finally:
                self.status.refreshing = False
                self.status.send(force=True)
        self._announce(added)

    def _refresh_from_front_end(self) -> None:
        """The toolbar's Refresh (on the refresher: at most one running and one queued)."""
        try:
            self.refresh()
        except OgpuWidgetsError as exc:
            self.core.set_banner(f"Refreshing the table failed: {exc}")
        except Exception as exc:
            log.exception("refreshing the table failed unexpectedly")
            self.core.set_banner(
                f"Refreshing the table failed unexpectedly ({type(exc).__name__}); see the log"
            )
