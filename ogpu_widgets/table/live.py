"""A live ``ResponseTable``: new responses of the table's scope become new rows, and status
changes (confirmations made anywhere, FIRST_RESPONSE auto-confirmations, task status changes)
patch the rows, while the table is shown (mixed into the widget; it uses the widget's lock,
rows and patches).

The table subscribes to its network's one shared poller (:mod:`ogpu_widgets.live`). The
poller's callback only files the events (no I/O on the poller thread); a short-lived worker
thread reads the new rows with :func:`~ogpu_widgets.read.read_responses` (one read per poll)
and sends them to the front-end as a patch of their own size: the table is never re-sent.
States only move forward (``ogpu_widgets.live.state``): a lagging replica never turns a
confirmed row back into a submitted one. One process-wide ticker thread (running only while
some table is live) reports the poller's health in ``_live_status``. See
``docs/widget-protocol.md``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import OgpuWidgetsError, ResponseTableError
from ..live import poller as live_poller
from ..live.events import ResponseStatusChanged, ResponseSubmitted, TaskPublished, TaskStatusChanged
from ..live.state import forward_changes, newer_response_label, newer_task_label
from ..read import load_responses, read_responses
from ..records import ResponseStatus, TaskResponse, TaskStatus
from . import serialize
from .livescope import TICKER, LiveHealth, Scope, task_response

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["LiveTable"]

#: Columns that change on chain (everything else of a response is fixed once submitted).
MUTABLE = ("status", "confirmed", "task_status")
#: Times a failed read of new rows is tried again (on later ticks) before it is given up.
MAX_RETRIES = 20
#: Seconds between two tries of a failed read.
RETRY_DELAY = 2.0


# ---- the table's side ---------------------------------------------------------------------------


class LiveTable(LiveHealth):
    """The live side of :class:`~ogpu_widgets.table.ResponseTable`."""

    _lock: Any
    _df: pd.DataFrame
    _network: Any
    _selectors: dict[str, Any]
    _snapshot_keys: list[str]
    _appended: list[str]

    # ---- set-up ------------------------------------------------------------------------------

    def _init_live(self, poll_interval: Any) -> None:
        if (
            not isinstance(poll_interval, int | float)
            or isinstance(poll_interval, bool)
            or not 0 < poll_interval <= 3600
        ):
            raise ResponseTableError(
                f"poll_interval={poll_interval!r} is not seconds between 0 and 3600"
            )
        self._poll_interval = float(poll_interval)
        self._sub: Any = None
        self._following = False  # events are taken (set before subscribing: none is lost)
        self._live_lock = threading.Lock()  # guards the queue, retries and worker (never I/O)
        self._live_events: list[Any] = []
        self._live_worker: threading.Thread | None = None
        self._live_ready = False  # the first snapshot is set: events may be applied
        self._live_closed = False
        self._retry: dict[str, int] = {}  # new responses whose read failed → failures
        self._retry_at = 0.0
        self._response_callbacks: list[Callable[[Any], None]] = []
        self._scope: Scope | None = None
        self._updated: float | None = None
        self._health: tuple[int, int] | None = None  # the poller's (polls, errors) last seen
        self._health_state = "connecting"
        self._last_status_sent = 0.0
        self._refreshing = False
        self._refresh_lock = threading.Lock()
        self._live_error = ""
        self._resume_from: int | None = None

    def _live_start(self, df: pd.DataFrame) -> None:
        """The first snapshot is set: learn the scope, then apply what arrived meanwhile."""
        self._scope = Scope.of(self._selectors, df)
        self._updated = time.time()
        self._live_ready = True
        self._send_live_status(force=True)
        self._kick()

    # ---- public ------------------------------------------------------------------------------

    def on_response(self, callback: Callable[[TaskResponse], None]) -> Callable[[Any], None]:
        """Call ``callback(response)`` (a :class:`~ogpu_widgets.records.TaskResponse`) once for
        each new response that appears in the table (live, or found by :meth:`refresh`). It
        runs on a worker thread. Usable as a decorator; returns ``callback``."""
        if not callable(callback):
            raise ResponseTableError(f"on_response needs a callable, not {type(callback).__name__}")
        self._response_callbacks.append(callback)
        return callback

    @property
    def subscription(self) -> Any:
        """The poller subscription while the table is live (None when paused or closed)."""
        return self._sub

    def wait_live(self, timeout: float | None = None) -> bool:
        """Wait until the table has caught up with the chain as it is now: its poller has read
        the node's current block and the events so far are applied. True if it has (False on
        time-out, or when the table is not live)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        sub = self._sub
        target = None
        if sub is not None:
            try:
                head = self._network.client().call("eth_blockNumber")
                target = int(head, 16) if isinstance(head, str) else int(head)
            except (OgpuWidgetsError, ValueError, TypeError) as exc:
                log.debug("wait_live: no head (%s)", exc)
        while True:
            sub = self._sub
            if sub is None:
                return False
            with self._live_lock:
                idle = self._live_worker is None and not self._live_events
            head = sub.poller.head
            if idle and (target is None or (isinstance(head, int) and head >= target)):
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def close(self) -> None:
        """Stop following the chain and close the widget (its views go away)."""
        self._live_closed = True
        if "_sub" in self.__dict__:  # a table whose construction failed never subscribed
            self._unsubscribe()
        super().close()  # type: ignore[misc]

    # ---- subscribing ---------------------------------------------------------------------------

    def _on_live(self, change: dict[str, Any]) -> None:
        if self._live_closed:
            if change["new"]:
                self.live = False  # type: ignore[attr-defined]
            return
        if change["new"]:
            self._subscribe()
        else:
            self._unsubscribe()
        self._send_live_status(force=True)

    def _subscribe(self) -> None:
        if self._sub is not None or self._live_closed:
            return
        ref = weakref.ref(self)

        def callback(events: list[Any]) -> None:
            table = ref()
            if table is not None:
                table._on_poll(events)

        self._following = True
        try:
            sub = live_poller.subscribe(
                self._network,
                callback,
                since_block=self._resume_from,
                poll_interval=self._poll_interval,
            )
        except OgpuWidgetsError as exc:
            self._following = False
            self._live_error = str(exc)
            log.warning("the table cannot follow the chain: %s", exc)
            return
        self._live_error = ""
        self._resume_from = None
        self._health = None
        self._health_state = "connecting"
        self._sub = sub
        TICKER.add(self)

    def _unsubscribe(self) -> None:
        self._following = False
        sub, self._sub = self._sub, None
        if sub is not None:
            # resuming reads the blocks missed while paused (the poller pages through them)
            head = getattr(sub.poller, "head", None)
            if isinstance(head, int) and not self._live_closed:
                self._resume_from = head + 1
            try:
                sub.close()
            except Exception:
                log.exception("closing the table's subscription failed")
        TICKER.remove(self)
        with self._live_lock:
            self._live_events.clear()

    # ---- the poller thread: file the events, nothing else ------------------------------------

    def _on_poll(self, events: list[Any]) -> None:
        if not self._following or not events:
            return
        with self._live_lock:
            self._live_events.extend(events)
        self._kick()

    def _kick(self, retry: bool = False) -> None:
        """Start the worker if there is work and none runs (and the snapshot is set)."""
        with self._live_lock:
            if not self._live_ready or self._live_closed or self._live_worker is not None:
                return
            if not self._live_events and not (retry and self._retry):
                return
            self._live_worker = threading.Thread(
                target=self._work, args=(retry,), name="ogpu-table-live", daemon=True
            )
            self._live_worker.start()

    def _work(self, retry: bool) -> None:
        while True:
            with self._live_lock:
                events, self._live_events = self._live_events, []
                again = list(self._retry) if retry or events else []
                retry = False
                if not events and not again:
                    self._live_worker = None
                    return
            try:
                self._apply(events, again)
            except Exception:
                log.exception("applying chain events to the table failed")

    # ---- applying events ---------------------------------------------------------------------

    def _apply(self, events: list[Any], retry: list[str]) -> None:
        """One poll's events, in chain order: new rows first (one read), then statuses."""
        scope = self._scope
        if self._live_closed or scope is None:
            return
        new: list[str] = []
        task_statuses: dict[str, str] = {}
        response_statuses: dict[str, str] = {}
        reread: set[str] = set()
        with self._lock:
            known = self._df.index
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
                        reread.add(str(self._df.at[ev.response, "task"]))
                    if status == "confirmed":  # its transaction, for the row's history
                        self._history_seen(ev.response, ev.tx_hash, ev.block)  # type: ignore[attr-defined]
                elif isinstance(ev, TaskStatusChanged):
                    status = TaskStatus(ev.status).label
                    task_statuses[ev.task] = newer_task_label(
                        task_statuses.get(ev.task, status), status
                    )
            new = list(dict.fromkeys(new + [a for a in retry if a not in known]))
            siblings = (
                [a for a in known[self._df["task"].isin(list(reread))] if a not in new]
                if reread
                else []
            )
        fresh = self._read(new, siblings)
        added: list[str] = []
        with self._lock:
            if self._live_closed:
                return
            changes: dict[str, dict[str, Any]] = {}
            if fresh is not None and len(fresh):
                candidates = fresh[fresh.index.isin(new)]
                keep = set(scope.learn(candidates))
                rows = candidates[
                    candidates.index.isin(list(keep)) & ~candidates.index.isin(self._df.index)
                ]
                # what was read is the truth at its block, applied forward only
                for a in fresh.index.intersection(self._df.index):
                    self._merge(changes, a, {c: fresh.at[a, c] for c in MUTABLE})
                if len(rows):
                    added = list(rows.index)
                    self._append_rows(rows)
                    by_task = dict(zip(rows["task"], rows["task_status"], strict=True))
                    for t, s in by_task.items():
                        for a in self._df.index[self._df["task"] == t]:
                            if a not in added:
                                self._merge(changes, a, {"task_status": str(s)})
            for response, status in response_statuses.items():
                if response not in self._df.index:
                    continue
                fields: dict[str, Any] = {"status": status}
                if status == "confirmed":  # the contract finalizes the task in the same call
                    fields["confirmed"] = True
                    task = self._df.at[response, "task"]
                    for a in self._df.index[self._df["task"] == task]:
                        self._merge(changes, a, {"task_status": "finalized"})
                self._merge(changes, response, fields)
                if status == "confirmed":
                    history = self._history_take(response)  # type: ignore[attr-defined]
                    if history:
                        changes.setdefault(response, {}).update(history)
            for task, status in task_statuses.items():
                for a in self._df.index[self._df["task"] == task]:
                    self._merge(changes, a, {"task_status": status})
            if changes:
                self._patch_changes(changes)
            if added or changes:
                self._updated = time.time()
        if added or changes:
            self._send_live_status(force=True)
        self._announce(added)

    def _merge(self, changes: dict[str, dict[str, Any]], address: str, new: dict[str, Any]) -> None:
        """Add the forward moves of ``new`` for row ``address`` to ``changes`` (under the lock)."""
        current = {c: self._df.at[address, c] for c in MUTABLE}
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
            fresh = read_responses(wanted, network=self._network)
        except OgpuWidgetsError as exc:  # a lagging replica, the node down: try again later
            log.debug("reading %d rows failed: %s", len(wanted), exc)
            with self._live_lock:
                for a in new:
                    n = self._retry.get(a, 0) + 1
                    if n > MAX_RETRIES:
                        self._retry.pop(a, None)
                        log.warning("giving up reading response %s: %s", a, exc)
                    else:
                        self._retry[a] = n
                self._retry_at = time.monotonic() + RETRY_DELAY
            return None
        with self._live_lock:
            for a in new:
                self._retry.pop(a, None)
        return fresh

    def _announce(self, added: list[str]) -> None:
        if not added or not self._response_callbacks:
            return
        with self._lock:
            rows = [(a, self._df.loc[a]) for a in added if a in self._df.index]
        for a, row in rows:
            response = task_response(a, row)
            for cb in list(self._response_callbacks):
                try:
                    cb(response)
                except Exception:  # a user's callback must not break the table
                    log.exception("on_response callback failed")

    # ---- rows ----------------------------------------------------------------------------------

    def _append_rows(self, rows: pd.DataFrame) -> None:
        """Add ``rows`` (not in the table yet) at the end and send them, with their verdicts,
        as one ``_patch`` whose ``append`` holds just these rows (under the lock)."""
        if len(self._df):
            rows = rows.reindex(columns=self._df.columns)
            df = pd.concat([self._df, rows])
            for c in ("status", "task_status", "delivery_method"):  # keep the categoricals
                dtype = self._df[c].dtype
                if isinstance(dtype, pd.CategoricalDtype) and df[c].dtype != dtype:
                    df[c] = df[c].astype(dtype)
        else:
            df = serialize.checked_frame(rows)
        self._df = df
        rows = df.loc[rows.index]
        start = len(self._snapshot_keys)
        self._snapshot_keys.extend(rows.index)
        self._appended.extend(rows.index)
        can_confirm, reasons = self._controls(rows)  # type: ignore[attr-defined]
        payload = serialize.snapshot(rows, can_confirm, reasons)
        self._patch_rows({}, append={"start": start, "rows": payload, "new": True})  # type: ignore[attr-defined]

    def _appended_payload(self) -> dict[str, Any] | None:
        """Every row added since the snapshot, as one ``append`` (for a resync; under the lock)."""
        if not self._appended:
            return None
        rows = self._df.loc[self._appended]
        can_confirm, reasons = self._controls(rows)  # type: ignore[attr-defined]
        return {
            "start": len(self._snapshot_keys) - len(self._appended),
            "rows": serialize.snapshot(rows, can_confirm, reasons),
            "new": False,
        }

    def _patch_changes(self, changes: dict[str, dict[str, Any]]) -> None:
        """Patch ``changes`` and the verdicts of every row of the tasks they touch, as one
        patch (under the lock)."""
        tasks = {self._df.at[a, "task"] for a in changes if a in self._df.index}
        rows = self._df[self._df["task"].isin(list(tasks))].copy()
        for a, fields in changes.items():
            for k, v in fields.items():
                if a in rows.index and k in rows.columns:
                    rows.loc[a, k] = v
        can_confirm, reasons = self._controls(rows)  # type: ignore[attr-defined]
        patch = {
            a: {**changes.get(a, {}), "can_confirm": bool(ok), "reason": str(why)}
            for a, ok, why in zip(rows.index, can_confirm, reasons, strict=True)
        }
        self._patch_rows(patch)  # type: ignore[attr-defined]

    # ---- refresh ---------------------------------------------------------------------------------

    def _read_scope(self) -> pd.DataFrame:
        if self._selectors:
            return load_responses(**self._selectors, network=self._network, progress=False)
        scope = self._scope
        tasks = scope.refresh_tasks() if scope is not None else []
        if tasks:
            return load_responses(tasks=tasks, network=self._network, progress=False)
        with self._lock:
            keys = list(self._df.index)
        return read_responses(keys, network=self._network)

    def _refresh(self) -> None:
        with self._refresh_lock:
            self._refreshing = True
            self._send_live_status(force=True)
            try:
                df = self._read_scope()
                with self._lock:
                    old = self._df
                    added = [a for a in df.index if a not in old.index]
                    df = df.copy()
                    for a in df.index.intersection(old.index):
                        # states only move forward, whatever the replica answered
                        read = {c: df.at[a, c] for c in MUTABLE}
                        shown = {c: old.at[a, c] for c in MUTABLE}
                        for c, v in forward_changes(read, shown).items():
                            df.loc[a, c] = v
                    self._set_snapshot(df)  # type: ignore[attr-defined]
                    if self._scope is not None:
                        self._scope.learn(df)
                    self._updated = time.time()
            finally:
                self._refreshing = False
                self._send_live_status(force=True)
        self._announce(added)

    def _refresh_from_front_end(self) -> None:
        try:
            self._refresh()
        except OgpuWidgetsError as exc:
            self._set_banner(f"Refreshing the table failed: {exc}")  # type: ignore[attr-defined]
        except Exception as exc:
            log.exception("refreshing the table failed unexpectedly")
            self._set_banner(  # type: ignore[attr-defined]
                f"Refreshing the table failed unexpectedly ({type(exc).__name__}); see the log"
            )
