"""Never twice, and always an outcome: concurrent confirmations, transactions left pending by
anvil's automine being off, rebroadcasts, confirm_many with consecutive nonces, legacy fees."""

from __future__ import annotations

import pytest
from eth_account import Account
from support import until
from test_confirm_support import new_task, nonce, run_together

from ogpu_widgets.chain.codec import calldata
from ogpu_widgets.confirm import (
    confirm_many,
    confirm_response,
    confirmations,
    pending_confirmation,
    preflight,
    tracker,
)
from ogpu_widgets.confirm.process import PROCESS
from ogpu_widgets.devnet import Devnet
from ogpu_widgets.errors import (
    AlreadyConfirmedError,
    ConfirmationInFlightError,
    ConfirmationTimeoutError,
    ConfirmManyError,
    DuplicateTaskError,
    TaskExpiredError,
    TransactionRevertedError,
)
from ogpu_widgets.records import TaskStatus


def test_twenty_threads_confirming_one_response_send_one_transaction(devnet):
    dev = devnet
    task, (r0, _) = new_task(dev, 2)
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address)

    results = run_together(
        20, lambda i: confirm_response(r0, account=acct, network=dev.network, timeout=30)
    )

    errors = [e for _, e in results if e is not None]
    assert errors == []
    confs = {id(c): c for c, _ in results}
    assert len(confs) == 1, "every caller gets the same Confirmation"
    (c,) = confs.values()
    assert c.state == "mined"
    assert nonce(dev, acct.address) == before + 1, "exactly one transaction"
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED
    assert dev.call("Response", r0, "confirmedFinal") is True


def test_two_responses_of_one_task_at_once_send_one_transaction(devnet):
    dev = devnet
    task, responses = new_task(dev, 2)
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address)

    results = run_together(
        2, lambda i: confirm_response(responses[i], account=acct, network=dev.network, timeout=30)
    )

    winners = [c for c, e in results if e is None]
    refusals = [e for _, e in results if e is not None]
    assert len(winners) == 1 and len(refusals) == 1
    assert isinstance(refusals[0], ConfirmationInFlightError), refusals[0]
    (won,) = winners
    loser = responses[1 - responses.index(won.response)]
    assert won.response in str(refusals[0]) and loser in str(refusals[0])
    assert nonce(dev, acct.address) == before + 1
    assert won.state == "mined"
    assert dev.call("Response", won.response, "confirmedFinal") is True
    assert dev.call("Response", loser, "confirmedFinal") is False


def test_concurrent_confirmations_of_different_tasks_take_consecutive_nonces(devnet):
    dev = devnet
    responses = [new_task(dev, 1)[1][0] for _ in range(8)]
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address)

    results = run_together(
        8, lambda i: confirm_response(responses[i], account=acct, network=dev.network, timeout=30)
    )

    assert [e for _, e in results] == [None] * 8
    assert sorted(c.nonce for c, _ in results) == list(range(before, before + 8))
    assert all(c.state == "mined" for c, _ in results)


def test_automine_off_times_out_as_pending_then_completes_without_a_second_tx(fresh_devnet):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1)
    acct = Account.from_key(dev.client.private_key)
    mined_before = nonce(dev, acct.address, "latest")
    dev.set_automine(False)
    states = []

    with pytest.raises(ConfirmationTimeoutError) as ei:
        confirm_response(
            r0,
            account=acct,
            network=dev.network,
            timeout=0.3,
            on_update=lambda c: states.append(c.state),
        )
    c = ei.value.confirmation
    assert "in flight" in str(ei.value) and c.tx_hash in str(ei.value)
    assert c.state == "pending" and not c.done and c.block_number is None
    assert states == ["signing", "pending"]
    assert pending_confirmation(task, dev.network) is c
    assert c in confirmations(dev.network)
    with pytest.raises(ConfirmationTimeoutError):
        c.wait(0.05)
    assert c.refresh().state == "pending"

    # asking again while pending: the same confirmation, no new transaction
    assert confirm_response(r0, account=acct, network=dev.network, wait=False) is c
    with pytest.raises(ConfirmationInFlightError):
        preflight(r0, account=acct, network=dev.network)
    assert nonce(dev, acct.address, "pending") == mined_before + 1
    assert dev.call("Task", task, "getStatus") == TaskStatus.RESPONDED

    dev.mine()
    assert c.wait(timeout=30) is c
    assert c.state == "mined" and c.block_number is not None
    assert states == ["signing", "pending", "mined"]
    assert nonce(dev, acct.address, "latest") == mined_before + 1
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED
    dev.set_automine(True)


