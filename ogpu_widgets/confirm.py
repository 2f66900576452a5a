"""Confirming responses: ``Controller.confirmResponse`` sent at most once per task, always with
an outcome (mined, reverted with the contract's reason, or still pending).

    c = confirm_response("0xRESPONSE", account=key)      # or CLIENT_PRIVATE_KEY
    c.state, c.tx_hash, c.block_number, c.error

What happens, in order:

1. **Pre-flight** (nothing is signed): one batched JSON-RPC read of the response, its task and
   the task's client. The response -> task -> source links never change, so they are cached per
   chain and later reads of the same response take one batch; the first takes up to three (each
   hop needs the address read in the previous one). Typed refusals: not a response, already
   confirmed, task finalized / canceled / expired, FIRST_RESPONSE source, signer not the client.
2. **Simulation**: ``eth_call`` and ``eth_estimateGas`` of the transaction in one batch, with the
   signer's balance and the current fees; a revert string maps to the same typed refusals, and a
   signer who cannot pay for the gas is refused with :class:`InsufficientFundsError`.
3. **Sending**: EIP-1559 fees when the latest block has ``baseFeePerGas``, a legacy gas price
   otherwise; gas is the estimate times :data:`GAS_MARGIN`. Nonces come from the node's pending
   count, tracked per (chain, account) under a lock held from nonce reservation to broadcast, so
   concurrent confirmations from one process get consecutive nonces. The signed raw transaction
   and its hash are recorded before broadcast; "already known" or a lost reply mean *in flight*.
4. **Watching**: one background thread polls receipts of every pending confirmation in batches,
   and rebroadcasts the *same* raw transaction when the node has forgotten it. A second
   transaction for the same response is never built once one may have reached the node.
5. **Never twice**: a process-wide registry keyed by (chain, task), the chain being its id and
   genesis hash (plus the URL of a loopback node: devnets share both). A second request for the
   same response returns the same :class:`Confirmation`; a request for another response of a
   task with a pending or mined confirmation is refused with :class:`ConfirmationInFlightError`.

The private key lives only in the signer object: it is never logged, put in a message, stored on a
:class:`Confirmation`, or left in a local variable of a frame that raises.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.base import BaseAccount
from eth_utils import to_checksum_address
from eth_utils.abi import (
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
)

from .chain.abi import abi
from .chain.codec import to_address
from .chain.network import Network, resolve_network
from .chain.revert import revert_reason
from .chain.rpc import RpcClient, RpcError, Unreachable
from .errors import (
    AlreadyConfirmedError,
    ConfirmationError,
    ConfirmationInFlightError,
    ConfirmationTimeoutError,
    ConfirmManyError,
    ConnectionError_,
    DuplicateTaskError,
    FirstResponseSourceError,
    InsufficientFundsError,
    InvalidResponseError,
    InvalidSignerError,
    MissingSignerError,
    NotTaskClientError,
    ReadError,
    ResponseNotFoundError,
    TaskCanceledError,
    TaskExpiredError,
    TaskFinalizedError,
    TransactionRevertedError,
    WrongChainError,
)
from .records import WEI_PER_OGPU, DeliveryMethod, TaskStatus

__all__ = [
    "GAS_MARGIN",
    "SIGNER_ENV",
    "Confirmation",
    "Preflight",
    "confirm_many",
    "confirm_response",
    "confirmations",
    "estimate_fee",
    "pending_confirmation",
    "preflight",
    "resolve_signer",
]

logger = logging.getLogger(__name__)

#: The environment variable holding the client's key when no ``account`` is given (the SDK's).
SIGNER_ENV = "CLIENT_PRIVATE_KEY"
#: Gas limit = gas estimate x this margin.
GAS_MARGIN = 1.25
#: Seconds a pending transaction may go unseen before the node is asked whether it still knows
#: it; if it does not, the same raw transaction is broadcast again.
REBROADCAST_INTERVAL = 10.0
#: Receipt polling interval, seconds: starts at the first value, backs off to the second.
POLL_INTERVAL = (0.02, 1.0)
#: Largest JSON-RPC batch sent in one HTTP request.
BATCH_LIMIT = 100
#: How many times a pending transaction must be refused as "nonce too low" (while no receipt
#: exists) before it counts as replaced by another transaction of the same nonce.
DROPPED_AFTER = 3

_OPEN = (TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED)
_STATES = ("signing", "pending", "mined", "reverted")


# ---- ABI encoding --------------------------------------------------------------------------


@cache
def _function(contract: str, name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    for item in abi(contract):
        if item.get("type") == "function" and item.get("name") == name:
            selector = "0x" + function_abi_to_4byte_selector(item).hex()
            return selector, tuple(get_abi_input_types(item)), tuple(get_abi_output_types(item))
    raise KeyError(f"{contract}.{name} is not in the bundled ABI")


def _calldata(contract: str, name: str, *args: Any) -> str:
    selector, types, _ = _function(contract, name)
    return selector + (abi_encode(types, args).hex() if types else "")


class _Undecodable(Exception):
    pass


def _decoded(result: Any, contract: str, name: str) -> Any:
    """The first output of ``contract.name`` decoded from an ``eth_call`` result."""
    if isinstance(result, RpcError) or not isinstance(result, str) or len(result) < 4:
        raise _Undecodable(name)
    try:
        values = abi_decode(_function(contract, name)[2], bytes.fromhex(result[2:]))
    except Exception:
        raise _Undecodable(name) from None
    return values[0]


@cache
def _custom_errors() -> dict[str, str]:
    """4-byte selector -> name of every custom error in the bundled ABIs."""
    from eth_utils import function_signature_to_4byte_selector

    out = {}
    for contract in ("Controller", "Nexus", "Task", "Response", "Vault", "Source"):
        for item in abi(contract):
            if item.get("type") == "error":
                sig = f"{item['name']}({','.join(i['type'] for i in item.get('inputs', []))})"
                out["0x" + function_signature_to_4byte_selector(sig).hex()] = item["name"]
    return out


# ---- JSON-RPC --------------------------------------------------------------------------------

# The transport is :mod:`ogpu_widgets.rpc`'s (batches, fallbacks, retries, per-thread sessions).
# The policy here: 5 HTTP attempts per request (backoff from 0.1 s), error replies mapped to the
# typed errors below, and a broadcast that may have reached the node (``Unreachable.maybe_sent``)
# counted as in flight.
_RpcError = RpcError  # the name the tests know
_ATTEMPTS, _BACKOFF = 5, 0.1


class _Calls:
    """A batch under construction; identical calls are sent once."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []
        self._index: dict[str, int] = {}

    def add(self, method: str, *params: Any) -> int:
        key = repr((method, params))
        if key not in self._index:
            self._index[key] = len(self.calls)
            self.calls.append((method, list(params)))
        return self._index[key]

    def call(self, to: str, contract: str, fn: str, *args: Any) -> int:
        return self.add("eth_call", {"to": to, "data": _calldata(contract, fn, *args)}, "latest")


def _must(result: Any, what: str) -> Any:
    if isinstance(result, RpcError) or result is None:
        raise ReadError(f"{what} failed: {getattr(result, 'message', 'no result')}")
    return result


