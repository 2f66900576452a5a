"""Confirming in the browser's wallet (EIP-1193): the kernel checks, registers and prices the
transaction; the page's wallet signs and sends exactly that; the kernel tracks its hash.

No key exists in the kernel in this mode. The steps, each one call:

1. :func:`prepare` with the wallet's account: the same pipeline as for a kernel key
   (:func:`.pipeline.run`: read, pending elsewhere, the one set of rules and registration,
   simulation and fee plan, funds). The task is
   registered (never twice) before anything is asked of the wallet; the result is a
   :class:`WalletRequest`: the ``eth_sendTransaction`` fields (``from`` = the checked account)
   and the ``wallet_addEthereumChain`` parameters of the network.
2. :func:`accept` with the hash the wallet returned: checked (``0x`` and 64 hex digits), then
   the confirmation is pending and the one tracker follows it, exactly like a kernel-signed one.
   Only the wallet holds the signed transaction, so the kernel never rebroadcasts it.
3. :func:`release` when the wallet did not send (rejected, no wallet, an error): the task is
   free again and a retry is possible.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import _strict as strict
from ..chain.codec import to_address
from ..chain.network import MAINNET, TESTNET, Network, NetworkLike, resolve_network
from ..errors import InvalidArgumentError, WalletError
from ..records import ConfirmationState
from .confirmation import Confirmation
from .fees import Plan, fee_fields
from .pipeline import quote, run, typed
from .process import PROCESS
from .tracker import REBROADCAST_INTERVAL

__all__ = [
    "BROWSER",
    "UNSEEN_TIMEOUT",
    "BrowserWallet",
    "Unseen",
    "WalletRequest",
    "accept",
    "chain_parameters",
    "estimate",
    "prepare",
    "release",
]

#: ``account="browser"``: sign in the page's wallet.
BROWSER = "browser"
#: Seconds a hash the wallet reported may stay unknown to the node before its task is released.
UNSEEN_TIMEOUT = 300.0
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


def seconds(value: Any, call: str, argument: str, what: str) -> float:
    """``value`` as a number of seconds for ``call`` (the one check,
    :func:`ogpu_widgets._strict.seconds`), else :class:`InvalidArgumentError`."""
    problem = strict.seconds_problem(value, argument, what=what)
    if problem is not None:
        raise InvalidArgumentError(f"{call}: {problem}", argument=argument)
    return float(value)


class BrowserWallet:
    """Sign in the page's wallet (MetaMask, Rabby, ...: any EIP-1193 ``window.ethereum``).

    Pass it (or ``"browser"``) as ``account=`` of :class:`~ogpu_widgets.ResponseTable`. The
    kernel never holds a key: it checks the wallet's account like a kernel key (the task's
    client or an agent of it), registers the confirmation, and asks the wallet to send exactly
    the transaction it checked. ``timeout`` is how long, in seconds, the page has to answer
    each wallet request (the user's approval in the wallet included). ``address`` is the
    wallet's account once it reported one ("" before).
    """

    __slots__ = ("address", "timeout", "unseen_timeout")

    #: Recognized by the table and the signer without importing this module.
    is_browser_wallet = True

    def __init__(self, *, timeout: float = 300.0, unseen_timeout: float = UNSEEN_TIMEOUT) -> None:
        self.timeout = seconds(timeout, "BrowserWallet(timeout=…)", "timeout",
                               "the seconds the page has to answer a wallet request")  # fmt: skip
        self.unseen_timeout = seconds(
            unseen_timeout, "BrowserWallet(unseen_timeout=…)", "unseen_timeout",
            "the seconds a hash the wallet reported may stay unknown to the node (not mined, "
            "not in its pool) before the task is released",
        )  # fmt: skip
        self.address = ""

    @classmethod
    def of(cls, account: Any) -> BrowserWallet | None:
        """``account`` as a :class:`BrowserWallet` when it asks for one (an instance, or the
        string ``"browser"``), else ``None``. Never raises (``account`` may be a key)."""
        if isinstance(account, BrowserWallet):
            return account
        if isinstance(account, str) and account.strip().lower() == BROWSER:
            return cls()
        return None

    def __repr__(self) -> str:
        address = getattr(self, "address", "")
        return f"BrowserWallet({address or 'not connected'})"


@dataclass(frozen=True)
class WalletRequest:
    """A checked, registered confirmation waiting for the wallet.

    ``tx`` is the ``eth_sendTransaction`` parameter object (hex quantities; ``from`` is the
    account pre-flight checked); ``chain`` the ``wallet_addEthereumChain`` parameters."""

    confirmation: Confirmation
    tx: dict[str, str]
    chain: dict[str, Any]
    plan: Plan


def chain_parameters(network: NetworkLike = None) -> dict[str, Any]:
    """The explicit ``wallet_addEthereumChain`` parameters of ``network`` (some chain
    registries map 1071 to another chain, so a wallet is never left to guess): chain id, name,
    the native currency OGPU (18 decimals), the RPC URL and the explorer (when there is one)."""
    net = resolve_network(network)
    if net.chain_id == MAINNET.chain_id:
        name = "OpenGPU"
    elif net.chain_id == TESTNET.chain_id:
        name = "OpenGPU Testnet"
    else:
        name = f"OpenGPU ({net.name})"
    params: dict[str, Any] = {
        "chainId": hex(net.chain_id),
        "chainName": name,
        "nativeCurrency": {"name": "OGPU", "symbol": "OGPU", "decimals": 18},
        "rpcUrls": [net.rpc_url],
    }
    if net.explorer_url:
        params["blockExplorerUrls"] = [net.explorer_url]
    return params


def _tx_fields(net: Network, c: Confirmation, plan: Plan) -> dict[str, str]:
    fields = {
        "from": c.signer,
        "to": c.call.to,
        "data": c.call.data,
        "value": "0x0",
        "gas": hex(plan.gas_limit),
        "chainId": hex(net.chain_id),
    }
    fields.update({k: hex(v) for k, v in fee_fields(plan).items()})
    return fields


def prepare(
    response: str,
    account: str,
    *,
    network: NetworkLike = None,
    on_update: Callable[[Confirmation], Any] | None = None,
) -> WalletRequest:
    """Check ``response`` for the wallet account ``account`` exactly as for a kernel key, then
    register its confirmation (never twice) and price it. Raises the same typed refusals as
    :func:`~ogpu_widgets.confirm.confirm_response`; a task with a confirmation already in this
    process (this response's included) is refused with
    :class:`~ogpu_widgets.errors.ConfirmationInFlightError`. ``on_update`` gets the state
    changes (signing now; pending, mined or reverted later)."""
    signer, net, address = _wallet_args(response, account, network)
    with typed(f"preparing the confirmation of {address}"):
        engine = PROCESS.engine(net)
        # a wallet request is never joined: the one in this process may still be open
        r = run(engine, [address], signer, register=True, join=False)
        if r.error is not None:
            raise r.error
        (q,) = r.quotes
        c, plan = q.confirmation, q.plan
        assert c is not None and plan is not None
        try:
            request = WalletRequest(c, _tx_fields(net, c, plan), chain_parameters(net), plan)
        except BaseException as exc:
            PROCESS.registry.abandon(c, exc)
            raise
        c.add_callback(on_update, now=False)
        c.announce()  # signing: the wallet is asked next
        return request


def _wallet_args(
    response: str, account: str, network: NetworkLike, what: str = "wallet account"
) -> tuple[str, Network, str]:
    return (to_address(account, what), resolve_network(network),
            to_address(response, "response address"))  # fmt: skip


def accept(
    request: WalletRequest, tx_hash: Any, *, unseen_timeout: float = UNSEEN_TIMEOUT
) -> Confirmation:
    """The wallet sent ``request``'s transaction as ``tx_hash``: check it, mark the
    confirmation pending and hand it to the tracker. A value that is not a transaction hash
    releases the task and raises :class:`~ogpu_widgets.errors.WalletError`.

    What the hash is, is read from the chain once it is mined (never taken from the page):
    ``confirmResponse`` of this response to the Controller, from the wallet's account, the
    task's client or an agent of it, is the confirmation (mined, signed by that account: its
    ``signer``); anything else is reverted with what it was. A hash the node does not know
    (no receipt, not in its pool) for ``unseen_timeout`` seconds releases the task: its
    waiters get a :class:`~ogpu_widgets.errors.WalletError` and the task may be confirmed
    again. That cannot pay twice: the chain lets one confirmation per task succeed, and the
    next confirmation's pipeline reads the chain (a task finalized meanwhile is refused, a
    confirmation from the same account waiting in the pool is pending elsewhere, the same
    nonce cannot be mined twice)."""
    c = request.confirmation
    try:
        limit = seconds(unseen_timeout, "accept(unseen_timeout=…)", "unseen_timeout",
                        "the seconds the hash may stay unknown to the node")  # fmt: skip
    except InvalidArgumentError as err:
        release(request, err)
        raise
    if not isinstance(tx_hash, str) or not _HASH.fullmatch(tx_hash):
        shown = repr(tx_hash)[:80]
        err = WalletError(
            f"the wallet answered {shown} for the confirmation of {c.response}, which is not "
            "a transaction hash (0x and 64 hex digits); look in the wallet's activity for a "
            f"transaction to {request.tx['to']} before confirming again",
            response=c.response,
            task=c.task,
            signer=c.signer,
        )
        release(request, err)
        raise err
    # only the wallet holds the signed transaction: no raw transaction, no nonce of ours
    c.signed(None, tx_hash.lower(), None, request.plan.gas_limit)
    c.unseen_clock = Unseen(limit, lambda c: _unseen(c, limit))
    c.sent()
    c.announce()  # pending
    PROCESS.tracker.add(c)
    return c


class Unseen:
    """The clock of a wallet's hash the node does not know (only the wallet can send it again):
    once the node has not known it for ``limit`` seconds, ``release(c)``. The tracker asks the
    node about it every :attr:`interval` seconds at most."""

    __slots__ = ("_known_at", "_lock", "interval", "limit", "release")

    def __init__(self, limit: float, release: Callable[[Confirmation], Any]) -> None:
        self.limit, self.release = limit, release
        self.interval = min(REBROADCAST_INTERVAL, limit / 4)
        self._lock = threading.Lock()
        self._known_at = time.monotonic()

    def asked(self, c: Confirmation, known: bool, now: float) -> None:
        """The node was asked about ``c`` at ``now``: it ``known`` it (in its pool), or not."""
        with self._lock:
            if known:
                self._known_at = max(self._known_at, now)
                return
            expired = now - self._known_at >= self.limit
        if expired and not c.failed and c.state == ConfirmationState.PENDING:
            self.release(c)

    @property
    def known_at(self) -> float:
        """When (monotonic) the node last showed the transaction (else when it was accepted)."""
        with self._lock:
            return self._known_at


def _unseen(c: Confirmation, limit: float) -> None:
    """The node has not known ``c``'s hash for ``limit`` s: release the task (typed)."""
    err = WalletError(
        f"the wallet reported transaction {c.tx_hash} for the confirmation of {c.response}, "
        f"but the node has not known it for {limit:g} s (no receipt, not in its pool): the "
        "task is released and nothing was paid so far; look in the wallet's activity, then "
        "confirm again (if that transaction is mined after all, the task is finalized and a "
        "new confirmation is refused or reverts: the response is never paid twice)",
        response=c.response,
        task=c.task,
        signer=c.signer,
        tx_hash=c.tx_hash,
        confirmation=c,
    )
    PROCESS.registry.abandon(c, err)
    PROCESS.registry.released(c)  # the next confirmation of the task asks the node about it
    PROCESS.tracker.discard(c)


def release(request: WalletRequest, exc: BaseException) -> None:
    """The wallet did not send ``request``: forget its registration (a retry is possible) and
    fail its waiters with ``exc``."""
    c = request.confirmation
    if c.tx_hash is None:
        PROCESS.registry.abandon(c, exc)


def estimate(response: str, sender: str, *, network: NetworkLike = None) -> int:
    """The expected fee, in wei, of confirming ``response`` from ``sender`` (an address: no
    key): the same pipeline and refusals as :func:`~ogpu_widgets.confirm.estimate_fee` for a
    key of that address (pending elsewhere and funds included)."""
    signer, net, address = _wallet_args(response, sender, network, "sender address")
    with typed(f"estimating the confirmation of {address}"):
        q, _ = quote(net, address, signer)
        assert q.plan is not None
        return q.plan.fee