def test_a_forgotten_transaction_is_rebroadcast_unchanged(fresh_devnet, monkeypatch):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1)
    acct = Account.from_key(dev.client.private_key)
    mined_before = nonce(dev, acct.address, "latest")
    dev.set_automine(False)
    monkeypatch.setattr(tracker, "REBROADCAST_INTERVAL", 3600.0)
    c = confirm_response(r0, account=acct, network=dev.network, wait=False)
    tx_hash, raw = c.tx_hash, c.raw_transaction
    # the node loses the transaction (as a restarted or load-balanced node can)
    dev.rpc("anvil_dropTransaction", [tx_hash])
    assert dev.rpc("eth_getTransactionByHash", [tx_hash]) is None
    assert nonce(dev, acct.address, "pending") == mined_before

    monkeypatch.setattr(tracker, "REBROADCAST_INTERVAL", 0.05)
    PROCESS.tracker.poke()
    # counted once the node has answered the rebroadcast: the node may show the transaction
    # again before the count moves, so the count is what is waited for
    until(lambda: c.broadcasts >= 2, what="the rebroadcast")
    assert dev.rpc("eth_getTransactionByHash", [tx_hash]) is not None
    assert c.raw_transaction == raw and c.tx_hash == tx_hash

    dev.mine()
    assert c.wait(timeout=30).state == "mined"
    assert c.tx_hash == tx_hash
    assert nonce(dev, acct.address, "latest") == mined_before + 1
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED
    dev.set_automine(True)


def test_a_task_expiring_while_pending_reverts_with_the_reason(fresh_devnet):
    dev = fresh_devnet
    task, (r0,) = new_task(dev, 1, expires_in=600)
    acct = Account.from_key(dev.client.private_key)
    dev.set_automine(False)
    states = []
    c = confirm_response(
        r0,
        account=acct,
        network=dev.network,
        wait=False,
        on_update=lambda x: states.append(x.state),
    )
    assert c.state == "pending"
    dev.advance_time(601)  # mines the pending transaction in a block after the expiry
    dev.set_automine(True)

    assert c.wait(timeout=30).state == "reverted"
    assert c.error == "Expired" and c.done and c.block_number is not None
    assert states == ["signing", "pending", "reverted"]
    receipt = dev.rpc("eth_getTransactionReceipt", [c.tx_hash])
    assert int(receipt["status"], 16) == 0
    assert dev.call("Task", task, "getStatus") == TaskStatus.EXPIRED
    with pytest.raises(TransactionRevertedError, match="Expired"):
        c.raise_for_state()
    # a reverted confirmation does not block: asking again gets the chain's refusal
    assert pending_confirmation(task, dev.network) is None
    with pytest.raises(TaskExpiredError):
        confirm_response(r0, account=acct, network=dev.network)


def _responses_of(dev, tasks):
    return [dev.call("Task", t, "getResponsesOf", 0, 1) for t in tasks]


