"""The results behind the rows of a ``ResponseTable`` (its results loader): fetched in the kernel
after the table has painted, on demand for the rows the front-end shows (small tables: every
row), on at most :data:`WORKERS` threads of the table, through the loader's fetcher
(:func:`ogpu_widgets.results.fetch_outcomes` unless another is given), kept per response address
as the fetch's own :class:`~ogpu_widgets.results.outcome.Outcome`, and sent to the front-end as
row patches (``result_preview``, ``result_state``, ``result_kind``) and, for the detail and
compare views, as ``{"type": "result"}`` answers.

Nothing here runs network I/O, parsing or serialization of a result on the comm thread: the
message handlers only queue work (fetches on the workers, answers from memory on one answering
thread).
See ``docs/widget-protocol.md``."""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..chain.codec import to_address
from ..errors import OgpuWidgetsError
from ..records import ResultState
from ..results import fetch_outcomes
from ..results.outcome import RESULT_COLUMNS as _FRAME_COLUMNS
from ..results.outcome import Outcome, from_row
from . import protocol
from .preview import MAX_IMAGE, MAX_PREVIEW, MAX_TEXT, _cut, detail_message, error_answer, preview
from .threads import Serial

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["BATCH", "MAX_ADDRESSES", "MAX_IMAGE", "MAX_PENDING", "MAX_PREVIEW", "MAX_TEXT",
           "MAX_WAITERS",
           "MEMORY_BUDGET", "PREFETCH_ALL", "RESULT_COLUMNS", "WORKERS", "Fetch",
           "ResultsLoader"]  # fmt: skip

#: The control columns of a row's result (patches only; see docs/widget-protocol.md).
RESULT_COLUMNS = ("result_preview", "result_state", "result_kind")
#: Most addresses one ``{"type": "results"}`` message may ask for (the rest are ignored).
MAX_ADDRESSES = 500
#: Most ``{"type": "result"}`` requests that may wait for one row's result.
MAX_WAITERS = 100
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

#: The fetcher: ``fetch(rows, network=, gateway=, progress=, workers=, cache=)`` →
#: ``(addresses, outcomes)``, as :func:`~ogpu_widgets.results.fetch_outcomes`.
Fetch = Callable[..., tuple[list[str], list[Outcome]]]

_OFF = "results are turned off for this table"


def _weight(o: Outcome) -> int:
    if isinstance(o.value, bytes | str):
        return len(o.value) + 64
    return max(o.size, 64)


