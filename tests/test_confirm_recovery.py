"""Recovering without paying twice: nonces taken by another wallet, a broadcast whose reply was
lost, a pending transaction replaced by another of its nonce, a batch failing half way."""

from __future__ import annotations

import pytest
from eth_account import Account
from test_confirm_support import new_task, nonce

from ogpu_widgets.confirm import (
    broadcast,
    confirm_many,
    confirm_response,
    pending_confirmation,
    tracker,
)
from ogpu_widgets.errors import ConfirmationError, ConfirmManyError
from ogpu_widgets.records import TaskStatus


def _after_signing(monkeypatch, action):
    """Run ``action(signed, tx)`` right after each signing, before the broadcast."""
    original = broadcast.sign

    def sign(signer, tx):
        signed = original(signer, tx)
        action(signed, tx)
        return signed

    monkeypatch.setattr(broadcast, "sign", sign)


def test_a_nonce_taken_by_another_wallet_is_resynced(devnet, monkeypatch):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address)
    signed_nonces = []

    def other_wallet(signed, tx):
        signed_nonces.append(tx["nonce"])
        if len(signed_nonces) == 1:  # the same key, used elsewhere, takes the nonce first
            dev.send(acct.address, dev.stranger.address, "0x", value=1)

    _after_signing(monkeypatch, other_wallet)
    c = confirm_response(r0, account=acct, network=dev.network)
    assert signed_nonces == [before, before + 1]
    assert c.state == "mined" and c.nonce == before + 1
    assert nonce(dev, acct.address) == before + 2  # the other wallet's and ours
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


@pytest.mark.parametrize("automine", [True, False])
def test_a_broadcast_that_already_reached_the_node_is_not_signed_again(
    fresh_devnet, monkeypatch, automine
):
    """As when the reply to eth_sendRawTransaction is lost and the request is retried: the node
    answers "already known" (pool) or "nonce too low" (mined) for our own transaction."""
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1)
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address)
    dev.set_automine(automine)
    signed_hashes = []

    def reached_already(signed, tx):
        signed_hashes.append(signed.hash.to_0x_hex())
        dev.rpc("eth_sendRawTransaction", [signed.raw_transaction.to_0x_hex()])

    _after_signing(monkeypatch, reached_already)
    c = confirm_response(r0, account=acct, network=dev.network, wait=automine, timeout=30)
    assert len(signed_hashes) == 1 and c.tx_hash == signed_hashes[0]
    if not automine:
        assert c.state == "pending"
        dev.mine()
        c.wait(30)
        dev.set_automine(True)
    assert c.state == "mined"
    assert nonce(dev, acct.address) == before + 1
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


def test_a_pending_transaction_replaced_by_its_nonce_is_reported_dropped(fresh_devnet, monkeypatch):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1)
    acct = Account.from_key(dev.client.private_key)
    dev.set_automine(False)
    monkeypatch.setattr(tracker, "REBROADCAST_INTERVAL", 3600.0)
    c = confirm_response(r0, account=acct, network=dev.network, wait=False)
    # the pool forgets it, and another transaction of the same key takes its nonce
    dev.rpc("anvil_dropTransaction", [c.tx_hash])
    other = {"from": acct.address, "to": dev.stranger.address, "value": "0x1", "gas": "0x5208"}
    other_hash = dev.rpc("eth_sendTransaction", [other])
    dev.mine()
    assert int(dev.rpc("eth_getTransactionByHash", [other_hash])["nonce"], 16) == c.nonce

    monkeypatch.setattr(tracker, "REBROADCAST_INTERVAL", 0.0)
    assert c.wait(timeout=30).state == "reverted"
    assert c.error.startswith("dropped") and str(c.nonce) in c.error
    assert dev.call("Task", task, "getStatus") == TaskStatus.RESPONDED  # nothing was paid
    assert pending_confirmation(task, dev.network) is None  # so it can be confirmed again
    dev.set_automine(True)
    again = confirm_response(r0, account=acct, network=dev.network)
    assert again is not c and again.state == "mined"
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


def test_confirm_many_failing_half_way_reports_what_was_sent(devnet, monkeypatch):
    dev = devnet
    picked = [new_task(dev, 1) for _ in range(4)]
    responses = [rs[0] for _, rs in picked]
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address)
    count = []

    def fail_third(signed, tx):
        count.append(tx["nonce"])
        if len(count) == 3:
            raise ConfirmationError("signing device unplugged")

    _after_signing(monkeypatch, fail_third)
    with pytest.raises(ConfirmManyError) as ei:
        confirm_many(responses, account=acct, network=dev.network)
    err = ei.value
    assert [c.response for c in err.confirmations] == responses[:2]
    assert set(err.refusals) == set(responses[2:])
    assert "sent 2 of 4" in str(err)
    for c in err.confirmations:
        assert c.wait(30).state == "mined"
    assert nonce(dev, acct.address) == before + 2
    for (task, _), sent in zip(picked, [True, True, False, False], strict=True):
        status = dev.call("Task", task, "getStatus")
        assert (status == TaskStatus.FINALIZED) is sent
        assert (pending_confirmation(task, dev.network) is not None) is sent
