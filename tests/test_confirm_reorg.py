"""A confirmation that a reorg undoes (on a real anvil: ``evm_snapshot``/``evm_revert``):
``refresh()`` puts it back in flight when the node still has the transaction (and the tracker
sees it mined again), else drops it (nothing was paid on the chain as it is) so that a sibling
of its task can be confirmed; ``reorged`` says so either way."""

from __future__ import annotations

from support import until
from test_confirm_support import new_task

from ogpu_widgets.confirm import confirm_response
from ogpu_widgets.records import ResponseStatus, TaskStatus


def test_a_confirmation_a_reorg_undid_is_dropped_and_a_sibling_confirms(fresh_devnet):
    dev = fresh_devnet
    task, (r0, r1) = new_task(dev)
    snapshot = dev.rpc("evm_snapshot")
    c = confirm_response(r0, account=dev.client.private_key, network=dev.network)
    assert c.state == "mined" and not c.reorged
    assert dev.rpc("evm_revert", [snapshot]) is True
    dev.mine(3)  # the chain goes on without it
    assert dev.rpc("eth_getTransactionByHash", [c.tx_hash]) is None
    assert c.refresh() is c
    assert (c.state, c.reorged, c.block_number) == ("reverted", True, None)
    assert "reorg" in c.error and "nothing was paid" in c.error
    assert dev.call("Task", task, "getStatus") == TaskStatus.RESPONDED
    sibling = confirm_response(r1, account=dev.client.private_key, network=dev.network)
    assert sibling.state == "mined"
    assert dev.call("Response", r1, "getStatus") == ResponseStatus.CONFIRMED
    assert dev.call("Response", r0, "getStatus") == ResponseStatus.SUBMITTED


def test_a_confirmation_a_reorg_undid_is_in_flight_again_while_the_node_has_it(fresh_devnet):
    dev = fresh_devnet
    task, (r0, _r1) = new_task(dev)
    snapshot = dev.rpc("evm_snapshot")
    c = confirm_response(r0, account=dev.client.private_key, network=dev.network)
    mined_in = c.block_number
    assert dev.rpc("evm_revert", [snapshot]) is True
    dev.set_automine(False)
    try:
        dev.rpc("eth_sendRawTransaction", [c.raw_transaction])  # back in the node's pool
        states = []
        c.add_callback(lambda conf: states.append(conf.state), now=False)
        assert c.refresh().state == "pending" and c.reorged and c.block_number is None
        assert states == ["pending"]
        dev.mine(2)
        until(lambda: c.state == "mined", what="mined again")
        assert c.reorged and c.block_number is not None and c.block_number != mined_in + 5
        assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED
    finally:
        dev.set_automine(True)


def test_confirming_a_sibling_rechecks_a_confirmation_a_reorg_undid(fresh_devnet):
    dev = fresh_devnet
    task, (r0, r1) = new_task(dev)
    snapshot = dev.rpc("evm_snapshot")
    c = confirm_response(r0, account=dev.client.private_key, network=dev.network)
    assert dev.rpc("evm_revert", [snapshot]) is True
    dev.mine(1)
    # no refresh(): the registration of the task is checked against the chain
    sibling = confirm_response(r1, account=dev.client.private_key, network=dev.network)
    assert sibling.state == "mined" and dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED
    assert (c.state, c.reorged) == ("reverted", True) and "reorg" in c.error
