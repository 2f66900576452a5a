"""Pre-flight reading: everything the refusal rules need about responses, in as few JSON-RPC
batches as the cached links allow, and the typed refusal of one response.

The first read of a response takes up to three batches (response -> task -> source, each hop
needing the address read before); the links never change on a chain, so later reads take one.
When the signer is not the client, ``Terminal.isAgentOf(client, signer)`` is read in that one
batch (with the client read last time; a first read asks it in one more batch): an agent the
client authorized may confirm. Agent relations change, so they are never cached.
Only definitive answers (no code, a revert, data that does not decode) become verdicts such as
"not a response"; anything else the node says is raised as the typed error it is. The rules
then judge what was read (:func:`.rules.check`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..chain.codec import ZERO_ADDRESS, checksum, response_params
from ..errors import (
    ConfirmationError,
    InvalidResponseError,
    ReadError,
    ResponseNotFoundError,
)
from ..records import DeliveryMethod, TaskStatus
from .engine import Calls, Engine, Identity, Undecodable, decoded, must, raw_result
from .process import PROCESS

__all__ = ["Reading", "State", "read_states"]


@dataclass
class State:
    """What pre-flight knows about one response."""

    response: str
    problem: ConfirmationError | None = None
    task: str = ""
    provider: str = ""
    payment: int = 0  # the task's escrowed payment: what the provider is paid
    confirmed: bool = False
    source: str = ""
    delivery: DeliveryMethod | None = None
    task_status: TaskStatus | None = None
    expiry: int = 0
    winner: str | None = None
    client: str = ""
    block_time: int = 0
    block_number: int = 0
    #: Whether the signer is an agent the client authorized (``Terminal.isAgentOf``); read
    #: only when the signer is not the client. ``agent_unchecked`` says why it could not be.
    agent: bool = False
    agent_unchecked: str = ""


@dataclass(frozen=True)
class ResponseLink:
    task: str
    provider: str


@dataclass(frozen=True)
class TaskLink:
    source: str
    delivery: DeliveryMethod
    expiry: int
    payment: int


@dataclass
class Reading:
    """One pre-flight read: the states (in order), the latest block, the chain's identity and
    the signer's transaction counts (``pending``, ``latest``; ``None`` without a signer)."""

    states: list[State]
    block: dict
    identity: Identity
    counts: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _address_or_none(value: Any) -> str | None:
    out = _address(value)
    return None if out == ZERO_ADDRESS else out


def _address(value: Any) -> str:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return checksum(bytes.fromhex(value[2:]))
    raise ValueError("not an address")


def _int(value: Any, what: str) -> int:
    value = must(value, what)
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        raise ReadError(
            f"the node answered {what} with {value!r}, not a number; try again"
        ) from None