# ---- revert reasons --------------------------------------------------------------------------


def _revert_reason(err: RpcError) -> str | None:
    """The revert reason in a JSON-RPC error (custom errors named from the bundled ABIs), or
    ``None`` if the error is not a revert."""
    return revert_reason(err, _custom_errors())


# ---- signer ----------------------------------------------------------------------------------


def _account_from_key(key: Any) -> tuple[Any, str | None]:
    """(account, None) or (None, what is wrong). Never raises: a raising frame would carry the
    key as a local into the traceback."""
    problem = None
    try:
        if isinstance(key, str):
            text = key.strip()
            digits = text[2:] if text[:2].lower() == "0x" else text
            if re.fullmatch(r"[0-9a-fA-F]{40}", digits):
                return None, "is an address, not a private key"
            if not re.fullmatch(r"[0-9a-fA-F]{64}", digits):
                return None, (
                    "is not a private key: expected 64 hex digits (32 bytes), optionally after 0x"
                )
            raw = bytes.fromhex(digits)
        else:
            raw = bytes(key)
            if len(raw) != 32:
                return None, "is not a private key: expected 32 bytes"
        return Account.from_key(raw), None
    except Exception as exc:  # e.g. zero or >= the curve order
        problem = f"is not a valid secp256k1 private key ({type(exc).__name__})"
    return None, problem


def resolve_signer(account: Any = None) -> BaseAccount:
    """The signing account: an ``eth_account`` account as is, a private key (hex string or 32
    bytes), an object with a ``private_key`` attribute (a devnet account), or, when ``None``,
    the key in ``$CLIENT_PRIVATE_KEY``.

    Raises :class:`MissingSignerError` or :class:`InvalidSignerError`; neither message contains
    the key. Keep the returned account, not the key string.
    """
    if isinstance(account, BaseAccount):
        return account
    if account is None:
        key = os.environ.get(SIGNER_ENV, "").strip()
        if not key:
            raise MissingSignerError(
                "no signer: pass account= (an eth_account account or the client's private key), "
                f"or set the {SIGNER_ENV} environment variable"
            )
        signer, problem = _account_from_key(key)
        del key
        if problem:
            raise InvalidSignerError(
                f"{SIGNER_ENV} {problem}; set it to the task client's private key"
            )
        return signer
    if not isinstance(account, str | bytes | bytearray):
        nested = getattr(account, "private_key", None)
        if not isinstance(nested, str | bytes):
            kind = type(account).__name__
            del account, nested
            raise InvalidSignerError(
                f"account must be an eth_account account or a private key string, not a {kind}"
            )
        account = nested
        del nested
    signer, problem = _account_from_key(account)
    del account
    if problem:
        raise InvalidSignerError(f"the signer {problem}; pass the task client's private key")
    return signer


def _sign(signer: BaseAccount, tx: dict[str, Any]) -> Any:
    problem = None
    try:
        return signer.sign_transaction(tx)
    except Exception as exc:
        problem = type(exc).__name__
    raise ConfirmationError(f"signing the confirmation failed ({problem}); nothing was sent")


# ---- the chain behind a network ----------------------------------------------------------------


class _Engine:
    """Per RPC endpoint: the connection, and the identity of the chain behind it."""

    IDENTITY_TTL = 5.0

    def __init__(self, network: Network) -> None:
        self.network = network
        self.rpc = RpcClient(
            network.rpc_url,
            timeout=network.request_timeout,
            name=network.name,
            attempts=_ATTEMPTS,
            backoff=_BACKOFF,
            batch_limit=BATCH_LIMIT,
        )
        self.controller = network.controller
        #: What the registry, nonces and caches are keyed by: (chain id, genesis hash, local
        #: URL). Devnets share chain ids (31337), and anvils started in the same second even
        #: share their genesis block, so a loopback endpoint is also told apart by its URL. A
        #: public chain is one chain whichever URL reaches it.
        self.identity: tuple[int, str, str | None] | None = None
        self._identity_at = 0.0
        host = urlsplit(network.rpc_url).hostname or ""
        self._local_url = network.rpc_url if _is_loopback(host) else None

    def set_identity(self, chain_id: Any, genesis: Any) -> tuple[int, str, str | None]:
        chain_id = int(_must(chain_id, "eth_chainId"), 16)
        if chain_id != self.network.chain_id:
            raise WrongChainError(
                f"the node at {self.network.rpc_url} is on chain {chain_id}, but network "
                f"{self.network.name!r} is chain {self.network.chain_id}; point the network at "
                "an RPC URL of that chain (Network.with_settings(rpc_url=...))"
            )
        genesis = _must(genesis, "reading the genesis block")["hash"]
        self.identity = (chain_id, genesis, self._local_url)
        self._identity_at = time.monotonic()
        return self.identity

    def current_identity(self) -> tuple[int, str, str | None]:
        if self.identity is None or time.monotonic() - self._identity_at > self.IDENTITY_TTL:
            chain, genesis = self.rpc.batch(
                [("eth_chainId", []), ("eth_getBlockByNumber", ["0x0", False])]
            )
            self.set_identity(chain, genesis)
        return self.identity  # type: ignore[return-value]


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_engines: dict[tuple, _Engine] = {}
_engines_lock = threading.Lock()


def _engine(network: Network) -> _Engine:
    key = (network.rpc_url, network.chain_id, network.controller, network.request_timeout)
    with _engines_lock:
        eng = _engines.get(key)
        if eng is None:
            eng = _engines[key] = _Engine(network)
        return eng


# ---- pre-flight: reading ---------------------------------------------------------------------


@dataclass
class _State:
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


@dataclass(frozen=True)
class _ResponseLink:
    task: str
    provider: str


@dataclass(frozen=True)
class _TaskLink:
    source: str
    delivery: DeliveryMethod
    expiry: int
    payment: int


_links: dict[tuple, Any] = {}
_links_lock = threading.Lock()


def _link(identity: Any, address: str) -> Any:
    with _links_lock:
        return _links.get((identity, address)) if identity else None


def _remember(identity: Any, address: str, link: Any) -> None:
    with _links_lock:
        _links[(identity, address)] = link


def _address_or_none(value: Any) -> str | None:
    if not value or int(value, 16) == 0:
        return None
    return to_checksum_address(value)


