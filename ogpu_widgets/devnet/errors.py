"""The devnet's errors."""

from __future__ import annotations

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