def test_confirm_many_over_fifty_tasks(fresh_devnet):
    dev = fresh_devnet
    seeded = dev.seed(tasks=50, responses_per_task=2, delivery="manual")
    tasks = seeded["tasks"]
    pairs = _responses_of(dev, tasks)
    chosen = [pair[i % 2] for i, pair in enumerate(pairs)]
    acct = Account.from_key(dev.client.private_key)
    before = nonce(dev, acct.address, "latest")

    confs = confirm_many(chosen, account=acct, network=dev.network, timeout=60)

    assert [c.response for c in confs] == chosen
    assert all(c.state == "mined" for c in confs)
    assert [c.nonce for c in confs] == list(range(before, before + 50))
    txs = dev.rpc_batch([("eth_getTransactionByHash", [c.tx_hash]) for c in confs])
    assert [int(t["nonce"], 16) for t in txs] == list(range(before, before + 50))
    assert {t["from"].lower() for t in txs} == {acct.address.lower()}
    assert nonce(dev, acct.address, "latest") == before + 50
    status_call = calldata("Task", "getStatus")
    statuses = dev.rpc_batch(
        [("eth_call", [{"to": t, "data": status_call}, "latest"]) for t in tasks]
    )
    assert {int(s, 16) for s in statuses} == {TaskStatus.FINALIZED}
    confirmed_call = calldata("Response", "confirmedFinal")
    flags = dev.rpc_batch(
        [("eth_call", [{"to": r, "data": confirmed_call}, "latest"]) for r in chosen]
    )
    assert all(int(f, 16) == 1 for f in flags)

    # again: the same confirmations, nothing sent
    assert confirm_many(chosen, account=acct, network=dev.network) == confs
    assert nonce(dev, acct.address, "latest") == before + 50


def test_confirm_many_refuses_before_sending_anything(devnet):
    dev = devnet
    acct = Account.from_key(dev.client.private_key)
    task_a, (a0, a1) = new_task(dev, 2)
    task_b, (b0,) = new_task(dev, 1)
    task_c, (c0,) = new_task(dev, 1)
    dev.confirm(c0)
    before = nonce(dev, acct.address)

    with pytest.raises(DuplicateTaskError, match=task_a):
        confirm_many([a0, b0, a1], account=acct, network=dev.network)
    with pytest.raises(DuplicateTaskError):
        confirm_many([b0, b0], account=acct, network=dev.network)
    with pytest.raises(ConfirmManyError) as ei:
        confirm_many([a0, b0, c0], account=acct, network=dev.network)
    assert set(ei.value.refusals) == {c0}
    assert isinstance(ei.value.refusals[c0], AlreadyConfirmedError)
    assert ei.value.confirmations == []
    with pytest.raises(ConfirmManyError) as ei:
        confirm_many([a0, b0], account=dev.stranger.private_key, network=dev.network)
    assert set(ei.value.refusals) == {a0, b0}
    assert nonce(dev, acct.address) == before
    assert pending_confirmation(task_a, dev.network) is None
    assert confirm_many([], account=acct, network=dev.network) == []

    confs = confirm_many([a1, b0], account=acct, network=dev.network)
    assert [c.state for c in confs] == ["mined", "mined"]
    assert nonce(dev, acct.address) == before + 2


def test_legacy_gas_price_when_blocks_have_no_base_fee():
    with Devnet(hardfork="berlin") as dev:
        assert "baseFeePerGas" not in dev.rpc("eth_getBlockByNumber", ["latest", False])
        task, (r0,) = new_task(dev, 1)
        pf = preflight(r0, account=dev.client.private_key, network=dev.network)
        assert not pf.eip1559 and pf.fee_per_gas == pf.max_fee_per_gas > 0
        c = confirm_response(r0, account=dev.client.private_key, network=dev.network)
        tx = dev.rpc("eth_getTransactionByHash", [c.tx_hash])
        assert tx["type"] == "0x0" and int(tx["gasPrice"], 16) == pf.max_fee_per_gas
        assert "maxFeePerGas" not in tx or tx["maxFeePerGas"] is None
        assert c.state == "mined"
        assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


def test_eip1559_fees_when_blocks_have_a_base_fee(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)
    c = confirm_response(r0, account=dev.client.private_key, network=dev.network)
    tx = dev.rpc("eth_getTransactionByHash", [c.tx_hash])
    assert tx["type"] == "0x2" and int(tx["maxFeePerGas"], 16) > 0
    estimate = int(tx["gas"], 16)
    assert c.gas_used < estimate  # the limit carries the margin
