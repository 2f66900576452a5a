"""What a live ``ResponseTable`` keeps beside its rows: the scope (which tasks are the
table's, including tasks published later), the forward-only merge of row states, and the one
process-wide ticker that reports the pollers' health to every live table."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..chain.codec import checksummed, to_address
from ..records import TaskResponse

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["TICKER", "LiveHealth", "Scope", "task_response"]

#: ``_live_status["updated"]`` is re-sent at most this often while nothing else changes (the
#: front-end counts the seconds itself).
HEARTBEAT = 5.0
#: Seconds between two looks of the ticker at the pollers' health.
TICK = 0.5


def task_response(address: str, row: pd.Series) -> TaskResponse:
    """A row of the table as the SDK-shaped :class:`~ogpu_widgets.records.TaskResponse`."""
    ts = row["timestamp"]
    return TaskResponse(
        address=address,
        task=str(row["task"]),
        provider=str(row["provider"]),
        data=str(row["data"]),
        payment=int(row["payment"]),
        status=str(row["status"]),
        confirmed=bool(row["confirmed"]),
        timestamp=int(ts.timestamp()) if isinstance(ts, pd.Timestamp) else int(ts or 0),
    )


# ---- the scope ----------------------------------------------------------------------------------


class Scope:
    """Which tasks' responses belong in a table: the tasks it was built for (``tasks=``, or
    the tasks of a DataFrame), or every task of a source or of a client's sources, including
    tasks published later (learnt from ``TaskPublished`` events and from the rows read)."""

    def __init__(
        self,
        *,
        tasks: Iterable[str] = (),
        source: str | None = None,
        client: str | None = None,
    ) -> None:
        self.source = to_address(source, "source") if source else None
        self.client = to_address(client, "client") if client else None
        self.fixed = self.source is None and self.client is None
        self.tasks: set[str] = set(checksummed(list(tasks), "task"))  # vectorized
        self.outside: set[str] = set()
        #: for a client scope: its sources, and sources known to be someone else's
        self.sources: set[str] = set()
        self.foreign: set[str] = set()

    @classmethod
    def of(cls, selectors: dict[str, Any], df: pd.DataFrame) -> Scope:
        if "source" in selectors:
            scope = cls(source=selectors["source"])
        elif "client" in selectors:
            scope = cls(client=selectors["client"])
        elif "tasks" in selectors:
            tasks = selectors["tasks"]
            scope = cls(tasks=[tasks] if isinstance(tasks, str) else list(tasks))
        else:
            scope = cls(tasks=df["task"].unique().tolist() if len(df) else [])
        if not scope.fixed:  # a fixed scope learns nothing from rows (and 100k rows cost 0.1 s)
            scope.learn(df)
        return scope

    def contains(self, task: str) -> bool | None:
        """True/False when known; None when the task must be read to tell."""
        if task in self.tasks:
            return True
        if self.fixed or task in self.outside:
            return False
        return None

    def published(self, task: str, source: str) -> None:
        """A ``TaskPublished`` event."""
        if self.fixed or task in self.tasks:
            return
        if self.source is not None:
            (self.tasks if source == self.source else self.outside).add(task)
        elif source in self.sources:
            self.tasks.add(task)
        elif source in self.foreign:
            self.outside.add(task)

    def learn(self, df: pd.DataFrame) -> list[str]:
        """Learn from rows read (their tasks' source and client); the addresses of the rows
        that belong in the table."""
        if not len(df):
            return []
        if self.fixed:  # whole columns at once: no Python loop over Arrow strings
            return df.index[df["task"].isin(list(self.tasks)).to_numpy(dtype=bool)].tolist()
        keep = []
        columns = (df.index, df["task"], df["source"], df["client"])
        for a, task, source, client in zip(
            *(c.to_numpy(dtype=object) for c in columns), strict=True
        ):
            if self.source is not None:
                inside = source == self.source
            else:
                inside = client == self.client
                (self.sources if inside else self.foreign).add(str(source))
            (self.tasks if inside else self.outside).add(str(task))
            if inside:
                keep.append(a)
        return keep

    def refresh_tasks(self) -> list[str]:
        return sorted(self.tasks)


# ---- one ticker for every live table of the process --------------------------------------------


class _Ticker:
    """A daemon thread, alive only while some table is live, that asks each live table to look
    at its poller's health (and retry failed reads) every :data:`TICK` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: weakref.WeakSet[Any] = weakref.WeakSet()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def add(self, table: Any) -> None:
        with self._lock:
            self._tables.add(table)
            if self._thread is None:
                self._wake.clear()
                self._thread = threading.Thread(
                    target=self._run, name="ogpu-table-live-ticker", daemon=True
                )
                self._thread.start()

    def remove(self, table: Any) -> None:
        with self._lock:
            self._tables.discard(table)
            thread = self._thread if not self._tables else None
            if thread is not None:
                self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def _run(self) -> None:
        while True:
            with self._lock:
                tables = list(self._tables)
                if not tables:
                    self._thread = None
                    return
            for t in tables:
                try:
                    t._live_tick()
                except Exception:  # one table's bug must not stop the others
                    log.exception("live table tick failed")
            self._wake.wait(TICK)
            self._wake.clear()


TICKER = _Ticker()


class LiveHealth:
    """The health half of a live table (mixed into it): what ``_live_status`` says."""

    _retry: Any
    _retry_at: float
    _sub: Any
    _health: Any
    _health_state: str
    _updated: Any
    _live_error: Any
    _live_ready: bool
    _refreshing: bool
    _poll_interval: float
    _last_status_sent: float

    def _live_tick(self) -> None:
        """Called by the ticker: retry failed reads, report the poller's health."""
        if self._retry and time.monotonic() >= self._retry_at:
            self._kick(retry=True)
        self._send_live_status()

    def _live_state(self) -> tuple[str, str, int | None]:
        """(state, error, head block) for ``_live_status``."""
        if not self.live:  # type: ignore[attr-defined]
            return "paused", "", None
        sub = self._sub
        if sub is None:
            return "off", self._live_error or "not following the chain", None
        poller = sub.poller
        polls, errors = int(poller.polls), int(poller.errors)
        seen = self._health
        if seen is None:  # just subscribed: the polls so far were for others; wait for the next
            self._health = (polls, errors)
        elif polls > seen[0]:
            good = (polls - seen[0]) > (errors - seen[1])
            self._health_state = "live" if good else "reconnecting"
            if good:
                self._updated = max(self._updated or 0.0, _wall(poller.last_poll))
            self._health = (polls, errors)
        head = poller.head if isinstance(poller.head, int) else None
        if self._health_state == "reconnecting":
            return "reconnecting", _short(poller.last_error or "the node does not answer"), head
        return self._health_state, "", head

    def _send_live_status(self, force: bool = False) -> None:
        if not self._live_ready:
            return
        state, error, head = self._live_state()
        value = {
            "state": state,
            "updated": self._updated,
            "error": error,
            "block": head,
            "refreshing": self._refreshing,
            "interval": self._poll_interval,
        }
        old = dict(self._live_status)  # type: ignore[attr-defined]
        if old == value:
            return
        now = time.monotonic()
        only_time = {k: v for k, v in old.items() if k != "updated"} == {
            k: v for k, v in value.items() if k != "updated"
        }
        if only_time and not force and now - self._last_status_sent < HEARTBEAT:
            return  # the front-end counts the seconds since "updated" itself
        self._last_status_sent = now
        self._live_status = value  # type: ignore[attr-defined]


def _wall(t: float) -> float:
    """A poller's ``time.monotonic()`` as unix seconds."""
    return time.time() - max(0.0, time.monotonic() - float(t))


def _short(error: Any) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:199] + "…"
