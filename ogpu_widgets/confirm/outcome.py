"""What became of a :class:`~.confirmation.Confirmation`'s transaction: a receipt's numbers,
whether a wallet's hash is the transaction the kernel checked, why a mined transaction
reverted, and the copy of a failure each waiter gets."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from ..chain.revert import revert_reason
from ..errors import ConfirmationError, OgpuWidgetsError, ReadError, RpcError

if TYPE_CHECKING:
    from .confirmation import Confirmation

__all__ = ["copy_error", "is_ours", "numbers", "replay_reason"]

logger = logging.getLogger("ogpu_widgets.confirm")


def numbers(receipt: Any, tx_hash: str | None) -> tuple[int, int, int, int]:
    """(status, block number, gas used, fee paid in wei) of ``receipt``; a typed error when it
    is malformed."""
    try:
        status = int(receipt.get("status") or "0x0", 16)
        block = int(receipt["blockNumber"], 16)
        gas_used = int(receipt.get("gasUsed") or "0x0", 16)
        return (
            status,
            block,
            gas_used,
            gas_used * int(receipt.get("effectiveGasPrice") or "0x0", 16),
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ReadError(
            f"the node returned a malformed receipt for {tx_hash}; try .refresh() again"
        ) from None


def is_ours(c: Confirmation, receipt: Any, status: int) -> bool:
    """Whether a receipt is ``c``'s: from its signer to the contract it calls and, when it
    succeeded, with a log naming the response (its ``ResponseStatusChanged``)."""
    sender, to = str(receipt.get("from") or "").lower(), str(receipt.get("to") or "").lower()
    if sender != c.signer.lower() or to != c.call.to.lower():
        return False
    if status != 1:
        return True
    word = c.response[2:].lower().rjust(64, "0")
    logs = receipt.get("logs") or []
    return any(word in str(log.get("data", "")).lower() for log in logs if isinstance(log, dict))


def replay_reason(c: Confirmation, block: int, gas_used: int, gas_limit: int | None) -> str:
    """Why ``c``'s transaction, mined in ``block``, reverted: replay it before and at it."""
    tx = {"from": c.signer, "to": c.call.to, "data": c.call.data,
          "gas": hex(gas_limit or gas_used)}  # fmt: skip
    for at in (hex(max(block - 1, 0)), hex(block)):
        try:
            c.engine.rpc.call("eth_call", [tx, at])
        except RpcError as err:
            reason = revert_reason(err)
            if reason:
                return reason
        except Exception:
            logger.debug("replaying %s at block %s failed", c.tx_hash, at, exc_info=True)
    if gas_limit and gas_used >= gas_limit:
        return f"out of gas (used all {gas_used})"
    return "reverted without a reason the node could reproduce"


def copy_error(exc: BaseException) -> BaseException:
    """A fresh copy of ``exc`` with its data (re-raised to each waiter); anything that is not
    an :class:`OgpuWidgetsError` becomes a :class:`ConfirmationError` saying what it was."""
    if isinstance(exc, OgpuWidgetsError):
        try:
            return copy.copy(exc)
        except Exception:  # a subclass that cannot be rebuilt: keep its class's message
            pass
    return ConfirmationError(f"the confirmation failed: {type(exc).__name__}: {exc}")