def read_states(engine: Engine, responses: Sequence[str], signer: str | None = None) -> Reading:
    """Read everything pre-flight needs about ``responses`` (and ``signer``'s pending and
    latest transaction counts) in as few batches as the links allow."""
    links = PROCESS.links
    guess = engine.identity
    terminal = engine.network.terminal
    c = Calls()
    i_chain = c.add("eth_chainId")
    i_genesis = c.add("eth_getBlockByNumber", "0x0", False)
    i_block = c.add("eth_getBlockByNumber", "latest", False)
    if signer:
        i_pending = c.add("eth_getTransactionCount", signer, "pending")
        i_latest = c.add("eth_getTransactionCount", signer, "latest")
    items: dict[str, dict[str, Any]] = {}
    for r in dict.fromkeys(responses):
        it: dict[str, Any] = {"state": State(r)}
        rl = links.get(guess, "response", r)
        tl = links.get(guess, "task", rl.task) if rl else None
        if rl and tl:
            it.update(rlink=rl, tlink=tl)
            it["status"] = c.call(rl.task, "Task", "getStatus")
            it["winner"] = c.call(rl.task, "Task", "winningProvider")
            it["client"] = c.call(tl.source, "Source", "getClient")
            known = links.get(guess, "source", tl.source)  # the client read last time
            if signer and terminal and known and known != signer:
                it["agent"] = (known, c.call(terminal, "Terminal", "isAgentOf", known, signer))
        else:
            it["code"] = c.add("eth_getCode", r, "latest")
            it["params"] = c.call(r, "Response", "getResponseParams")
        it["confirmed"] = c.call(r, "Response", "confirmedFinal")
        items[r] = it
    res = engine.rpc.batch(c.calls)
    identity = engine.set_identity(res[i_chain], res[i_genesis])
    if guess is not None and identity != guess and any("rlink" in it for it in items.values()):
        return read_states(engine, responses, signer)  # another chain behind the URL: afresh
    block = must(res[i_block], "reading the latest block")
    try:
        block_time, block_number = int(block["timestamp"], 16), int(block["number"], 16)
    except (KeyError, TypeError, ValueError):
        raise ReadError("the node returned a latest block without a number or timestamp; "
                        "try again") from None  # fmt: skip
    counts = None
    if signer:
        counts = (_int(res[i_pending], "eth_getTransactionCount(pending)"),
                  _int(res[i_latest], "eth_getTransactionCount(latest)"))  # fmt: skip
    net = engine.network
    where = f"on {net.name} (chain {net.chain_id})"

    # round 1 answers: the response itself
    cold = []
    checked: set[str] = set()  # responses whose isAgentOf was in this batch
    for r, it in items.items():
        s: State = it["state"]
        s.block_time, s.block_number = block_time, block_number
        try:
            s.confirmed = bool(decoded(res[it["confirmed"]], "Response", "confirmedFinal"))
            no_confirmed_final = None
        except Undecodable:
            no_confirmed_final = InvalidResponseError(
                f"{r} is not an OpenGPU response {where}: it has no confirmedFinal(); "
                "check that the address is a response address of this network",
                response=r,
                address=r,
            )
        if "rlink" in it:
            s.problem = no_confirmed_final
            rl, tl = it["rlink"], it["tlink"]
            s.task, s.provider = rl.task, rl.provider
            s.source, s.delivery, s.expiry, s.payment = (
                tl.source,
                tl.delivery,
                tl.expiry,
                tl.payment,
            )
            try:
                s.task_status = TaskStatus(decoded(res[it["status"]], "Task", "getStatus"))
                s.winner = _address_or_none(decoded(res[it["winner"]], "Task", "winningProvider"))
                s.client = _address(decoded(res[it["client"]], "Source", "getClient"))
            except (Undecodable, ValueError):
                s.problem = s.problem or ReadError(
                    f"reading task {s.task} of response {r} failed {where}; try again"
                )
                continue
            links.put(identity, "source", s.source, s.client)
            if "agent" in it and it["agent"][0] == s.client:
                _agent_answer(s, res[it["agent"][1]], terminal)
                checked.add(r)
            continue
        code = must(res[it["code"]], f"eth_getCode({r})")
        if code in ("0x", "0x0"):
            s.problem = ResponseNotFoundError(
                f"there is no contract at {r} {where}: it is not a response on this network "
                "(is the address right, and is this the network it was created on?)",
                response=r,
                address=r,
            )
            continue
        if no_confirmed_final is not None:
            s.problem = no_confirmed_final
            continue
        try:
            task, provider, _data, _claimed = response_params(
                raw_result(res[it["params"]], "getResponseParams")
            )
        except (Undecodable, ValueError):
            s.problem = InvalidResponseError(
                f"{r} is a contract {where} but not an OpenGPU response "
                "(getResponseParams() does not answer); pass a response address",
                response=r,
                address=r,
            )
            continue
        s.task, s.provider = task, provider
        cold.append(it)

    if cold:
        _read_tasks(engine, cold, identity, where)
    if signer:
        _read_agents(engine, [it["state"] for r, it in items.items() if r not in checked], signer)
    return Reading([items[r]["state"] for r in responses], block, identity, counts)


