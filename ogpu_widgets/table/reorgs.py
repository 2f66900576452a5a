"""What a live table does about reorgs: the one backward move of its rows.

The poller retracts the events a reorg took back (``removed=True``; it saw the block hashes
change, so this is no lagging replica). :class:`Reorgs` files the tasks of those events; the
feed's worker then reads their rows again and shows the chain's states as they are, backward
too (:func:`~ogpu_widgets.live.state.reorg_changes`), with the control field ``reorged`` set
(the front-end marks the row). The table's own confirmations of those rows are re-checked
(:meth:`~ogpu_widgets.confirm.Confirmation.refresh`: in flight again, or dropped so that a
sibling can be confirmed). A ``refresh()`` takes the same backward moves for the tasks a reorg
touched since the last refresh and for rows whose own confirmation a reorg undid, and for
every row when the block the table's data was last known current at (``read_at``: the
poller's tip when the table paused, the head before a refresh's read) has another hash now (a
reorg the table did not follow: it was paused, or the fork was deeper than the poller looks);
any other read that is behind a row (a lagging replica) still moves nothing back.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import OgpuWidgetsError
from ..live.events import ResponseSubmitted
from ..live.forks import block_call, block_hash
from ..live.state import forward_changes, reorg_changes
from ..records import ConfirmationState
from .actions import action_fields

if TYPE_CHECKING:
    from .core import TableCore

__all__ = ["REORGED", "Reorgs"]

log = logging.getLogger("ogpu_widgets.table")

#: The control field of a row whose states a reorg moved back.
REORGED = "reorged"
_MUTABLE = ("status", "confirmed", "task_status")


class Reorgs:
    """The reorgs one table saw (see the module's docstring)."""

    def __init__(self, core: TableCore) -> None:
        self.core = core
        self._lock = threading.Lock()
        self.pending: set[str] = set()  # tasks to read again on the feed's worker
        self.since_refresh: set[str] = set()  # tasks a reorg touched since the last refresh
        self.gone: set[str] = set()  # rows whose response a reorg took back
        self.marked: set[str] = set()  # rows shown ``reorged``
        #: The block (number, hash) the table's data was last known current at, or None.
        self.read_at: tuple[int, str] | None = None
        self._deep: Any = None  # the poller's last too-deep reorg a refresh answered

    # ---- reorgs the table did not follow ---------------------------------------------------------

    def head_block(self) -> tuple[int, str] | None:
        """The node's head block (number, hash) now; None when the node does not say."""
        url = self.core.network.rpc_url
        try:
            answer = self.core.network.client().call("eth_getBlockByNumber", ["latest", False])
            number = int(answer["number"], 16)
            return number, str(block_hash(answer, number, url))
        except (OgpuWidgetsError, KeyError, TypeError, ValueError) as exc:
            log.debug("the head block of %s is unknown: %s", url, exc)
            return None

    def paused(self, head: Any, hashes: dict[int, str]) -> None:
        """The table stops following at the poller's ``head`` (its block ``hashes``)."""
        held = hashes.get(head) if isinstance(head, int) else None
        if held is not None:
            self.read_at = (head, held)

    def forked(self) -> bool:
        """Whether the block of :attr:`read_at` has another hash now (a reorg replaced it), or
        the table's poller met a reorg too deep to follow since the last refresh. A node that
        has no such block (a replica behind it) is no evidence of one."""
        sub = self.core.live.sub
        deep = sub.poller.reorg_error if sub is not None else None
        if deep is not None and deep is not self._deep:
            self._deep = deep
            return True
        if self.read_at is None:
            return False
        number, held = self.read_at
        url = self.core.network.rpc_url
        try:
            now = block_hash(self.core.network.client().call(*block_call(number)), number, url)
        except OgpuWidgetsError as exc:
            log.debug("block %d of %s could not be read again: %s", number, url, exc)
            return False
        return now is not None and now != held

    def file(self, events: list[Any]) -> list[Any]:
        """File the retractions among ``events`` (under the core's lock); the other events."""
        df = self.core.df
        kept = []
        for ev in events:
            if not getattr(ev, "removed", False):
                kept.append(ev)
                continue
            task = getattr(ev, "task", None)
            if task is None and ev.response in df.index:
                task = str(df.at[ev.response, "task"])
            if task is None:
                continue
            with self._lock:
                self.pending.add(task)
                self.since_refresh.add(task)
                if isinstance(ev, ResponseSubmitted) and ev.response in df.index:
                    self.gone.add(ev.response)
        return kept

    def take(self) -> list[str]:
        """The rows to read again now (of the tasks filed; not those whose response is gone),
        after their own confirmations were re-checked (on the feed's worker)."""
        with self._lock:
            tasks, self.pending = self.pending, set()
            gone = set(self.gone)
        if not tasks:
            return []
        with self.core.lock:
            df = self.core.df
            rows = [a for a in df.index[df["task"].isin(list(tasks))] if a not in gone]
        self.recheck(rows)
        return rows

    def recheck(self, rows: list[str]) -> set[str]:
        """Re-read the receipts of this table's mined confirmations of ``rows``; the rows
        whose confirmation a reorg undid (their action fields patched)."""
        confirmations = self.core.confirmer.confirmations
        undone: set[str] = set()
        for a in rows:
            conf = confirmations.get(a)
            if conf is None or conf.state != ConfirmationState.MINED:
                continue
            try:
                conf.refresh()
            except OgpuWidgetsError as exc:  # the node is down: the next reorg or refresh
                log.debug("re-checking the confirmation of %s failed: %s", a, exc)
                continue
            if conf.reorged and conf.state != ConfirmationState.MINED:
                undone.add(a)
                self.core.patch_rows({a: action_fields(conf)})
        return undone

    def apply(self, changes: dict[str, dict[str, Any]], fresh: pd.DataFrame | None,
              rows: list[str]) -> None:  # fmt: skip
        """Add the chain's states of ``rows`` in ``fresh`` (read after the reorg) to
        ``changes``, backward too (under the core's lock); the gone rows are marked."""
        df = self.core.df
        with self._lock:
            gone, self.gone = self.gone, set()
        for a in gone:
            if a in df.index:
                changes.setdefault(a, {})[REORGED] = True
                self.marked.add(a)
        if fresh is None:
            return
        for a in fresh.index.intersection(pd.Index(rows)).intersection(df.index):
            current = {c: df.at[a, c] for c in _MUTABLE}
            current.update({k: v for k, v in changes.get(a, {}).items() if k in _MUTABLE})
            moved = reorg_changes(current, {c: fresh.at[a, c] for c in _MUTABLE})
            if moved:
                changes.setdefault(a, {}).update(moved)
                if moved.get(REORGED):
                    self.marked.add(a)

    def for_refresh(self, rows: list[str]) -> set[str]:
        """Before a refresh's read: the rows whose read may move them back (of the tasks a
        reorg touched since the last refresh, or of which a reorg undid this table's own
        confirmation)."""
        with self._lock:
            tasks, self.since_refresh = self.since_refresh, set()
        if self.forked():  # a reorg the table did not follow: every row as the chain is
            log.info("the chain the table last read was replaced by a reorg; the refresh shows "
                     "every row as the chain is now")  # fmt: skip
            self.recheck(rows)
            return set(rows)
        undone = self.recheck(rows)
        with self.core.lock:
            df = self.core.df
            tasks |= {df.at[a, "task"] for a in undone if a in df.index}
            return {a for a in rows if a in df.index and df.at[a, "task"] in tasks}

    def refreshed(self, old: pd.DataFrame, df: pd.DataFrame, back: set[str]) -> pd.DataFrame:
        """A refresh's read ``df`` as shown over the rows ``old`` (under the core's lock):
        states only move forward, whatever the replica answered, but for the rows of ``back``
        (:meth:`for_refresh`), which show the chain as it is and are marked if they moved back."""
        df = df.copy()
        for a in df.index.intersection(old.index):
            read = {c: df.at[a, c] for c in _MUTABLE}
            shown = {c: old.at[a, c] for c in _MUTABLE}
            if a not in back:
                for c, v in forward_changes(read, shown).items():
                    df.loc[a, c] = v
            elif reorg_changes(shown, read).get(REORGED):
                self.marked.add(a)
        return df

    def remark(self, index: pd.Index) -> None:
        """Send the ``reorged`` marks of the rows of ``index`` again (after a new snapshot)."""
        marks = {a: {REORGED: True} for a in self.marked if a in index}
        if marks:
            self.core.patch_rows(marks)
