"""The devnet speaks JSON-RPC through the library's one client and decodes results and events
without web3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ogpu_widgets.chain.rpc import RpcClient
from ogpu_widgets.devnet import DevnetError
from ogpu_widgets.devnet.contracts import decode_logs

ROOT = Path(__file__).resolve().parents[1]
ZERO = "0x" + "00" * 20


def test_rpc_goes_through_one_rpc_client(devnet):
    client = devnet.rpc_client
    assert isinstance(client, RpcClient) and client is devnet.rpc_client
    assert client.policy.attempts <= 3 and client.policy.backoff < 0.1  # a local node
    before = client.requests
    assert int(devnet.rpc("eth_chainId"), 16) == 31337
    block, chain = devnet.rpc_batch([("eth_blockNumber", []), ("eth_chainId", [])])
    assert int(block, 16) >= 0 and int(chain, 16) == 31337
    assert client.requests == before + 2  # the batch is one HTTP request


def test_error_replies_are_devnet_errors(devnet):
    with pytest.raises(DevnetError, match="eth_noSuchMethod failed: Method not found") as info:
        devnet.rpc("eth_noSuchMethod")
    assert info.value.method == "eth_noSuchMethod" and info.value.reason is None
    with pytest.raises(DevnetError, match="eth_noSuchMethod failed"):
        devnet.rpc_batch([("eth_chainId", []), ("eth_noSuchMethod", [])])
    assert devnet.rpc_batch([]) == []


def test_a_revert_carries_its_reason(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src)
    response = devnet.respond(task, 0)
    with pytest.raises(DevnetError, match="NotOwner") as info:
        devnet.confirm(response, sender=devnet.stranger.address)
    assert info.value.reason == "NotOwner" and info.value.method == "eth_estimateGas"


def test_call_decodes_like_web3(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src, payment_ogpu=2)
    r0 = devnet.respond(task, 0, data="ipfs://zero")
    devnet.attempt(task, 1)
    assert devnet.call("Task", task, "getResponsesOf", 0, 1) == [r0, ZERO]  # a list
    assert devnet.call("Task", task, "getSource") == src  # checksummed
    assert devnet.call("Response", r0, "confirmedFinal") is False
    params = devnet.call("Task", task, "taskParams")  # several outputs: a tuple
    assert params[0] == src and params[3] == 2 * 10**18 and isinstance(params, tuple)
    w3 = devnet.contract("Task", task)  # the web3 convenience agrees
    assert w3.functions.getResponsesOf(0, 1).call() == [r0, ZERO]
    assert tuple(w3.functions.taskParams().call()) == params


def test_call_on_something_else_says_so(devnet):
    with pytest.raises(DevnetError, match=r"Task.getStatus at .* does not decode"):
        devnet.call("Task", devnet.client.address, "getStatus")  # an account, no code


def test_events_decoded_from_receipts(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src)
    devnet.attempt(task, 2)
    receipt = devnet.transact(
        devnet.providers[2].address,
        "Nexus",
        "submitResponse",
        (task, devnet.providers[2].address, "x", devnet.call("Task", task, "getPayment")),
    )
    (submitted,) = decode_logs(receipt["logs"], "Nexus", "ResponseSubmitted")
    response = submitted["args"]["response"]
    assert submitted["args"]["task"] == task
    assert devnet.call("Response", response, "getResponseParams")[0] == task
    statuses = decode_logs(receipt["logs"], "Nexus", "TaskStatusChanged")
    assert [e["args"] for e in statuses] == [{"task": task, "status": 2}]  # RESPONDED
    # logs of another address are not the Nexus's
    assert decode_logs(receipt["logs"], "Nexus", "ResponseSubmitted", address=task) == []
    seen = devnet.events("ResponseSubmitted", from_block=int(receipt["blockNumber"], 16))
    assert [e["args"] for e in seen] == [{"response": response, "task": task}]


def test_the_devnet_needs_no_web3():
    """Starting, deploying, seeding and confirming import neither web3 nor a JSON-RPC
    client of the devnet's own."""
    code = (
        "import sys\n"
        "from ogpu_widgets.devnet import Devnet\n"
        "with Devnet(providers=3) as d:\n"
        "    d.seed(tasks=3, responses_per_task=2, delivery='mixed')\n"
        "    t = d.publish_task(d.publish_source('manual'))\n"
        "    d.confirm(d.respond(t, 0))\n"
        "    assert d.call('Task', t, 'getStatus') == 5\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('web3', 'ens')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
