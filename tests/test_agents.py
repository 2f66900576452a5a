"""Agents on a real anvil devnet: a client authorizes an agent, the agent confirms (paying its
own gas while the client's escrow pays the provider), the client revokes and the agent is
refused before anything is sent; strangers are refused; bad input and node faults are typed;
the keys stay secret; the table knows its signer's relation to the rows' clients."""

from __future__ import annotations

import pytest
from support import Proxy, calls_of, until
from test_confirm_support import (
    assert_exception_clean,
    custom_network,
    new_task,
    nonce,
    run_together,
)
from test_table import row

import ogpu_widgets as ow
from ogpu_widgets.chain.codec import to_address
from ogpu_widgets.devnet.contracts import decode_logs
from ogpu_widgets.errors import (
    AgentError,
    InvalidAddressError,
    InvalidAgentError,
    NetworkConfigError,
    NodeUnavailableError,
    NotTaskClientError,
    WrongChainError,
)
from ogpu_widgets.table import ResponseTable

ZERO = "0x" + "00" * 20


def balance(dev, address):
    return int(dev.rpc("eth_getBalance", [address, "latest"]), 16)


def vault(dev, address):
    return dev.call("Vault", dev.contracts["vault"], "balanceOf", address)


# ---- the whole life of an agent --------------------------------------------------------------


def test_authorize_confirm_as_the_agent_revoke_and_be_refused(fresh_devnet):
    dev = fresh_devnet
    net, client, agent = dev.network, dev.client, dev.agent
    task, (r0,) = new_task(dev, 1, payment_ogpu=3)

    # before: the agent is a stranger to the task, refused by pre-flight with both names
    with pytest.raises(NotTaskClientError) as err:
        ow.preflight(r0, account=agent.private_key, network=net)
    e = err.value
    assert (e.signer, e.expected_client, e.is_agent) == (agent.address, client.address, False)
    assert f"{agent.address} is not the task's client {client.address}" in str(e)
    assert "authorized agent" in str(e) and "authorize_agent(" in str(e)
    assert not ow.is_agent_of(client.address, agent.address, network=net)

    # authorize: one transaction from the client, AgentSet emitted
    sent = nonce(dev, client.address)
    change = ow.authorize_agent(agent.address, account=client.private_key, network=net)
    assert isinstance(change, ow.AgentChange)
    assert (change.changed, change.state, change.status, change.authorized) == (True, "mined",
                                                                               1, True)  # fmt: skip
    assert (change.account, change.agent) == (client.address, agent.address)
    assert nonce(dev, client.address) == sent + 1 and str(change) == change.tx_hash
    receipt = dev.rpc("eth_getTransactionReceipt", [change.tx_hash])
    (event,) = decode_logs(receipt["logs"], "Terminal", "AgentSet", dev.contracts["terminal"])
    assert event["args"] == {"account": client.address, "agent": agent.address, "value": True}
    assert ow.is_agent_of(client.address, agent.address, network=net)

    # twice: nothing sent, a clear result
    again = ow.authorize_agent(agent.address, account=client.private_key, network=net)
    assert (again.changed, again.state, again.tx_hash) == (False, "unchanged", None)
    assert nonce(dev, client.address) == sent + 1

    # the agent confirms: its balance pays the gas; the client's escrow pays the provider
    provider = dev.providers[0].address
    pre = ow.preflight(r0, account=agent.private_key, network=net)
    assert pre.agent and pre.client == client.address and pre.signer == agent.address
    before = {"agent": balance(dev, agent.address), "client": balance(dev, client.address),
              "client_vault": vault(dev, client.address),
              "provider_vault": vault(dev, provider)}  # fmt: skip
    frozen = dev.call("Vault", dev.contracts["vault"], "frozenPayment", task)
    assert frozen == 3 * 10**18
    c = ow.confirm_response(r0, account=agent.private_key, network=net)
    assert c.state == "mined" and c.signer == agent.address and c.fee_paid > 0
    tx = dev.rpc("eth_getTransactionByHash", [c.tx_hash])
    assert to_address(tx["from"]) == agent.address
    assert balance(dev, agent.address) == before["agent"] - c.fee_paid
    assert balance(dev, client.address) == before["client"]  # not a wei of gas
    assert vault(dev, client.address) == before["client_vault"]  # the escrow was already out
    assert vault(dev, provider) == before["provider_vault"] + frozen
    assert dev.call("Vault", dev.contracts["vault"], "frozenPayment", task) == 0
    assert dev.call("Task", task, "getStatus") == 5
    assert dev.call("Task", task, "winningProvider") == provider

    # revoke, twice; then the agent is refused by pre-flight, nothing sent
    gone = ow.revoke_agent(agent.address, account=client.private_key, network=net)
    assert (gone.changed, gone.state, gone.authorized) == (True, "mined", False)
    assert not ow.is_agent_of(client.address, agent.address, network=net)
    assert ow.revoke_agent(agent.address, account=client.private_key, network=net).changed is False
    _, (r1,) = new_task(dev, 1)
    agent_nonce = nonce(dev, agent.address)
    for call in (ow.preflight, ow.confirm_response):
        with pytest.raises(NotTaskClientError) as err:
            call(r1, account=agent.private_key, network=net)
        assert err.value.signer == agent.address
        assert err.value.expected_client == client.address
        assert agent.address in str(err.value) and client.address in str(err.value)
    with pytest.raises(ow.ConfirmManyError) as many:
        ow.confirm_many([r1], account=agent.private_key, network=net)
    assert isinstance(many.value.refusals[r1], NotTaskClientError)
    assert nonce(dev, agent.address) == agent_nonce


