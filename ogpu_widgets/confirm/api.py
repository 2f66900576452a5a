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
from ..errors import (
    ConfirmationTimeoutError,
    ConfirmManyError,
    DuplicateTaskError,
    InvalidArgumentError,
)
from ..records import WEI_PER_OGPU, DeliveryMethod, TaskStatus
from .confirmation import Confirmation
from .elsewhere import pending_elsewhere
from .fees import check_funds, simulate
from .flow import join, many_message, prepare_and_send, read, register, typed
from .preflight import check, in_flight_error
from .process import PROCESS
from .signer import AccountLike, Signer

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
    def fee(self) -> int:
        return self.gas * self.fee_per_gas

    @property
    def max_cost(self) -> int:
        return self.gas_limit * self.max_fee_per_gas

    @property
    def payment_ogpu(self) -> float:
        return self.payment / WEI_PER_OGPU

    def __repr__(self) -> str:  # never raises, even on a half-built object
        shown = ", ".join(f"{f.name}={getattr(self, f.name, '?')!r}" for f in fields(Preflight))
        return f"Preflight({shown})"


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
    try:
        signer = Signer.resolve(account)
    finally:
        del account  # the key (if one was passed) leaves this frame before anything can raise
    net = resolve_network(network)
    response = to_address(response_address, "response address")
    with typed(f"confirming {response}"):
        engine = PROCESS.engine(net)
        reading = read(engine, [response], signer.address)
        elsewhere = pending_elsewhere(engine, reading, signer.address)
        joined, refusals, new = register(engine, reading, signer.address, elsewhere)
        if joined[0] is not None:
            c = join(joined[0], on_update, engine)
        elif refusals:
            raise refusals[response]
        else:
            (c,) = new
            c._add_callback(on_update, now=False)
            prepare_and_send(engine, [c], reading.states, signer, reading.block)
        if wait:
            c.wait(timeout)
        return c


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
    try:
        signer = Signer.resolve(account)
    finally:
        del account
    net = resolve_network(network)
    addrs = _response_list(responses)
    if not addrs:
        return []
    repeated = sorted({a for a in addrs if addrs.count(a) > 1})
    if repeated:
        raise DuplicateTaskError(
            f"response(s) {', '.join(repeated)} appear more than once; pass each once "
            "(nothing was sent)"
        )
    with typed("confirming several responses"):
        engine = PROCESS.engine(net)
        reading = read(engine, addrs, signer.address)
        by_task: dict[str, list[str]] = {}
        for s in reading.states:
            if s.task:
                by_task.setdefault(s.task, []).append(s.response)
        dupes = {t: rs for t, rs in by_task.items() if len(rs) > 1}
        if dupes:
            raise DuplicateTaskError(
                "a task pays one response, but these tasks got several; keep one response per "
                "task (nothing was sent): "
                + "; ".join(f"task {t}: {', '.join(rs)}" for t, rs in dupes.items())
            )
        elsewhere = pending_elsewhere(engine, reading, signer.address)
        joined, refusals, new = register(engine, reading, signer.address, elsewhere)
        if refusals:
            raise ConfirmManyError(many_message(refusals, "refused"), refusals)
        for c in new:
            c._add_callback(on_update, now=False)
        new_states = [s for s, j in zip(reading.states, joined, strict=True) if j is None]
        if new:
            prepare_and_send(engine, new, new_states, signer, reading.block)
        fresh = iter(new)
        out = [join(j, on_update, engine) if j is not None else next(fresh) for j in joined]
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


def preflight(
    response: str, *, account: AccountLike = None, network: NetworkLike = None
) -> Preflight:
    """Everything ``confirm_response`` checks before signing, without sending: the batched read,
    the typed refusals (including a confirmation already pending in this process, or pending
    on the node from elsewhere), the simulation and the gas funds check. Returns a
    :class:`Preflight` record."""
    try:
        signer = Signer.resolve(account)
    finally:
        del account
    net = resolve_network(network)
    address = to_address(response, "response address")
    with typed(f"checking {address}"):
        engine = PROCESS.engine(net)
        reading = read(engine, [address], signer.address)
        (s,) = reading.states
        entry = PROCESS.registry.get(reading.identity, s.task) if s.task else None
        if entry is not None:
            raise in_flight_error(entry, address)
        check(s, signer.address)
        elsewhere = pending_elsewhere(engine, reading, signer.address)
        if address in elsewhere:
            raise elsewhere[address]
        plans, refusals, balance = simulate(engine, [s], signer.address, reading.block)
        if refusals:
            raise refusals[address]
        plan = plans[address]
        check_funds(balance, plan.max_cost, signer.address, "this confirmation",
                    response=address, task=s.task)  # fmt: skip
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
            agent=bool(s.agent),
        )


def estimate_fee(response: str, *, account: AccountLike = None, network: NetworkLike = None) -> int:
    """The expected fee of confirming ``response``, in wei (gas estimate x current fee per gas).
    Raises the same typed refusals as :func:`preflight`."""
    try:
        signer = Signer.resolve(account)
    finally:
        del account
    return preflight(response, account=signer, network=network).fee


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