def _read_tasks(engine: Engine, cold: list[dict[str, Any]], identity: Identity, where: str) -> None:
    """Rounds 2 and 3: the task of each response read cold, then the client of its source."""
    c = Calls()
    for it in cold:
        t = it["state"].task
        it["tcode"] = c.add("eth_getCode", t, "latest")
        for fn in ("getStatus", "getDeliveryMethod", "getSource", "getExpiryTime", "getPayment"):
            it[fn] = c.call(t, "Task", fn)
        it["winner"] = c.call(t, "Task", "winningProvider")
        it["responseOf"] = c.call(t, "Task", "responseOf", it["state"].provider)
    res = engine.rpc.batch(c.calls)
    sourced = []
    for it in cold:
        s = it["state"]
        data = {"response": s.response, "address": s.response, "task": s.task}
        not_task = InvalidResponseError(
            f"{s.response} claims task {s.task}, which is not an OpenGPU task {where}; "
            "it is not a response that can be confirmed",
            **data,
        )
        if must(res[it["tcode"]], f"eth_getCode({s.task})") in ("0x", "0x0"):
            s.problem = not_task
            continue
        try:
            s.task_status = TaskStatus(decoded(res[it["getStatus"]], "Task", "getStatus"))
            s.delivery = DeliveryMethod(
                decoded(res[it["getDeliveryMethod"]], "Task", "getDeliveryMethod")
            )
            s.source = _address(decoded(res[it["getSource"]], "Task", "getSource"))
            s.expiry = int(decoded(res[it["getExpiryTime"]], "Task", "getExpiryTime"))
            s.payment = int(decoded(res[it["getPayment"]], "Task", "getPayment"))
            s.winner = _address_or_none(decoded(res[it["winner"]], "Task", "winningProvider"))
            linked = _address(decoded(res[it["responseOf"]], "Task", "responseOf"))
        except (Undecodable, ValueError):
            s.problem = not_task
            continue
        if linked != s.response:
            s.problem = InvalidResponseError(
                f"{s.response} is not a response of task {s.task} {where}: the task lists "
                f"{linked} for provider {s.provider}; pass a response address",
                **data,
            )
            continue
        sourced.append(it)
    if not sourced:
        return
    c = Calls()
    for it in sourced:
        it["client"] = c.call(it["state"].source, "Source", "getClient")
    res = engine.rpc.batch(c.calls)
    for it in sourced:
        s = it["state"]
        try:
            s.client = _address(decoded(res[it["client"]], "Source", "getClient"))
        except (Undecodable, ValueError):
            s.problem = InvalidResponseError(
                f"the source {s.source} of task {s.task} does not answer getClient() "
                f"{where}; {s.response} cannot be confirmed",
                response=s.response,
                address=s.response,
                task=s.task,
            )
            continue
        PROCESS.links.put(identity, "source", s.source, s.client)
        PROCESS.links.put(identity, "response", s.response, ResponseLink(s.task, s.provider))
        PROCESS.links.put(
            identity, "task", s.task, TaskLink(s.source, s.delivery, s.expiry, s.payment)
        )


def _agent_answer(s: State, result: Any, terminal: str | None) -> None:
    """Apply an ``isAgentOf(client, signer)`` result to ``s``: a definitive answer (true,
    false; no such function) or the typed error of a node fault (never a verdict from it)."""
    try:
        s.agent = bool(decoded(result, "Terminal", "isAgentOf"))
    except Undecodable:
        s.agent = False
        s.agent_unchecked = (
            f"the Terminal at {terminal} does not answer isAgentOf(), so agents could not be "
            "checked: check the network's terminal address"
        )


def _read_agents(engine: Engine, states: Sequence[State], signer: str) -> None:
    """``isAgentOf(client, signer)`` for the states whose signer is not the client and whose
    answer was not in the first batch (a cold read, or a client not seen before): one batch."""
    terminal = engine.network.terminal
    todo = [s for s in states if s.client and s.problem is None and s.client != signer]
    if not todo:
        return
    if not terminal:
        for s in todo:
            s.agent_unchecked = (
                f"network {engine.network.name!r} has no Terminal address, so agents cannot be "
                "checked: give Network.custom(..., terminal=...) to sign as an agent"
            )
        return
    c = Calls()
    index = [c.call(terminal, "Terminal", "isAgentOf", s.client, signer) for s in todo]
    res = engine.rpc.batch(c.calls)
    for s, i in zip(todo, index, strict=True):
        _agent_answer(s, res[i], terminal)
