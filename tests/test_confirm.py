"""Confirming responses on a real anvil devnet: success checked on chain, every refusal typed and
sending nothing, signers, and the private key never leaking."""

from __future__ import annotations

import logging

import pytest
from eth_account import Account
from eth_account.signers.base import BaseAccount
from test_confirm_support import (
    assert_exception_clean,
    assert_no_key,
    custom_network,
    new_task,
    nonce,
)

import ogpu_widgets as ow
from ogpu_widgets.chain.codec import calldata
from ogpu_widgets.chain.revert import revert_reason
from ogpu_widgets.chain.rpc import RpcError
from ogpu_widgets.confirm import (
    SIGNER_ENV,
    Confirmation,
    confirm_response,
    estimate_fee,
    pending_confirmation,
    pipeline,
    preflight,
    resolve_signer,
)
from ogpu_widgets.errors import (
    AlreadyConfirmedError,
    ConfirmationError,
    ConfirmationInFlightError,
    ConfirmManyError,
    FirstResponseSourceError,
    InsufficientFundsError,
    InvalidResponseError,
    InvalidSignerError,
    MissingSignerError,
    NotAContractError,
    NotAResponseError,
    NotTaskClientError,
    ResponseNotFoundError,
    TaskCanceledError,
    TaskExpiredError,
    TaskFinalizedError,
    WrongChainError,
)
from ogpu_widgets.records import DeliveryMethod, ResponseStatus, TaskStatus

# ---- success, checked on chain ---------------------------------------------------------------


def test_confirm_response_pays_the_provider_on_chain(devnet):
    dev = devnet
    task, (r0, r1) = new_task(dev, 2, payment_ogpu=2.5)
    provider = dev.providers[1].address
    vault = dev.contracts["vault"]
    paid_before = dev.call("Vault", vault, "balanceOf", provider)
    sent_before = nonce(dev, dev.client.address)
    states = []

    c = confirm_response(
        r1,
        account=dev.client.private_key,
        network=dev.network,
        on_update=lambda conf: states.append(conf.state),
    )

    # on chain, not from our own state
    assert dev.call("Response", r1, "getStatus") == ResponseStatus.CONFIRMED
    assert dev.call("Response", r1, "confirmedFinal") is True
    assert dev.call("Response", r0, "confirmedFinal") is False
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED
    assert dev.call("Task", task, "winningProvider") == provider
    assert (
        dev.call("Vault", vault, "balanceOf", provider) - paid_before == 2_500_000_000_000_000_000
    )
    receipt = dev.rpc("eth_getTransactionReceipt", [c.tx_hash])
    assert int(receipt["status"], 16) == 1
    assert receipt["to"].lower() == dev.contracts["controller"].lower()
    assert receipt["from"].lower() == dev.client.address.lower()
    assert nonce(dev, dev.client.address) == sent_before + 1

    assert isinstance(c, Confirmation) and ow.Confirmation is Confirmation
    assert (c.state, c.response, c.task, c.done, c.error) == ("mined", r1, task, True, None)
    assert c.block_number == int(receipt["blockNumber"], 16)
    assert c.gas_used == int(receipt["gasUsed"], 16) > 0
    assert c.fee_paid > 0 and c.nonce == sent_before
    assert str(c) == c.tx_hash and c.tx_hash.startswith("0x") and len(c.tx_hash) == 66
    assert "mined" in repr(c) and c.tx_hash in repr(c)
    assert c.to_dict()["state"] == "mined"
    assert states == ["signing", "pending", "mined"]
    assert c.wait() is c and c.refresh() is c and c.state == "mined"
    assert pending_confirmation(task, dev.network) is c


def test_same_response_again_returns_the_same_confirmation(devnet):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    acct = Account.from_key(dev.client.private_key)
    first = confirm_response(r0, account=acct, network=dev.network)
    before = nonce(dev, dev.client.address)
    seen = []
    again = confirm_response(r0, account=acct, network=dev.network, on_update=seen.append)
    assert again is first
    assert seen == [first]  # a joining caller hears the current state once
    assert nonce(dev, dev.client.address) == before