def test_a_stranger_is_refused_and_another_clients_agent_too(fresh_devnet):
    dev = fresh_devnet
    net = dev.network
    _, (r0,) = new_task(dev, 1)
    # the agent serves the stranger, not the task's client
    ow.authorize_agent(dev.agent.address, account=dev.stranger.private_key, network=net)
    before = nonce(dev, dev.stranger.address), nonce(dev, dev.agent.address)
    for key, who in ((dev.stranger.private_key, dev.stranger.address),
                     (dev.agent.private_key, dev.agent.address)):  # fmt: skip
        with pytest.raises(NotTaskClientError) as err:
            ow.confirm_response(r0, account=key, network=net)
        assert err.value.signer == who and err.value.expected_client == dev.client.address
    assert (nonce(dev, dev.stranger.address), nonce(dev, dev.agent.address)) == before
    assert dev.call("Task", dev.tasks[-1], "getStatus") == 2


def test_concurrent_authorizations_send_one_transaction(fresh_devnet):
    dev = fresh_devnet
    sent = nonce(dev, dev.client.address)
    results = run_together(6, lambda i: ow.authorize_agent(
        dev.agent.address, account=dev.client.private_key, network=dev.network))  # fmt: skip
    assert [e for _, e in results] == [None] * 6
    out = [c for c, _ in results]
    assert len(out) == 6 and all(c.authorized and c.state in ("mined", "unchanged") for c in out)
    assert len({c.tx_hash for c in out if c.changed}) == 1  # joined, or nothing left to do
    assert nonce(dev, dev.client.address) == sent + 1


def test_agent_changes_and_confirmations_share_the_accounts_nonces(fresh_devnet):
    dev = fresh_devnet
    net = dev.network
    _, (r0,) = new_task(dev, 1)
    change = ow.authorize_agent(dev.agent.address, account=dev.client.private_key, network=net,
                                wait=False)  # fmt: skip
    assert change.state == "pending" and change.tx_hash
    c = ow.confirm_response(r0, account=dev.client.private_key, network=net)
    assert c.state == "mined" and c.nonce == change.nonce + 1
    assert change.wait(30) is change and change.state == "mined" and change.block_number
    until(lambda: ow.is_agent_of(dev.client.address, dev.agent.address, network=net))


# ---- typed errors ------------------------------------------------------------------------------


def test_bad_input_is_typed_and_nothing_is_sent(devnet):
    dev = devnet
    net, key, client = dev.network, dev.stranger.private_key, dev.stranger.address
    sent = nonce(dev, client)
    for bad in (None, 123, "0x123", "not an address", ["0x" + "11" * 20]):
        for call in (ow.authorize_agent, ow.revoke_agent):
            with pytest.raises(InvalidAddressError):
                call(bad, account=key, network=net)
        with pytest.raises(InvalidAddressError):
            ow.is_agent_of(client, bad, network=net)
        with pytest.raises(InvalidAddressError):
            ow.is_agent_of(bad, dev.agent.address, network=net)
    with pytest.raises(InvalidAgentError, match="zero address"):
        ow.authorize_agent(ZERO, account=key, network=net)
    with pytest.raises(InvalidAgentError, match="signing account itself") as err:
        ow.authorize_agent(client.lower(), account=key, network=net)
    assert err.value.agent == client and err.value.account == client
    with pytest.raises(InvalidAgentError, match="both the client and the agent"):
        ow.is_agent_of(client, client, network=net)
    with pytest.raises(InvalidAgentError, match="is a contract"):  # a wrong role: no key
        ow.authorize_agent(dev.contracts["vault"], account=key, network=net)
    with pytest.raises(ow.InvalidArgumentError, match="timeout"):
        ow.authorize_agent(dev.agent.address, account=key, network=net, timeout=0)
    with pytest.raises(ow.InvalidSignerError):
        ow.authorize_agent(dev.agent.address, account="0x1234", network=net)
    assert issubclass(InvalidAgentError, AgentError) and issubclass(InvalidAgentError, ValueError)
    assert nonce(dev, client) == sent