def _read_states(engine: _Engine, responses: Sequence[str]) -> tuple[list[_State], dict]:
    """Read everything pre-flight needs about ``responses`` in as few batches as the links
    allow. Returns the states (in order) and the latest block."""
    guess = engine.identity
    c = _Calls()
    i_chain = c.add("eth_chainId")
    i_genesis = c.add("eth_getBlockByNumber", "0x0", False)
    i_block = c.add("eth_getBlockByNumber", "latest", False)
    items: dict[str, dict[str, Any]] = {}
    for r in dict.fromkeys(responses):
        it: dict[str, Any] = {"state": _State(r)}
        rl = _link(guess, r)
        tl = _link(guess, rl.task) if rl else None
        if rl and tl:
            it.update(rlink=rl, tlink=tl)
            it["status"] = c.call(rl.task, "Task", "getStatus")
            it["winner"] = c.call(rl.task, "Task", "winningProvider")
            it["client"] = c.call(tl.source, "Source", "getClient")
        else:
            it["code"] = c.add("eth_getCode", r, "latest")
            it["params"] = c.call(r, "Response", "getResponseParams")
        it["confirmed"] = c.call(r, "Response", "confirmedFinal")
        items[r] = it
    res = engine.rpc.batch(c.calls)
    identity = engine.set_identity(res[i_chain], res[i_genesis])
    if guess is not None and identity != guess and any("rlink" in it for it in items.values()):
        return _read_states(engine, responses)  # another chain behind the same URL: read afresh
    block = _must(res[i_block], "reading the latest block")
    block_time, block_number = int(block["timestamp"], 16), int(block["number"], 16)
    net = engine.network
    where = f"on {net.name} (chain {net.chain_id})"

    # round 1 answers: the response itself
    cold = []
    for r, it in items.items():
        s: _State = it["state"]
        s.block_time, s.block_number = block_time, block_number
        try:
            s.confirmed = bool(_decoded(res[it["confirmed"]], "Response", "confirmedFinal"))
            no_confirmed_final = None
        except _Undecodable:
            no_confirmed_final = InvalidResponseError(
                f"{r} is not an OpenGPU response {where}: it has no confirmedFinal(); "
                "check that the address is a response address of this network"
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
                s.task_status = TaskStatus(_decoded(res[it["status"]], "Task", "getStatus"))
                s.winner = _address_or_none(_decoded(res[it["winner"]], "Task", "winningProvider"))
                s.client = to_checksum_address(_decoded(res[it["client"]], "Source", "getClient"))
            except (_Undecodable, ValueError):
                s.problem = s.problem or ReadError(
                    f"reading task {s.task} of response {r} failed {where}; try again"
                )
            continue
        code = res[it["code"]]
        if isinstance(code, RpcError):
            raise ReadError(f"eth_getCode({r}) failed {where}: {code.message}")
        if not code or code in ("0x", "0x0"):
            s.problem = ResponseNotFoundError(
                f"there is no contract at {r} {where}: it is not a response on this network "
                "(is the address right, and is this the network it was created on?)"
            )
            continue
        if no_confirmed_final is not None:
            s.problem = no_confirmed_final
            continue
        try:
            task, provider, _data, _claimed = _decoded(
                res[it["params"]], "Response", "getResponseParams"
            )
        except _Undecodable:
            s.problem = InvalidResponseError(
                f"{r} is a contract {where} but not an OpenGPU response "
                "(getResponseParams() does not answer); pass a response address"
            )
            continue
        s.task, s.provider = to_checksum_address(task), to_checksum_address(provider)
        cold.append(it)

    # round 2: the task of each response read cold
    if cold:
        c = _Calls()
        for it in cold:
            t = it["state"].task
            it["tcode"] = c.add("eth_getCode", t, "latest")
            for fn in (
                "getStatus",
                "getDeliveryMethod",
                "getSource",
                "getExpiryTime",
                "getPayment",
            ):
                it[fn] = c.call(t, "Task", fn)
            it["winner"] = c.call(t, "Task", "winningProvider")
            it["responseOf"] = c.call(t, "Task", "responseOf", it["state"].provider)
        res = engine.rpc.batch(c.calls)
        sourced = []
        for it in cold:
            s = it["state"]
            not_task = InvalidResponseError(
                f"{s.response} claims task {s.task}, which is not an OpenGPU task {where}; "
                "it is not a response that can be confirmed"
            )
            if not res[it["tcode"]] or res[it["tcode"]] in ("0x", "0x0"):
                s.problem = not_task
                continue
            try:
                s.task_status = TaskStatus(_decoded(res[it["getStatus"]], "Task", "getStatus"))
                s.delivery = DeliveryMethod(
                    _decoded(res[it["getDeliveryMethod"]], "Task", "getDeliveryMethod")
                )
                s.source = to_checksum_address(_decoded(res[it["getSource"]], "Task", "getSource"))
                s.expiry = int(_decoded(res[it["getExpiryTime"]], "Task", "getExpiryTime"))
                s.payment = int(_decoded(res[it["getPayment"]], "Task", "getPayment"))
                s.winner = _address_or_none(_decoded(res[it["winner"]], "Task", "winningProvider"))
                linked = to_checksum_address(_decoded(res[it["responseOf"]], "Task", "responseOf"))
            except (_Undecodable, ValueError):
                s.problem = not_task
                continue
            if linked != s.response:
                s.problem = InvalidResponseError(
                    f"{s.response} is not a response of task {s.task} {where}: the task lists "
                    f"{linked} for provider {s.provider}; pass a response address"
                )
                continue
            sourced.append(it)

        # round 3: the client of each task's source
        if sourced:
            c = _Calls()
            for it in sourced:
                it["client"] = c.call(it["state"].source, "Source", "getClient")
            res = engine.rpc.batch(c.calls)
            for it in sourced:
                s = it["state"]
                try:
                    s.client = to_checksum_address(
                        _decoded(res[it["client"]], "Source", "getClient")
                    )
                except _Undecodable:
                    s.problem = InvalidResponseError(
                        f"the source {s.source} of task {s.task} does not answer getClient() "
                        f"{where}; {s.response} cannot be confirmed"
                    )
                    continue
                _remember(identity, s.response, _ResponseLink(s.task, s.provider))
                _remember(identity, s.task, _TaskLink(s.source, s.delivery, s.expiry, s.payment))

    return [items[r]["state"] for r in responses], block


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check(s: _State, signer: str) -> None:
    """Raise the typed refusal for ``s``, most fundamental first."""
    if s.problem:
        raise s.problem
    if s.delivery == DeliveryMethod.FIRST_RESPONSE:
        raise FirstResponseSourceError(
            f"task {s.task} belongs to source {s.source}, which delivers FIRST_RESPONSE: the "
            "chain confirms the first response by itself, so there is nothing to confirm"
            + (f" (it confirmed provider {s.winner}'s response)" if s.winner else "")
        )
    if s.confirmed:
        raise AlreadyConfirmedError(
            f"response {s.response} is already confirmed and its task {s.task} finalized; "
            "the provider has been paid and there is nothing left to do"
        )
    if s.task_status == TaskStatus.FINALIZED:
        won = f"provider {s.winner}'s response" if s.winner else "another response"
        raise TaskFinalizedError(
            f"task {s.task} is already finalized: {won} was confirmed, so response "
            f"{s.response} (provider {s.provider}) can no longer be confirmed"
        )
    if s.task_status == TaskStatus.CANCELED:
        raise TaskCanceledError(
            f"task {s.task} was canceled by its client; its payment was returned and none of "
            f"its responses, {s.response} included, can be confirmed"
        )
    if s.task_status == TaskStatus.EXPIRED or (
        s.task_status in _OPEN and s.expiry and s.block_time > s.expiry
    ):
        raise TaskExpiredError(
            f"task {s.task} expired at {_when(s.expiry)} (unix {s.expiry}) before a response "
            f"was confirmed; the chain refuses to confirm {s.response} now"
        )
    if signer != s.client:
        raise NotTaskClientError(
            f"the signer {signer} is not the client of task {s.task}: only {s.client} can "
            "confirm its responses; pass that account (account=...) or set "
            f"{SIGNER_ENV} to its key"
        )


# ---- pre-flight: simulation and fees ---------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    gas: int
    gas_limit: int
    eip1559: bool
    max_fee_per_gas: int
    priority_fee_per_gas: int | None
    fee_per_gas: int

    @property
    def fee(self) -> int:
        return self.gas * self.fee_per_gas

    @property
    def max_cost(self) -> int:
        return self.gas_limit * self.max_fee_per_gas


def _fee_fields(plan: _Plan) -> dict[str, int]:
    if plan.eip1559:
        return {
            "type": 2,
            "maxFeePerGas": plan.max_fee_per_gas,
            "maxPriorityFeePerGas": plan.priority_fee_per_gas or 0,
        }
    return {"gasPrice": plan.max_fee_per_gas}


def _refusal_for_revert(
    engine: _Engine, s: _State, signer: str, reason: str, doing: str
) -> ConfirmationError:
    """The typed error for a revert string of ``Controller.confirmResponse``."""
    net = engine.network
    head = f"{doing} Controller.confirmResponse({s.response}) reverted with {reason or 'no reason'}"
    if reason == "NotOwner":
        return NotTaskClientError(
            f"{head}: the signer {signer} is not the client of task {s.task}; pass the client's "
            f"account (account=...) or set {SIGNER_ENV}"
        )
    if reason == "AlreadyConfirmed":
        return AlreadyConfirmedError(f"{head}: response {s.response} is already confirmed")
    if reason == "AlreadyFinalized":
        status = None
        with contextlib.suppress(Exception):
            status = TaskStatus(
                _decoded(
                    engine.rpc.call(
                        "eth_call",
                        [{"to": s.task, "data": _calldata("Task", "getStatus")}, "latest"],
                    ),
                    "Task",
                    "getStatus",
                )
            )
        if status == TaskStatus.CANCELED:
            return TaskCanceledError(f"{head}: task {s.task} was canceled")
        return TaskFinalizedError(
            f"{head}: task {s.task} is already finalized (another response was confirmed)"
        )
    if reason == "Expired":
        return TaskExpiredError(f"{head}: task {s.task} has expired")
    if reason == "NotEligible":
        return InvalidResponseError(
            f"{head}: {s.response} is not a response the protocol knows on {net.name}"
        )
    return TransactionRevertedError(f"{head}; nothing was sent")


def _simulate(
    engine: _Engine, states: Sequence[_State], signer: str, block: dict
) -> tuple[dict[str, _Plan], dict[str, ConfirmationError], int]:
    """Simulate each confirmation and price it. Returns (plans, refusals, signer balance)."""
    c = _Calls()
    sims = []
    for s in states:
        tx = {"from": signer, "to": engine.controller, "data": _confirm_data(s.response)}
        sims.append((s, c.add("eth_call", tx, "latest"), c.add("eth_estimateGas", tx)))
    i_balance = c.add("eth_getBalance", signer, "latest")
    i_price = c.add("eth_gasPrice")
    i_tip = c.add("eth_maxPriorityFeePerGas")
    res = engine.rpc.batch(c.calls)
    balance = int(_must(res[i_balance], f"eth_getBalance({signer})"), 16)
    gas_price = int(_must(res[i_price], "eth_gasPrice"), 16)
    base_fee = block.get("baseFeePerGas")
    block_gas_limit = int(block.get("gasLimit") or "0x0", 16)

    plans: dict[str, _Plan] = {}
    refusals: dict[str, ConfirmationError] = {}
    for s, i_call, i_gas in sims:
        failure = next((x for x in (res[i_call], res[i_gas]) if isinstance(x, RpcError)), None)
        if failure is not None:
            reason = _revert_reason(failure)
            if reason is not None:
                refusals[s.response] = _refusal_for_revert(engine, s, signer, reason, "simulating")
            elif "insufficient funds" in failure.message.lower():
                refusals[s.response] = InsufficientFundsError(
                    f"{signer} cannot pay for the gas of confirming {s.response} "
                    f"({failure.message}); send it some OGPU first"
                )
            else:
                refusals[s.response] = ConfirmationError(
                    f"the node could not simulate confirming {s.response} "
                    f"({failure.method}: {failure.message}); nothing was sent"
                )
            continue
        gas = int(res[i_gas], 16)
        gas_limit = math.ceil(gas * GAS_MARGIN)
        if block_gas_limit:
            gas_limit = min(gas_limit, block_gas_limit)
        if base_fee is not None:
            base = int(base_fee, 16)
            tip_result = res[i_tip]
            tip = int(tip_result, 16) if isinstance(tip_result, str) else max(gas_price - base, 0)
            plan = _Plan(gas, gas_limit, True, 2 * base + tip, tip, base + tip)
        else:
            plan = _Plan(gas, gas_limit, False, gas_price, None, gas_price)
        plans[s.response] = plan
    return plans, refusals, balance


def _check_funds(balance: int, cost: int, signer: str, what: str) -> None:
    if balance < cost:
        raise InsufficientFundsError(
            f"{signer} holds {balance / WEI_PER_OGPU:.6g} OGPU ({balance} wei) but {what} may "
            f"cost up to {cost / WEI_PER_OGPU:.6g} OGPU ({cost} wei) in gas; send it some "
            "OGPU first (nothing was sent)"
        )


def _confirm_data(response: str) -> str:
    return _calldata("Controller", "confirmResponse", response)


# ---- the record pre-flight returns -------------------------------------------------------------


@dataclass(frozen=True)
class Preflight:
    """What pre-flight read and simulated: the response can be confirmed by ``signer`` now.

    Amounts are in wei. ``fee`` is the expected fee (gas estimate x current price);
    ``max_cost`` is the most the transaction can cost (gas limit x max fee per gas).
    """

    response: str
    task: str
    provider: str
    payment: int
    client: str
    signer: str
    source: str
    delivery_method: DeliveryMethod
    task_status: TaskStatus
    expiry: int
    chain_id: int
    block_number: int
    gas: int
    gas_limit: int
    fee_per_gas: int
    max_fee_per_gas: int
    eip1559: bool
    balance: int

    @property
    def fee(self) -> int:
        return self.gas * self.fee_per_gas

    @property
    def max_cost(self) -> int:
        return self.gas_limit * self.max_fee_per_gas

    @property
    def payment_ogpu(self) -> float:
        return self.payment / WEI_PER_OGPU


# ---- the confirmation object -----------------------------------------------------------------


def _copy_error(exc: BaseException) -> BaseException:
    try:
        copy = type(exc)(*exc.args)
    except Exception:
        copy = ConfirmationError(str(exc))
    for attr in ("confirmation", "refusals", "confirmations"):
        if hasattr(exc, attr):
            setattr(copy, attr, getattr(exc, attr))
    return copy


class Confirmation:
    """One ``Controller.confirmResponse`` transaction and what became of it. Thread-safe.

    ``state`` is ``"signing"`` (before the transaction hash exists), ``"pending"`` (sent, not
    mined), ``"mined"`` or ``"reverted"`` (``error`` holds the contract's reason).
    ``str()`` of it is the transaction hash, as the SDK's ``confirm_response`` returns.
    """

    def __init__(self, engine: _Engine, identity: Any, s: _State, signer: str) -> None:
        self._engine = engine
        self._identity = identity
        self.response: str = s.response
        self.task: str = s.task
        self.provider: str = s.provider
        self.payment: int = s.payment
        self.signer: str = signer
        self._cond = threading.Condition(threading.RLock())
        self._notify_lock = threading.Lock()
        self._callbacks: list[Callable[[Confirmation], Any]] = []
        self._state = "signing"
        self._announced = "signing"  # the last state every on_update callback has been given
        self._notifying: int | None = None  # the thread running on_update callbacks
        self._tx_hash: str | None = None
        self._block_number: int | None = None
        self._gas_used: int | None = None
        self._fee_paid: int | None = None
        self._error: str | None = None
        self._failure: BaseException | None = None
        # recorded before broadcast; public (a signed transaction reveals no key)
        self._raw: str | None = None
        self._signed_hash: str | None = None
        self._nonce: int | None = None
        self._gas_limit: int | None = None
        self._broadcast_at = 0.0
        self._broadcasts = 0
        self._nonce_refusals = 0

    # ---- public view -------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return self._engine.network

    @property
    def state(self) -> str:
        with self._cond:
            return self._state

    @property
    def tx_hash(self) -> str | None:
        with self._cond:
            return self._tx_hash

    @property
    def block_number(self) -> int | None:
        with self._cond:
            return self._block_number

    @property
    def gas_used(self) -> int | None:
        with self._cond:
            return self._gas_used

    @property
    def fee_paid(self) -> int | None:
        """Wei paid for gas, once mined or reverted."""
        with self._cond:
            return self._fee_paid

    @property
    def error(self) -> str | None:
        """The revert reason (or why the transaction was dropped); ``None`` otherwise."""
        with self._cond:
            return self._error

    @property
    def nonce(self) -> int | None:
        with self._cond:
            return self._nonce if self._tx_hash else None

    @property
    def raw_transaction(self) -> str | None:
        """The signed transaction (hex), for rebroadcasting by hand; it reveals no key."""
        with self._cond:
            return self._raw if self._tx_hash else None

    @property
    def done(self) -> bool:
        with self._cond:
            return self._state in ("mined", "reverted")

    @property
    def explorer_url(self) -> str:
        h = self.tx_hash
        return self.network.explorer_link("tx", h) if h else ""

    def to_dict(self) -> dict[str, Any]:
        """A consistent snapshot of the public fields."""
        with self._cond:
            return {
                "response": self.response,
                "task": self.task,
                "provider": self.provider,
                "payment": self.payment,
                "signer": self.signer,
                "state": self._state,
                "tx_hash": self._tx_hash,
                "nonce": self._nonce if self._tx_hash else None,
                "block_number": self._block_number,
                "gas_used": self._gas_used,
                "fee_paid": self._fee_paid,
                "error": self._error,
            }

    def __str__(self) -> str:
        return self.tx_hash or ""

    def __repr__(self) -> str:
        d = self.to_dict()
        parts = [d["state"], f"response={self.response}", f"task={self.task}"]
        if d["tx_hash"]:
            parts.append(f"tx={d['tx_hash']}")
        if d["block_number"] is not None:
            parts.append(f"block={d['block_number']}")
        if d["error"]:
            parts.append(f"error={d['error']!r}")
        return f"<Confirmation {' '.join(parts)}>"

    # ---- waiting and refreshing --------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Confirmation:
        """Block until mined or reverted (``timeout`` seconds at most, ``None``: no limit);
        returns ``self``. Raises :class:`ConfirmationTimeoutError` (with ``.confirmation``) if
        the transaction is still in flight: pending, not failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.state == "pending":
            _WATCHER.add(self)
        _WATCHER.poke()
        with self._cond:
            # inside a callback the announcement is what is being made: wait on the state itself
            field = "_state" if self._notifying == threading.get_ident() else "_announced"
            while getattr(self, field) not in ("mined", "reverted"):
                if self._failure is not None:
                    raise _copy_error(self._failure)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            state, tx_hash, nonce = getattr(self, field), self._tx_hash, self._nonce
        if state in ("mined", "reverted"):
            return self
        err = ConfirmationTimeoutError(
            f"the confirmation of {self.response} is still {state} after {timeout} s: "
            + (
                f"transaction {tx_hash} (nonce {nonce}) is in flight, not failed; call "
                ".wait() again later or .refresh()"
                if tx_hash
                else "it has not been sent yet"
            )
        )
        err.confirmation = self  # type: ignore[attr-defined]
        raise err

    def refresh(self) -> Confirmation:
        """Re-read the receipt from chain now (and put a pending transaction back under
        watch); returns ``self``."""
        tx_hash = self.tx_hash
        if tx_hash is None:
            return self
        receipt = self._engine.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt:
            _apply_receipt(self, receipt)
        else:
            with self._cond:
                changed = self._state in ("mined", "reverted") and self._error is None
                if changed:  # the block was reorganized away: in flight again
                    self._state, self._block_number, self._gas_used = "pending", None, None
                    self._fee_paid = None
            if changed:
                logger.info("confirmation %s lost its receipt (reorg); watching again", tx_hash)
                self._notify()
            if self.state == "pending":
                _WATCHER.add(self)
        return self

    def raise_for_state(self) -> Confirmation:
        """Raise unless mined: :class:`TransactionRevertedError` when reverted,
        :class:`ConfirmationTimeoutError` while in flight. Returns ``self``."""
        state = self.state
        if state == "mined":
            return self
        if state == "reverted":
            err: ConfirmationError = TransactionRevertedError(
                f"the confirmation of {self.response} (tx {self.tx_hash}) reverted: {self.error}"
            )
        else:
            err = ConfirmationTimeoutError(
                f"the confirmation of {self.response} is still {state} (tx {self.tx_hash})"
            )
        err.confirmation = self  # type: ignore[attr-defined]
        raise err

    # ---- internal ----------------------------------------------------------------------------

    def _add_callback(self, callback: Callable[[Confirmation], Any] | None, now: bool) -> None:
        if callback is None:
            return
        with self._cond:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        if now:
            self._notify(only=callback)

    def _notify(self, only: Callable[[Confirmation], Any] | None = None) -> None:
        with self._notify_lock:  # one delivery at a time, in order of state changes
            with self._cond:
                callbacks = [only] if only else list(self._callbacks)
                state = self._state
                self._notifying = threading.get_ident()
            try:
                for cb in callbacks:
                    try:
                        cb(self)
                    except Exception:
                        logger.warning("an on_update callback raised; ignored", exc_info=True)
            finally:
                with self._cond:
                    self._notifying = None
                    if only is None:  # wait() returns once the final state is announced
                        self._announced = state
                    self._cond.notify_all()

    def _record(self, raw: str, tx_hash: str, nonce: int, gas_limit: int) -> None:
        with self._cond:
            self._raw, self._signed_hash, self._nonce, self._gas_limit = (
                raw,
                tx_hash,
                nonce,
                gas_limit,
            )

    def _set_pending(self) -> None:
        with self._cond:
            self._tx_hash = self._signed_hash
            self._state = "pending"
            self._broadcast_at = time.monotonic()
            self._broadcasts += 1
            self._cond.notify_all()

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            self._failure = exc
            self._cond.notify_all()

    def _wait_sent(self, timeout: float) -> None:
        """Wait until the owner has sent (or given up); re-raise its error if it gave up."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._state == "signing" and self._failure is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    err = ConfirmationTimeoutError(
                        f"another thread is still preparing the confirmation of {self.response}"
                    )
                    err.confirmation = self  # type: ignore[attr-defined]
                    raise err
                self._cond.wait(remaining)
            if self._state == "signing":
                raise _copy_error(self._failure)  # type: ignore[arg-type]

    def _finish(self, state: str, block: int, gas_used: int, fee: int, error: str | None) -> bool:
        with self._cond:
            same = (self._state, self._block_number, self._error) == (state, block, error)
            self._state, self._block_number, self._gas_used = state, block, gas_used
            self._fee_paid, self._error = fee, error
            self._cond.notify_all()
        if not same:
            _WATCHER.discard(self)
            if state == "mined":
                logger.info(
                    "confirmation of %s mined in block %d (tx %s)",
                    self.response,
                    block,
                    self.tx_hash,
                )
            else:
                logger.warning(
                    "confirmation of %s %s (tx %s): %s", self.response, state, self.tx_hash, error
                )
            self._notify()
        return not same


