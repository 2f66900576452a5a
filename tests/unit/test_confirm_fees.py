"""Fee planning (EIP-1559 vs legacy, the gas margin), the funds check, and the mapping of
``confirmResponse`` reverts to typed errors (no chain)."""

from __future__ import annotations

import math

import pytest

from ogpu_widgets.chain.network import Network
from ogpu_widgets.chain.revert import revert_reason
from ogpu_widgets.chain.rpc import RpcError
from ogpu_widgets.confirm import GAS_MARGIN
from ogpu_widgets.confirm.fees import check_funds, fee_fields, plan_fees, refusal_for_revert
from ogpu_widgets.confirm.preflight import State
from ogpu_widgets.errors import (
    AlreadyConfirmedError,
    ConfirmationPendingElsewhereError,
    InsufficientFundsError,
    InvalidResponseError,
    NotTaskClientError,
    TaskCanceledError,
    TaskExpiredError,
    TaskFinalizedError,
    TransactionRevertedError,
)
from ogpu_widgets.records import TaskStatus

GWEI = 10**9
SIGNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CLIENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
RESPONSE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
TASK = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
NET = Network(
    name="unit", chain_id=31337, rpc_url="http://127.0.0.1:1",
    nexus="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    controller="0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    vault="0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
)  # fmt: skip


def test_eip1559_when_the_block_has_a_base_fee():
    plan = plan_fees(100_000, gas_price=12 * GWEI, base_fee=10 * GWEI, priority_fee=1 * GWEI)
    assert plan.eip1559
    assert plan.gas_limit == math.ceil(100_000 * GAS_MARGIN) == 125_000
    assert plan.max_fee_per_gas == 2 * 10 * GWEI + GWEI  # room for the base fee to double
    assert plan.fee_per_gas == 11 * GWEI and plan.priority_fee_per_gas == GWEI
    assert plan.fee == 100_000 * 11 * GWEI
    assert plan.max_cost == 125_000 * 21 * GWEI
    assert fee_fields(plan) == {"type": 2, "maxFeePerGas": 21 * GWEI,
                                "maxPriorityFeePerGas": GWEI}  # fmt: skip


def test_without_a_suggested_tip_the_tip_is_the_gas_price_above_the_base_fee():
    plan = plan_fees(50_000, gas_price=13 * GWEI, base_fee=10 * GWEI, priority_fee=None)
    assert plan.priority_fee_per_gas == 3 * GWEI and plan.max_fee_per_gas == 23 * GWEI
    low = plan_fees(50_000, gas_price=5 * GWEI, base_fee=10 * GWEI, priority_fee=None)
    assert low.priority_fee_per_gas == 0 and low.fee_per_gas == 10 * GWEI


def test_legacy_gas_price_when_the_block_has_no_base_fee():
    plan = plan_fees(80_000, gas_price=7 * GWEI, base_fee=None, priority_fee=GWEI)
    assert not plan.eip1559 and plan.priority_fee_per_gas is None
    assert plan.fee_per_gas == plan.max_fee_per_gas == 7 * GWEI
    assert fee_fields(plan) == {"gasPrice": 7 * GWEI}
    assert plan.fee == 80_000 * 7 * GWEI and plan.max_cost == 100_000 * 7 * GWEI


def test_the_gas_margin_is_capped_by_the_block_gas_limit():
    assert plan_fees(1000, gas_price=1, base_fee=None, priority_fee=None).gas_limit == 1250
    capped = plan_fees(1000, gas_price=1, base_fee=None, priority_fee=None, block_gas_limit=1100)
    assert capped.gas_limit == 1100
    assert (
        plan_fees(1000, gas_price=1, base_fee=None, priority_fee=None, margin=2).gas_limit == 2000
    )


def test_funds_check():
    check_funds(10**18, 10**18, SIGNER, "this confirmation")  # exactly enough
    with pytest.raises(InsufficientFundsError) as ei:
        check_funds(999, 1000, SIGNER, "this confirmation", response=RESPONSE)
    err = ei.value
    assert (err.balance, err.cost, err.signer, err.response) == (999, 1000, SIGNER, RESPONSE)
    assert SIGNER in str(err) and "nothing was sent" in str(err)


def _state(**kw):
    return State(RESPONSE, task=TASK, client=CLIENT, expiry=1234, **kw)


@pytest.mark.parametrize(
    ("reason", "status", "flag", "error"),
    [
        ("NotOwner", TaskStatus.RESPONDED, False, NotTaskClientError),
        ("AlreadyConfirmed", TaskStatus.FINALIZED, True, AlreadyConfirmedError),
        ("AlreadyFinalized", TaskStatus.FINALIZED, False, TaskFinalizedError),
        ("AlreadyFinalized", None, None, TaskFinalizedError),
        ("AlreadyFinalized", TaskStatus.CANCELED, False, TaskCanceledError),
        ("Expired", TaskStatus.RESPONDED, False, TaskExpiredError),
        ("NotEligible", None, None, InvalidResponseError),
        ("SomethingElse", None, None, TransactionRevertedError),
        ("", None, None, TransactionRevertedError),
        # reverts at the pending block while the latest block says the task is open
        ("AlreadyFinalized", TaskStatus.RESPONDED, False, ConfirmationPendingElsewhereError),
        ("AlreadyConfirmed", TaskStatus.ATTEMPTED, False, ConfirmationPendingElsewhereError),
    ],
)
def test_revert_maps_to_a_typed_error_with_data(reason, status, flag, error):
    err = refusal_for_revert(_state(), SIGNER, reason, "simulating", network=NET,
                             latest_status=status, latest_confirmed=flag)  # fmt: skip
    assert type(err) is error
    assert (err.response, err.task, err.signer, err.reason) == (RESPONSE, TASK, SIGNER, reason)
    assert f"reverted with {reason or 'no reason'}" in str(err)
    if error is NotTaskClientError:
        assert err.expected_client == CLIENT and CLIENT in str(err) and SIGNER in str(err)
    if error is TaskExpiredError:
        assert err.expiry == 1234
    copy = type(err)(str(err), **err.data)  # errors copy with their data
    assert copy.data == err.data


def test_revert_reason_from_the_shapes_nodes_use():
    err = RpcError("eth_call", {"code": 3, "message": "execution reverted: AlreadyFinalized"})
    assert revert_reason(err) == "AlreadyFinalized"
    assert revert_reason(RpcError("eth_call", {"code": -32005, "message": "rate limited"})) is None
