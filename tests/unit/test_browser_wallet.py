"""The browser wallet's arguments and the chain parameters it asks the wallet to add (no
chain, no page)."""

from __future__ import annotations

import pytest

import ogpu_widgets as ow
from ogpu_widgets.confirm import wallet as cw
from ogpu_widgets.errors import InvalidArgumentError, InvalidSignerError


def test_chain_parameters_are_explicit():
    assert cw.chain_parameters(ow.MAINNET) == {
        "chainId": "0x42f",
        "chainName": "OpenGPU",
        "nativeCurrency": {"name": "OGPU", "symbol": "OGPU", "decimals": 18},
        "rpcUrls": ["https://mainnet-rpc.ogpuscan.io"],
        "blockExplorerUrls": ["https://ogpuscan.io"],
    }
    testnet = cw.chain_parameters(ow.TESTNET)
    assert testnet["chainId"] == hex(ow.TESTNET.chain_id) and "blockExplorerUrls" not in testnet
    assert testnet["rpcUrls"] == [ow.TESTNET.rpc_url]


def test_browser_wallet_arguments():
    with pytest.raises(InvalidArgumentError, match="timeout"):
        ow.BrowserWallet(timeout=0)
    with pytest.raises(InvalidArgumentError, match="timeout"):
        ow.BrowserWallet(timeout=True)
    assert ow.BrowserWallet.of(" Browser ") is not None
    assert ow.BrowserWallet.of("0x" + "11" * 32) is None
    # refused before any node is asked: a browser wallet signs only inside a displayed table
    with pytest.raises(InvalidSignerError, match="ResponseTable"):
        ow.confirm_response("0x" + "12" * 20, account="browser")
    with pytest.raises(InvalidSignerError, match="ResponseTable"):
        ow.confirm_response("0x" + "12" * 20, account=ow.BrowserWallet())
