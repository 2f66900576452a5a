"""Simulation, the fee plan, the funds check, and the mapping of ``confirmResponse`` reverts
to typed refusals.

Simulation and gas estimation run at the ``pending`` block tag, so a confirmation of the same
task already waiting in the node's pool (from another process) shows as the revert it will
cause. The same batch reads the task's status and the response's flag at ``latest``: a revert
``AlreadyFinalized``/``AlreadyConfirmed`` at ``pending`` while ``latest`` says the task is open
means a confirmation is pending elsewhere (:class:`ConfirmationPendingElsewhereError`), not
that the task is finalized.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..chain.codec import calldata
from ..chain.network import Network
from ..chain.revert import revert_reason
from ..errors import (
    AlreadyConfirmedError,
    ConfirmationError,
    ConfirmationPendingElsewhereError,
    InsufficientFundsError,
    InvalidResponseError,
    NotTaskClientError,
    OgpuWidgetsError,
    RpcError,
    TaskCanceledError,
    TaskExpiredError,
    TaskFinalizedError,
    TransactionRevertedError,
)
from ..records import WEI_PER_OGPU, TaskStatus
from .engine import Calls, Engine, Undecodable, decoded, must
from .rules import not_client_message

if TYPE_CHECKING:
    from .preflight import State

__all__ = [
    "GAS_MARGIN",
    "Plan",
    "Prices",
    "check_funds",
    "fee_fields",
    "plan_fees",
    "refusal_for_revert",
    "simulate",
]

#: Gas limit = gas estimate x this margin.
GAS_MARGIN = 1.25
_OPEN = (TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED)


@dataclass(frozen=True)
class Plan:
    """How one transaction is priced: gas estimate and limit, and its fees per gas (wei)."""

    gas: int
    gas_limit: int
    eip1559: bool
    max_fee_per_gas: int
    priority_fee_per_gas: int | None
    fee_per_gas: int

    @property
    def fee(self) -> int:
        """The expected fee: gas estimate x the fee per gas paid now."""
        return self.gas * self.fee_per_gas

    @property
    def max_cost(self) -> int:
        """The most the transaction can cost: gas limit x max fee per gas."""
        return self.gas_limit * self.max_fee_per_gas


def plan_fees(
    gas: int,
    *,
    gas_price: int,
    base_fee: int | None,
    priority_fee: int | None,
    block_gas_limit: int = 0,
    margin: float | None = None,
) -> Plan:
    """The fee plan of a transaction estimated at ``gas``: EIP-1559 when the latest block has a
    base fee (max fee = 2 x base fee + tip, the tip being the node's suggestion or else the gas
    price above the base fee), a legacy gas price otherwise. The gas limit is the estimate x
    :data:`GAS_MARGIN`, capped at the block's gas limit."""
    gas_limit = math.ceil(gas * (GAS_MARGIN if margin is None else margin))
    if block_gas_limit:
        gas_limit = min(gas_limit, block_gas_limit)
    if base_fee is not None:
        tip = priority_fee if priority_fee is not None else max(gas_price - base_fee, 0)
        return Plan(gas, gas_limit, True, 2 * base_fee + tip, tip, base_fee + tip)
    return Plan(gas, gas_limit, False, gas_price, None, gas_price)


def fee_fields(plan: Plan) -> dict[str, int]:
    """The fee fields of the transaction to sign."""
    if plan.eip1559:
        return {
            "type": 2,
            "maxFeePerGas": plan.max_fee_per_gas,
            "maxPriorityFeePerGas": plan.priority_fee_per_gas or 0,
        }
    return {"gasPrice": plan.max_fee_per_gas}


class Prices:
    """The fee inputs one batch reads with a simulation: the signer's balance (at ``pending``),
    the gas price and the node's suggested tip. Add to the batch, send it, :meth:`read`, then
    price each gas estimate with :meth:`plan`."""

    def __init__(self, c: Calls, signer: str) -> None:
        self.signer = signer
        self._i = (c.add("eth_getBalance", signer, "pending"), c.add("eth_gasPrice"),
                   c.add("eth_maxPriorityFeePerGas"))  # fmt: skip
        self.balance = self._gas_price = self._gas_limit = 0
        self._base_fee: int | None = None
        self._tip: int | None = None

    def read(self, res: list[Any], block: dict) -> int:
        """Take the answers from ``res`` (and the base fee from the latest ``block``); returns
        the balance."""
        i_balance, i_price, i_tip = self._i
        self.balance = int(must(res[i_balance], f"eth_getBalance({self.signer})"), 16)
        self._gas_price = int(must(res[i_price], "eth_gasPrice"), 16)
        base_fee = block.get("baseFeePerGas")
        self._base_fee = None if base_fee is None else int(base_fee, 16)
        tip = res[i_tip]
        self._tip = int(tip, 16) if isinstance(tip, str) else None
        self._gas_limit = int(block.get("gasLimit") or "0x0", 16)
        return self.balance

    def plan(self, gas: Any) -> Plan:
        """The plan of an ``eth_estimateGas`` answer."""
        return plan_fees(int(must(gas, "eth_estimateGas"), 16), gas_price=self._gas_price,
                         base_fee=self._base_fee, priority_fee=self._tip,
                         block_gas_limit=self._gas_limit)  # fmt: skip


