"""The devnet's view of its contracts, without web3: call data comes from the library's one
builder (:func:`ogpu_widgets.chain.codec.calldata`), return data is decoded with ``eth_abi``
(:func:`~ogpu_widgets.chain.codec.decode_output`) and shaped as web3 shapes it (checksummed
addresses, lists for arrays, tuples for structs), creation code gets its constructor arguments,
and events are decoded from logs by their ABI (topic 0 is the signature's hash; the protocol's
events index nothing, so their arguments are the data words)."""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from ..chain.abi import abi, bytecode
from ..chain.codec import checksum, decode_output, function

__all__ = ["creation_data", "decode_logs", "decode_result", "event_topic", "normalize"]


def abi_type(item: dict[str, Any]) -> str:
    """The canonical type of an ABI input or output (tuples spelled out)."""
    t = item["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in item["components"]) + ")" + t[5:]
    return t


def _split_tuple(t: str) -> list[str]:
    """The component types of ``(a,b,(c,d)[])``."""
    parts, depth, start = [], 0, 1
    for i, ch in enumerate(t[1:-1], 1):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(t[start:i])
            start = i + 1
    if len(t) > 2:
        parts.append(t[start:-1])
    return parts


def normalize(t: str, value: Any) -> Any:
    """``value`` decoded by eth_abi as type ``t``, shaped like web3's results: checksummed
    addresses, lists for arrays, tuples for structs."""
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        return [normalize(inner, v) for v in value]
    if t.startswith("("):
        return tuple(normalize(c, v) for c, v in zip(_split_tuple(t), value, strict=True))
    if t == "address":
        return checksum(bytes.fromhex(value[2:]))
    return value


def decode_result(contract: str, fn: str, raw: str | bytes) -> Any:
    """The return value of ``contract.fn``: the single output itself, several as a tuple."""
    outputs = function(contract, fn)[2]
    values = tuple(
        normalize(t, v) for t, v in zip(outputs, decode_output(contract, fn, raw), strict=True)
    )
    return values[0] if len(values) == 1 else values


def creation_data(contract: str, *args: Any) -> str:
    """0x creation code of ``contract`` with its constructor's arguments appended."""
    inputs = next((i["inputs"] for i in abi(contract) if i.get("type") == "constructor"), [])
    types = [abi_type(i) for i in inputs]
    if len(types) != len(args):
        raise TypeError(f"{contract}'s constructor takes {len(types)} arguments, not {len(args)}")
    return bytecode(contract) + (abi_encode(types, args).hex() if types else "")


@cache
def _event(contract: str, name: str) -> tuple[str, tuple[dict[str, Any], ...]]:
    for item in abi(contract):
        if item.get("type") == "event" and item.get("name") == name:
            inputs = tuple(item.get("inputs", []))
            signature = f"{name}({','.join(abi_type(i) for i in inputs)})"
            return "0x" + keccak(signature.encode()).hex(), inputs
    raise KeyError(f"{contract} has no event {name} in the bundled ABI")


def event_topic(contract: str, name: str) -> str:
    """Topic 0 of event ``contract.name``: the keccak hash of its signature, 0x hex."""
    return _event(contract, name)[0]


def decode_logs(
    logs: list[dict[str, Any]], contract: str, name: str, address: str | None = None
) -> list[dict[str, Any]]:
    """The ``name`` events among JSON-RPC ``logs`` (of ``address`` only, if given), each as its
    arguments by name plus ``blockNumber``, ``transactionHash`` and ``logIndex``."""
    topic, inputs = _event(contract, name)
    indexed = [i for i in inputs if i.get("indexed")]
    plain = [i for i in inputs if not i.get("indexed")]
    out = []
    for log in logs:
        topics = [t.lower() for t in log.get("topics", [])]
        if not topics or topics[0] != topic or len(topics) != 1 + len(indexed):
            continue
        if address is not None and log["address"].lower() != address.lower():
            continue
        args: dict[str, Any] = {}
        for item, word in zip(indexed, topics[1:], strict=True):  # static types only here
            (value,) = abi_decode([abi_type(item)], bytes.fromhex(word[2:]))
            args[item["name"]] = normalize(abi_type(item), value)
        values = abi_decode([abi_type(i) for i in plain], bytes.fromhex(log["data"][2:]))
        for item, value in zip(plain, values, strict=True):
            args[item["name"]] = normalize(abi_type(item), value)
        out.append(
            {
                "event": name,
                "args": args,
                "address": checksum(bytes.fromhex(log["address"][2:])),
                "blockNumber": int(log["blockNumber"], 16),
                "transactionHash": log["transactionHash"],
                "logIndex": int(log["logIndex"], 16),
            }
        )
    return out
