"""Revert reasons read from the error replies of the node shapes seen in the wild (no node)."""

from __future__ import annotations

from eth_abi import encode as abi_encode

from ogpu_widgets.chain.revert import revert_reason
from ogpu_widgets.chain.rpc import RpcError


def test_revert_reason_shapes():
    def reason(error, custom=None):
        return revert_reason(RpcError("eth_call", error), custom)

    assert reason({"message": "execution reverted: Expired"}) == "Expired"
    hardhat = "VM Exception while processing transaction: reverted with reason string 'NotOwner'"
    assert reason({"message": hardhat}) == "NotOwner"
    data = "0x08c379a0" + abi_encode(["string"], ["boom"]).hex()
    assert reason({"code": 3, "message": "execution reverted", "data": data}) == "boom"
    assert reason({"code": -32000, "message": "err", "data": {"originalError": data}}) == "boom"
    panic = {"code": 3, "message": "x", "data": "0x4e487b71" + f"{0x11:064x}"}
    assert reason(panic) == "Panic(0x11)"
    custom = {"code": 3, "message": "execution reverted", "data": "0x118cdaa7" + "00" * 32}
    assert reason(custom) == "OwnableUnauthorizedAccount"  # named from the bundled ABIs
    unknown = {"code": 3, "message": "execution reverted", "data": "0xdeadbeef" + "00" * 32}
    assert reason(unknown) == ""  # a revert, reason unknown
    assert reason(unknown, {"0xdeadbeef": "OwnableUnauthorizedAccount"}) == (
        "OwnableUnauthorizedAccount"
    )
    assert reason({"code": 3, "message": "execution reverted"}) == ""
    assert reason({"code": -32000, "message": "invalid opcode: INVALID"}) == ""
    assert reason({"message": "header not found"}) is None
    assert reason({"code": -32603, "message": "EVM error OutOfGas"}) is None
