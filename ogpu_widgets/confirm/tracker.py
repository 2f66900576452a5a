"""The watcher: one daemon thread polling the receipts of every pending transaction of the
confirm path (confirmations and agent changes) in batches, and asking a transaction the node has
forgotten to rebroadcast itself (:meth:`~.confirmation.Confirmation.rebroadcast`); and
:func:`recheck`, a done transaction's receipt read again (a reorg may have taken it back)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from ..errors import RpcError
from .engine import Engine

if TYPE_CHECKING:
    from .confirmation import Confirmation

__all__ = ["DROPPED_AFTER", "POLL_INTERVAL", "REBROADCAST_INTERVAL", "Tracker", "poll", "recheck"]

logger = logging.getLogger("ogpu_widgets.confirm")

#: Seconds a pending transaction may go unseen before the node is asked whether it still knows
#: it; if it does not, the same raw transaction is broadcast again.
REBROADCAST_INTERVAL = 10.0
#: Receipt polling interval, seconds: starts at the first value, backs off to the second.
POLL_INTERVAL = (0.02, 1.0)
#: How many times a pending transaction must be refused as "nonce too low" (while no receipt
#: exists) before it counts as replaced by another transaction of the same nonce.
DROPPED_AFTER = 3


class Tracker:
    """One daemon thread polling the receipts of every pending confirmation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, Confirmation] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, c: Confirmation) -> None:
        with self._lock:
            self._items[id(c)] = c
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ogpu-confirmations", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def discard(self, c: Confirmation) -> None:
        with self._lock:
            self._items.pop(id(c), None)

    def poke(self) -> None:
        self._wake.set()

    def watching(self) -> list[Confirmation]:
        """The transactions being watched now."""
        with self._lock:
            return list(self._items.values())

    def _run(self) -> None:
        interval = POLL_INTERVAL[0]
        while True:
            with self._lock:
                items = [c for c in self._items.values() if c.state == "pending"]
                if not items:
                    self._items.clear()
                    self._thread = None
                    return
            groups: dict[int, list[Confirmation]] = {}
            for c in items:
                groups.setdefault(id(c.engine), []).append(c)
            for group in groups.values():
                try:
                    poll(group[0].engine, group)
                except Exception:
                    logger.debug("polling confirmations failed; retrying", exc_info=True)
            if self._wake.wait(interval):
                self._wake.clear()
                interval = POLL_INTERVAL[0]
            else:
                interval = min(interval * 1.5, POLL_INTERVAL[1])

    def __repr__(self) -> str:
        return f"<Tracker of {len(getattr(self, '_items', {}))} confirmation(s)>"


def poll(engine: Engine, items: list[Confirmation]) -> None:
    """One round: receipts of ``items``; the forgotten ones are rebroadcast."""
    rpc = engine.rpc
    receipts = rpc.batch([("eth_getTransactionReceipt", [c.tx_hash]) for c in items])
    now = time.monotonic()
    stale = []
    for c, receipt in zip(items, receipts, strict=True):
        if isinstance(receipt, RpcError):
            continue
        if receipt:
            c.apply_receipt(receipt)
        elif c.unseen(now, c.unseen_clock.interval if c.unseen_clock else REBROADCAST_INTERVAL):
            stale.append(c)
    if not stale:
        return
    known = rpc.batch([("eth_getTransactionByHash", [c.tx_hash]) for c in stale])
    for c, tx in zip(stale, known, strict=True):
        if isinstance(tx, RpcError):
            continue
        if c.unseen_clock is not None:  # a wallet's: released once unknown past its time-out
            c.unseen_clock.asked(c, bool(tx), now)
        elif not tx:
            c.rebroadcast()


def recheck(c: Confirmation) -> bool:
    """Read the receipt of ``c`` again (with the transaction, in one batch): applied when there
    is one (a reorg may have mined it in another block); a done transaction without one was
    undone by a reorg (:meth:`~.confirmation.Confirmation.unmined`: in flight again if the
    node still has it, else dropped). Whether the node knows the transaction. A failed read
    raises a typed error."""
    tx_hash = c.tx_hash
    if tx_hash is None:
        return False
    receipt, known = c.engine.rpc.batch(
        [("eth_getTransactionReceipt", [tx_hash]), ("eth_getTransactionByHash", [tx_hash])]
    )
    for answer in (receipt, known):
        if isinstance(answer, RpcError):
            raise answer
    if receipt:
        c.apply_receipt(receipt)
    elif c.done:
        logger.warning("transaction %s lost its receipt: undone by a reorg", tx_hash)
        c.unmined(known is not None)
    return bool(receipt) or known is not None