def test_a_network_without_a_terminal_says_what_to_give(devnet):
    dev = devnet
    net = custom_network(dev)
    for call in (lambda: ow.is_agent_of(dev.client.address, dev.agent.address, network=net),
                 lambda: ow.authorize_agent(dev.agent.address, account=dev.client.private_key,
                                            network=net)):  # fmt: skip
        with pytest.raises(NetworkConfigError, match="terminal="):
            call()
    # pre-flight: a non-client signer is refused, saying agents cannot be checked
    _, (r0,) = new_task(dev, 1)
    with pytest.raises(NotTaskClientError) as err:
        ow.preflight(r0, account=dev.agent.private_key, network=net)
    assert "terminal=" in str(err.value) and err.value.is_agent is None
    assert dev.client.address in str(err.value) and dev.agent.address in str(err.value)
    # the client itself needs no Terminal
    assert (
        ow.preflight(r0, account=dev.client.private_key, network=net).signer == dev.client.address
    )


def test_a_terminal_address_that_is_no_terminal_is_a_config_error(devnet):
    dev = devnet
    wrong = custom_network(dev, terminal=dev.stranger.address)
    with pytest.raises(NetworkConfigError, match="does not answer isAgentOf"):
        ow.is_agent_of(dev.client.address, dev.agent.address, network=wrong)
    _, (r0,) = new_task(dev, 1)
    with pytest.raises(NotTaskClientError, match="does not answer isAgentOf"):
        ow.preflight(r0, account=dev.agent.private_key, network=wrong)


def _terminal_calls_fail(dev, status=429):
    """A Proxy rule: any request with an eth_call to the Terminal gets HTTP ``status``."""
    terminal = dev.contracts["terminal"].lower()
    hits = []

    def rule(payload, n):
        if any(c.get("method") == "eth_call" and str(c["params"][0].get("to", "")).lower()
               == terminal for c in calls_of(payload)):  # fmt: skip
            hits.append(n)
            return status, b"Too Many Requests" if status == 429 else b"upstream error"
        return None

    return rule, hits


@pytest.mark.parametrize("status", [429, 503])
def test_a_node_fault_is_node_unavailable_never_a_false_verdict(devnet, status):
    dev = devnet
    rule, hits = _terminal_calls_fail(dev, status)
    _, (r0,) = new_task(dev, 1)
    with Proxy(dev.rpc_url, rule) as proxy:
        net = dev.network.with_settings(rpc_url=proxy.url)
        with pytest.raises(NodeUnavailableError) as err:
            ow.is_agent_of(dev.client.address, dev.agent.address, network=net)
        assert err.value.exhausted and len(hits) >= 5
        # pre-flight of a non-client signer: the fault, not "not the client"
        with pytest.raises(NodeUnavailableError):
            ow.preflight(r0, account=dev.agent.private_key, network=net)
        with pytest.raises(NodeUnavailableError):
            ow.authorize_agent(dev.agent.address, account=dev.stranger.private_key, network=net)
        # the client itself reads no Terminal: unaffected
        assert ow.preflight(r0, account=dev.client.private_key, network=net).task


def test_the_keys_stay_secret(devnet):
    dev = devnet
    key = dev.stranger.private_key
    c = dev.contracts
    wrong_chain = custom_network(dev, chain_id=1071, terminal=c["terminal"])
    cases = [
        (dev.agent.address, wrong_chain, WrongChainError),
        (ZERO, dev.network, InvalidAgentError),
        (dev.stranger.address, dev.network, InvalidAgentError),
        (c["vault"], dev.network, InvalidAgentError),
        (dev.agent.address, custom_network(dev), NetworkConfigError),
    ]
    for agent, net, error in cases:
        for call in (ow.authorize_agent, ow.revoke_agent):
            with pytest.raises(error) as err:
                call(agent, account=key, network=net)
            assert_exception_clean(err.value, key)
    change = ow.revoke_agent(dev.agent.address, account=key, network=dev.network)
    for text in (repr(change), str(change)):
        assert key[2:].lower() not in text.lower()


# ---- the table ---------------------------------------------------------------------------------


