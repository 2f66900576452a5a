"""Pending elsewhere: a confirmation of the same task, from the same key, already waiting in
the node's pool but not sent by this process (another kernel, a killed one, a wallet).

Sending a second one would revert and cost gas. The signal is a gap between the signer's
``pending`` and ``latest`` transaction counts (read in the pre-flight batch) that this
process's own pending confirmations do not explain. Then the node's pending block is inspected
for transactions from the signer to the Controller calling ``confirmResponse``; the task of each
such response is compared with ours. When the node cannot show what the gap holds, the
confirmation is refused too, saying what to do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode

from ..chain.codec import function, response_params, to_address
from ..errors import ConfirmationPendingElsewhereError, RpcError
from .engine import Calls, Engine, Undecodable, raw_result
from .preflight import Reading, State
from .process import PROCESS

__all__ = ["pending_elsewhere"]


def _confirmed_response(tx: dict[str, Any], controller: str) -> str | None:
    """The response a pending transaction confirms, if it is a ``confirmResponse`` call."""
    if str(tx.get("to") or "").lower() != controller.lower():
        return None
    data = str(tx.get("input") or tx.get("data") or "")
    selector = function("Controller", "confirmResponse")[0]
    if not data.lower().startswith(selector) or len(data) < 10 + 64:
        return None
    try:
        (response,) = abi_decode(["address"], bytes.fromhex(data[10:74]))
    except Exception:
        return None
    return to_address(response)


def _tasks_of(engine: Engine, responses: set[str], reading: Reading) -> dict[str, str]:
    """The task of each response: from the states read, the link cache, else one batch."""
    out = {s.response: s.task for s in reading.states if s.task}
    for r in responses - set(out):
        link = PROCESS.links.get(reading.identity, "response", r)
        if link is not None:
            out[r] = link.task
    unknown = sorted(responses - set(out))
    if unknown:
        c = Calls()
        index = {r: c.call(r, "Response", "getResponseParams") for r in unknown}
        res = engine.rpc.batch(c.calls)
        for r, i in index.items():
            # not a response: that transaction will revert, it confirms nothing
            with contextlib.suppress(Undecodable, ValueError):
                out[r] = response_params(raw_result(res[i], "getResponseParams"))[0]
    return out


def pending_elsewhere(
    engine: Engine, reading: Reading, signer: str, states: Sequence[State] | None = None
) -> dict[str, ConfirmationPendingElsewhereError]:
    """For each state (default: all read) whose task has a confirmation from ``signer`` pending
    on the node and not sent by this process, or a wallet's released hash (from any account)
    that the node now holds, the refusal saying so."""
    states = [s for s in (reading.states if states is None else states)
              if s.task and s.problem is None]  # fmt: skip
    if not states:
        return {}
    released = _released_pending(engine, reading, states)
    if reading.counts is None:
        return released
    out = _from_signer(engine, reading, signer, [s for s in states if s.response not in released])
    return {**released, **out}


def _released_pending(
    engine: Engine, reading: Reading, states: Sequence[State]
) -> dict[str, ConfirmationPendingElsewhereError]:
    """A wallet's hash released unseen for the task that the node now holds, not mined
    (whoever signed it): the refusal saying so. No request unless such a hash exists."""
    asked = [(s, h) for s in states
             for h in PROCESS.registry.released_hashes(reading.identity, s.task)]  # fmt: skip
    if not asked:
        return {}
    found = engine.rpc.batch([("eth_getTransactionByHash", [h]) for _, h in asked])
    out: dict[str, ConfirmationPendingElsewhereError] = {}
    for (s, h), tx in zip(asked, found, strict=True):
        if isinstance(tx, dict) and tx.get("blockNumber") is None and s.response not in out:
            out[s.response] = ConfirmationPendingElsewhereError(
                f"task {s.task} already has a confirmation pending on the node: transaction {h}, "
                "which a wallet reported earlier and the node did not know then (the task was "
                "released), has reached it. A second confirmation would revert and cost gas, "
                "so nothing was sent; wait for it to be mined",
                response=s.response,
                task=s.task,
                pending_tx=h,
                tx_hash=h,
            )
    return out


def _from_signer(
    engine: Engine, reading: Reading, signer: str, states: Sequence[State]
) -> dict[str, ConfirmationPendingElsewhereError]:
    """The signer's own pending transactions, from its nonce gap and the pending block."""
    if not states or reading.counts is None:
        return {}
    pending, latest = reading.counts
    own = PROCESS.registry.in_flight(reading.identity, signer)
    gap = pending - latest
    if gap <= len(own):
        return {}  # every transaction in flight is one of ours
    own_hashes = {c.signed_hash for c in own}
    block = engine.rpc.single("eth_getBlockByNumber", ["pending", True])
    txs = block.get("transactions") if isinstance(block, dict) else None
    if isinstance(block, RpcError) or not isinstance(txs, list):
        return _cannot_tell(states, signer, gap - len(own), "the node shows no pending block")
    if not all(isinstance(t, dict) for t in txs):
        return _cannot_tell(states, signer, gap - len(own),
                            "the node's pending block lists no transaction details")  # fmt: skip
    theirs = [t for t in txs if str(t.get("from") or "").lower() == signer.lower()
              and t.get("hash") not in own_hashes]  # fmt: skip
    confirming: dict[str, str] = {}  # response -> tx hash
    for t in theirs:
        r = _confirmed_response(t, engine.controller)
        if r is not None:
            confirming.setdefault(r, str(t.get("hash")))
    out: dict[str, ConfirmationPendingElsewhereError] = {}
    if confirming:
        task_of = _tasks_of(engine, set(confirming), reading)
        for r, tx_hash in confirming.items():
            for s in states:
                if task_of.get(r) == s.task and s.response not in out:
                    out[s.response] = ConfirmationPendingElsewhereError(
                        f"task {s.task} already has a confirmation pending on the node from "
                        f"{signer}: transaction {tx_hash} confirms response {r}, and this "
                        "process did not send it (another kernel, a killed one, or a wallet). "
                        "A second confirmation would revert and cost gas, so nothing was sent; "
                        "wait for it to be mined, or check the signer's pending transactions",
                        response=s.response,
                        task=s.task,
                        signer=signer,
                        pending_tx=tx_hash,
                        tx_hash=tx_hash,
                    )
    if len(theirs) < gap - len(own):
        rest = [s for s in states if s.response not in out]
        out.update(_cannot_tell(rest, signer, gap - len(own),
                                "the node's pending block does not show them all"))  # fmt: skip
    return out


def _cannot_tell(
    states: Sequence[State], signer: str, n: int, why: str
) -> dict[str, ConfirmationPendingElsewhereError]:
    return {
        s.response: ConfirmationPendingElsewhereError(
            f"{signer} has {n} pending transaction(s) on the node that this process did not "
            f"send, and {why}, so one of them may already confirm task {s.task}. Nothing was "
            "sent: wait for them to be mined, or check the signer's pending transactions, "
            "then try again",
            response=s.response,
            task=s.task,
            signer=signer,
        )
        for s in states
    }
