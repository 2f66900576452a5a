"""Networks: the protocol's constants, devnet and custom networks, and the verified connection."""

from __future__ import annotations

import json
import socket

import pytest

from ogpu_widgets.chain import network as network_module
from ogpu_widgets.chain.network import (
    MAINNET,
    NETWORK_ENV,
    TESTNET,
    Network,
    get_default_network,
    resolve_network,
    set_default_network,
)
from ogpu_widgets.errors import (
    ConnectionError_,
    NetworkConfigError,
    WrongChainError,
)

NEXUS = "0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


@pytest.fixture
def restore_default():
    saved = network_module._default
    yield
    network_module._default = saved


def test_with_settings_gets_its_own_connection(devnet):
    net = devnet.network
    net.verify()
    net.verify()  # verified once, then remembered
    other = net.with_settings(call_gas_cap=1_000_000)
    assert other.call_gas_cap == 1_000_000 and net.call_gas_cap == 50_000_000
    assert other._verified is not net._verified and other._lock is not net._lock
    moved = net.with_settings(rpc_url=closed_port_url())
    with pytest.raises(ConnectionError_):
        moved.verify()  # a copy pointing elsewhere must not reuse the old verification


def test_from_devnet_forms(devnet, tmp_path):
    net = Network.from_devnet(devnet)
    assert (net.name, net.chain_id, net.rpc_url) == ("devnet", 31337, devnet.rpc_url)
    assert net.nexus == devnet.contracts["nexus"]
    path = devnet.write_state(tmp_path / "state.json")
    assert Network.from_devnet(path) == net
    assert Network.from_devnet(str(path)) == net
    assert Network.from_devnet(devnet.state()) == net
    assert resolve_network(devnet) == net
    assert resolve_network(str(path)) == net
    assert resolve_network(path) == net


def test_default_network(devnet, tmp_path, monkeypatch, restore_default):
    path = devnet.write_state(tmp_path / "state.json")
    monkeypatch.setattr(network_module, "_default", None)
    monkeypatch.setenv(NETWORK_ENV, str(path))
    assert get_default_network() == Network.from_devnet(devnet)
    assert resolve_network(None) == Network.from_devnet(devnet)
    set_default_network("testnet")
    assert get_default_network() is TESTNET
    set_default_network(None)  # back to the environment's
    monkeypatch.delenv(NETWORK_ENV)
    assert get_default_network() is MAINNET


def test_connection_verifies_the_chain(devnet):
    net = Network.from_devnet(devnet)
    net.verify()
    assert int(net.client().call("eth_chainId"), 16) == 31337
    wrong = net.with_settings(chain_id=1071, name="mainnet")
    with pytest.raises(WrongChainError, match=r"chain 31337.*'mainnet' is chain 1071") as info:
        wrong.verify()
    assert (info.value.chain_id, info.value.expected_chain_id) == (31337, 1071)


def test_custom_network_asks_the_chain_id(devnet):
    net = Network.custom(
        devnet.rpc_url,
        nexus=devnet.contracts["nexus"],
        controller=devnet.contracts["controller"],
        vault=devnet.contracts["vault"],
        call_gas_cap=10_000_000,
    )
    assert (net.name, net.chain_id, net.call_gas_cap) == ("custom", 31337, 10_000_000)
    with pytest.raises(ConnectionError_, match="cannot reach"):
        Network.custom(closed_port_url(), nexus=NEXUS, controller=NEXUS, vault=NEXUS)


def test_an_unreachable_node(devnet):
    net = Network.from_devnet(devnet).with_settings(rpc_url=closed_port_url())
    with pytest.raises(ConnectionError_, match="cannot reach the devnet RPC node"):
        net.verify()


# ---- bad configuration gets typed errors that never reprint secrets ------------------------------


def test_a_state_file_with_a_bad_chain_id(tmp_path, devnet):
    state = devnet.state()
    state["chain_id"] = "abc"
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    with pytest.raises(NetworkConfigError, match="chain_id 'abc' is not a chain id"):
        Network.from_devnet(path)
    with pytest.raises(NetworkConfigError, match="chain_id"):
        resolve_network(str(path))


def test_network_accepts_a_state_dict_and_never_reprints_it(devnet):
    state = devnet.state()
    assert resolve_network(state) == Network.from_devnet(devnet)
    secret = "ab" * 32
    broken = {**state, "client_key": "0x" + secret, "contracts": {"nexus": "0xnope"}}
    for call in (lambda: resolve_network(broken), lambda: Network.from_devnet(broken)):
        with pytest.raises(NetworkConfigError) as info:
            call()
        assert secret not in str(info.value) and "0xnope" not in str(info.value)
    with pytest.raises(NetworkConfigError) as info:
        resolve_network(object())
    assert "object" in str(info.value)