class ResultsLoader:
    """The results of one table (see the module's docstring). ``fetch`` is its fetcher."""

    def __init__(
        self, core: TableCore, enabled: bool, gateway: str | None, fetch: Fetch | None = None
    ) -> None:
        self.core = core
        self.enabled = enabled
        self.gateway = gateway
        self.fetch: Fetch = fetch if fetch is not None else fetch_outcomes
        #: address → its outcome without the value, and its preview (kept once evicted).
        self.meta: dict[str, Outcome] = {}
        self.previews: dict[str, str] = {}
        #: address → the outcome with its value, least recently used first.
        self.values: OrderedDict[str, Outcome] = OrderedDict()
        self.weight = 0
        #: addresses to fetch; the last is fetched first.
        self.pending: OrderedDict[str, None] = OrderedDict()
        self.inflight: set[str] = set()
        self.waiters: dict[str, list[str]] = {}
        self.workers = 0
        self.asked = False
        #: (request id, outcome) of results in memory to answer, on :attr:`answerer`.
        self.answers: deque[tuple[str, Outcome]] = deque(maxlen=MAX_ADDRESSES)
        self.answerer = Serial(core.threads, "ogpu-result-answers", self._answer)

    # ---- public --------------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        """``ResponseTable.results``."""
        with self.core.lock:
            rows = {
                a: {
                    "result": self.values[a].value if a in self.values else None,
                    "result_kind": o.kind,
                    "result_cid": o.cid or "",
                    "result_verified": pd.NA if o.verified is None else o.verified,
                    "result_error": o.error_text,
                    "result_size": o.size,
                    "result_state": o.state.value,
                    "result_preview": self.previews.get(a, ""),
                }
                for a, o in self.meta.items()
            }
        cols = ["result", "result_kind", "result_cid", "result_verified", "result_error",
                "result_size", "result_state", "result_preview"]  # fmt: skip
        df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
        df.index.name = "address"
        df["result_verified"] = df["result_verified"].astype("boolean")
        df["result_size"] = df["result_size"].astype("int64")
        return df

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no result is queued or being fetched; True if none is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self.core.lock:
                idle = not self.pending and not self.inflight and not self.answers
            if idle:
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    # ---- snapshot ----------------------------------------------------------------------------

    def from_frame(self, df: pd.DataFrame) -> None:
        """Keep the results a ``load_responses(..., results=True)`` frame already holds."""
        if "result_kind" not in df.columns:
            return
        cols = [c for c in _FRAME_COLUMNS if c in df.columns]
        for address, rec in df[cols].to_dict("index").items():
            kind = rec.get("result_kind")
            if address in self.meta or not isinstance(kind, str) or not kind:
                continue
            self._remember(str(address), from_row(rec))

    def patch_for(self, addresses: Any) -> dict[str, dict[str, Any]]:
        if not self.meta:
            return {}
        return {a: self._fields(a) for a in addresses if a in self.meta}

    def _fields(self, address: str) -> dict[str, Any]:
        o = self.meta[address]
        return {"result_preview": self.previews[address], "result_state": o.state.value,
                "result_kind": o.kind}  # fmt: skip

    def _remember(self, address: str, o: Outcome) -> None:
        self.meta[address] = o.light()  # the value lives only in self.values
        self.previews[address] = preview(o)
        old = self.values.pop(address, None)
        if old is not None:
            self.weight -= _weight(old)
        if o.kind == "error":
            return
        self.values[address] = o
        self.weight += _weight(o)
        while self.weight > MEMORY_BUDGET and len(self.values) > 1:
            _, gone = self.values.popitem(last=False)
            self.weight -= _weight(gone)

    # ---- messages (comm thread: queue only) --------------------------------------------------

    def on_results(self, content: dict[str, Any]) -> None:
        """``{"type": "results", "addresses": [...]}``: fetch these rows' results (the first
        is fetched first). Bad entries and unknown rows are skipped; the list is capped."""
        addresses = protocol.parse_result_addresses(content, MAX_ADDRESSES)
        core = self.core
        with core.lock:
            if not self.enabled:  # a Result column shown anyway: say so instead of "loading"
                off = Outcome.nothing(_OFF)
                todo = [a for a in addresses if a in core.df.index and a not in self.meta]
                for a in todo:
                    self._remember(a, off)
                if todo:
                    core.patch_rows({a: self._fields(a) for a in todo})
                return
            known = [a for a in addresses if a in core.df.index]
            first = not self.asked
            self.asked = True
            if first and len(core.df) <= PREFETCH_ALL:
                self.queue(list(core.df.index), priority=False)
            self.queue(known, priority=True)
            self._start_workers()

    def on_result(self, content: dict[str, Any]) -> None:
        """``{"type": "result", "id", "response"}``: answer with the whole result, fetching it
        first (on a worker) when it is not in memory, on the answering thread when it is."""
        core = self.core
        try:
            request = protocol.parse_result_request(content)
        except protocol.BadRequest as exc:
            core.send(error_answer(exc.rid if isinstance(exc.rid, str) else "", str(exc)))
            return
        rid, address = request.rid, request.response
        if address is None:  # an invalid address: answered with the request's id
            core.send(error_answer(rid, str(request.error)))
            return
        with core.lock:
            if address not in core.df.index:
                core.send(error_answer(rid, f"{address} is not a row of this table"))
                return
            if not self.enabled:
                core.send(error_answer(rid, _OFF))
                return
            o = self.values.get(address)
            meta = self.meta.get(address)
            if o is not None:
                self.values.move_to_end(address)
            elif meta is not None and meta.state is ResultState.NONE:
                o = meta  # nothing to fetch
            else:  # not fetched yet, an error (tried again), or no longer in memory
                waiting = self.waiters.setdefault(address, [])
                if len(waiting) >= MAX_WAITERS:
                    core.send(
                        error_answer(
                            rid,
                            f"{MAX_WAITERS} requests already wait for "
                            "this result; ask again once they are answered",
                        )
                    )
                    return
                waiting.append(rid)
                if address not in self.inflight:
                    self.queue([address], priority=True, force=True)
                    self._start_workers()
                return
            # the answer is serialized (up to MAX_TEXT of JSON) off the comm thread
            self.answers.append((rid, o))
        self.answerer.kick()

    def _answer(self) -> None:
        """Send the queued answers of results in memory (the answering thread)."""
        while True:
            with self.core.lock:
                if not self.answers:
                    return
                rid, o = self.answers.popleft()
            try:
                self.core.send(detail_message(rid, o))
            except Exception:
                log.exception("sending a result failed")

    # ---- the pool ----------------------------------------------------------------------------

    def queue(self, addresses: list[str], *, priority: bool, force: bool = False) -> None:
        """Queue ``addresses`` (under the lock). ``priority``: fetched before what is queued,
        in the given order; otherwise after it."""
        pending = self.pending
        todo = [a for a in addresses
                if a not in self.inflight and (force or a not in self.meta)]  # fmt: skip
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
        want = min(WORKERS, self.workers + len(self.pending))
        while self.workers < want:
            if self.core.threads.start("ogpu-results", self._worker) is None:
                return  # the table is closed
            self.workers += 1

    def _worker(self) -> None:
        core = self.core
        while True:
            with core.lock:
                pending = self.pending
                if not pending or core.threads.closed.is_set():
                    self.workers -= 1
                    return
                n = max(1, min(BATCH, math.ceil(len(pending) / WORKERS)))
                batch = [pending.popitem(last=True)[0] for _ in range(min(n, len(pending)))]
                batch = [a for a in batch if a in core.df.index]
                self.inflight.update(batch)
                rows = core.df.loc[batch] if batch else None
            if rows is None:
                continue
            try:
                fetched = self._fetch_rows(rows)
            except Exception as exc:  # a bug or a missing room: rows say so, never silent
                log.exception("fetching results failed")
                reason = f"fetching the result failed ({type(exc).__name__}: {_cut(str(exc), 120)})"
                fetched = {a: Outcome.failed(reason) for a in batch}
            with core.lock:
                self.inflight.difference_update(batch)
                waiters = {a: self.waiters.pop(a, []) for a in batch}
                still = [a for a in batch if a in core.df.index]
                for a in still:
                    self._remember(a, fetched[a])
                if still:
                    core.patch_rows({a: self._fields(a) for a in still})
            for a, rids in waiters.items():
                for rid in rids:
                    try:
                        core.send(detail_message(rid, fetched[a]))
                    except Exception:
                        log.exception("sending a result failed")

    def _fetch_rows(self, rows: pd.DataFrame) -> dict[str, Outcome]:
        """The outcomes of ``rows`` (a slice of the table's DataFrame), through the fetcher."""
        out: dict[str, Outcome] = {}
        todo = []
        for a, data in zip(rows.index, rows["data"], strict=True):
            if not isinstance(data, str) or not data.strip():
                out[a] = Outcome.nothing("no result: the response has no data")
            else:
                todo.append(a)
        if not todo:
            return out
        try:
            addresses, outcomes = self.fetch(
                rows.loc[todo], network=self.core.network, gateway=self.gateway,
                progress=False, workers=min(8, len(todo)), cache=True,
            )  # fmt: skip
        except OgpuWidgetsError as exc:
            reason = _cut(str(exc), 200)
            return {**out, **{a: Outcome.failed(reason) for a in todo}}
        by_address: dict[str, Outcome] = {}
        for key, o in zip(addresses, outcomes, strict=True):
            try:
                by_address[to_address(key, "result index")] = o
            except OgpuWidgetsError:
                continue
        for a in todo:
            got = by_address.get(a)
            out[a] = got if got is not None else Outcome.failed(
                "no result was returned for this response"
            )  # fmt: skip
        return out
