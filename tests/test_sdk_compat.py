"""The official `ogpu` SDK, pointed at the devnet, reads and confirms as it does on mainnet."""

from __future__ import annotations

import pytest

from ogpu_widgets.devnet import Devnet

ogpu = pytest.importorskip("ogpu")


@pytest.fixture
def sdk_on_devnet(monkeypatch):
    from ogpu.chain import config as chain_config
    from ogpu.chain.config import ChainConfig, ChainId
    from ogpu.chain.web3 import Web3Manager

    # the devnet wears mainnet's chain id, so the SDK signs exactly as it would on mainnet
    with Devnet(chain_id=ChainId.OGPU_MAINNET.value) as dev:
        contracts = {
            "NEXUS": dev.contracts["nexus"],
            "CONTROLLER": dev.contracts["controller"],
            "VAULT": dev.contracts["vault"],
            "TERMINAL": "0x" + "00" * 20,
        }
        monkeypatch.setitem(ChainConfig.CHAIN_CONTRACTS, ChainId.OGPU_MAINNET, contracts)
        monkeypatch.setitem(chain_config.CHAIN_RPC_URLS, ChainId.OGPU_MAINNET, dev.rpc_url)
        monkeypatch.setattr(Web3Manager, "_web3_instances", {})
        ChainConfig.set_chain(ChainId.OGPU_MAINNET)
        yield dev
        Web3Manager._web3_instances.clear()


def test_sdk_reads_and_confirms_on_the_devnet(sdk_on_devnet, monkeypatch):
    import ogpu.client

    dev = sdk_on_devnet
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
