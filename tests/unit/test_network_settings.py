"""Networks without a node: the protocol's constants, addresses, settings and their typed
errors."""

from __future__ import annotations

import json

import pytest

from ogpu_widgets.chain.codec import to_address
from ogpu_widgets.chain.network import MAINNET, TESTNET, Network, resolve_network
from ogpu_widgets.errors import InvalidAddressError, NetworkConfigError

NEXUS = "0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1"


def test_to_address():
    assert to_address(NEXUS.lower()) == NEXUS
    assert to_address(bytes.fromhex(NEXUS[2:])) == NEXUS
    for bad in ("0x123", NEXUS[:-1], "2b0cC6058313801D5feb184a539e3a0C5A87a6a1x", None, 42):
        with pytest.raises(InvalidAddressError, match="not a valid address"):
            to_address(bad)
    wrong_checksum = NEXUS[:3] + NEXUS[3].swapcase() + NEXUS[4:]
    with pytest.raises(InvalidAddressError, match=wrong_checksum):
        to_address(wrong_checksum, "nexus")


def test_mainnet_and_testnet_match_the_protocol():
    assert (MAINNET.chain_id, MAINNET.rpc_url) == (1071, "https://mainnet-rpc.ogpuscan.io")
    assert MAINNET.nexus == NEXUS
    assert MAINNET.controller == "0x8661F4B9c30e07A04d795A192478dfD905625a1D"
    assert MAINNET.terminal == "0xaEBC7b712D38Fc4d841f0732c21B8774339869D3"
    assert MAINNET.vault == "0xa5c582254AA313528898311362bc698b041580cC"
    assert (TESTNET.chain_id, TESTNET.rpc_url) == (200820172034, "https://testnetrpc.ogpuscan.io")
    assert TESTNET.nexus == "0xF87bb2f3edB991a998992f14d35fE142e6Bb50b1"
    assert TESTNET.controller == "0x9fb6022074Fd7Bdb429de0776eb693cA0CB55E09"
    assert TESTNET.terminal == "0x1ea332Fc14a5AFD3AF3852B45C263Ab5b1Dd6f52"
    assert TESTNET.vault == "0x15905a2FbD3EF5d3532b931b5656BB9EB493Bb15"
    assert MAINNET.call_gas_cap == 50_000_000
    assert MAINNET.explorer_link("tx", "0xabc") == "https://ogpuscan.io/tx/0xabc"


def test_network_validation():
    with pytest.raises(NetworkConfigError, match="ftp://x"):
        MAINNET.with_settings(rpc_url="ftp://x")
    with pytest.raises(InvalidAddressError, match="nexus address '0xnope'"):
        MAINNET.with_settings(nexus="0xnope")
    lower = Network("x", 1, "http://h", nexus=NEXUS.lower(), controller=NEXUS, vault=NEXUS)
    assert lower.nexus == NEXUS


def test_from_devnet_errors(tmp_path):
    with pytest.raises(NetworkConfigError, match="does not exist"):
        Network.from_devnet(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(NetworkConfigError, match="not readable JSON"):
        Network.from_devnet(bad)
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"rpc_url": "http://x", "chain_id": 1}))
    with pytest.raises(NetworkConfigError, match="contracts"):
        Network.from_devnet(incomplete)


def test_resolve_network():
    assert resolve_network(MAINNET) is MAINNET
    assert resolve_network("mainnet") is MAINNET
    assert resolve_network("Testnet") is TESTNET
    for bad in ("devnet", "state.txt", 42):
        with pytest.raises(NetworkConfigError, match="unknown network"):
            resolve_network(bad)


@pytest.mark.parametrize("bad", ["abc", "", None, 1.5, -3, 0, True, [1]])
def test_a_bad_chain_id_is_a_config_error(bad):
    with pytest.raises(NetworkConfigError, match="chain id"):
        Network.custom("http://127.0.0.1:1", nexus=NEXUS, controller=NEXUS, vault=NEXUS,
                       chain_id=bad) if bad is not None else Network(
            "x", bad, "http://h", nexus=NEXUS, controller=NEXUS, vault=NEXUS
        )  # fmt: skip


def test_chain_id_strings_are_read():
    net = Network.custom("http://h", nexus=NEXUS, controller=NEXUS, vault=NEXUS, chain_id="1071")
    assert net.chain_id == 1071
    assert Network.custom("http://h", nexus=NEXUS, controller=NEXUS, vault=NEXUS,
                          chain_id="0x42F").chain_id == 1071  # fmt: skip


def test_unknown_settings_name_the_closest_valid_one():
    with pytest.raises(TypeError, match="did you mean 'call_gas_cap'"):
        Network.custom("http://h", nexus=NEXUS, controller=NEXUS, vault=NEXUS, chain_id=1,
                       call_gas_kap=1)  # fmt: skip
    with pytest.raises(TypeError, match="did you mean 'rpc_url'"):
        MAINNET.with_settings(rpc_ur="http://x")


def test_bad_settings_values():
    for kw in ({"log_window": "wide"}, {"call_gas_cap": -1}, {"request_timeout": 0}):
        with pytest.raises(NetworkConfigError):
            MAINNET.with_settings(**kw)