def _apply_receipt(c: Confirmation, receipt: dict[str, Any]) -> None:
    status = int(receipt.get("status") or "0x0", 16)
    block = int(receipt["blockNumber"], 16)
    gas_used = int(receipt.get("gasUsed") or "0x0", 16)
    fee = gas_used * int(receipt.get("effectiveGasPrice") or "0x0", 16)
    if status == 1:
        c._finish("mined", block, gas_used, fee, None)
        return
    with c._cond:
        known = c._state == "reverted" and c._block_number == block and c._error
    reason = c._error if known else _mined_revert_reason(c, block, gas_used)
    c._finish("reverted", block, gas_used, fee, reason)


def _mined_revert_reason(c: Confirmation, block: int, gas_used: int) -> str:
    """Why a mined transaction reverted: replay it before and at its block."""
    tx = {
        "from": c.signer,
        "to": c._engine.controller,
        "data": _confirm_data(c.response),
        "gas": hex(c._gas_limit or gas_used),
    }
    for at in (hex(max(block - 1, 0)), hex(block)):
        try:
            c._engine.rpc.call("eth_call", [tx, at])
        except RpcError as err:
            reason = _revert_reason(err)
            if reason:
                return reason
        except Exception:
            logger.debug("replaying %s at block %s failed", c.tx_hash, at, exc_info=True)
    if c._gas_limit and gas_used >= c._gas_limit:
        return f"out of gas (used all {gas_used})"
    return "reverted without a reason the node could reproduce"