def test_on_update_callbacks_may_wait_and_may_raise(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    seen = []

    def callback(conf):
        seen.append(conf.state)
        if conf.state == "pending":
            assert conf.wait(timeout=30).state == "mined"  # waiting inside a callback is fine
        raise RuntimeError("a broken callback does not break the confirmation")

    c = confirm_response(
        r0, account=dev.client.private_key, network=dev.network, on_update=callback
    )
    assert c.state == "mined"
    assert seen == ["signing", "pending", "mined"]


def test_another_response_of_a_confirmed_task_is_refused_clearly(devnet):
    dev = devnet
    task, (r0, r1) = new_task(dev, 2)
    c = confirm_response(r0, account=dev.client.private_key, network=dev.network)
    before = nonce(dev, dev.client.address)
    with pytest.raises(ConfirmationInFlightError) as ei:
        confirm_response(r1, account=dev.client.private_key, network=dev.network)
    msg = str(ei.value)
    assert task in msg and r0 in msg and r1 in msg and c.tx_hash in msg
    assert nonce(dev, dev.client.address) == before


# ---- refusals: typed, and nothing sent ---------------------------------------------------------


def _refused(dev, response, error, *, key=None, network=None):
    """Assert confirming ``response`` raises ``error`` and the signer sent nothing."""
    key = key or dev.client.private_key
    signer = Account.from_key(key).address
    before = nonce(dev, signer)
    with pytest.raises(error) as ei:
        confirm_response(response, account=key, network=network or dev.network)
    assert nonce(dev, signer) == before, "a refused confirmation sent a transaction"
    assert isinstance(ei.value, ConfirmationError)
    return ei.value


def test_refuses_an_address_without_code(devnet):
    err = _refused(devnet, devnet.stranger.address, ResponseNotFoundError)
    assert isinstance(err, NotAContractError)
    assert devnet.stranger.address in str(err)


def test_refuses_a_contract_that_is_not_a_response(devnet):
    dev = devnet
    task, _ = new_task(dev, 0)
    for not_response in (task, dev.contracts["controller"]):
        err = _refused(dev, not_response, InvalidResponseError)
        assert isinstance(err, NotAResponseError) and not_response in str(err)


def test_refuses_a_response_contract_its_task_does_not_list(devnet):
    """A Response deployed by anyone, claiming a real task: the task does not list it."""
    from web3 import Web3

    from ogpu_widgets.chain.abi import abi, bytecode

    dev = devnet
    task, (real,) = new_task(dev, 1)
    params = (task, dev.providers[0].address, "ipfs://forged", 2 * 10**18)
    data = Web3().eth.contract(abi=abi("Response"), bytecode=bytecode("Response"))
    receipt = dev.send(dev.stranger.address, None, data.constructor(params).data_in_transaction)
    forged = Web3.to_checksum_address(receipt["contractAddress"])
    err = _refused(dev, forged, InvalidResponseError)
    assert real in str(err) and task in str(err)


def test_refuses_an_already_confirmed_response(devnet):
    dev = devnet
    task, (r0, _) = new_task(dev, 2)
    dev.confirm(r0)  # confirmed outside this library
    _refused(dev, r0, AlreadyConfirmedError)


def test_refuses_a_response_of_a_finalized_task(devnet):
    dev = devnet
    task, (r0, r1) = new_task(dev, 2)
    dev.confirm(r0)
    err = _refused(dev, r1, TaskFinalizedError)
    assert dev.providers[0].address in str(err)  # names the winner


def test_refuses_a_response_of_a_canceled_task(devnet):
    """Cancel needs a NEW task, which has no responses; so the task's stored status is set to
    CANCELED directly (anvil_setStorageAt on the real contract: slot 5, low byte)."""
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    _set_task_status(dev, task, TaskStatus.CANCELED)
    assert dev.call("Task", task, "getStatus") == TaskStatus.CANCELED
    _refused(dev, r0, TaskCanceledError)


def _set_task_status(dev, task, status):
    slot = "0x5"  # Ownable._owner=0, taskParams=1..4, then status|deliveryMethod|winningProvider
    word = int(dev.rpc("eth_getStorageAt", [task, slot, "latest"]), 16)
    word = (word & ~0xFF) | int(status)
    dev.rpc("anvil_setStorageAt", [task, slot, f"0x{word:064x}"])


def test_refuses_a_response_of_an_expired_task(fresh_devnet):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1, expires_in=600)
    dev.advance_time(601)
    err = _refused(dev, r0, TaskExpiredError)
    assert task in str(err)


