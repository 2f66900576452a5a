"""The devnet contracts follow every protocol rule, checked on a real anvil chain."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address

from ogpu_widgets.chain.abi import abi
from ogpu_widgets.chain.codec import calldata
from ogpu_widgets.devnet import DevnetError

ZERO = "0x" + "00" * 20
CONFIRMED, SUBMITTED = 1, 0
NEW, ATTEMPTED, RESPONDED, CANCELED, EXPIRED, FINALIZED = range(6)


def vault_balance(dev, account):
    return dev.call("Vault", dev.contracts["vault"], "balanceOf", account)


def frozen(dev, task):
    return dev.call("Vault", dev.contracts["vault"], "frozenPayment", task)


@pytest.fixture
def manual_task(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src, payment_ogpu=3)
    return src, task


def test_publish_escrows_the_payment(devnet):
    src = devnet.publish_source("manual")
    before = vault_balance(devnet, devnet.client.address)
    task = devnet.publish_task(src, payment_ogpu=2.5)
    assert vault_balance(devnet, devnet.client.address) == before - 25 * 10**17
    assert frozen(devnet, task) == 25 * 10**17
    assert devnet.call("Task", task, "getStatus") == NEW
    assert devnet.call("Task", task, "getSource") == src
    assert devnet.call("Task", task, "getDeliveryMethod") == 0
    assert devnet.call("Source", src, "getClient") == devnet.client.address
    n = devnet.call("Source", src, "getTaskCount")
    assert devnet.call("Source", src, "getTasks", 0, n - 1)[-1] == task


def test_confirmation_by_the_client(devnet, manual_task):
    _, task = manual_task
    r0 = devnet.respond(task, 0)
    r1 = devnet.respond(task, 1)
    provider = devnet.providers[1].address
    assert devnet.call("Task", task, "getStatus") == RESPONDED
    before = vault_balance(devnet, provider)
    earned = devnet.call("Vault", devnet.contracts["vault"], "totalEarningsOf", provider)

    devnet.confirm(r1)

    assert devnet.call("Response", r1, "getStatus") == CONFIRMED
    assert devnet.call("Response", r1, "confirmedFinal") is True
    assert devnet.call("Response", r0, "getStatus") == SUBMITTED
    assert devnet.call("Task", task, "getStatus") == FINALIZED
    assert devnet.call("Task", task, "winningProvider") == provider
    assert vault_balance(devnet, provider) == before + 3 * 10**18
    assert (
        devnet.call("Vault", devnet.contracts["vault"], "totalEarningsOf", provider)
        == earned + 3 * 10**18
    )
    assert frozen(devnet, task) == 0


def test_stranger_cannot_confirm(devnet, manual_task):
    _, task = manual_task
    r = devnet.respond(task, 0)
    with pytest.raises(DevnetError, match="NotOwner"):
        devnet.confirm(r, sender=devnet.stranger.address)
    with pytest.raises(DevnetError, match="NotOwner"):
        devnet.confirm(r, sender=devnet.providers[0].address)
    assert devnet.call("Task", task, "getStatus") == RESPONDED


def test_no_second_confirmation(devnet, manual_task):
    _, task = manual_task
    r0 = devnet.respond(task, 0)
    r1 = devnet.respond(task, 1)
    devnet.confirm(r0)
    with pytest.raises(DevnetError, match="AlreadyConfirmed"):
        devnet.confirm(r0)
    with pytest.raises(DevnetError, match="AlreadyFinalized"):
        devnet.confirm(r1)
    assert devnet.call("Task", task, "winningProvider") == devnet.providers[0].address


def test_no_response_after_finalization(devnet, manual_task):
    _, task = manual_task
    devnet.confirm(devnet.respond(task, 0))
    with pytest.raises(DevnetError, match="AlreadyFinalized"):
        devnet.attempt(task, 2)


def test_first_response_finalizes_automatically(devnet):
    src = devnet.publish_source("first")
    task = devnet.publish_task(src, payment_ogpu=1)
    assert devnet.call("Task", task, "getDeliveryMethod") == 1
    devnet.attempt(task, 0)
    devnet.attempt(task, 1)
    provider = devnet.providers[1].address
    before = vault_balance(devnet, provider)
    r = devnet.submit_response(task, 1)
    assert devnet.call("Response", r, "confirmedFinal") is True
    assert devnet.call("Task", task, "getStatus") == FINALIZED
    assert devnet.call("Task", task, "winningProvider") == provider
    assert vault_balance(devnet, provider) == before + 10**18
    with pytest.raises(DevnetError, match="AlreadyFinalized"):
        devnet.submit_response(task, 0)
    with pytest.raises(DevnetError, match="AlreadyConfirmed"):
        devnet.confirm(r)


def test_expiry(fresh_devnet):
    dev = fresh_devnet
    src = dev.publish_source("manual")
    task = dev.publish_task(src, payment_ogpu=1, expires_in=600)
    r = dev.respond(task, 0)
    other = dev.publish_task(src, payment_ogpu=1, expires_in=600)
    dev.attempt(other, 0)
    dev.advance_time(601)
    assert dev.call("Task", task, "getStatus") == EXPIRED
    with pytest.raises(DevnetError, match="Expired"):
        dev.confirm(r)
    with pytest.raises(DevnetError, match="Expired"):
        dev.attempt(task, 1)
    with pytest.raises(DevnetError, match="Expired"):
        dev.submit_response(other, 0)
    with pytest.raises(DevnetError, match="Expired"):
        dev.publish_task(src, payment_ogpu=1, expires_in=-10)


def test_cancel_only_while_new(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src, payment_ogpu=4)
    before = vault_balance(devnet, devnet.client.address)
    with pytest.raises(DevnetError, match="NotOwner"):
        devnet.cancel(task, sender=devnet.stranger.address)
    devnet.cancel(task)
    assert devnet.call("Task", task, "getStatus") == CANCELED
    assert vault_balance(devnet, devnet.client.address) == before + 4 * 10**18
    with pytest.raises(DevnetError, match="AlreadyFinalized"):
        devnet.attempt(task, 0)

    attempted = devnet.publish_task(src, payment_ogpu=1)
    devnet.attempt(attempted, 0)
    with pytest.raises(DevnetError, match="AlreadyFinalized"):
        devnet.cancel(attempted)


def test_insufficient_balance(devnet):
    src = devnet.publish_source("manual", client=devnet.stranger.address)
    with pytest.raises(DevnetError, match="InsufficientBalance"):
        devnet.publish_task(src, payment_ogpu=1, client=devnet.stranger.address)


def test_only_the_provider_itself_attempts_and_responds(devnet, manual_task):
    _, task = manual_task
    nexus = devnet.contracts["nexus"]
    p0, p1 = devnet.providers[0].address, devnet.providers[1].address
    with pytest.raises(DevnetError, match="NotProvider"):
        devnet.send(p1, nexus, calldata("Nexus", "attempt", task, p0, 0))
    devnet.attempt(task, 0)
    with pytest.raises(DevnetError, match="NotProvider"):
        devnet.send(p1, nexus, calldata("Nexus", "submitResponse", (task, p0, "x", 0)))
    with pytest.raises(DevnetError, match="NotEligible"):  # responding without an attempt
        devnet.submit_response(task, 2)


def test_inclusive_pagination_with_holes(devnet, manual_task):
    _, task = manual_task
    r0 = devnet.respond(task, 0)
    devnet.attempt(task, 1)  # attempts, never responds: a zero-address hole
    r2 = devnet.respond(task, 2)
    providers = [p.address for p in devnet.providers[:3]]
    assert devnet.call("Task", task, "getAttemptCount") == 3
    assert devnet.call("Task", task, "getResponsesOf", 0, 2) == [r0, ZERO, r2]
    assert devnet.call("Task", task, "getResponsesOf", 0, 1) == [r0, ZERO]  # both inclusive
    assert devnet.call("Task", task, "getResponsesOf", 1, 1) == [ZERO]
    assert devnet.call("Task", task, "getResponsesOf", 2, 2) == [r2]
    assert devnet.call("Task", task, "getAttempters", 0, 2) == providers
    assert len(devnet.call("Task", task, "getAttemptTimestamps", 0, 2)) == 3
    assert devnet.call("Task", task, "responseOf", providers[2]) == r2
    assert devnet.call("Task", task, "responseOf", providers[1]) == ZERO
    # an index equal to the count panics (0x32)
    with pytest.raises(DevnetError, match=r"getResponsesOf .*reverted: Panic\(0x32\)") as info:
        devnet.call("Task", task, "getResponsesOf", 0, 3)
    assert info.value.reason == "Panic(0x32)"


def test_source_get_tasks_reads_from_zero_only(devnet):
    src = devnet.publish_source("manual")
    t0 = devnet.publish_task(src)
    t1 = devnet.publish_task(src)
    assert devnet.call("Source", src, "getTasks", 0, 1) == [t0, t1]
    with pytest.raises(DevnetError, match="Panic"):  # like the deployed: lower != 0 reverts
        devnet.call("Source", src, "getTasks", 1, 1)


def test_response_params_and_timestamp(devnet, manual_task):
    _, task = manual_task
    r = devnet.respond(task, 0, data="ipfs://bafy-result")
    params = devnet.call("Response", r, "getResponseParams")
    assert params == (task, devnet.providers[0].address, "ipfs://bafy-result", 3 * 10**18)
    assert tuple(devnet.call("Response", r, "responseParams")) == params
    assert devnet.call("Response", r, "responseTimestamp") > 0


def test_nexus_sources_and_events(devnet):
    n0 = devnet.call("Nexus", devnet.contracts["nexus"], "getSourceCount")
    src = devnet.publish_source("first")
    assert devnet.call("Nexus", devnet.contracts["nexus"], "getSourceCount") == n0 + 1
    assert devnet.call("Nexus", devnet.contracts["nexus"], "getSources", n0, n0) == [src]
    task = devnet.publish_task(src)
    events = devnet.events("TaskPublished")
    assert any(e["args"] == {"task": task, "source": src} for e in events)
    # the same logs, decoded by web3 (the devnet decodes them without it)
    nexus = devnet.contract("Nexus", devnet.contracts["nexus"])
    by_web3 = nexus.events.TaskPublished().get_logs(from_block=0)
    assert [dict(e["args"]) for e in by_web3] == [e["args"] for e in events]
    # no parameter of any Nexus event is indexed
    for item in abi("Nexus"):
        if item["type"] == "event" and item["name"] != "OwnershipTransferred":
            assert not any(i["indexed"] for i in item["inputs"]), item["name"]
    assert to_checksum_address(src) == src


# ---- Terminal: agents ------------------------------------------------------------------------


def terminal_says(dev, principal, agent):
    t = dev.contracts["terminal"]
    return (dev.call("Terminal", t, "isAgentOf", principal, agent),
            dev.call("Terminal", t, "getIsAgentOf", principal, agent))  # fmt: skip


def test_an_authorized_agent_confirms_and_cancels_for_its_client(fresh_devnet):
    from ogpu_widgets.devnet.contracts import decode_logs

    dev = fresh_devnet
    client, agent, terminal = dev.client.address, dev.agent.address, dev.contracts["terminal"]
    # wired: the Controller and Nexus know the Terminal
    assert dev.call("Controller", dev.contracts["controller"], "terminal") == terminal
    assert dev.call("Nexus", dev.contracts["nexus"], "terminal") == terminal
    assert terminal_says(dev, client, agent) == (False, False)
    src = dev.publish_source("manual")
    task = dev.publish_task(src, payment_ogpu=3)
    r = dev.respond(task, 1)
    with pytest.raises(DevnetError, match="NotOwner"):
        dev.confirm(r, sender=agent)

    receipt = dev.set_agent(agent)
    (event,) = decode_logs(receipt["logs"], "Terminal", "AgentSet", terminal)
    assert event["args"] == {"account": client, "agent": agent, "value": True}
    assert terminal_says(dev, client, agent) == (True, True)
    assert terminal_says(dev, agent, client) == (False, False)  # not mutual

    provider = dev.providers[1].address
    before_client = vault_balance(dev, client)
    before_provider = vault_balance(dev, provider)
    dev.confirm(r, sender=agent)
    assert dev.call("Task", task, "getStatus") == FINALIZED
    assert vault_balance(dev, provider) == before_provider + 3 * 10**18  # the escrow paid
    assert vault_balance(dev, client) == before_client and frozen(dev, task) == 0

    # an agent cancels too: the payment goes back to the client, never to the agent
    fresh = dev.publish_task(src, payment_ogpu=2)
    dev.cancel(fresh, sender=agent)
    assert vault_balance(dev, client) == before_client
    assert vault_balance(dev, agent) == 0

    # revoked: refused again; another client's agent is nobody else's
    dev.set_agent(agent, False)
    assert terminal_says(dev, client, agent) == (False, False)
    t2 = dev.publish_task(src, payment_ogpu=1)
    with pytest.raises(DevnetError, match="NotOwner"):
        dev.confirm(dev.respond(t2, 0), sender=agent)
    dev.set_agent(agent, principal=dev.stranger.address)
    with pytest.raises(DevnetError, match="NotOwner"):
        dev.confirm(dev.respond(t2, 1), sender=agent)


def test_terminal_refuses_nonsense_agents(devnet):
    with pytest.raises(DevnetError, match="NotEligible"):
        devnet.set_agent(ZERO, principal=devnet.stranger.address)
    with pytest.raises(DevnetError, match="NotEligible"):
        devnet.set_agent(devnet.stranger.address, principal=devnet.stranger.address)
    for item in abi("Terminal"):
        if item["type"] == "event" and item["name"] != "OwnershipTransferred":
            assert not any(i["indexed"] for i in item["inputs"]), item["name"]