# ---- never twice: the registry ---------------------------------------------------------------


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._by_task: dict[tuple, Confirmation] = {}

    @staticmethod
    def blocking(c: Confirmation | None) -> bool:
        return c is not None and c._failure is None and c.state != "reverted"

    def get(self, identity: Any, task: str) -> Confirmation | None:
        with self.lock:
            c = self._by_task.get((identity, task))
            return c if self.blocking(c) else None

    def add(self, c: Confirmation) -> None:
        with self.lock:
            self._by_task[(c._identity, c.task)] = c

    def abandon(self, c: Confirmation, exc: BaseException) -> None:
        with self.lock:
            key = (c._identity, c.task)
            if self._by_task.get(key) is c:
                del self._by_task[key]
        c._fail(exc)

    def all(self, identity: Any) -> list[Confirmation]:
        with self.lock:
            return [c for (ident, _), c in self._by_task.items() if ident == identity]


_REGISTRY = _Registry()


def _in_flight_error(entry: Confirmation, response: str) -> ConfirmationInFlightError:
    state = entry.state
    what = {"signing": "being signed", "pending": "pending", "mined": "mined"}.get(state, state)
    tx = f" (tx {entry.tx_hash})" if entry.tx_hash else ""
    return ConfirmationInFlightError(
        f"task {entry.task} already has a confirmation {what} from this process: response "
        f"{entry.response}{tx}; a task pays one response, so {response} is refused"
        if entry.response != response
        else f"a confirmation of {response} is already {what}{tx}; follow it with "
        "pending_confirmation(task) instead of sending another"
    )