def test_refuses_a_first_response_source(devnet):
    dev = devnet
    task, (r0,) = new_task(dev, 1, delivery="first")
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED  # the chain confirmed it
    err = _refused(dev, r0, FirstResponseSourceError)
    assert "FIRST_RESPONSE" in str(err)


def test_refuses_a_signer_who_is_not_the_client(devnet):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    err = _refused(dev, r0, NotTaskClientError, key=dev.stranger.private_key)
    assert dev.stranger.address in str(err) and dev.client.address in str(err)
    assert dev.call("Task", task, "getStatus") == TaskStatus.RESPONDED


def test_refuses_a_signer_who_cannot_pay_the_gas(fresh_devnet):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1)
    dev.rpc("anvil_setBalance", [dev.client.address, hex(1000)])
    err = _refused(dev, r0, InsufficientFundsError)
    assert dev.client.address in str(err)
    assert pending_confirmation(task, dev.network) is None


def test_refuses_a_node_on_another_chain(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    wrong = custom_network(dev, chain_id=1071)
    before = nonce(dev, dev.client.address)
    with pytest.raises(WrongChainError):
        confirm_response(r0, account=dev.client.private_key, network=wrong)
    assert nonce(dev, dev.client.address) == before


# ---- simulation: races between the read and the send map revert strings ------------------------


def _race_after_checks(monkeypatch, action):
    """Run ``action`` after the pre-flight checks passed and before the simulation."""
    original = pipeline.check

    def racing(state, signer):
        original(state, signer)
        action()

    monkeypatch.setattr(pipeline, "check", racing)


def test_simulation_maps_expired(fresh_devnet, monkeypatch):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1, expires_in=600)
    _race_after_checks(monkeypatch, lambda: dev.advance_time(601))
    err = _refused(dev, r0, TaskExpiredError)
    assert "reverted with Expired" in str(err)
    assert pending_confirmation(task, dev.network) is None  # the slot was released


def test_simulation_maps_already_confirmed(devnet, monkeypatch):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    before = nonce(dev, dev.client.address)
    _race_after_checks(monkeypatch, lambda: dev.confirm(r0))
    with pytest.raises(AlreadyConfirmedError, match="reverted with AlreadyConfirmed"):
        confirm_response(r0, account=dev.client.private_key, network=dev.network)
    assert nonce(dev, dev.client.address) == before + 1  # only the racing dev.confirm


def test_simulation_maps_already_finalized(devnet, monkeypatch):
    dev = devnet
    task, (r0, r1) = new_task(dev, 2)
    before = nonce(dev, dev.client.address)
    _race_after_checks(monkeypatch, lambda: dev.confirm(r1))
    with pytest.raises(TaskFinalizedError, match="reverted with AlreadyFinalized"):
        confirm_response(r0, account=dev.client.private_key, network=dev.network)
    assert nonce(dev, dev.client.address) == before + 1


def test_simulation_tells_canceled_from_finalized(devnet, monkeypatch):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    _race_after_checks(monkeypatch, lambda: _set_task_status(dev, task, TaskStatus.CANCELED))
    err = _refused(dev, r0, TaskCanceledError)
    assert "reverted with AlreadyFinalized" in str(err)


