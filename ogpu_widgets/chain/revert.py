"""The one decoder of revert reasons: ``Error(string)``, ``Panic(uint256)``, the custom errors
of the bundled ABIs by selector, and the message shapes of anvil, geth and hardhat."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode

from .abi import abi
from .codec import selector
from .rpc import RpcError

__all__ = ["custom_errors", "is_revert", "revert_reason"]

_ERROR_STRING = "0x08c379a0"  # Error(string)
_PANIC = "0x4e487b71"  # Panic(uint256)
_REVERT_TEXT = re.compile(r"revert|invalid opcode|panic|bad instruction|invalid jump", re.I)
_REASON_TEXT = (
    re.compile(r"reason string '([^']*)'", re.I),  # hardhat
    re.compile(r"execution reverted:\s*(.+)", re.I),  # geth, anvil
    re.compile(r"\brevert(?:ed)?\s+(\w+)", re.I),
)
_CONTRACTS = ("Controller", "Nexus", "Task", "Response", "Vault", "Source")


@cache
def custom_errors() -> dict[str, str]:
    """0x 4-byte selector -> name of every custom error in the bundled ABIs."""
    out = {}
    for contract in _CONTRACTS:
        for item in abi(contract):
            if item.get("type") == "error":
                sig = f"{item['name']}({','.join(i['type'] for i in item.get('inputs', []))})"
                out["0x" + selector(sig)] = item["name"]
    return out


def _hex_data(data: Any) -> str | None:
    """The revert data of an error's ``data``: a hex string, or one nested the ways nodes nest
    it (``{"data": ...}``, ``{"originalError": ...}``, ``{"result": ...}``)."""
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if isinstance(data, dict):
        for key in ("data", "originalError", "result"):
            found = _hex_data(data.get(key))
            if found:
                return found
    return None


def revert_reason(err: RpcError, extra_errors: Mapping[str, str] | None = None) -> str | None:
    """The revert reason in a JSON-RPC error, from its data (``Error(string)``, ``Panic``, a
    custom error of the bundled ABIs or of ``extra_errors``) or, failing that, its message;
    ``""`` for a revert without a known reason, ``None`` if the error is not a revert."""
    data = _hex_data(err.data)
    if data and len(data) >= 10:
        sel = data[:10].lower()
        if sel == _ERROR_STRING:
            with contextlib.suppress(Exception):
                return abi_decode(["string"], bytes.fromhex(data[10:]))[0]
        elif sel == _PANIC:
            with contextlib.suppress(Exception):
                return f"Panic(0x{abi_decode(['uint256'], bytes.fromhex(data[10:]))[0]:02x})"
        elif extra_errors and sel in extra_errors:
            return extra_errors[sel]
        elif sel in custom_errors():
            return custom_errors()[sel]
    for pattern in _REASON_TEXT:
        m = pattern.search(err.message)
        if m:
            return m.group(1).strip()
    if err.code == 3 or _REVERT_TEXT.search(err.message):
        return ""
    return None


def is_revert(err: RpcError) -> bool:
    """Whether a JSON-RPC error reply is a revert (a definitive answer about the call)."""
    return revert_reason(err) is not None
