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


def test_sdk_set_agent_then_our_library_confirms_as_that_agent(sdk_devnet, monkeypatch):
    """The official SDK authorizes an agent on the devnet (Terminal.setAgent, as on mainnet);
    our library sees it and confirms with the agent's key; the SDK revokes it, and the agent
    is refused before anything is sent."""
    import ogpu.client

    import ogpu_widgets as ow

    dev = sdk_devnet
    net = dev.network
    assert net.terminal == dev.contracts["terminal"]
    client, agent = dev.client, dev.agent
    src = dev.publish_source("manual")
    task = dev.publish_task(src, payment_ogpu=2)
    r = dev.respond(task, 0)
    assert not ow.is_agent_of(client.address, agent.address, network=net)

    monkeypatch.setenv("CLIENT_PRIVATE_KEY", client.private_key)
    tx_hash = ogpu.client.set_agent(agent.address, True)
    assert isinstance(tx_hash, str) and tx_hash.startswith("0x")
    assert ow.is_agent_of(client.address, agent.address, network=net)

    monkeypatch.delenv("CLIENT_PRIVATE_KEY")
    pre = ow.preflight(r, account=agent.private_key, network=net)
    assert pre.agent and pre.signer == agent.address and pre.client == client.address
    c = ow.confirm_response(r, account=agent.private_key, network=net)
    assert c.state == "mined" and c.signer == agent.address
    assert dev.call("Task", task, "getStatus") == 5

    # the SDK's own confirm_response works for the agent too (msg.sender is the agent)
    t2 = dev.publish_task(src, payment_ogpu=1)
    r2 = dev.respond(t2, 1)
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", agent.private_key)
    ogpu.client.confirm_response(r2)
    assert dev.call("Task", t2, "getStatus") == 5

    monkeypatch.setenv("CLIENT_PRIVATE_KEY", client.private_key)
    ogpu.client.set_agent(agent.address, False)
    assert not ow.is_agent_of(client.address, agent.address, network=net)
    t3 = dev.publish_task(src, payment_ogpu=1)
    r3 = dev.respond(t3, 0)
    sent = dev.rpc("eth_getTransactionCount", [agent.address, "latest"])
    with pytest.raises(ow.NotTaskClientError) as err:
        ow.confirm_response(r3, account=agent.private_key, network=net)
    assert err.value.signer == agent.address and err.value.expected_client == client.address
    assert dev.rpc("eth_getTransactionCount", [agent.address, "latest"]) == sent