def test_revert_reasons_from_real_node_errors(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    rpc = dev.network.client()
    tx = {"from": dev.stranger.address, "to": dev.contracts["controller"]}
    with pytest.raises(RpcError) as ei:
        rpc.call(
            "eth_call", [{**tx, "data": calldata("Controller", "confirmResponse", r0)}, "latest"]
        )
    assert revert_reason(ei.value) == "NotOwner"
    # the real revert data nested the way other nodes wrap it (the other shapes: unit tests)
    nested = {"code": -32000, "message": "err", "data": {"data": ei.value.data}}
    assert revert_reason(RpcError("eth_call", nested)) == "NotOwner"


# ---- pre-flight and fee for the review panel -------------------------------------------------


def test_preflight_and_estimate_fee_send_nothing(devnet):
    dev = devnet
    task, (r0, r1) = new_task(dev, 2, payment_ogpu=3)
    before = nonce(dev, dev.client.address)
    acct = resolve_signer(dev.client.private_key)
    pf = preflight(r1, account=acct, network=dev.network)
    assert (pf.response, pf.task, pf.provider) == (r1, task, dev.providers[1].address)
    assert pf.client == pf.signer == dev.client.address
    assert pf.payment == 3 * 10**18 and pf.payment_ogpu == 3.0
    assert pf.delivery_method == DeliveryMethod.MANUAL_CONFIRMATION
    assert pf.task_status == TaskStatus.RESPONDED
    assert pf.eip1559 and pf.gas > 21_000 and pf.gas_limit > pf.gas
    assert pf.fee == pf.gas * pf.fee_per_gas > 0
    assert pf.max_cost >= pf.fee and pf.balance > pf.max_cost
    fee = estimate_fee(r1, account=acct, network=dev.network)
    assert 0 < fee <= pf.max_cost
    with pytest.raises(NotTaskClientError):
        preflight(r1, account=dev.stranger.private_key, network=dev.network)
    assert nonce(dev, dev.client.address) == before
    c = confirm_response(r1, account=acct, network=dev.network)
    with pytest.raises(ConfirmationInFlightError):
        preflight(r0, account=acct, network=dev.network)
    assert c.state == "mined"


# ---- signers ---------------------------------------------------------------------------------


def test_signer_from_the_environment(devnet, monkeypatch):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    monkeypatch.setenv(SIGNER_ENV, dev.client.private_key)
    c = ow.confirm_response(r0, network=dev.network)
    assert c.state == "mined"
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


def test_missing_signer(devnet, monkeypatch):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    monkeypatch.delenv(SIGNER_ENV, raising=False)
    before = nonce(dev, dev.client.address)
    with pytest.raises(MissingSignerError, match=SIGNER_ENV):
        confirm_response(r0, network=dev.network)
    monkeypatch.setenv(SIGNER_ENV, "   ")
    with pytest.raises(MissingSignerError):
        resolve_signer(None)
    assert nonce(dev, dev.client.address) == before


# ---- the key never leaks ---------------------------------------------------------------------


def test_the_key_never_appears_in_logs_errors_or_reprs(devnet, monkeypatch, caplog):
    dev = devnet
    caplog.set_level(logging.DEBUG)
    key, stranger = dev.client.private_key, dev.stranger.private_key
    task, (r0, r1) = new_task(dev, 2)
    texts = []

    c = confirm_response(r0, account=key, network=dev.network)
    texts += [repr(c), str(c), repr(c.to_dict()), repr(preflight)]
    done, (r3,) = new_task(dev, 1)
    dev.confirm(r3)
    failures = []
    for response, k in ((r1, key), (r3, key), (r1, stranger)):
        with pytest.raises(ConfirmationError) as ei:
            confirm_response(response, account=k, network=dev.network)
        failures.append((ei.value, k))
    other, (r2,) = new_task(dev, 1)
    texts.append(repr(preflight(r2, account=key, network=dev.network)))
    with pytest.raises(InvalidSignerError) as ei:
        confirm_response(r2, account=key[:-1], network=dev.network)
    failures.append((ei.value, key[:-1]))
    monkeypatch.setenv(SIGNER_ENV, key[:-2])
    with pytest.raises(InvalidSignerError) as ei:
        confirm_response(r2, network=dev.network)
    failures.append((ei.value, key[:-2]))
    monkeypatch.setenv(SIGNER_ENV, stranger)
    with pytest.raises(NotTaskClientError) as ei:
        confirm_response(r2, network=dev.network)
    failures.append((ei.value, stranger))
    with pytest.raises(ConfirmManyError) as ei:
        ow.confirm_many([r1], account=key, network=dev.network)
    failures.append((ei.value, key))

    for exc, k in failures:
        assert_exception_clean(exc, k)
    # no object but the signer holds the key: not the confirmation, nor the connection behind it
    texts += [repr(vars(c)), repr(vars(c.engine)), repr(vars(c.engine.rpc))]
    assert not any(isinstance(v, BaseAccount) for v in vars(c).values())
    for k in (key, stranger):
        assert_no_key(caplog.text, k)
        for t in texts:
            assert_no_key(t, k)
    assert any("sent the confirmation" in m for m in caplog.messages)  # logging was on
