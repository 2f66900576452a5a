"""Agents: a client authorizes another account to confirm for it (``Terminal.setAgent``), so a
kernel can hold a revocable agent key instead of the key of the client's funds.

    authorize_agent("0xAGENT", account=client_key)   # once, from wherever the client key lives
    confirm_response(r, account=agent_key)            # the agent confirms; gas from its balance
    revoke_agent("0xAGENT", account=client_key)      # one call takes it back
    is_agent_of("0xCLIENT", "0xAGENT")                # -> bool

``authorize_agent``/``revoke_agent`` send through the confirmations' path: the same signer
(:mod:`.signer`), fee plan and funds check (:mod:`.fees`), the same registry, nonces and
sending (:func:`.pipeline.dispatch`: an agent change and a confirmation from one account take
consecutive nonces) and the same tracker. The change is a :class:`~.confirmation.Confirmation`
of ``Terminal.setAgent`` (registered under (account, agent)); :class:`AgentChange` is its
public record. Never twice: under the account's nonce lock, a change in flight from this
process is joined (its opposite refused), else the current state is read (nothing is sent
when the agent is already in the requested state) and a change already waiting in the node's
pool is not sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..chain.codec import ZERO_ADDRESS, calldata, to_address
from ..chain.network import Network, NetworkLike, resolve_network
from ..chain.revert import revert_reason
from ..errors import (
    AgentError,
    ConfirmationTimeoutError,
    InvalidAgentError,
    InvalidArgumentError,
    NetworkConfigError,
    RpcError,
    TransactionRevertedError,
)
from ..records import ConfirmationState
from .broadcast import Call
from .confirmation import Confirmation
from .engine import Calls, Engine, Undecodable, decoded, must
from .fees import Plan, Prices, check_funds
from .pipeline import dispatch, typed
from .process import PROCESS
from .signer import AccountLike, Signer, resolved, resolves_account

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

    def __post_init__(self) -> None:
        #: The transaction the one tracker follows (``None`` when nothing was sent); not a
        #: field, so ``dataclasses.asdict`` and ``==`` see the record only.
        self._transaction: Confirmation | None = None

    @property
    def done(self) -> bool:
        return self.state != "pending"

    def wait(self, timeout: float = 120) -> AgentChange:
        """Block until mined (``wait=False`` returned it pending); a revert raises
        :class:`~ogpu_widgets.errors.TransactionRevertedError`, a time-out
        :class:`~ogpu_widgets.errors.AgentError` (still in flight, not failed)."""
        return _finish(self, True, timeout)

    def _follow(self, c: Confirmation) -> None:
        """``c``'s state changes, as this record's fields (an ``on_update`` callback)."""
        state = c.state
        if state == ConfirmationState.SIGNING:
            return
        self.tx_hash, self.nonce, self.block_number = c.tx_hash, c.nonce, c.block_number
        self.gas_used, self.fee_paid = c.gas_used, c.fee_paid
        if state.done and c.block_number is not None:
            self.status = 1 if state == ConfirmationState.MINED else 0
        self.state = str(state.value)

    def __str__(self) -> str:
        return self.tx_hash or ""


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
    return agent_relations(network, [principal], address)[principal]


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


@resolves_account
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
    return _set_agent(resolved(account), agent, True, network, wait, timeout)


@resolves_account
def revoke_agent(agent: str, *, account: AccountLike = None, network: NetworkLike = None,
                 wait: bool = True, timeout: float = 120) -> AgentChange:  # fmt: skip
    """Take back ``agent``'s authorization from ``account`` (the client): sends
    ``Terminal.setAgent(agent, false)``; nothing is sent when it is not authorized."""
    return _set_agent(resolved(account), agent, False, network, wait, timeout)


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
        call = Call(terminal, calldata("Terminal", "setAgent", address, value),
                    ("agent", me, address), f"Terminal.setAgent({address}, {value}) from {me}")  # fmt: skip
        # one change per account at a time, from the read to the send: the nonce lock that
        # every transaction from the account takes (re-entered by dispatch)
        with PROCESS.nonces.lock((identity, me)):
            change = _joined(PROCESS.registry.get(identity, call.key), value)
            if change is None:
                change = _send_change(engine, signer, call, value)
        return _finish(change, wait, timeout)


def _joined(entry: Confirmation | None, value: bool) -> AgentChange | None:
    """The change in flight from this process (refused if it asks the opposite)."""
    if entry is None or entry.done or not isinstance(entry.view, AgentChange):
        return None
    change = entry.view
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


def _send_change(engine: Engine, signer: Signer, call: Call, value: bool) -> AgentChange:
    """Read, check, simulate and price in one batch; then register and send it (or not)."""
    me, net, terminal = signer.address, engine.network, call.to
    agent = call.key[2]
    tx = {"from": me, "to": terminal, "data": call.data}
    c = Calls()
    i_chain, i_genesis = c.add("eth_chainId"), c.add("eth_getBlockByNumber", "0x0", False)
    i_block = c.add("eth_getBlockByNumber", "latest", False)
    i_now = c.call(terminal, "Terminal", "isAgentOf", me, agent)
    i_pend = c.call(terminal, "Terminal", "isAgentOf", me, agent, tag="pending")
    i_code = c.add("eth_getCode", agent, "latest")
    i_call, i_gas = c.add("eth_call", tx, "pending"), c.add("eth_estimateGas", tx, "pending")
    prices = Prices(c, me)
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
    if now == value:
        return AgentChange(me, agent, value, False, "unchanged", net.name)
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
            f"simulating {call.what} "
            + (f"reverted with {reason}" if reason else f"failed ({failure.message})")
            + "; nothing was sent",
            reason=reason,
            signer=me,
        )
    prices.read(res, must(res[i_block], "reading the latest block"))
    plan: Plan = prices.plan(res[i_gas])
    check_funds(prices.balance, plan.max_cost, me, f"Terminal.setAgent({agent}, {value})")
    sent = Confirmation(engine, identity, None, me, call=call)
    change = AgentChange(me, agent, value, True, "pending", net.name)
    change._transaction, sent.view = sent, change
    sent.add_callback(change._follow, now=False)
    PROCESS.registry.add(sent)
    dispatch(engine, [sent], signer, [plan])
    return change


def _finish(change: AgentChange, wait: bool, timeout: float) -> AgentChange:
    """Wait for ``change``'s transaction (the tracker follows it, rebroadcasting the same
    transaction if the node forgot it); a revert raises."""
    c = change._transaction
    if not wait or change.done or c is None:
        return change
    try:
        c.wait(timeout)
    except ConfirmationTimeoutError:
        raise AgentError(
            f"{c.call.what} (tx {change.tx_hash}) is still pending after {timeout} s: in "
            "flight, not failed; check is_agent_of() later",
            account=change.account,
            agent=change.agent,
            tx_hash=change.tx_hash,
        ) from None
    if change.state == "reverted":
        raise TransactionRevertedError(
            f"Terminal.setAgent({change.agent}, {change.authorized}) from {change.account} "
            f"(tx {change.tx_hash}) reverted in block {change.block_number}",
            signer=change.account,
            tx_hash=change.tx_hash,
        )
    return change
