"""Agents: a client authorizes another account to confirm for it (``Terminal.setAgent``), so a
kernel can hold a revocable agent key instead of the key of the client's funds.

    authorize_agent("0xAGENT", account=client_key)   # once, from wherever the client key lives
    confirm_response(r, account=agent_key)            # the agent confirms; gas from its balance
    revoke_agent("0xAGENT", account=client_key)      # one call takes it back
    is_agent_of("0xCLIENT", "0xAGENT")                # -> bool

``authorize_agent``/``revoke_agent`` send through the confirmations' send path: the same
signer (:mod:`.signer`), fee plan and funds check (:mod:`.fees`), nonces under the same lock
per (chain, account) (:mod:`.broadcast`; an agent change and a confirmation from one account
take consecutive nonces) and the same classification of the node's replies. Never twice: the
current state is read first (nothing is sent when the agent is already in the requested
state), a change already waiting in the node's pool is not sent again, and a change in flight
from this process is joined, not repeated.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ..chain.codec import ZERO_ADDRESS, calldata, to_address
from ..chain.network import Network, NetworkLike, resolve_network
from ..chain.revert import revert_reason
from ..chain.rpc import RpcError
from ..errors import (
    AgentError,
    InvalidAgentError,
    InvalidArgumentError,
    NetworkConfigError,
    ReadError,
    TransactionRevertedError,
)
from .broadcast import broadcast, tx_known
from .engine import Calls, Engine, Undecodable, decoded, must
from .fees import check_funds, fee_fields, plan_fees
from .flow import typed
from .process import PROCESS
from .signer import AccountLike, Signer, sign
from .tracker import POLL_INTERVAL, REBROADCAST_INTERVAL

__all__ = ["AgentChange", "agent_relations", "authorize_agent", "is_agent_of", "revoke_agent"]


@dataclass
class AgentChange:
    """The outcome of :func:`authorize_agent`/:func:`revoke_agent`.

    ``authorized`` is the state asked for; ``changed`` is False when the agent already was in
    it (nothing was sent, ``state == "unchanged"``). Otherwise ``state`` is ``"pending"``
    (sent, not mined: ``wait=False``), ``"mined"`` or ``"reverted"``; ``tx_hash``,
    ``block_number``, ``status`` (the receipt's 1 or 0), ``gas_used`` and ``fee_paid`` (wei,
    paid by ``account``) say how."""

    account: str
    agent: str
    authorized: bool
    changed: bool
    state: str
    network: str
    tx_hash: str | None = None
    nonce: int | None = None
    block_number: int | None = None
    status: int | None = None
    gas_used: int | None = None
    fee_paid: int | None = None

    @property
    def done(self) -> bool:
        return self.state != "pending"

    def wait(self, timeout: float = 120) -> AgentChange:
        """Block until mined (``wait=False`` returned it pending); a revert raises
        :class:`~ogpu_widgets.errors.TransactionRevertedError`, a time-out
        :class:`~ogpu_widgets.errors.AgentError` (still in flight, not failed)."""
        return _finish(self, True, timeout)

    def __str__(self) -> str:
        return self.tx_hash or ""


class _Job:
    """What :func:`~.broadcast.broadcast` needs to word and carry its errors."""

    response = task = None

    def __init__(self, signer: str, agent: str, value: bool) -> None:
        self.signer = signer
        self.what = f"Terminal.setAgent({agent}, {value}) from {signer}"


# never twice within this process: the change in flight per (chain, account, agent)
_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple, threading.Lock] = {}
_IN_FLIGHT: dict[tuple, tuple[AgentChange, str, Engine]] = {}


def _key_lock(key: tuple) -> threading.Lock:
    with _LOCK:
        return _KEY_LOCKS.setdefault(key, threading.Lock())


def _terminal(net: Network) -> str:
    if not net.terminal:
        raise NetworkConfigError(
            f"network {net.name!r} has no Terminal address, so agents cannot be set or checked; "
            "give it one: Network.custom(rpc_url, ..., terminal='0x...')"
        )
    return net.terminal


def _agent(value: Any, what: str = "agent address") -> str:
    address = to_address(value, what)
    if address == ZERO_ADDRESS:
        raise InvalidAgentError(
            f"{what} is the zero address, which nobody can sign for; pass the agent's address",
            agent=address,
            argument=what,
        )
    return address


def _answer(result: Any, terminal: str, net: Network) -> bool:
    try:
        return bool(decoded(result, "Terminal", "isAgentOf"))
    except Undecodable:
        raise NetworkConfigError(
            f"the Terminal address {terminal} of network {net.name!r} does not answer "
            "isAgentOf(); check the network's terminal address"
        ) from None


def is_agent_of(client: str, agent: str, *, network: NetworkLike = None) -> bool:
    """Whether ``client`` has authorized ``agent`` in the Terminal (it may then confirm the
    client's responses). A node that keeps failing raises
    :class:`~ogpu_widgets.errors.NodeUnavailableError`, never False."""
    principal = to_address(client, "client address")
    address = _agent(agent)
    if address == principal:
        raise InvalidAgentError(
            f"{address} is both the client and the agent: an account signs for itself and is "
            "never its own agent; pass the agent's address",
            account=principal,
            agent=address,
            argument="agent",
        )
    net = resolve_network(network)
    terminal = _terminal(net)
    with typed(f"checking whether {address} is an agent of {principal}"):
        engine = PROCESS.engine(net)
        c = Calls()
        i_chain, i_genesis = c.add("eth_chainId"), c.add("eth_getBlockByNumber", "0x0", False)
        i = c.call(terminal, "Terminal", "isAgentOf", principal, address)
        res = engine.rpc.batch(c.calls)
        engine.set_identity(res[i_chain], res[i_genesis])
        return _answer(res[i], terminal, net)


def authorize_agent(
    agent: str,
    *,
    account: AccountLike = None,
    network: NetworkLike = None,
    wait: bool = True,
    timeout: float = 120,
) -> AgentChange:
    """Authorize ``agent`` to act for ``account`` (the client; default ``$CLIENT_PRIVATE_KEY``):
    sends ``Terminal.setAgent(agent, true)``. The agent's key can then confirm the client's
    responses; its own balance pays the gas, the client's escrow still pays the providers.
    Nothing is sent when it is already authorized (``changed`` False). With ``wait``, returns
    once mined (a revert raises :class:`~ogpu_widgets.errors.TransactionRevertedError`)."""
    try:
        signer = Signer.resolve(account)
    finally:
        del account
    return _set_agent(signer, agent, True, network, wait, timeout)


def revoke_agent(
    agent: str,
    *,
    account: AccountLike = None,
    network: NetworkLike = None,
    wait: bool = True,
    timeout: float = 120,
) -> AgentChange:
    """Take back ``agent``'s authorization from ``account`` (the client): sends
    ``Terminal.setAgent(agent, false)``; nothing is sent when it is not authorized."""
    try:
        signer = Signer.resolve(account)
    finally:
        del account
    return _set_agent(signer, agent, False, network, wait, timeout)


def _set_agent(
    signer: Signer, agent: Any, value: bool, network: NetworkLike, wait: bool, timeout: float
) -> AgentChange:
    address = _agent(agent)
    me = signer.address
    if address == me:
        raise InvalidAgentError(
            f"the agent {address} is the signing account itself: an account never needs to be "
            "its own agent; pass another address (the key the kernel will hold)",
            account=me,
            agent=address,
            signer=me,
            argument="agent",
        )
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise InvalidArgumentError(f"timeout={timeout!r} is not a number of seconds > 0",
                                   argument="timeout")  # fmt: skip
    net = resolve_network(network)
    terminal = _terminal(net)
    verb = "authorizing" if value else "revoking"
    with typed(f"{verb} agent {address}"):
        engine = PROCESS.engine(net)
        identity = engine.current_identity()
        key = (identity, me, address)
        with _key_lock(key):
            change = _joined(key, value)
            if change is None:
                change, raw = _send_change(engine, signer, terminal, address, value)
                if change.state == "pending":
                    with _LOCK:
                        _IN_FLIGHT[key] = (change, raw, engine)
        return _finish(change, wait, timeout)


def _joined(key: tuple, value: bool) -> AgentChange | None:
    """The change in flight from this process for ``key``, if any (refused if it asks the
    opposite)."""
    with _LOCK:
        entry = _IN_FLIGHT.get(key)
    if entry is None or entry[0].done:
        return None
    change = entry[0]
    if change.authorized != value:
        raise AgentError(
            f"a change of agent {change.agent} to authorized={change.authorized} from "
            f"{change.account} is still pending (tx {change.tx_hash}); wait for it to be mined "
            "before changing it again (nothing was sent)",
            account=change.account,
            agent=change.agent,
            signer=change.account,
            tx_hash=change.tx_hash,
        )
    return change


def _send_change(
    engine: Engine, signer: Signer, terminal: str, agent: str, value: bool
) -> tuple[AgentChange, str]:
    """Read, check, simulate and price in one batch; then sign and broadcast (or not). Returns
    the change and its signed raw transaction ("" when nothing was sent; it holds no key)."""
    me, net = signer.address, engine.network
    data = calldata("Terminal", "setAgent", agent, value)
    tx = {"from": me, "to": terminal, "data": data}
    c = Calls()
    i_chain, i_genesis = c.add("eth_chainId"), c.add("eth_getBlockByNumber", "0x0", False)
    i_block = c.add("eth_getBlockByNumber", "latest", False)
    i_now = c.call(terminal, "Terminal", "isAgentOf", me, agent)
    i_pend = c.call(terminal, "Terminal", "isAgentOf", me, agent, tag="pending")
    i_code = c.add("eth_getCode", agent, "latest")
    i_call, i_gas = c.add("eth_call", tx, "pending"), c.add("eth_estimateGas", tx, "pending")
    i_balance = c.add("eth_getBalance", me, "pending")
    i_price, i_tip = c.add("eth_gasPrice"), c.add("eth_maxPriorityFeePerGas")
    res = engine.rpc.batch(c.calls)
    identity = engine.set_identity(res[i_chain], res[i_genesis])
    ids = {"account": me, "agent": agent, "signer": me}
    code = must(res[i_code], f"eth_getCode({agent})")
    if code not in ("0x", "0x0") and not str(code).lower().startswith("0xef0100"):
        raise InvalidAgentError(
            f"{agent} is a contract on {net.name}, not an account with a key: an agent signs "
            "transactions, so pass the address of the key the kernel will hold (nothing was sent)",
            argument="agent",
            **ids,
        )
    now = _answer(res[i_now], terminal, net)
    result = AgentChange(me, agent, value, False, "unchanged", net.name)
    if now == value:
        return result, ""
    try:
        pending = bool(decoded(res[i_pend], "Terminal", "isAgentOf"))
    except (Undecodable, RpcError):
        pending = now  # a node without a pending state: nothing to learn from it
    if pending == value:
        raise AgentError(
            f"a Terminal.setAgent({agent}, {value}) from {me} is already waiting in the node's "
            "pool (sent by another process or wallet); nothing was sent: wait for it to be "
            "mined, then check is_agent_of()",
            **ids,
        )
    failure = next((x for x in (res[i_call], res[i_gas]) if isinstance(x, RpcError)), None)
    if failure is not None:
        reason = revert_reason(failure)
        raise TransactionRevertedError(
            f"simulating Terminal.setAgent({agent}, {value}) from {me} "
            + (f"reverted with {reason}" if reason else f"failed ({failure.message})")
            + "; nothing was sent",
            reason=reason,
            signer=me,
        )
    block = must(res[i_block], "reading the latest block")
    base_fee = block.get("baseFeePerGas") if isinstance(block, dict) else None
    tip = res[i_tip]
    plan = plan_fees(
        int(must(res[i_gas], "eth_estimateGas"), 16),
        gas_price=int(must(res[i_price], "eth_gasPrice"), 16),
        base_fee=None if base_fee is None else int(base_fee, 16),
        priority_fee=int(tip, 16) if isinstance(tip, str) else None,
        block_gas_limit=int(block.get("gasLimit") or "0x0", 16),
    )
    balance = int(must(res[i_balance], f"eth_getBalance({me})"), 16)
    check_funds(balance, plan.max_cost, me, f"Terminal.setAgent({agent}, {value})")
    fields = {"chainId": net.chain_id, "to": terminal, "data": data, "value": 0,
              "gas": plan.gas_limit, **fee_fields(plan)}  # fmt: skip
    job, nkey = _Job(me, agent, value), (identity, me)
    with PROCESS.nonces.lock(nkey):
        for _attempt in range(3):
            nonce = PROCESS.nonces.reserve(engine.rpc, nkey)
            signed = sign(signer, {**fields, "nonce": nonce})
            raw, tx_hash = signed.raw_transaction.to_0x_hex(), signed.hash.to_0x_hex()
            del signed
            outcome = broadcast(engine, job, raw, tx_hash)  # type: ignore[arg-type]
            if outcome == "nonce":  # never taken and its nonce used: it can never be mined
                PROCESS.nonces.resync(nkey)
                continue
            PROCESS.nonces.commit(nkey, nonce)
            result.changed, result.state = True, "pending"
            result.tx_hash, result.nonce = tx_hash, nonce
            return result, raw
    raise AgentError(
        f"the node kept refusing the nonce of {me} for Terminal.setAgent({agent}, {value}); "
        "another wallet may be sending from this account at the same time (nothing was sent)",
        **ids,
    )


def _finish(change: AgentChange, wait: bool, timeout: float) -> AgentChange:
    """Wait for ``change``'s receipt (rebroadcasting the same transaction if the node forgot
    it); a revert raises."""
    if not wait or change.done:
        return change
    with _LOCK:
        entry = next((e for e in _IN_FLIGHT.values() if e[0] is change), None)
    if entry is None:
        return change
    _, raw, engine = entry
    deadline = time.monotonic() + timeout
    interval, seen = POLL_INTERVAL[0], time.monotonic()
    while change.state == "pending":
        receipt = engine.rpc.call("eth_getTransactionReceipt", [change.tx_hash])
        if receipt:
            _apply(change, receipt)
            break
        if time.monotonic() - seen >= REBROADCAST_INTERVAL:
            seen = time.monotonic()
            if tx_known(engine.rpc, change.tx_hash) is False:  # type: ignore[arg-type]
                broadcast(engine, _Job(change.account, change.agent, change.authorized), raw,
                          change.tx_hash)  # type: ignore[arg-type]  # fmt: skip
        if time.monotonic() >= deadline:
            raise AgentError(
                f"Terminal.setAgent({change.agent}, {change.authorized}) (tx {change.tx_hash}) "
                f"is still pending after {timeout} s: in flight, not failed; check "
                "is_agent_of() later",
                account=change.account,
                agent=change.agent,
                tx_hash=change.tx_hash,
            )
        time.sleep(interval)
        interval = min(interval * 1.5, POLL_INTERVAL[1])
    if change.state == "reverted":
        raise TransactionRevertedError(
            f"Terminal.setAgent({change.agent}, {change.authorized}) from {change.account} "
            f"(tx {change.tx_hash}) reverted in block {change.block_number}",
            signer=change.account,
            tx_hash=change.tx_hash,
        )
    return change


def _apply(change: AgentChange, receipt: Any) -> None:
    try:
        status = int(receipt.get("status") or "0x0", 16)
        change.block_number = int(receipt["blockNumber"], 16)
        change.gas_used = int(receipt.get("gasUsed") or "0x0", 16)
        change.fee_paid = change.gas_used * int(receipt.get("effectiveGasPrice") or "0x0", 16)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ReadError(f"the node returned a malformed receipt for {change.tx_hash}; check "
                        "is_agent_of() later") from None  # fmt: skip
    change.status = status
    change.state = "mined" if status == 1 else "reverted"
    with _LOCK:
        for k in [k for k, e in _IN_FLIGHT.items() if e[0] is change]:
            del _IN_FLIGHT[k]


def agent_relations(network: NetworkLike, clients: Any, agent: str) -> dict[str, bool]:
    """``isAgentOf(client, agent)`` for each distinct client (other than ``agent``) in one
    batch: what the table reads about its signer. Raises like :func:`is_agent_of`."""
    net = resolve_network(network)
    address = to_address(agent, "agent address")
    todo = [c for c in dict.fromkeys(to_address(x, "client address") for x in clients)
            if c != address]  # fmt: skip
    if not todo:
        return {}
    terminal = _terminal(net)
    with typed(f"checking whom {address} is an agent of"):
        engine = PROCESS.engine(net)
        c = Calls()
        i_chain, i_genesis = c.add("eth_chainId"), c.add("eth_getBlockByNumber", "0x0", False)
        index = {x: c.call(terminal, "Terminal", "isAgentOf", x, address) for x in todo}
        res = engine.rpc.batch(c.calls)
        engine.set_identity(res[i_chain], res[i_genesis])
        return {x: _answer(res[i], terminal, net) for x, i in index.items()}