# ---- nonces ----------------------------------------------------------------------------------


class _Nonces:
    """Next nonce per (chain, account). Hold ``lock(key)`` from ``reserve`` until ``commit`` or
    ``resync``: that is what makes concurrent confirmations take consecutive nonces."""

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
        pending = int(rpc.call("eth_getTransactionCount", [key[1], "pending"]), 16)
        return max(pending, self._next.get(key, 0))

    def commit(self, key: tuple, nonce: int) -> None:
        self._next[key] = max(self._next.get(key, 0), nonce + 1)

    def resync(self, key: tuple) -> None:
        self._next.pop(key, None)  # the next reserve trusts the node's pending count


_NONCES = _Nonces()

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


def _tx_known(rpc: RpcClient, tx_hash: str) -> bool | None:
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


def _broadcast(engine: _Engine, c: Confirmation, raw: str, tx_hash: str) -> str:
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
            known = _tx_known(engine.rpc, tx_hash)
            if known is None:  # cannot tell: it may be ours, mined; never sign a second one
                return "in flight"
            return "known" if known else "nonce"
        if "insufficient funds" in msg:
            raise InsufficientFundsError(
                f"the node refused the confirmation of {c.response}: {c.signer} cannot pay "
                f"for its gas ({err.message}); send it some OGPU first (nothing was sent)"
            ) from None
        raise TransactionRevertedError(
            f"the node refused the confirmation of {c.response}: {err.message} (nothing was sent)"
        ) from None
    except Unreachable as err:
        if not err.maybe_sent:
            raise
        logger.warning(
            "no reply to broadcasting the confirmation of %s (tx %s): treating it as in flight",
            c.response,
            tx_hash,
        )
        return "in flight"


