"""The one confirm pipeline on a real anvil devnet: a browser-wallet estimate (an address, no
key) predicts the same fee and the same typed refusal as a key estimate for the same sender,
and an agent change goes through the same registry, nonces and tracker as a confirmation."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account
from support import until
from test_confirm_support import new_task, nonce, send_elsewhere

import ogpu_widgets as ow
from ogpu_widgets.confirm import wallet as cw
from ogpu_widgets.confirm.process import PROCESS
from ogpu_widgets.errors import (
    ConfirmationError,
    ConfirmationPendingElsewhereError,
    InsufficientFundsError,
)


def _refusal(call) -> ConfirmationError:
    with pytest.raises(ConfirmationError) as err:
        call()
    return err.value


def _same(a: ConfirmationError, b: ConfirmationError) -> None:
    """The same typed refusal: class, message and data."""
    assert type(a) is type(b)
    assert str(a) == str(b)
    assert a.data == b.data


def test_the_wallet_and_the_key_estimate_the_same_fee(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    key = ow.estimate_fee(r0, account=dev.client.private_key, network=dev.network)
    assert key > 0
    assert cw.estimate(r0, dev.client.address, network=dev.network) == key


def test_the_wallet_estimate_predicts_pending_elsewhere_like_the_key_estimate(fresh_devnet):
    dev = fresh_devnet
    task, (r1, r2) = new_task(dev, 2)
    dev.set_automine(False)
    try:
        other = send_elsewhere(dev, r1)
        for response in (r1, r2):
            by_key = _refusal(lambda r=response: ow.estimate_fee(
                r, account=dev.client.private_key, network=dev.network))  # fmt: skip
            by_wallet = _refusal(lambda r=response: cw.estimate(
                r, dev.client.address, network=dev.network))  # fmt: skip
            assert isinstance(by_wallet, ConfirmationPendingElsewhereError)
            assert by_wallet.pending_tx == other and by_wallet.task == task
            _same(by_key, by_wallet)
        assert ow.pending_confirmation(task, dev.network) is None
    finally:
        dev.mine()
        dev.set_automine(True)


def test_the_wallet_estimate_predicts_a_signer_who_cannot_pay_like_the_key_estimate(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    poor = Account.create()  # an agent of the client with no OGPU for gas
    ow.authorize_agent(poor.address, account=dev.client.private_key, network=dev.network)
    by_key = _refusal(lambda: ow.estimate_fee(r0, account=poor, network=dev.network))
    by_wallet = _refusal(lambda: cw.estimate(r0, poor.address, network=dev.network))
    assert isinstance(by_wallet, InsufficientFundsError)
    assert by_wallet.signer == poor.address and by_wallet.balance == 0
    _same(by_key, by_wallet)
    with pytest.raises(InsufficientFundsError):  # what prepare (the wallet's confirm) says too
        cw.prepare(r0, poor.address, network=dev.network)
    assert ow.pending_confirmation(dev.tasks[-1], dev.network) is None


def test_an_agent_change_shares_the_nonces_registry_and_tracker_of_confirmations(fresh_devnet):
    dev = fresh_devnet
    net, key = dev.network, dev.client.private_key
    task, (r0,) = new_task(dev, 1)
    dev.set_automine(False)
    try:
        change = ow.authorize_agent(dev.agent.address, account=key, network=net, wait=False)
        c = ow.confirm_response(r0, account=key, network=net, wait=False)
        # one account, one nonce sequence, both in flight from this process
        assert (change.state, c.state) == ("pending", "pending")
        assert c.nonce == change.nonce + 1
        assert nonce(dev, dev.client.address) == nonce(dev, dev.client.address, "latest") + 2
        identity = PROCESS.engine(net).current_identity()
        flying = {t.tx_hash for t in PROCESS.registry.in_flight(identity, dev.client.address)}
        assert flying == {change.tx_hash, c.tx_hash}
        # the one watcher follows both; nobody waits on the change, yet it is mined
        watched = {t.tx_hash for t in PROCESS.tracker.watching()}
        assert {change.tx_hash, c.tx_hash} <= watched
        dev.mine()
        until(lambda: change.state == "mined" and c.state == "mined", what="both mined")
        assert change.block_number == c.block_number and change.status == 1
        assert change.fee_paid and change.gas_used
        assert dataclasses.asdict(change)["state"] == "mined"  # the record, not its transaction
        # an agent change is not a confirmation of a response
        assert [x.response for x in ow.confirmations(net)] == [r0]
    finally:
        dev.set_automine(True)
    assert ow.is_agent_of(dev.client.address, dev.agent.address, network=net)
    assert dev.call("Task", task, "getStatus") == 5
