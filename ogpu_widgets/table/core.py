"""The core of a ``ResponseTable``: the DataFrame and its lock, the row patches, the controls
(which rows can be confirmed, from the confirmer), the banner; and the parts it holds: the
confirmer (:mod:`.actions`, with a key or a wallet strategy), the live feed (:mod:`.live`), the
results loader (:mod:`.results`), the history scanner (:mod:`.history`) and the router of the
front-end's messages (:mod:`.messages`). Every part gets the core and nothing else; every thread
they start belongs to :attr:`TableCore.threads`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..chain.network import Network
from ..confirm import BrowserWallet
from . import serialize
from .actions import Confirmer
from .history import HistoryScanner
from .live import LiveFeed
from .messages import Router
from .results import Fetch, ResultsLoader
from .threads import Threads

if TYPE_CHECKING:
    from .widget import ResponseTable

__all__ = ["TableCore"]

_EMPTY = pd.DataFrame(columns=serialize.REQUIRED, index=pd.Index([], dtype=str))


class TableCore:
    """The rows of one table and the parts that change them (see the module's docstring)."""

    def __init__(
        self,
        view: ResponseTable,
        *,
        network: Network,
        signer: Any,
        confirm_timeout: float,
        results: bool,
        gateway: str | None,
        poll_interval: float,
        selectors: dict[str, Any],
        fetch: Fetch | None = None,
    ) -> None:
        self.view = view
        self.network = network
        self.lock = threading.RLock()
        self.df: pd.DataFrame = serialize.checked_frame(_EMPTY)
        self.seq = 0
        self._resynced = 0  # the seq of the last resync patch (a flood of resyncs costs nothing)
        self.banner_seq = 0
        #: Every field patched since the snapshot (re-sent on a resync).
        self.overrides: dict[str, dict[str, Any]] = {}
        self.snapshot_keys: list[str] = []
        self.positions: list[int] | None = None
        self.appended: list[str] = []
        self.threads = Threads()
        self.confirmer = Confirmer(self, signer, confirm_timeout)
        self.results = ResultsLoader(self, results, gateway, fetch)
        self.history = HistoryScanner(self)
        self.live = LiveFeed(self, selectors, poll_interval)
        self.router = Router(self)

    # ---- controls -----------------------------------------------------------------------------

    def controls(self, df: pd.DataFrame) -> tuple[Any, Any]:
        """Python's verdict on each row of ``df``: can it be confirmed now, and if not, why."""
        return self.confirmer.controls(df)

    # ---- snapshot and patches ------------------------------------------------------------------

    def set_snapshot(self, df: pd.DataFrame) -> None:
        view = self.view
        with self.lock:
            self.df = df
            self.overrides = {}
            self.appended = []
            self.snapshot_keys = df.index.to_numpy(dtype=object).tolist()
            self.positions = None
            self.confirmer.observe(df)  # the signer's agent relations, and its banner
            can_confirm, reasons = self.controls(df)
            view._rows = serialize.snapshot(df, can_confirm, reasons)
            view._rows_version += 1
            # progress of confirmations and known results travel as patches, not in the snapshot
            self.results.from_frame(df)
            progress = self.results.patch_for(df.index)
            self.history.retry()
            self.history.patch_for(df.index, progress)
            for a, fields in self.confirmer.progress(df.index).items():
                progress.setdefault(a, {}).update(fields)
            if progress:
                self.patch_rows(progress)
            view.selected_keys = [k for k in view.selected_keys if k in df.index]
        self.history.kick()  # the confirming transactions, on a background thread

    def patch_rows(
        self, rows: dict[str, dict[str, Any]], append: dict[str, Any] | None = None
    ) -> None:
        """Apply ``rows`` to the DataFrame and send them to the front-end as one patch (with
        ``append``, the rows just added to the DataFrame, applied before ``rows``)."""
        with self.lock:
            for addr, fields in rows.items():
                for col, value in fields.items():
                    if col in self.df.columns:
                        if col in ("status", "task_status"):
                            self.df.loc[addr, col] = value
                        else:
                            self.df.at[addr, col] = value
                self.overrides.setdefault(addr, {}).update(fields)
            self.seq += 1
            patch: dict[str, Any] = {"seq": self.seq, "rows": serialize.jsonable(rows)}
            if append is not None:
                patch["append"] = append
            self.view._patch = patch

    def resync(self) -> None:
        """Re-send every patch since the snapshot, and the rows appended since (a view that
        missed some)."""
        with self.lock:
            if self.seq and self.seq == self._resynced:
                return  # the last patch is a resync and nothing changed since: every view has it
            append = self.appended_payload()
            if self.overrides or append is not None:
                self.seq += 1
                patch = {"seq": self.seq, "rows": serialize.jsonable(self.overrides)}
                if append is not None:
                    patch["append"] = append
                self.view._patch = patch
                self._resynced = self.seq

    def recompute_task(self, task: str, extra: dict[str, dict[str, Any]] | None = None) -> None:
        """Re-send the control columns of every row of ``task`` (plus ``extra`` fields)."""
        self.patch_changes(extra or {}, tasks=[task])

    def patch_changes(self, changes: dict[str, dict[str, Any]], tasks: Any = ()) -> None:
        """Patch ``changes`` and the verdicts of every row of ``tasks`` and of the tasks the
        changes touch, as one patch."""
        with self.lock:
            df = self.df
            wanted = set(tasks) | {df.at[a, "task"] for a in changes if a in df.index}
            rows = df[df["task"].isin(list(wanted))].copy()
            if not len(rows):
                return
            for a, fields in changes.items():
                for k, v in fields.items():
                    if a in rows.index and k in rows.columns:
                        rows.loc[a, k] = v
            can_confirm, reasons = self.controls(rows)
            patch = {
                a: {**changes.get(a, {}), "can_confirm": bool(ok), "reason": str(why)}
                for a, ok, why in zip(rows.index, can_confirm, reasons, strict=True)
            }
            self.patch_rows(patch)

    def append_rows(self, rows: pd.DataFrame) -> None:
        """Add ``rows`` (not in the table yet) at the end and send them, with their verdicts,
        as one ``_patch`` whose ``append`` holds just these rows (under the lock)."""
        if len(self.df):
            rows = rows.reindex(columns=self.df.columns)
            df = pd.concat([self.df, rows])
            for c in ("status", "task_status", "delivery_method"):  # keep the categoricals
                dtype = self.df[c].dtype
                if isinstance(dtype, pd.CategoricalDtype) and df[c].dtype != dtype:
                    df[c] = df[c].astype(dtype)
        else:
            df = serialize.checked_frame(rows)
        self.df = df
        rows = df.loc[rows.index]
        start = len(self.snapshot_keys)
        self.snapshot_keys.extend(rows.index)
        self.appended.extend(rows.index)
        can_confirm, reasons = self.controls(rows)
        payload = serialize.snapshot(rows, can_confirm, reasons)
        self.patch_rows({}, append={"start": start, "rows": payload, "new": True})

    def appended_payload(self) -> dict[str, Any] | None:
        """Every row added since the snapshot, as one ``append`` (for a resync; under the lock)."""
        if not self.appended:
            return None
        rows = self.df.loc[self.appended]
        can_confirm, reasons = self.controls(rows)
        return {
            "start": len(self.snapshot_keys) - len(self.appended),
            "rows": serialize.snapshot(rows, can_confirm, reasons),
            "new": False,
        }

    def rows_of_task(self, task: str) -> list[str]:
        with self.lock:
            return list(self.df.index[self.df["task"] == task])

    # ---- to the front-end ----------------------------------------------------------------------

    def set_banner(self, message: str, level: str = "error") -> None:
        self.banner_seq += 1
        self.view.banner = {"level": level, "message": message, "seq": self.banner_seq}

    def send(self, content: dict[str, Any]) -> None:
        """A custom message to the front-end."""
        self.view.send(content)

    def describe(self) -> str:
        """The table's repr (never raises)."""
        try:
            signer = self.confirmer.strategy.signer
            mode = "read-only" if signer is None else f"signer {signer.address}"
            if isinstance(signer, BrowserWallet):
                mode = f"signer browser wallet {signer.address or '(not connected)'}".rstrip()
            live = ", live" if self.live.sub is not None else ""
            return f"ResponseTable({len(self.df)} rows, {self.network.name}, {mode}{live})"
        except Exception:
            return "ResponseTable(<unavailable>)"

    def close(self) -> bool:
        """Stop following the chain, then join every thread of the table (bounded)."""
        self.live.close()
        return self.threads.close()
