"""The confirming transaction of each confirmed row (mixed into ``ResponseTable``).

After the first paint (the front-end's ``painted`` message), a background thread asks
:func:`ogpu_widgets.read.logs.confirmation_txs` once for every confirmed row of the table (one
scan of Nexus's ``ResponseStatusChanged`` log, however many rows), and patches what it found
into the rows as control fields (never into ``table.df``, ``table.view`` or
``table.selected``):

* ``confirm_tx``: the hash of the transaction that confirmed the response (wherever it was made:
  this kernel, another one, a wallet, before the table was built), ``confirm_block`` its block;
* ``confirm_tx_state``: ``found``, ``missing`` (the scan ended without the event: a range the
  network's ``start_block`` leaves out) or ``unknown`` (the node failed; ``confirm_tx_error``
  says why: the table shows the history as unknown and keeps working).

New confirmations seen by the live room (``ResponseStatusChanged`` events carry their
transaction) are filed with :meth:`_history_seen` and travel in the same patch as the status.
After a refresh, known hashes are re-sent and newly confirmed rows are looked up.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..errors import OgpuWidgetsError
from ..read.logs import confirmation_txs

log = logging.getLogger("ogpu_widgets.table")

#: The row fields this module sets (control columns, see docs/widget-protocol.md).
HISTORY_FIELDS = ("confirm_tx", "confirm_block", "confirm_tx_state", "confirm_tx_error")


class TableHistory:
    """The history side of :class:`~ogpu_widgets.table.ResponseTable`."""

    _lock: Any
    _df: Any
    _network: Any

    def _init_history(self) -> None:
        self._history: dict[str, tuple[str, int]] = {}  # response → (tx hash, block)
        self._history_missing: set[str] = set()  # confirmed, searched, not found
        self._history_failed: dict[str, str] = {}  # response → why the search failed
        self._history_fresh: set[str] = set()  # filed from events, not patched yet
        self._history_lock = threading.Lock()  # guards the worker slot (never I/O)
        self._history_worker: threading.Thread | None = None
        self._history_again = False
        self._history_queries = 0  # bulk log scans run (for tests and logs)
        self._history_started = False  # the first lookup waits for the first paint

    # ---- public --------------------------------------------------------------------------------

    @property
    def confirm_txs(self) -> dict[str, str]:
        """Confirmed rows whose confirming transaction is known: response address → hash
        (found in Nexus's log after the table was built, or seen live)."""
        self._history_kick(start=True)
        with self._lock:
            return {a: tx for a, (tx, _) in self._history.items()}

    def wait_history(self, timeout: float | None = None) -> bool:
        """Wait until the confirming transactions of the confirmed rows have been looked up;
        True when no lookup is running."""
        self._history_kick(start=True)
        worker = self._history_worker
        if worker is not None:
            worker.join(timeout)
        return self._history_worker is None

    # ---- for the widget ------------------------------------------------------------------------

    def _history_fields(self, address: str) -> dict[str, Any]:
        """The history fields of one row (empty when nothing is known yet)."""
        if address in self._history:
            tx, block = self._history[address]
            return {"confirm_tx": tx, "confirm_block": block, "confirm_tx_state": "found",
                    "confirm_tx_error": ""}  # fmt: skip
        if address in self._history_missing:
            return {"confirm_tx_state": "missing"}
        if address in self._history_failed:
            return {"confirm_tx_state": "unknown",
                    "confirm_tx_error": self._history_failed[address]}  # fmt: skip
        return {}

    def _history_patch_for(self, index: Any, patch: dict[str, dict[str, Any]]) -> None:
        """Add the known history of the rows of ``index`` to ``patch`` (a new snapshot)."""
        known = self._history.keys() | self._history_missing | self._history_failed.keys()
        if not known:  # a new table: nothing looked up yet, no loop over its rows
            return
        for a in known:
            if a in index:
                patch.setdefault(a, {}).update(self._history_fields(a))

    def _history_seen(self, response: str, tx_hash: str, block: int) -> dict[str, Any]:
        """A confirmation seen live (a ``ResponseStatusChanged(CONFIRMED)`` event): file it and
        return the row's fields for the event's patch (under the table's lock)."""
        if isinstance(tx_hash, str) and tx_hash and response not in self._history:
            self._history[response] = (tx_hash.lower(), int(block))
            self._history_missing.discard(response)
            self._history_failed.pop(response, None)
            self._history_fresh.add(response)
        return self._history_fields(response)

    def _history_take(self, response: str) -> dict[str, Any]:
        """The row's history fields if an event just filed them (once), else nothing: a stale
        or repeated event sends no patch."""
        if response not in self._history_fresh:
            return {}
        self._history_fresh.discard(response)
        return self._history_fields(response)

    def _history_kick(self, start: bool = False) -> None:
        """Look up the confirmed rows without a known transaction, on a background thread
        (at most one at a time; a kick while one runs makes it look again afterwards). Nothing
        runs before the first paint: the front-end's ``painted`` message, or
        :meth:`wait_history`/:attr:`confirm_txs` from Python, starts it (``start=True``)."""
        if start:
            self._history_started = True
        if not self._history_started:
            return
        wanted = bool(self._history_wanted())  # before the worker slot: locks in one order
        with self._history_lock:
            if self._history_worker is not None:
                self._history_again = True
                return
            if not wanted:
                return
            self._history_worker = threading.Thread(
                target=self._history_work, name="ogpu-table-history", daemon=True
            )
            self._history_worker.start()

    # ---- the worker ----------------------------------------------------------------------------

    def _history_wanted(self) -> list[str]:
        with self._lock:
            df = self._df
            if not len(df):
                return []
            confirmed = df.index[df["confirmed"].fillna(False).astype(bool).to_numpy()]
            skip = self._history.keys() | self._history_missing | self._history_failed.keys()
            return [a for a in confirmed if a not in skip]

    def _history_work(self) -> None:
        try:
            while True:
                wanted = self._history_wanted()
                if wanted:
                    self._history_lookup(wanted)
                with self._history_lock:
                    if not self._history_again:
                        self._history_worker = None
                        return
                    self._history_again = False
        except Exception:
            log.exception("looking up confirming transactions failed unexpectedly")
            with self._history_lock:
                self._history_worker = None

    def _history_lookup(self, wanted: list[str]) -> None:
        self._history_queries += 1
        try:
            since = self._history_since(wanted)
            found = confirmation_txs(wanted, network=self._network, since=since)
            error = ""
        except OgpuWidgetsError as exc:
            # every row gets the same short reason (the patch stays small on a big table); the
            # whole error is in the log
            found, error = None, f"the node failed ({type(exc).__name__}); Refresh tries again"
            log.warning("the confirming transactions could not be read: %s", exc)
        if getattr(self, "_live_closed", False):
            return
        rows: dict[str, dict[str, Any]] = {}
        with self._lock:
            for a in wanted:
                if a in self._history:  # seen live meanwhile
                    continue
                if found is None:
                    self._history_failed[a] = error
                elif a in found.index:
                    self._history[a] = (str(found.at[a, "tx_hash"]), int(found.at[a, "block"]))
                else:
                    self._history_missing.add(a)
                if a in self._df.index:
                    rows[a] = self._history_fields(a)
            if rows:
                self._patch_rows(rows)  # type: ignore[attr-defined]

    def _history_since(self, wanted: list[str]) -> float | None:
        """The earliest submission time of ``wanted`` (unix seconds): no confirmation of them
        is older, so the log scan starts there."""
        with self._lock:
            times = self._df.loc[[a for a in wanted if a in self._df.index], "timestamp"]
            try:
                if not len(times) or times.isna().any():
                    return None
                return float(times.min().timestamp())
            except (AttributeError, TypeError, ValueError):  # not datetimes: scan it all
                return None

    def _history_retry(self) -> None:
        """Forget failed lookups (a refresh asks again)."""
        with self._lock:
            self._history_failed.clear()
