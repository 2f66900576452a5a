"""The official `ogpu` SDK, pointed at the devnet, reads and confirms as it does on mainnet."""

from __future__ import annotations

import pytest
from support import sdk_on_devnet

ogpu = pytest.importorskip("ogpu")


@pytest.fixture
def sdk_devnet(monkeypatch):
    with sdk_on_devnet(monkeypatch) as dev:
        yield dev


def test_sdk_reads_and_confirms_on_the_devnet(sdk_devnet, monkeypatch):
    import ogpu.client

    dev = sdk_devnet
    src = dev.publish_source("manual")
    task = dev.publish_task(src, payment_ogpu=2)
    r0 = dev.respond(task, 0, data="ipfs://bafy-zero")
    dev.attempt(task, 1)  # a hole: attempted, no response
    r2 = dev.respond(task, 2, data="ipfs://bafy-two")

    responses = ogpu.client.get_task_responses(task)
    assert [r.address for r in responses] == [r0, r2]
    assert responses[0].get_data() == "ipfs://bafy-zero"
    assert not responses[1].is_confirmed()

    monkeypatch.setenv("CLIENT_PRIVATE_KEY", dev.client.private_key)
    tx_hash = ogpu.client.confirm_response(r2)
    assert isinstance(tx_hash, str) and tx_hash.startswith("0x")

    assert dev.call("Task", task, "getStatus") == 5
    assert dev.call("Task", task, "winningProvider") == dev.providers[2].address
    assert responses[1].is_confirmed()
    from ogpu.protocol.task import Task

    confirmed = Task(task).get_confirmed_response()
    assert confirmed is not None and confirmed.address == r2
