"""Every confirmation failure typed and true, on a real anvil devnet behind a fault-injecting
proxy: nothing but OgpuWidgetsError escapes (B1), no verdict about an address from a hiccup
(B2), non-UTF-8 data confirmable (B4), no stale success from a restarted chain (B5), a
confirmation pending elsewhere is not paid twice (B6), the key stays secret (B7), wrong input
types get typed errors (B8)."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from support import Proxy, calls_of, per_call
from test_confirm_support import (
    assert_exception_clean,
    custom_network,
    new_task,
    nonce,
    send_elsewhere,
)

from ogpu_widgets.chain.codec import calldata, function
from ogpu_widgets.chain.network import Network
from ogpu_widgets.confirm import (
    Preflight,
    confirm_many,
    confirm_response,
    estimate_fee,
    pending_confirmation,
    preflight,
)
from ogpu_widgets.confirm.engine import Engine
from ogpu_widgets.devnet import Devnet
from ogpu_widgets.devnet.process import free_port
from ogpu_widgets.errors import (
    ConfirmationPendingElsewhereError,
    ConfirmManyError,
    InvalidArgumentError,
    InvalidResponseError,
    InvalidSignerError,
    NodeUnavailableError,
    OgpuWidgetsError,
    RpcReplyError,
    WrongChainError,
)
from ogpu_widgets.records import TaskStatus

# what a node refused (batches, the read lens) is learned per URL, and proxies' ports come back
pytestmark = pytest.mark.usefixtures("forget_capabilities")


def via(proxy: Proxy, dev: Devnet) -> Network:
    return dev.network.with_settings(rpc_url=proxy.url)


def _all_four(response, key, network):
    """The four public calls that take a response, each with its outcome (value or error)."""
    out = {}
    for name, fn in (
        ("confirm_response", lambda: confirm_response(response, account=key, network=network)),
        ("confirm_many", lambda: confirm_many([response], account=key, network=network)),
        ("preflight", lambda: preflight(response, account=key, network=network)),
        ("estimate_fee", lambda: estimate_fee(response, account=key, network=network)),
    ):
        try:
            out[name] = fn()
        except Exception as exc:  # collected and asserted on by the caller
            out[name] = exc
    return out


# ---- B1: nothing but OgpuWidgetsError escapes ----------------------------------------------------

RATE_LIMIT = {"code": -32005, "message": "rate limit exceeded, try again later"}


def test_b1_rate_limited_nonce_reads_are_retried_then_a_connectivity_error(devnet):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    seen = []

    def fault(call):
        if call["method"] == "eth_getTransactionCount":
            seen.append(call)
            return RATE_LIMIT
        return None

    with Proxy(dev.rpc_url, per_call(dev.rpc_url, fault)) as proxy:
        before = nonce(dev, dev.client.address)
        for name, outcome in _all_four(r0, dev.client.private_key, via(proxy, dev)).items():
            assert isinstance(outcome, NodeUnavailableError), (name, outcome)
            assert outcome.exhausted and "rate limit" in outcome.detail
        assert len(seen) >= 4 * 5  # retried under the policy, every time
        assert nonce(dev, dev.client.address) == before
        assert pending_confirmation(task, via(proxy, dev)) is None


def test_b1_an_error_reply_to_the_receipt_poll_is_typed(fresh_devnet):
    dev = fresh_devnet
    _, (r0,) = new_task(dev, 1)
    mode = {"error": None}

    def fault(call):
        return mode["error"] if call["method"] == "eth_getTransactionReceipt" else None

    with Proxy(dev.rpc_url, per_call(dev.rpc_url, fault)) as proxy:
        c = confirm_response(r0, account=dev.client.private_key, network=via(proxy, dev))
        assert c.state == "mined"
        mode["error"] = {"code": -32000, "message": "receipts are unavailable"}
        with pytest.raises(RpcReplyError) as ei:
            c.refresh()
        assert ei.value.method == "eth_getTransactionReceipt"
        mode["error"] = RATE_LIMIT
        with pytest.raises(NodeUnavailableError):
            c.refresh()
        mode["error"] = None
        assert c.refresh().state == "mined" and c.wait(1) is c


def test_b1_bodies_with_neither_result_nor_error_are_a_connectivity_error(devnet):
    dev = devnet
    _, (r0,) = new_task(dev, 1)

    def rule(payload, n):
        if any(c["method"] == "eth_getBlockByNumber" for c in calls_of(payload)):
            return 200, {"jsonrpc": "2.0", "id": 1}
        return None

    with Proxy(dev.rpc_url, rule) as proxy:
        for name, outcome in _all_four(r0, dev.client.private_key, via(proxy, dev)).items():
            assert isinstance(outcome, NodeUnavailableError), (name, outcome)


def test_b1_task_source_and_vault_addresses_are_not_responses_even_once_seen(devnet):
    dev = devnet
    key = dev.client.private_key
    task, (r0, r1) = new_task(dev, 2)
    source = dev.call("Task", task, "getSource")
    preflight(r0, account=key, network=dev.network)  # the task and source are now cached links
    for address in (task, source, dev.contracts["vault"], dev.contracts["nexus"]):
        for name, outcome in _all_four(address, key, dev.network).items():
            if name == "confirm_many":
                assert isinstance(outcome, ConfirmManyError), (name, outcome)
                outcome = outcome.refusals[address]
            assert isinstance(outcome, InvalidResponseError), (address, name, outcome)
            assert outcome.response == address and address in str(outcome)


# ---- B2: no verdict about an address from a hiccup ----------------------------------------------

FAULTS = {
    "HTTP 429": (429, b"Too Many Requests"),
    "HTTP 503": (503, b"<html>Service Unavailable</html>"),
    "-32603": (200, {"code": -32603, "message": "internal error"}),
    "-32005": (200, {"code": -32005, "message": "limit exceeded"}),
    "truncated": (200, b'{"jsonrpc":"2.0","id":1,"res'),
}


def _task_read_rule(upstream, task, fault, times):
    """``fault`` on every request reading ``task``'s status (the pre-flight's second round),
    ``times`` times (None: always)."""
    status = calldata("Task", "getStatus")
    count = []

    def hits(call):
        if call["method"] != "eth_call":
            return False
        tx = call["params"][0]
        return tx.get("to", "").lower() == task.lower() and tx.get("data") == status

    forward_with_errors = per_call(upstream, lambda c: fault[1] if hits(c) else None)

    def rule(payload, n):
        if not any(hits(c) for c in calls_of(payload)):
            return None
        count.append(n)
        if times is not None and len(count) > times:
            return None
        if isinstance(fault[1], dict):
            return forward_with_errors(payload, n)
        return fault

    return rule, count


@pytest.mark.parametrize("kind", list(FAULTS))
def test_b2_a_persistent_hiccup_in_preflight_is_a_connectivity_error(devnet, kind):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    rule, count = _task_read_rule(dev.rpc_url, task, FAULTS[kind], None)
    with Proxy(dev.rpc_url, rule) as proxy, pytest.raises(NodeUnavailableError) as ei:
        preflight(r0, account=dev.client.private_key, network=via(proxy, dev))
    assert not isinstance(ei.value, InvalidResponseError)
    assert "not an OpenGPU" not in str(ei.value) and len(count) >= 5


def test_b2_a_passing_hiccup_is_retried_away(devnet):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    rule, count = _task_read_rule(dev.rpc_url, task, FAULTS["HTTP 429"], 2)
    with Proxy(dev.rpc_url, rule) as proxy:
        pf = preflight(r0, account=dev.client.private_key, network=via(proxy, dev))
    assert isinstance(pf, Preflight) and pf.task == task and len(count) >= 3


# ---- B4: data that is not UTF-8 ------------------------------------------------------------------


def test_b4_a_response_whose_data_is_not_utf8_can_be_confirmed(devnet):
    dev = devnet
    source = dev.publish_source("manual")
    task = dev.publish_task(source, payment_ogpu=1)
    provider = dev.providers[3]
    dev.attempt(task, provider)
    payment = dev.call("Task", task, "getPayment")
    params = (task, provider.address, b"\xff\xfe not utf-8 \xc3\x28", payment)
    data = (
        function("Nexus", "submitResponse")[0]
        + abi_encode(["(address,address,bytes,uint256)"], [params]).hex()
    )  # the same layout as the ABI's string field, with bytes no UTF-8 decoder accepts
    dev.send(provider.address, dev.contracts["nexus"], data)
    response = dev.call("Task", task, "responseOf", provider.address)

    pf = preflight(response, account=dev.client.private_key, network=dev.network)
    assert (pf.task, pf.provider) == (task, provider.address)
    c = confirm_response(response, account=dev.client.private_key, network=dev.network)
    assert c.state == "mined"
    assert dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


# ---- B5: no stale success from a restarted chain ---------------------------------------------------


def test_b5_a_restarted_chain_at_the_same_url_gets_a_real_transaction(monkeypatch):
    # anvils started within one second share their genesis hash: make that certain
    original = Engine.set_identity
    monkeypatch.setattr(
        Engine, "set_identity", lambda self, chain, _g: original(self, chain, {"hash": "0x01"})
    )
    port = free_port()
    with Devnet(port=port) as first:
        task, (r0,) = new_task(first, 1)
        key = first.client.private_key
        old = confirm_response(r0, account=key, network=first.network)
        assert old.state == "mined"
    with Devnet(port=port) as second:
        assert new_task(second, 1) == (task, [r0])  # the same addresses on the new chain
        assert second.rpc("eth_getTransactionReceipt", [old.tx_hash]) is None
        assert second.call("Task", task, "getStatus") == TaskStatus.RESPONDED
        new = confirm_response(r0, account=key, network=second.network, timeout=30)
        assert new is not old and new.state == "mined"
        receipt = second.rpc("eth_getTransactionReceipt", [new.tx_hash])
        assert int(receipt["status"], 16) == 1
        assert second.call("Task", task, "getStatus") == TaskStatus.FINALIZED
        assert pending_confirmation(task, second.network) is new


# ---- B6: a confirmation pending elsewhere ----------------------------------------------------------


def test_b6_a_confirmation_pending_elsewhere_is_not_a_new_payment(fresh_devnet):
    dev = fresh_devnet
    key = dev.client.private_key
    task, (r1, r2) = new_task(dev, 2)
    dev.set_automine(False)
    other = send_elsewhere(dev, r1)
    pool = dev.rpc("txpool_status")
    pending = nonce(dev, dev.client.address, "pending")

    for response in (r2, r1):
        for call in (confirm_response, preflight, estimate_fee):
            with pytest.raises(ConfirmationPendingElsewhereError) as ei:
                call(response, account=key, network=dev.network)
            err = ei.value
            assert err.pending_tx == other and err.task == task and other in str(err)
        with pytest.raises(ConfirmManyError) as ei:
            confirm_many([response], account=key, network=dev.network)
        assert isinstance(ei.value.refusals[response], ConfirmationPendingElsewhereError)
    assert dev.rpc("txpool_status") == pool, "something was sent"
    assert nonce(dev, dev.client.address, "pending") == pending
    assert pending_confirmation(task, dev.network) is None

    dev.mine()
    dev.set_automine(True)
    assert dev.call("Response", r1, "confirmedFinal") is True


def test_b6_other_pending_transactions_of_the_signer_do_not_block(fresh_devnet):
    dev = fresh_devnet
    _, (r1,) = new_task(dev, 1)
    dev.set_automine(False)
    transfer = {"from": dev.client.address, "to": dev.stranger.address, "value": "0x1",
                "gas": "0x5208"}  # fmt: skip
    dev.rpc("eth_sendTransaction", [transfer])
    pf = preflight(r1, account=dev.client.private_key, network=dev.network)
    assert pf.response == r1
    dev.mine()
    dev.set_automine(True)


def test_b6_when_the_node_cannot_tell_the_confirmation_is_refused(fresh_devnet):
    dev = fresh_devnet
    task, (r1, r2) = new_task(dev, 2)
    dev.set_automine(False)
    send_elsewhere(dev, r1)

    def fault(call):
        if call["method"] == "eth_getBlockByNumber" and call["params"][0] == "pending":
            return {"code": -32601, "message": "the method is not available"}
        return None

    with (
        Proxy(dev.rpc_url, per_call(dev.rpc_url, fault)) as proxy,
        pytest.raises(ConfirmationPendingElsewhereError) as ei,
    ):
        confirm_response(r2, account=dev.client.private_key, network=via(proxy, dev))
    err = ei.value
    assert err.pending_tx is None and "check the signer's pending transactions" in str(err)
    dev.mine()
    dev.set_automine(True)


# ---- B7: the key stays secret ----------------------------------------------------------------------


def test_b7_the_key_is_in_no_message_repr_or_local_of_a_failing_call(devnet):
    dev = devnet
    key = dev.client.private_key
    _, (r0,) = new_task(dev, 1)
    wrong_chain = custom_network(dev, chain_id=1071)
    unreachable = dev.network.with_settings(rpc_url=f"http://127.0.0.1:{free_port()}")
    cases = [
        (r0, key, wrong_chain, WrongChainError),
        (r0, key, unreachable, NodeUnavailableError),
        (dev.contracts["vault"], key, dev.network, OgpuWidgetsError),  # a bad response
        (r0, key[:-1], dev.network, InvalidSignerError),
        (r0, key.upper().replace("0X", "0x")[:-1] + "G", dev.network, InvalidSignerError),
    ]
    for response, k, network, error in cases:
        for name, outcome in _all_four(response, k, network).items():
            assert isinstance(outcome, error), (name, outcome)
            # message, repr, library locals and the library's traceback, in any letter case
            assert_exception_clean(outcome, key)


# ---- B8: wrong-type inputs ---------------------------------------------------------------------


def test_b8_wrong_types_get_typed_errors(devnet):
    dev = devnet
    key = dev.client.private_key
    before = nonce(dev, dev.client.address)
    for bad in (None, 123, 4.5, object()):
        with pytest.raises(InvalidArgumentError):
            confirm_many(bad, account=key, network=dev.network)
    for call in (confirm_response, preflight, estimate_fee):
        for bad in (None, 123, ["0x" + "11" * 20]):
            with pytest.raises(InvalidArgumentError):
                call(bad, account=key, network=dev.network)
    with pytest.raises(InvalidArgumentError):
        pending_confirmation(None, dev.network)
    assert nonce(dev, dev.client.address) == before


def test_b8_a_single_address_string_is_one_item(devnet):
    dev = devnet
    task, (r0,) = new_task(dev, 1)
    (c,) = confirm_many(r0, account=dev.client.private_key, network=dev.network)
    assert c.response == r0 and c.state == "mined"
    assert confirm_many(r0.lower(), account=dev.client.private_key, network=dev.network) == [c]
