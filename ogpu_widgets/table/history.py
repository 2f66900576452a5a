"""The confirming transaction of each confirmed row of a ``ResponseTable`` (its history scanner).

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
transaction) are filed with :meth:`HistoryScanner.seen` and travel in the same patch as the status.
After a refresh, known hashes are re-sent and newly confirmed rows are looked up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import OgpuWidgetsError
from ..read.logs import confirmation_txs
from .threads import Serial

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

#: The row fields this module sets (control columns, see docs/widget-protocol.md).
HISTORY_FIELDS = ("confirm_tx", "confirm_block", "confirm_tx_state", "confirm_tx_error")


class HistoryScanner:
    """The confirming transactions of one table's confirmed rows (see the module's docstring).
    Its one worker is a :class:`~.threads.Serial` of the table: at most one scan runs, and a
    kick while it runs makes it look again afterwards."""

    def __init__(self, core: TableCore) -> None:
        self.core = core
        self.found: dict[str, tuple[str, int]] = {}  # response → (tx hash, block)
        self.missing: set[str] = set()  # confirmed, searched, not found
        self.failed: dict[str, str] = {}  # response → why the search failed
        self.fresh: set[str] = set()  # filed from events, not patched yet
        self.queries = 0  # bulk log scans run (for tests and logs)
        self.started = False  # the first lookup waits for the first paint
        self.worker = Serial(core.threads, "ogpu-table-history", self._work)

    # ---- public --------------------------------------------------------------------------------

    def confirm_txs(self) -> dict[str, str]:
        self.kick(start=True)
        with self.core.lock:
            return {a: tx for a, (tx, _) in self.found.items()}

    def wait(self, timeout: float | None = None) -> bool:
        self.kick(start=True)
        return self.worker.join(timeout)

    # ---- for the core and the live feed --------------------------------------------------------

    def fields(self, address: str) -> dict[str, Any]:
        """The history fields of one row (empty when nothing is known yet)."""
        if address in self.found:
            tx, block = self.found[address]
            return {"confirm_tx": tx, "confirm_block": block, "confirm_tx_state": "found",
                    "confirm_tx_error": ""}  # fmt: skip
        if address in self.missing:
            return {"confirm_tx_state": "missing"}
        if address in self.failed:
            return {"confirm_tx_state": "unknown", "confirm_tx_error": self.failed[address]}
        return {}

    def patch_for(self, index: Any, patch: dict[str, dict[str, Any]]) -> None:
        """Add the known history of the rows of ``index`` to ``patch`` (a new snapshot)."""
        known = self.found.keys() | self.missing | self.failed.keys()
        if not known:  # a new table: nothing looked up yet, no loop over its rows
            return
        for a in known:
            if a in index:
                patch.setdefault(a, {}).update(self.fields(a))

    def seen(self, response: str, tx_hash: str, block: int) -> None:
        """A confirmation seen live (a ``ResponseStatusChanged(CONFIRMED)`` event): file it for
        :meth:`take` (under the table's lock)."""
        if isinstance(tx_hash, str) and tx_hash and response not in self.found:
            self.found[response] = (tx_hash.lower(), int(block))
            self.missing.discard(response)
            self.failed.pop(response, None)
            self.fresh.add(response)

    def take(self, response: str) -> dict[str, Any]:
        """The row's history fields if an event just filed them (once), else nothing: a stale
        or repeated event sends no patch."""
        if response not in self.fresh:
            return {}
        self.fresh.discard(response)
        return self.fields(response)

    def kick(self, start: bool = False) -> None:
        """Look up the confirmed rows without a known transaction, on the worker. Nothing runs
        before the first paint: the front-end's ``painted`` message, or
        :meth:`wait`/:meth:`confirm_txs` from Python, starts it (``start=True``)."""
        if start:
            self.started = True
        if self.started and (self.worker.running or self._wanted()):
            self.worker.kick()

    def retry(self) -> None:
        """Forget failed lookups (a refresh asks again)."""
        with self.core.lock:
            self.failed.clear()

    # ---- the worker ----------------------------------------------------------------------------

    def _wanted(self) -> list[str]:
        with self.core.lock:
            df = self.core.df
            if not len(df):
                return []
            confirmed = df.index[df["confirmed"].fillna(False).astype(bool).to_numpy()]
            skip = self.found.keys() | self.missing | self.failed.keys()
            return [a for a in confirmed if a not in skip]

    def _work(self) -> None:
        wanted = self._wanted()
        if wanted:
            self._lookup(wanted)

    def _lookup(self, wanted: list[str]) -> None:
        self.queries += 1
        try:
            since = self._since(wanted)
            found = confirmation_txs(wanted, network=self.core.network, since=since)
            error = ""
        except OgpuWidgetsError as exc:
            # every row gets the same short reason (the patch stays small on a big table); the
            # whole error is in the log
            found, error = None, f"the node failed ({type(exc).__name__}); Refresh tries again"
            log.warning("the confirming transactions could not be read: %s", exc)
        if self.core.threads.closed.is_set():
            return
        rows: dict[str, dict[str, Any]] = {}
        with self.core.lock:
            for a in wanted:
                if a in self.found:  # seen live meanwhile
                    continue
                if found is None:
                    self.failed[a] = error
                elif a in found.index:
                    self.found[a] = (str(found.at[a, "tx_hash"]), int(found.at[a, "block"]))
                else:
                    self.missing.add(a)
                if a in self.core.df.index:
                    rows[a] = self.fields(a)
            if rows:
                self.core.patch_rows(rows)

    def _since(self, wanted: list[str]) -> float | None:
        """The earliest submission time of ``wanted`` (unix seconds): no confirmation of them
        is older, so the log scan starts there."""
        with self.core.lock:
            times = self.core.df.loc[[a for a in wanted if a in self.core.df.index], "timestamp"]
            try:
                if not len(times) or times.isna().any():
                    return None
                return float(times.min().timestamp())
            except (AttributeError, TypeError, ValueError):  # not datetimes: scan it all
                return None
