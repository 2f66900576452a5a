"""The devnet's ABI helpers without a chain: values normalized as web3 gives them, creation
data and calldata."""

from __future__ import annotations

import pytest

from ogpu_widgets.chain.codec import calldata, checksum
from ogpu_widgets.devnet.contracts import creation_data, normalize

ZERO = "0x" + "00" * 20


def test_normalize_and_creation_data():
    assert normalize("address[]", ("0x" + "ab" * 20,)) == [checksum(bytes.fromhex("ab" * 20))]
    addr = normalize("address", "0x52908400098527886e0f7030069857d2e4169ee7")
    assert addr == "0x52908400098527886E0F7030069857D2E4169EE7"
    nested = normalize("(address,uint256[])[]", [("0x" + "00" * 20, (1, 2))])
    assert nested == [(ZERO, [1, 2])]
    assert creation_data("Vault", ZERO, ZERO, ZERO).endswith("00" * 96)
    with pytest.raises(TypeError, match="3 arguments"):
        creation_data("Vault", ZERO)
    assert calldata("Task", "getStatus").startswith("0x")