def _send(engine: _Engine, c: Confirmation, signer: BaseAccount, plan: _Plan) -> None:
    """Sign and broadcast ``c``; the caller holds the nonce lock of (chain, signer)."""
    key = (c._identity, c.signer)
    fields = {
        "chainId": engine.network.chain_id,
        "to": engine.controller,
        "data": _confirm_data(c.response),
        "value": 0,
        "gas": plan.gas_limit,
        **_fee_fields(plan),
    }
    for _attempt in range(3):
        nonce = _NONCES.reserve(engine.rpc, key)
        signed = _sign(signer, {**fields, "nonce": nonce})
        raw, tx_hash = signed.raw_transaction.to_0x_hex(), signed.hash.to_0x_hex()
        c._record(raw, tx_hash, nonce, plan.gas_limit)
        logger.debug(
            "signed the confirmation of %s: tx %s, nonce %d, gas %d; broadcasting",
            c.response,
            tx_hash,
            nonce,
            plan.gas_limit,
        )
        outcome = _broadcast(engine, c, raw, tx_hash)
        if outcome == "nonce":
            # the node never took this transaction and its nonce is used: it can never be mined,
            # so signing again with a fresh nonce cannot pay twice
            logger.info("nonce %d refused for %s; resyncing from the node", nonce, c.signer)
            _NONCES.resync(key)
            continue
        _NONCES.commit(key, nonce)
        c._set_pending()
        logger.info(
            "sent the confirmation of %s: tx %s (nonce %d, %s)",
            c.response,
            tx_hash,
            nonce,
            outcome,
        )
        return
    raise ConfirmationError(
        f"the node kept refusing the nonce of {c.signer} for the confirmation of {c.response}; "
        "another wallet may be sending from this account at the same time (nothing was sent)"
    )


# ---- the watcher -----------------------------------------------------------------------------


class _Watcher:
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
                groups.setdefault(id(c._engine), []).append(c)
            for group in groups.values():
                try:
                    _poll(group[0]._engine, group)
                except Exception:
                    logger.debug("polling confirmations failed; retrying", exc_info=True)
            if self._wake.wait(interval):
                self._wake.clear()
                interval = POLL_INTERVAL[0]
            else:
                interval = min(interval * 1.5, POLL_INTERVAL[1])


_WATCHER = _Watcher()


def _poll(engine: _Engine, items: list[Confirmation]) -> None:
    rpc = engine.rpc
    receipts = rpc.batch([("eth_getTransactionReceipt", [c.tx_hash]) for c in items])
    now = time.monotonic()
    stale = []
    for c, receipt in zip(items, receipts, strict=True):
        if isinstance(receipt, RpcError):
            continue
        if receipt:
            _apply_receipt(c, receipt)
        elif now - c._broadcast_at >= REBROADCAST_INTERVAL:
            stale.append(c)
    if not stale:
        return
    known = rpc.batch([("eth_getTransactionByHash", [c.tx_hash]) for c in stale])
    for c, tx in zip(stale, known, strict=True):
        c._broadcast_at = now
        if tx or isinstance(tx, RpcError):
            continue
        _rebroadcast(engine, c)


def _rebroadcast(engine: _Engine, c: Confirmation) -> None:
    """The node forgot ``c``'s transaction: send the same raw transaction again."""
    try:
        outcome = _broadcast(engine, c, c._raw, c.tx_hash)  # type: ignore[arg-type]
    except ConfirmationError as err:
        logger.warning("rebroadcasting %s was refused: %s", c.tx_hash, err)
        return
    except ConnectionError_:
        logger.debug("rebroadcasting %s: node unreachable; will retry", c.tx_hash)
        return
    with c._cond:
        c._broadcasts += 1
    logger.info("rebroadcast the confirmation of %s (tx %s): %s", c.response, c.tx_hash, outcome)
    if outcome != "nonce":
        c._nonce_refusals = 0
        return
    c._nonce_refusals += 1
    if c._nonce_refusals >= DROPPED_AFTER:
        receipt = engine.rpc.call("eth_getTransactionReceipt", [c.tx_hash])
        if receipt:
            _apply_receipt(c, receipt)
            return
        c._finish(
            "reverted",
            None,  # type: ignore[arg-type]
            0,
            0,
            f"dropped: nonce {c._nonce} of {c.signer} was used by another transaction, so this "
            "confirmation can never be mined (nothing was paid)",
        )


# ---- the entry points ------------------------------------------------------------------------


def _join(entry: Confirmation, on_update: Callable | None, engine: _Engine) -> Confirmation:
    entry._wait_sent(timeout=max(60.0, 4 * engine.network.request_timeout))
    entry._add_callback(on_update, now=True)
    logger.debug("joined the confirmation of %s already in this process", entry.response)
    return entry


def _register(
    engine: _Engine, states: Sequence[_State], signer: str
) -> tuple[list[Confirmation | None], dict[str, ConfirmationError], list[Confirmation]]:
    """Under the registry lock: for each state, the existing confirmation of the same response
    (joined), or a refusal, or — if nothing is refused at all — a new registered confirmation.
    Returns (joined-or-None per state, refusals, new confirmations)."""
    identity = engine.identity
    joined: list[Confirmation | None] = []
    refusals: dict[str, ConfirmationError] = {}
    with _REGISTRY.lock:
        for s in states:
            entry = _REGISTRY.get(identity, s.task) if s.task else None
            if entry is not None:
                if entry.response == s.response:
                    joined.append(entry)
                else:
                    joined.append(None)
                    refusals[s.response] = _in_flight_error(entry, s.response)
                continue
            joined.append(None)
            try:
                _check(s, signer)
            except ConfirmationError as exc:
                refusals[s.response] = exc
        if refusals:
            return joined, refusals, []
        new = []
        for s, j in zip(states, joined, strict=True):
            if j is None:
                c = Confirmation(engine, identity, s, signer)
                _REGISTRY.add(c)
                new.append(c)
        return joined, refusals, new


def confirm_response(
    response_address: str,
    *,
    account: Any = None,
    network: Any = None,
    wait: bool = True,
    timeout: float = 120,
    on_update: Callable[[Confirmation], Any] | None = None,
) -> Confirmation:
    """Confirm one response: the task is finalized and its payment released to the provider.

    ``account`` is an ``eth_account`` account or private key (default: ``$CLIENT_PRIVATE_KEY``);
    ``network`` a :class:`Network`, ``"mainnet"``/``"testnet"``, a devnet (state file) or
    ``None`` (the default network). Refusals raise a typed :class:`ConfirmationError` before
    anything is signed. With ``wait`` the call returns once mined or reverted, or raises
    :class:`ConfirmationTimeoutError` (``.confirmation`` is still in flight) after ``timeout``
    seconds; without it, it returns once the transaction is sent. ``on_update(confirmation)`` is
    called at each state change (signing, pending, mined or reverted), from the thread doing the
    work. Calling again for the same response returns the same :class:`Confirmation`.
    """
    try:
        signer = resolve_signer(account)
    finally:
        del account  # the key (if one was passed) leaves this frame before anything can raise
    net = resolve_network(network)
    response = to_address(response_address, "response address")
    engine = _engine(net)
    (state,), block = _read_states(engine, [response])
    joined, refusals, new = _register(engine, [state], signer.address)
    if joined[0] is not None:
        c = _join(joined[0], on_update, engine)
    elif refusals:
        raise refusals[response]
    else:
        (c,) = new
        c._add_callback(on_update, now=False)
        _prepare_and_send(engine, [c], [state], signer, block)
    if wait:
        c.wait(timeout)
    return c


