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


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), -1, 0, True, "5", None, 1e400])
def test_wallet_time_outs_are_finite_positive_seconds(bad):
    for name in ("timeout", "unseen_timeout"):
        with pytest.raises(InvalidArgumentError, match=name) as info:
            ow.BrowserWallet(**{name: bad})
        assert info.value.argument == name
    w = ow.BrowserWallet(unseen_timeout=2)
    assert w.unseen_timeout == 2.0 and ow.BrowserWallet().unseen_timeout == cw.UNSEEN_TIMEOUT


def test_only_the_nexus_event_of_that_response_counts_as_confirming_it():
    """A wallet's receipt confirms the response only with the Nexus's
    ResponseStatusChanged(response, CONFIRMED): the same words in another contract's log, under
    another event, or with another status do not count."""
    from types import SimpleNamespace

    from ogpu_widgets.confirm.outcome import _STATUS_CHANGED, _confirms

    nexus, response = "0x" + "aa" * 20, "0x" + "bb" * 20
    c = SimpleNamespace(engine=SimpleNamespace(network=SimpleNamespace(nexus=nexus)),
                        response=response)  # fmt: skip
    word = "0" * 24 + "bb" * 20

    def log(address=nexus, topic=_STATUS_CHANGED, status=1, data=None):
        return {"address": address, "topics": [topic],
                "data": data if data is not None else "0x" + word + f"{status:064x}"}  # fmt: skip

    assert _confirms(c, {"logs": [log()]})
    assert _confirms(c, {"logs": [log(address=nexus.upper().replace("0X", "0x"))]})
    for bad in (
        log(address="0x" + "cc" * 20),  # another contract says so
        log(topic="0x" + "11" * 32),  # another event
        log(status=0),  # submitted, not confirmed
        log(data="0x" + word + "0" * 63 + "1" + "00"),  # trailing bytes
        log(data="0x" + "0" * 24 + "dd" * 20 + "0" * 63 + "1"),  # another response
        {"address": nexus},
        "not a log",
    ):
        assert not _confirms(c, {"logs": [bad]}), bad
    assert not _confirms(c, {"logs": None}) and not _confirms(c, {})