def test_a_wrong_key_table_says_whose_rows_they_are(fresh_devnet):
    dev = fresh_devnet
    task, responses = new_task(dev, 2)
    t = ResponseTable(tasks=[task], network=dev.network, account=dev.stranger.private_key,
                      live=False, results=False)  # fmt: skip
    try:
        assert t.banner["level"] == "error"
        text = t.banner["message"]
        assert dev.stranger.address in text and dev.client.address in text
        assert "not the client" in text and "authorize_agent(" in text
        assert {row(t, r)["reason"] for r in responses} == {"not the client"}
        assert not any(row(t, r)["can_confirm"] for r in responses)
        with pytest.raises(NotTaskClientError):
            t.confirm(responses[0])
    finally:
        t.close()


def test_an_agent_table_notes_the_relation_and_confirms(fresh_devnet):
    dev = fresh_devnet
    task, responses = new_task(dev, 2)
    ow.authorize_agent(dev.agent.address, account=dev.client.private_key, network=dev.network)
    t = ResponseTable(tasks=[task], network=dev.network, account=dev.agent.private_key,
                      live=False, results=False)  # fmt: skip
    try:
        assert t.banner == {
            "level": "info",
            "message": f"signer {dev.agent.address}, agent of {dev.client.address}",
            "seq": t.banner["seq"],
        }
        assert all(row(t, r)["can_confirm"] and row(t, r)["reason"] == "" for r in responses)
        c = t.confirm(responses[1], wait=True)
        assert c.state == "mined" and c.signer == dev.agent.address
        assert dev.call("Task", task, "getStatus") == 5

        # revoked elsewhere: a refresh reads the relation afresh
        ow.revoke_agent(dev.agent.address, account=dev.client.private_key, network=dev.network)
        t.refresh()
        assert t.banner["level"] == "error" and dev.client.address in t.banner["message"]
        _, more = new_task(dev, 1)
        t2 = ResponseTable(tasks=[dev.tasks[-1]], network=dev.network,
                           account=dev.agent.private_key, live=False, results=False)  # fmt: skip
        try:
            assert t2.banner["level"] == "error" and dev.client.address in t2.banner["message"]
            assert row(t2, more[0])["reason"] == "not the client"
        finally:
            t2.close()
    finally:
        t.close()


def test_the_agent_check_rides_in_the_existing_batch(fresh_devnet):
    """Once the links are known, pre-flight of an agent takes as many HTTP requests as that of
    the client: isAgentOf is one more call inside the same batch."""
    dev = fresh_devnet
    ow.authorize_agent(dev.agent.address, account=dev.client.private_key, network=dev.network)
    _, (r0,) = new_task(dev, 1)
    methods: list[list[str]] = []

    def record(payload, n):
        methods.append([c["method"] for c in calls_of(payload)])

    with Proxy(dev.rpc_url, record) as proxy:
        net = dev.network.with_settings(rpc_url=proxy.url)
        ow.preflight(r0, account=dev.client.private_key, network=net)  # cold: links read
        counts = {}
        for who in (dev.client, dev.agent, dev.client, dev.agent):
            start = len(methods)
            assert ow.preflight(r0, account=who.private_key, network=net).signer == who.address
            counts.setdefault(who.address, set()).add(len(methods) - start)
    assert counts[dev.client.address] == counts[dev.agent.address]


def test_never_twice_while_a_change_is_pending(fresh_devnet):
    """Automining off: a change in flight from this process is joined, its opposite refused;
    a change waiting in the pool from elsewhere is not sent again."""
    from ogpu_widgets.chain.codec import calldata

    dev = fresh_devnet
    net, client, agent = dev.network, dev.client, dev.agent
    key = client.private_key
    dev.set_automine(False)
    try:
        change = ow.authorize_agent(agent.address, account=key, network=net, wait=False)
        assert change.state == "pending" and not change.done
        assert ow.authorize_agent(agent.address, account=key, network=net, wait=False) is change
        with pytest.raises(AgentError, match="still pending") as err:
            ow.revoke_agent(agent.address, account=key, network=net, wait=False)
        assert err.value.tx_hash == change.tx_hash and err.value.agent == agent.address
        assert nonce(dev, client.address) == nonce(dev, client.address, "latest") + 1
        dev.mine()
        assert change.wait(30).state == "mined"

        # another wallet's setAgent waiting in the pool: refused, nothing sent
        other = dev.stranger
        data = calldata("Terminal", "setAgent", agent.address, True)
        dev.rpc("eth_sendTransaction", [{"from": other.address, "to": dev.contracts["terminal"],
                                         "data": data, "gas": hex(200_000)}])  # fmt: skip
        pending = nonce(dev, other.address)
        with pytest.raises(AgentError, match="already waiting in the node's pool"):
            ow.authorize_agent(agent.address, account=other.private_key, network=net)
        assert nonce(dev, other.address) == pending
    finally:
        dev.set_automine(True)
