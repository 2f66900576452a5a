"""The devnet's errors."""

from __future__ import annotations

from ..chain.revert import revert_reason
from ..chain.rpc import RpcError, Unreachable
from ..errors import OgpuWidgetsError

__all__ = ["AnvilNotFoundError", "DevnetError"]


class DevnetError(OgpuWidgetsError):
    """The devnet could not start, deploy or seed, or one of its transactions or calls failed.

    ``method`` is the JSON-RPC method whose error reply this is (if any) and ``reason`` the
    contract's revert reason (``"NotOwner"``, ``"Panic(0x32)"``, ...) when it reverted."""

    method: str | None
    reason: str | None


class AnvilNotFoundError(DevnetError, FileNotFoundError):
    """No anvil binary was found."""


def failure(method: str, err: RpcError) -> DevnetError:
    """The devnet's error for an error reply to ``method`` (with the revert reason, if any)."""
    text = err.message
    if isinstance(err.data, str) and err.data:
        text = f"{text} {err.data}"
    return DevnetError(f"{method} failed: {text}", method=method, reason=revert_reason(err))


def raise_if_answered(exc: Unreachable, method: str) -> None:
    """An error reply that the retry policy took for "try again later" until it ran out is
    still the node's answer: say so, not "unreachable"."""
    detail = exc.detail or ""
    if detail.startswith("error reply: "):
        raise DevnetError(
            f"{method} failed: {detail.removeprefix('error reply: ')}", method=method
        ) from exc
