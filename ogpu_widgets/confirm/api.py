"""The public calls: :func:`confirm_response`, :func:`confirm_many`, :func:`preflight`,
:func:`estimate_fee`, :func:`pending_confirmation`, :func:`confirmations`, and the
:class:`Preflight` record.

Each lets out only :class:`~ogpu_widgets.errors.OgpuWidgetsError` subclasses, and each drops
its reference to the caller's key (``account``) before anything can raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from ..chain.codec import to_address
from ..chain.network import NetworkLike, resolve_network
from ..errors import ConfirmationTimeoutError, DuplicateTaskError, InvalidArgumentError
from ..records import WEI_PER_OGPU, DeliveryMethod, TaskStatus
from .confirmation import Confirmation
from .fees import Plan
from .pipeline import dispatch, join, quote, run, typed
from .process import PROCESS
from .signer import AccountLike, Signer, resolved, resolves_account

__all__ = [
    "Preflight",
    "confirm_many",
    "confirm_response",
    "confirmations",
    "estimate_fee",
    "pending_confirmation",
    "preflight",
]

OnUpdate = Callable[[Confirmation], Any]


@dataclass(frozen=True, repr=False)
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
    #: Whether ``signer`` confirms as an agent the client authorized (not the client itself).
    agent: bool = False

    @property
    def plan(self) -> Plan:
        """The fee plan pre-flight priced (its ``fee`` and ``max_cost`` are these)."""
        return Plan(self.gas, self.gas_limit, self.eip1559, self.max_fee_per_gas, None,
                    self.fee_per_gas)  # fmt: skip

    fee = property(lambda self: self.plan.fee, doc="The expected fee, wei.")
    max_cost = property(lambda self: self.plan.max_cost, doc="The most it can cost, wei.")

    @property
    def payment_ogpu(self) -> float:
        return self.payment / WEI_PER_OGPU

    def __repr__(self) -> str:  # never raises, even on a half-built object
        shown = ", ".join(f"{f.name}={getattr(self, f.name, '?')!r}" for f in fields(Preflight))
        return f"Preflight({shown})"


@resolves_account
def confirm_response(
    response_address: str,
    *,
    account: AccountLike = None,
    network: NetworkLike = None,
    wait: bool = True,
    timeout: float = 120,
    on_update: OnUpdate | None = None,
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
    (c,) = _confirm([response_address], resolved(account), network, on_update, many=False)
    if wait:
        c.wait(timeout)
    return c


def _confirm(
    addrs: list[str], signer: Signer, network: NetworkLike, on_update: OnUpdate | None, many: bool
) -> list[Confirmation]:
    """The pipeline with registration, then the new confirmations signed and sent in order;
    the confirmations in input order (joined ones included)."""
    net = resolve_network(network)
    addrs = [to_address(a, "response address") for a in addrs]
    with typed(f"confirming {addrs[0]}" if not many else "confirming several responses"):
        engine = PROCESS.engine(net)
        r = run(engine, addrs, signer.address, register=True, many=many)
        if r.error is not None:
            raise r.error
        for c in r.new:
            c.add_callback(on_update, now=False)
        if r.new:
            plans = [q.plan for q in r.quotes if q.confirmation is not None and q.plan]
            dispatch(engine, r.new, signer, plans)
        fresh = iter(r.new)
        return [join(q.joined, on_update, engine) if q.joined else next(fresh) for q in r.quotes]


def _response_list(responses: Any) -> list[str]:
    """The addresses of ``responses``: an iterable of addresses, or one address."""
    if isinstance(responses, str | bytes | bytearray):
        items: list[Any] = [responses]  # one address, never walked character by character
    elif isinstance(responses, Iterable):
        items = list(responses)
    else:
        raise InvalidArgumentError(
            f"responses must be a list of response addresses (or one address), not "
            f"{type(responses).__name__}",
            argument="responses",
        )
    return [to_address(r, "response address") for r in items]


@resolves_account
def confirm_many(
    responses: Iterable[str] | str,
    *,
    account: AccountLike = None,
    network: NetworkLike = None,
    wait: bool = True,
    timeout: float = 120,
    on_update: OnUpdate | None = None,
) -> list[Confirmation]:
    """Confirm one response of each of several tasks, with consecutive nonces.

    Everything is checked before anything is sent: two responses of one task raise
    :class:`DuplicateTaskError`, and any refusal (pre-flight or simulation) raises
    :class:`ConfirmManyError` whose ``refusals`` maps each refused response to its typed error.
    Responses that already have a confirmation in this process are not sent again: their
    existing :class:`Confirmation` is returned. Returns the confirmations in input order; with
    ``wait``, once all are mined or reverted (else :class:`ConfirmationTimeoutError` with
    ``.confirmations``). A single address string counts as one response.
    """
    addrs = _response_list(responses)
    if not addrs:
        return []
    repeated = sorted({a for a in addrs if addrs.count(a) > 1})
    if repeated:
        raise DuplicateTaskError(
            f"response(s) {', '.join(repeated)} appear more than once; pass each once "
            "(nothing was sent)"
        )
    out = _confirm(addrs, resolved(account), network, on_update, many=True)
    if wait:
        _wait_all(out, timeout)
    return out


def _wait_all(out: list[Confirmation], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    late = []
    for c in out:
        try:
            c.wait(max(0.0, deadline - time.monotonic()))
        except ConfirmationTimeoutError:
            late.append(c)
    if late:
        raise ConfirmationTimeoutError(
            f"{len(late)} of {len(out)} confirmations are still in flight after {timeout} s "
            "(not failed): " + ", ".join(str(c.tx_hash) for c in late),
            confirmations=out,
        )


@resolves_account
def preflight(
    response: str, *, account: AccountLike = None, network: NetworkLike = None
) -> Preflight:
    """Everything ``confirm_response`` checks before signing, without sending: the batched read,
    the typed refusals (including a confirmation already pending in this process, or pending
    on the node from elsewhere), the simulation and the gas funds check. Returns a
    :class:`Preflight` record."""
    signer = resolved(account).address
    net = resolve_network(network)
    address = to_address(response, "response address")
    with typed(f"checking {address}"):
        q, r = quote(net, address, signer)
        s, plan = q.state, q.plan
        assert plan is not None
        read = ("task", "provider", "payment", "client", "source", "expiry", "block_number")
        priced = ("gas", "gas_limit", "fee_per_gas", "max_fee_per_gas", "eip1559")
        return Preflight(
            response=address,
            signer=signer,
            delivery_method=s.delivery,  # type: ignore[arg-type]
            task_status=s.task_status,  # type: ignore[arg-type]
            chain_id=net.chain_id,
            balance=r.balance,
            agent=bool(s.agent),
            **{f: getattr(s, f) for f in read},
            **{f: getattr(plan, f) for f in priced},
        )


@resolves_account
def estimate_fee(response: str, *, account: AccountLike = None, network: NetworkLike = None) -> int:
    """The expected fee of confirming ``response``, in wei (gas estimate x current fee per gas).
    Raises the same typed refusals as :func:`preflight`."""
    return preflight(response, account=account, network=network).fee


def pending_confirmation(task: str, network: NetworkLike = None) -> Confirmation | None:
    """The confirmation this process has signing, pending or mined for ``task`` (any of its
    responses), or ``None``."""
    net = resolve_network(network)
    address = to_address(task, "task address")
    with typed(f"looking up the confirmation of {address}"):
        engine = PROCESS.engine(net)
        return PROCESS.registry.get(engine.current_identity(), address)


def confirmations(network: NetworkLike = None) -> list[Confirmation]:
    """Every confirmation this process made on ``network`` (latest per task), in any state."""
    net = resolve_network(network)
    with typed("listing confirmations"):
        engine = PROCESS.engine(net)
        return PROCESS.registry.all(engine.current_identity())
