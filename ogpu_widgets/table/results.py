"""The results behind the rows of a ``ResponseTable``: fetched in the kernel after the table has
painted, on demand for the rows the front-end shows (small tables: every row), on a bounded pool
of worker threads through :func:`ogpu_widgets.results.fetch_results`, cached by response
address, and sent to the front-end as row patches (``result_preview``, ``result_state``,
``result_kind``) and, for the detail and compare views, as ``{"type": "result"}`` answers.

Nothing here runs network I/O on the comm thread: the message handlers only queue work.
See ``docs/widget-protocol.md``."""

from __future__ import annotations

import importlib
import logging
import math
import threading
import time
from collections import OrderedDict
from typing import Any

import pandas as pd

from ..chain.codec import to_address
from ..errors import OgpuWidgetsError
from . import protocol
from .preview import (
    MAX_IMAGE,
    MAX_PREVIEW,
    MAX_TEXT,
    Result,
    _cut,
    detail_message,
    error_answer,
    from_row,
    image_info,
    preview,
    result_state,
)

log = logging.getLogger("ogpu_widgets.table")

__all__ = [
    "MAX_ADDRESSES",
    "MAX_IMAGE",
    "MAX_PREVIEW",
    "MAX_TEXT",
    "PREFETCH_ALL",
    "RESULT_COLUMNS",
    "Result",
    "TableResults",
    "detail_message",
    "image_info",
    "preview",
    "result_state",
]

#: The columns of ``fetch_results`` (and of ``load_responses(..., results=True)``).
_FRAME_COLUMNS = ("result", "result_kind", "result_cid", "result_verified", "result_error",
                  "result_size")  # fmt: skip

#: The control columns of a row's result (patches only; see docs/widget-protocol.md).
RESULT_COLUMNS = ("result_preview", "result_state", "result_kind")
#: Most addresses one ``{"type": "results"}`` message may ask for (the rest are ignored).
MAX_ADDRESSES = 500
#: Tables with at most this many rows fetch every result after the first paint.
PREFETCH_ALL = 200
#: Worker threads fetching results for one table.
WORKERS = 4
#: Most addresses one worker fetches in one call.
BATCH = 16
#: Most addresses waiting to be fetched (the oldest requests are dropped first; the front-end
#: asks again for rows it still shows).
MAX_PENDING = 5_000
#: Bytes of result values kept in memory per table (least recently used first out; previews
#: stay, and a value that left memory is fetched again, from the on-disk cache, when asked).
MEMORY_BUDGET = 64_000_000


# ---- the table's side --------------------------------------------------------------------------