def _prepare_and_send(
    engine: _Engine,
    new: list[Confirmation],
    states: list[_State],
    signer: BaseAccount,
    block: dict,
) -> None:
    """Simulate, check funds, then sign and broadcast ``new`` in order with consecutive nonces.
    A confirmation that was not sent is abandoned (and its error raised); ones sent stay.
    ``on_update`` callbacks run outside the nonce lock (they may take locks of their own)."""
    sent: list[Confirmation] = []
    failure: BaseException | None = None
    try:
        plans, refusals, balance = _simulate(engine, states, signer.address, block)
        if refusals:
            if len(new) == 1:
                raise next(iter(refusals.values()))
            raise ConfirmManyError(_many_message(refusals, "simulation refused"), refusals)
        total = sum(plans[c.response].max_cost for c in new)
        what = "this confirmation" if len(new) == 1 else f"these {len(new)} confirmations"
        _check_funds(balance, total, signer.address, what)
        for c in new:
            c._notify()  # signing
        with _NONCES.lock((new[0]._identity, signer.address)):
            for c in new:
                _send(engine, c, signer, plans[c.response])
                sent.append(c)
    except BaseException as exc:
        failure = exc
    for c in sent:
        c._notify()  # pending
        _WATCHER.add(c)
    if failure is None:
        return
    rest = new[len(sent) :]
    for c in rest:
        _REGISTRY.abandon(c, failure)
    if sent:
        raise ConfirmManyError(
            f"sent {len(sent)} of {len(new)} confirmations, then: {failure}; the rest were "
            "not sent",
            {c.response: failure for c in rest},  # type: ignore[misc]
            sent,
        ) from failure
    raise failure


def _many_message(refusals: dict[str, BaseException], what: str) -> str:
    lines = [f"{len(refusals)} response(s) {what}; nothing was sent:"]
    lines += [f"  {r}: {type(e).__name__}: {e}" for r, e in refusals.items()]
    return "\n".join(lines)


def confirm_many(
    responses: Iterable[str],
    *,
    account: Any = None,
    network: Any = None,
    wait: bool = True,
    timeout: float = 120,
    on_update: Callable[[Confirmation], Any] | None = None,
) -> list[Confirmation]:
    """Confirm one response of each of several tasks, with consecutive nonces.

    Everything is checked before anything is sent: two responses of one task raise
    :class:`DuplicateTaskError`, and any refusal (pre-flight or simulation) raises
    :class:`ConfirmManyError` whose ``refusals`` maps each refused response to its typed error.
    Responses that already have a confirmation in this process are not sent again: their
    existing :class:`Confirmation` is returned. Returns the confirmations in input order; with
    ``wait``, once all are mined or reverted (else :class:`ConfirmationTimeoutError` with
    ``.confirmations``).
    """
    try:
        signer = resolve_signer(account)
    finally:
        del account
    net = resolve_network(network)
    addrs = [to_address(r, "response address") for r in responses]
    if not addrs:
        return []
    repeated = sorted({a for a in addrs if addrs.count(a) > 1})
    if repeated:
        raise DuplicateTaskError(
            f"response(s) {', '.join(repeated)} appear more than once; pass each once "
            "(nothing was sent)"
        )
    engine = _engine(net)
    states, block = _read_states(engine, addrs)
    by_task: dict[str, list[str]] = {}
    for s in states:
        if s.task:
            by_task.setdefault(s.task, []).append(s.response)
    dupes = {t: rs for t, rs in by_task.items() if len(rs) > 1}
    if dupes:
        raise DuplicateTaskError(
            "a task pays one response, but these tasks got several; keep one response per "
            "task (nothing was sent): "
            + "; ".join(f"task {t}: {', '.join(rs)}" for t, rs in dupes.items())
        )
    joined, refusals, new = _register(engine, states, signer.address)
    if refusals:
        raise ConfirmManyError(_many_message(refusals, "refused"), refusals)
    for c in new:
        c._add_callback(on_update, now=False)
    new_states = [s for s, j in zip(states, joined, strict=True) if j is None]
    if new:
        _prepare_and_send(engine, new, new_states, signer, block)
    fresh = iter(new)
    out = [_join(j, on_update, engine) if j is not None else next(fresh) for j in joined]
    if wait:
        deadline = time.monotonic() + timeout
        late = []
        for c in out:
            try:
                c.wait(max(0.0, deadline - time.monotonic()))
            except ConfirmationTimeoutError:
                late.append(c)
        if late:
            err = ConfirmationTimeoutError(
                f"{len(late)} of {len(out)} confirmations are still in flight after {timeout} s "
                "(not failed): " + ", ".join(str(c.tx_hash) for c in late)
            )
            err.confirmations = out  # type: ignore[attr-defined]
            raise err
    return out


def preflight(response: str, *, account: Any = None, network: Any = None) -> Preflight:
    """Everything ``confirm_response`` checks before signing, without sending: the batched read,
    the typed refusals (including a confirmation already pending in this process), the
    simulation and the gas funds check. Returns a :class:`Preflight` record."""
    try:
        signer = resolve_signer(account)
    finally:
        del account
    net = resolve_network(network)
    engine = _engine(net)
    address = to_address(response, "response address")
    (s,), block = _read_states(engine, [address])
    entry = _REGISTRY.get(engine.identity, s.task) if s.task else None
    if entry is not None:
        raise _in_flight_error(entry, address)
    _check(s, signer.address)
    plans, refusals, balance = _simulate(engine, [s], signer.address, block)
    if refusals:
        raise refusals[address]
    plan = plans[address]
    _check_funds(balance, plan.max_cost, signer.address, "this confirmation")
    return Preflight(
        response=address,
        task=s.task,
        provider=s.provider,
        payment=s.payment,
        client=s.client,
        signer=signer.address,
        source=s.source,
        delivery_method=s.delivery,  # type: ignore[arg-type]
        task_status=s.task_status,  # type: ignore[arg-type]
        expiry=s.expiry,
        chain_id=net.chain_id,
        block_number=s.block_number,
        gas=plan.gas,
        gas_limit=plan.gas_limit,
        fee_per_gas=plan.fee_per_gas,
        max_fee_per_gas=plan.max_fee_per_gas,
        eip1559=plan.eip1559,
        balance=balance,
    )


def estimate_fee(response: str, *, account: Any = None, network: Any = None) -> int:
    """The expected fee of confirming ``response``, in wei (gas estimate x current fee per gas).
    Raises the same typed refusals as :func:`preflight`."""
    try:
        return preflight(response, account=account, network=network).fee
    finally:
        del account


def pending_confirmation(task: str, network: Any = None) -> Confirmation | None:
    """The confirmation this process has signing, pending or mined for ``task`` (any of its
    responses), or ``None``."""
    engine = _engine(resolve_network(network))
    return _REGISTRY.get(engine.current_identity(), to_address(task, "task address"))


def confirmations(network: Any = None) -> list[Confirmation]:
    """Every confirmation this process made on ``network`` (latest per task), in any state."""
    engine = _engine(resolve_network(network))
    return _REGISTRY.all(engine.current_identity())
