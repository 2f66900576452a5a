"""Nonces and sending: sign, record, then broadcast; a transaction that may have reached the
node is *in flight*, never signed again with another nonce.

The signed raw transaction and its hash are recorded on the :class:`Confirmation` before the
broadcast; "already known" or a lost reply mean in flight; "nonce too low" for a transaction the
node does not know means it can never be mined, so a fresh nonce cannot pay twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..chain.rpc import RpcClient, Unreachable
from ..errors import (
    ConfirmationError,
    ConnectionError_,
    InsufficientFundsError,
    RpcError,
    TransactionRevertedError,
)
from .engine import Engine
from .fees import Plan, fee_fields
from .signer import Signer, sign

if TYPE_CHECKING:
    from .confirmation import Confirmation

__all__ = ["Call", "Nonces", "broadcast", "send"]

logger = logging.getLogger("ogpu_widgets.confirm")

# how nodes (geth, anvil, erigon, nethermind, besu, ...) say "I already have this transaction"
_KNOWN = (
    "already known",
    "alreadyknown",
    "already imported",
    "known transaction",
    "already in",
    "already exists",
    "already have",
)
# ... and "this nonce is not yours to use now"
_NONCE = (
    "nonce too low",
    "nonce is too low",
    "oldnonce",
    "nonce too high",
    "invalid nonce",
    "already been used",
    "replacement transaction underpriced",
    "replacement underpriced",
)


@dataclass(frozen=True)
class Call:
    """What a transaction calls: ``data`` sent ``to`` a contract. ``key`` is what *never twice*
    is about in the registry (a task; an (account, agent) pair); ``what`` names it in messages."""

    to: str
    data: str
    key: Any
    what: str


class Nonces:
    """Next nonce per (chain identity, account). Hold ``lock(key)`` from ``reserve`` until
    ``commit`` or ``resync``: that is what makes concurrent confirmations take consecutive
    nonces."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple, threading.RLock] = {}
        self._next: dict[tuple, int] = {}

    def lock(self, key: tuple) -> threading.RLock:
        with self._guard:
            lk = self._locks.get(key)
            if lk is None:
                lk = self._locks[key] = threading.RLock()
            return lk

    def reserve(self, rpc: RpcClient, key: tuple) -> int:
        pending = rpc.call("eth_getTransactionCount", [key[1], "pending"])
        if not isinstance(pending, str):
            raise ConfirmationError(
                f"the node answered eth_getTransactionCount with {pending!r}, not a count; "
                "nothing was sent"
            )
        return max(int(pending, 16), self._next.get(key, 0))

    def commit(self, key: tuple, nonce: int) -> None:
        self._next[key] = max(self._next.get(key, 0), nonce + 1)

    def resync(self, key: tuple) -> None:
        self._next.pop(key, None)  # the next reserve trusts the node's pending count

    def forget(self, identity: Any) -> None:
        with self._guard:
            for key in [k for k in self._next if k[0] == identity]:
                self._next.pop(key, None)


def tx_known(rpc: RpcClient, tx_hash: str) -> bool | None:
    """Whether the node has ``tx_hash`` (pool or chain); ``None`` when it cannot tell."""
    try:
        found = rpc.batch(
            [("eth_getTransactionByHash", [tx_hash]), ("eth_getTransactionReceipt", [tx_hash])]
        )
    except ConnectionError_:
        return None
    if any(x and not isinstance(x, RpcError) for x in found):
        return True
    return None if any(isinstance(x, RpcError) for x in found) else False


def broadcast(engine: Engine, c: Confirmation, raw: str, tx_hash: str) -> str:
    """Send ``raw``: "sent", "known" (already in the pool or chain), "in flight" (the reply was
    lost) or "nonce" (refused for its nonce, not known to the node). Raises on a definitive
    refusal."""
    try:
        engine.rpc.call("eth_sendRawTransaction", [raw])
        return "sent"
    except RpcError as err:
        msg = err.message.lower()
        if any(k in msg for k in _KNOWN):
            return "known"
        if any(k in msg for k in _NONCE):
            known = tx_known(engine.rpc, tx_hash)
            if known is None:  # cannot tell: it may be ours, mined; never sign a second one
                return "in flight"
            return "known" if known else "nonce"
        data = {"response": c.response or None, "task": c.task or None, "signer": c.signer}
        what = c.call.what
        if "insufficient funds" in msg:
            raise InsufficientFundsError(
                f"the node refused {what}: {c.signer} cannot pay "
                f"for its gas ({err.message}); send it some OGPU first (nothing was sent)",
                **data,
            ) from None
        raise TransactionRevertedError(
            f"the node refused {what}: {err.message} (nothing was sent)",
            **data,
        ) from None
    except Unreachable as err:
        if not err.maybe_sent:
            raise
        logger.warning(
            "no reply to broadcasting %s (tx %s): treating it as in flight", c.call.what, tx_hash
        )
        return "in flight"


def send(engine: Engine, c: Confirmation, signer: Signer, plan: Plan, nonces: Nonces) -> None:
    """Sign and broadcast ``c``; the caller holds the nonce lock of (chain, signer)."""
    key = (c.identity, c.signer)
    fields = {
        "chainId": engine.network.chain_id,
        "to": c.call.to,
        "data": c.call.data,
        "value": 0,
        "gas": plan.gas_limit,
        **fee_fields(plan),
    }
    for _attempt in range(3):
        nonce = nonces.reserve(engine.rpc, key)
        signed = sign(signer, {**fields, "nonce": nonce})
        raw, tx_hash = signed.raw_transaction.to_0x_hex(), signed.hash.to_0x_hex()
        del signed
        c.signed(raw, tx_hash, nonce, plan.gas_limit)
        logger.debug(
            "signed %s: tx %s, nonce %d, gas %d; broadcasting",
            c.call.what,
            tx_hash,
            nonce,
            plan.gas_limit,
        )
        outcome = broadcast(engine, c, raw, tx_hash)
        if outcome == "nonce":
            # the node never took this transaction and its nonce is used: it can never be mined,
            # so signing again with a fresh nonce cannot pay twice
            logger.info("nonce %d refused for %s; resyncing from the node", nonce, c.signer)
            nonces.resync(key)
            continue
        nonces.commit(key, nonce)
        c.sent()
        logger.info("sent %s: tx %s (nonce %d, %s)", c.call.what, tx_hash, nonce, outcome)
        return
    raise ConfirmationError(
        f"the node kept refusing the nonce of {c.signer} for {c.call.what}; another wallet "
        "may be sending from this account at the same time (nothing was sent)",
        response=c.response or None,
        task=c.task or None,
        signer=c.signer,
    )