class TableResults:
    """The results side of :class:`~ogpu_widgets.table.ResponseTable` (mixed into the widget;
    it uses the widget's lock, rows and patches)."""

    _lock: Any
    _df: Any
    _network: Any
    _results_on: bool
    _gateway: str | None

    def _init_results(self, enabled: bool, gateway: str | None) -> None:
        self._results_on = enabled
        self._gateway = gateway
        #: address → Result without its value once evicted (preview, state, kind stay).
        self._result_meta: dict[str, Result] = {}
        #: address → Result with its value, least recently used first.
        self._result_values: OrderedDict[str, Result] = OrderedDict()
        self._result_weight = 0
        #: addresses to fetch; the last is fetched first.
        self._result_pending: OrderedDict[str, None] = OrderedDict()
        self._result_inflight: set[str] = set()
        self._result_waiters: dict[str, list[str]] = {}
        self._result_workers = 0
        self._result_threads: list[threading.Thread] = []
        self._results_asked = False

    # ---- public ------------------------------------------------------------------------------

    @property
    def results(self) -> pd.DataFrame:
        """The results fetched so far, indexed by response address: ``result`` (while kept in
        memory), ``result_kind``, ``result_cid``, ``result_verified``, ``result_error``,
        ``result_size``, and the row's ``result_state`` and ``result_preview``."""
        with self._lock:
            rows = {
                a: {
                    "result": self._result_values[a].value if a in self._result_values else None,
                    "result_kind": r.kind,
                    "result_cid": r.cid,
                    "result_verified": pd.NA if r.verified is None else r.verified,
                    "result_error": r.error,
                    "result_size": r.size,
                    "result_state": r.state,
                    "result_preview": r.preview,
                }
                for a, r in self._result_meta.items()
            }
        cols = ["result", "result_kind", "result_cid", "result_verified", "result_error",
                "result_size", "result_state", "result_preview"]  # fmt: skip
        df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
        df.index.name = "address"
        df["result_verified"] = df["result_verified"].astype("boolean")
        df["result_size"] = df["result_size"].astype("int64")
        return df

    def wait_results(self, timeout: float | None = None) -> bool:
        """Wait until no result is queued or being fetched; True if none is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                idle = not self._result_pending and not self._result_inflight
            if idle:
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    # ---- snapshot ----------------------------------------------------------------------------

    def _results_from_frame(self, df: pd.DataFrame) -> None:
        """Keep the results a ``load_responses(..., results=True)`` frame already holds."""
        if "result_kind" not in df.columns:
            return
        cols = [c for c in _FRAME_COLUMNS if c in df.columns]
        for address, rec in df[cols].to_dict("index").items():
            kind = rec.get("result_kind")
            if address in self._result_meta or not isinstance(kind, str) or not kind:
                continue
            self._remember(str(address), from_row(rec))

    def _result_patch_for(self, addresses: Any) -> dict[str, dict[str, Any]]:
        if not self._result_meta:
            return {}
        return {
            a: self._result_fields(self._result_meta[a])
            for a in addresses
            if a in self._result_meta
        }

    @staticmethod
    def _result_fields(r: Result) -> dict[str, Any]:
        return {"result_preview": r.preview, "result_state": r.state, "result_kind": r.kind}

    def _remember(self, address: str, r: Result) -> None:
        self._result_meta[address] = r.light()  # the value lives only in _result_values
        old = self._result_values.pop(address, None)
        if old is not None:
            self._result_weight -= old.weight()
        if r.kind == "error" or r.note == "none":
            return
        self._result_values[address] = r
        self._result_weight += r.weight()
        while self._result_weight > MEMORY_BUDGET and len(self._result_values) > 1:
            _, gone = self._result_values.popitem(last=False)
            self._result_weight -= gone.weight()

    # ---- messages (comm thread: queue only) --------------------------------------------------

    def _on_results_message(self, content: dict[str, Any]) -> None:
        """``{"type": "results", "addresses": [...]}``: fetch these rows' results (the first
        is fetched first). Bad entries and unknown rows are skipped; the list is capped."""
        addresses = protocol.parse_result_addresses(content, MAX_ADDRESSES)
        if not self._results_on:  # a Result column shown anyway: say so instead of "loading"
            off = Result(kind="error", error="results are turned off for this table", note="none")
            with self._lock:
                rows = {a: self._result_fields(off) for a in addresses if a in self._df.index}
                rows = {a: f for a, f in rows.items() if a not in self._result_meta}
                for a in rows:
                    self._result_meta[a] = off
                if rows:
                    self._patch_rows(rows)  # type: ignore[attr-defined]
            return
        with self._lock:
            known = [a for a in addresses if a in self._df.index]
            first = not self._results_asked
            self._results_asked = True
            if first and len(self._df) <= PREFETCH_ALL:
                self._queue(list(self._df.index), priority=False)
            self._queue(known, priority=True)
            self._start_workers()

    def _on_result_message(self, content: dict[str, Any]) -> None:
        """``{"type": "result", "id", "response"}``: answer with the whole result, fetching it
        first (on a worker) when it is not in memory."""
        try:
            request = protocol.parse_result_request(content)
        except protocol.BadRequest as exc:
            self.send(error_answer(exc.rid if isinstance(exc.rid, str) else "", str(exc)))
            return
        rid, address = request.rid, request.response
        if address is None:  # an invalid address: answered with the request's id
            self.send(error_answer(rid, str(request.error)))
            return
        with self._lock:
            if address not in self._df.index:
                self.send(error_answer(rid, f"{address} is not a row of this table"))
                return
            if not self._results_on:
                self.send(error_answer(rid, "results are turned off for this table"))
                return
            r = self._result_values.get(address)
            meta = self._result_meta.get(address)
            if r is not None:
                self._result_values.move_to_end(address)
            elif meta is not None and meta.state == "none":
                r = meta  # nothing to fetch
            else:  # not fetched yet, an error (tried again), or no longer in memory
                self._result_waiters.setdefault(address, []).append(rid)
                if address not in self._result_inflight:
                    self._queue([address], priority=True, force=True)
                    self._start_workers()
                return
        self.send(detail_message(rid, r))

    # ---- the pool ----------------------------------------------------------------------------

    def _queue(self, addresses: list[str], *, priority: bool, force: bool = False) -> None:
        """Queue ``addresses`` (under the lock). ``priority``: fetched before what is queued,
        in the given order; otherwise after it."""
        pending = self._result_pending
        todo = [
            a for a in addresses
            if a not in self._result_inflight and (force or a not in self._result_meta)
        ]  # fmt: skip
        if priority:
            for a in reversed(todo):
                pending[a] = None
                pending.move_to_end(a, last=True)
        else:
            for a in todo:
                if a not in pending:
                    pending[a] = None
                    pending.move_to_end(a, last=False)
        while len(pending) > MAX_PENDING:
            pending.popitem(last=False)

    def _start_workers(self) -> None:
        want = min(WORKERS, self._result_workers + len(self._result_pending))
        while self._result_workers < want:
            self._result_workers += 1
            t = threading.Thread(target=self._results_worker, name="ogpu-results", daemon=True)
            self._result_threads = [x for x in self._result_threads if x.is_alive()] + [t]
            t.start()

    def _results_worker(self) -> None:
        while True:
            with self._lock:
                pending = self._result_pending
                if not pending:
                    self._result_workers -= 1
                    return
                n = max(1, min(BATCH, math.ceil(len(pending) / WORKERS)))
                batch = [pending.popitem(last=True)[0] for _ in range(min(n, len(pending)))]
                batch = [a for a in batch if a in self._df.index]
                self._result_inflight.update(batch)
                rows = self._df.loc[batch] if batch else None
            if not batch:
                continue
            try:
                fetched = self._fetch_rows(rows)
            except Exception as exc:  # a bug or a missing room: rows say so, never silent
                log.exception("fetching results failed")
                reason = f"fetching the result failed ({type(exc).__name__}: {_cut(str(exc), 120)})"
                fetched = {a: Result(kind="error", error=reason) for a in batch}
            with self._lock:
                self._result_inflight.difference_update(batch)
                waiters = {a: self._result_waiters.pop(a, []) for a in batch}
                still = [a for a in batch if a in self._df.index]
                for a in still:
                    self._remember(a, fetched[a])
                patch = {a: self._result_fields(fetched[a]) for a in still}
                if patch:
                    self._patch_rows(patch)  # type: ignore[attr-defined]
            for a, rids in waiters.items():
                for rid in rids:
                    try:
                        self.send(detail_message(rid, fetched[a]))
                    except Exception:
                        log.exception("sending a result failed")

    def _fetch_rows(self, rows: pd.DataFrame) -> dict[str, Result]:
        """Fetch the results of ``rows`` (a slice of the table's DataFrame) through
        ``ogpu_widgets.results.fetch_results``, looked up at call time."""
        out: dict[str, Result] = {}
        todo = []
        for a, data in zip(rows.index, rows["data"], strict=True):
            if not isinstance(data, str) or not data.strip():
                out[a] = Result(kind="error", error="no result: the response has no data",
                                note="none")  # fmt: skip
            else:
                todo.append(a)
        if todo:
            fetch = importlib.import_module("ogpu_widgets.results").fetch_results
            try:
                frame = fetch(
                    rows.loc[todo],
                    network=self._network,
                    gateway=self._gateway,
                    progress=False,
                    workers=min(8, len(todo)),
                    cache=True,
                )
            except OgpuWidgetsError as exc:
                reason = _cut(str(exc), 200)
                return {**out, **{a: Result(kind="error", error=reason) for a in todo}}
            by_address: dict[str, Any] = {}
            for key in frame.index:
                try:
                    by_address[to_address(key, "result index")] = key
                except OgpuWidgetsError:
                    continue
            for a in todo:
                key = by_address.get(a)
                if key is None:
                    out[a] = Result(kind="error", error="no result was returned for this response")
                else:
                    out[a] = from_row(frame.loc[key])
        return out