def check_funds(balance: int, cost: int, signer: str, what: str, **data: Any) -> None:
    """Raise :class:`InsufficientFundsError` when ``balance`` cannot pay ``cost`` (wei)."""
    if balance < cost:
        raise InsufficientFundsError(
            f"{signer} holds {balance / WEI_PER_OGPU:.6g} OGPU ({balance} wei) but {what} may "
            f"cost up to {cost / WEI_PER_OGPU:.6g} OGPU ({cost} wei) in gas; send it some "
            "OGPU first (nothing was sent)",
            signer=signer,
            balance=balance,
            cost=cost,
            **data,
        )


def refusal_for_revert(
    s: State,
    signer: str,
    reason: str,
    doing: str,
    *,
    network: Network,
    latest_status: TaskStatus | None = None,
    latest_confirmed: bool | None = None,
) -> ConfirmationError:
    """The typed error for a revert ``reason`` of ``Controller.confirmResponse(s.response)``.
    ``latest_status``/``latest_confirmed`` are the task's status and the response's flag at the
    latest block (``None``: unknown)."""
    head = f"{doing} Controller.confirmResponse({s.response}) reverted with {reason or 'no reason'}"
    data = {"response": s.response, "task": s.task or None, "signer": signer, "reason": reason}
    open_now = latest_status in _OPEN and latest_confirmed is False
    if reason in ("AlreadyFinalized", "AlreadyConfirmed") and open_now:
        return ConfirmationPendingElsewhereError(
            f"{head} at the pending block, but task {s.task} is still open at the latest block: "
            "a confirmation of it is already waiting in the node's pool (sent from another "
            f"process or wallet with {signer}'s key). Nothing was sent; wait for it to be mined, "
            "or check the signer's pending transactions",
            **data,
        )
    if reason == "NotOwner":
        return NotTaskClientError(
            not_client_message(signer, s.client, s.task, head=f"{head}: "),
            expected_client=s.client or None,
            **data,
        )
    if reason == "AlreadyConfirmed":
        return AlreadyConfirmedError(f"{head}: response {s.response} is already confirmed", **data)
    if reason == "AlreadyFinalized":
        if latest_status == TaskStatus.CANCELED:
            return TaskCanceledError(f"{head}: task {s.task} was canceled", **data)
        return TaskFinalizedError(
            f"{head}: task {s.task} is already finalized (another response was confirmed)", **data
        )
    if reason == "Expired":
        return TaskExpiredError(f"{head}: task {s.task} has expired", expiry=s.expiry or None,
                                **data)  # fmt: skip
    if reason == "NotEligible":
        return InvalidResponseError(
            f"{head}: {s.response} is not a response the protocol knows on {network.name}",
            address=s.response,
            **data,
        )
    return TransactionRevertedError(f"{head}; nothing was sent", **data)


def simulate(
    engine: Engine, states: Sequence[State], signer: str, block: dict
) -> tuple[dict[str, Plan], dict[str, ConfirmationError], int]:
    """Simulate and estimate each confirmation at ``pending`` and price it. Returns (plans,
    refusals, signer balance)."""
    c = Calls()
    sims = []
    for s in states:
        tx = {"from": signer, "to": engine.controller,
              "data": calldata("Controller", "confirmResponse", s.response)}  # fmt: skip
        sims.append((s, c.add("eth_call", tx, "pending"), c.add("eth_estimateGas", tx, "pending"),
                     c.call(s.task, "Task", "getStatus"),
                     c.call(s.response, "Response", "confirmedFinal")))  # fmt: skip
    prices = Prices(c, signer)
    res = engine.rpc.batch(c.calls)
    balance = prices.read(res, block)

    plans: dict[str, Plan] = {}
    refusals: dict[str, ConfirmationError] = {}
    for s, i_call, i_gas, i_status, i_flag in sims:
        failure = next((x for x in (res[i_call], res[i_gas]) if isinstance(x, RpcError)), None)
        if failure is None:
            plans[s.response] = prices.plan(res[i_gas])
            continue
        reason = revert_reason(failure)
        data = {"response": s.response, "task": s.task, "signer": signer}
        if reason is not None:
            status, flag = _latest(res[i_status], res[i_flag])
            refusals[s.response] = refusal_for_revert(
                s, signer, reason, "simulating", network=engine.network,
                latest_status=status, latest_confirmed=flag,
            )  # fmt: skip
        elif "insufficient funds" in failure.message.lower():
            refusals[s.response] = InsufficientFundsError(
                f"{signer} cannot pay for the gas of confirming {s.response} "
                f"({failure.message}); send it some OGPU first",
                balance=balance,
                **data,
            )
        else:
            refusals[s.response] = ConfirmationError(
                f"the node could not simulate confirming {s.response} "
                f"({failure.method}: {failure.message}); nothing was sent",
                **data,
            )
    return plans, refusals, balance


def _latest(status: Any, flag: Any) -> tuple[TaskStatus | None, bool | None]:
    try:
        return TaskStatus(decoded(status, "Task", "getStatus")), bool(
            decoded(flag, "Response", "confirmedFinal")
        )
    except (Undecodable, ValueError, OgpuWidgetsError):
        return None, None
