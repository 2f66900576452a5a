"""What became of a :class:`~.confirmation.Confirmation`'s transaction: a receipt's numbers,
what a wallet's hash is on chain (:func:`wallet_verdict`), why a mined transaction
reverted, and the copy of a failure each waiter gets."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..chain.codec import calldata, decode_output, keccak, to_address
from ..chain.revert import revert_reason
from ..errors import ConfirmationError, OgpuWidgetsError, ReadError, RpcError

if TYPE_CHECKING:
    from .confirmation import Confirmation

__all__ = ["WalletVerdict", "copy_error", "numbers", "replay_reason", "wallet_verdict"]

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


@dataclass(frozen=True)
class WalletVerdict:
    """What a wallet's mined transaction is, read from the chain (never from the page):
    ``ok`` when it is ``confirmResponse`` of the confirmation's response sent to the Controller
    by the wallet's checked account, the task's client or an agent of it (and, when it
    succeeded, with the Nexus's ``ResponseStatusChanged(response, CONFIRMED)`` in its logs);
    ``sender`` is who signed it; ``why`` says what it is when not ``ok``."""

    ok: bool
    sender: str
    why: str = ""


_STATUS_CHANGED = "0x" + keccak(b"ResponseStatusChanged(address,uint8)").hex()


def _confirms(c: Confirmation, receipt: Any) -> bool:
    """Whether ``receipt`` holds the Nexus's ``ResponseStatusChanged(c.response, CONFIRMED)``."""
    nexus = c.engine.network.nexus.lower()
    want = c.response[2:].lower().rjust(64, "0") + "1".rjust(64, "0")
    for log in receipt.get("logs") or []:
        if not isinstance(log, dict) or str(log.get("address") or "").lower() != nexus:
            continue
        topics = log.get("topics") or []
        if (
            topics
            and str(topics[0]).lower() == _STATUS_CHANGED
            and (str(log.get("data") or "").lower().removeprefix("0x") == want)
        ):
            return True
    return False


def _authorized(c: Confirmation, sender: str, block: int) -> str | None:
    """Why ``sender`` may confirm ``c``'s task at ``block`` ("the task's client", "an agent of
    the task's client ..."), or ``None``; read at that block."""
    rpc, tag = c.engine.rpc, hex(block)

    def view(to: str, contract: str, fn: str, *args: Any) -> Any:
        reply = rpc.call("eth_call", [{"to": to, "data": calldata(contract, fn, *args)}, tag])
        return decode_output(contract, fn, reply)[0]

    source = to_address(view(c.task, "Task", "getSource"))
    client = to_address(view(source, "Source", "getClient"))
    if sender == client:
        return f"the task's client {client}"
    terminal = c.engine.network.terminal
    if terminal and view(terminal, "Terminal", "isAgentOf", client, sender):
        return f"an agent of the task's client {client}"
    return None


def wallet_verdict(c: Confirmation, receipt: Any, status: int, block: int) -> WalletVerdict:
    """What the wallet's transaction of ``c`` (its receipt, ``status`` and ``block``) is: read
    the transaction itself (its call) and, for a sender other than the checked account,
    whether it may confirm the task. A failed read raises a typed error (asked again later)."""
    sender = str(receipt.get("from") or "")
    try:
        sender = to_address(sender)
    except OgpuWidgetsError:
        return WalletVerdict(False, "", f"transaction {c.tx_hash} has no sender the node can show")
    tx = c.engine.rpc.call("eth_getTransactionByHash", [c.tx_hash])
    if not isinstance(tx, dict):
        raise ReadError(f"the node has a receipt but no transaction for {c.tx_hash}; retrying")
    to = str(tx.get("to") or receipt.get("to") or "").lower()
    data = str(tx.get("input") or tx.get("data") or "").lower()
    if to != c.call.to.lower() or data != c.call.data.lower():
        return WalletVerdict(False, sender, (
            f"the wallet reported transaction {c.tx_hash}, which is not this confirmation (not "
            f"confirmResponse({c.response}) sent to the Controller; it was sent by {sender}); "
            "nothing was paid for this response by it"))  # fmt: skip
    if status == 1 and not _confirms(c, receipt):
        return WalletVerdict(False, sender, (
            f"the wallet reported transaction {c.tx_hash}, which is not this confirmation: it "
            f"was mined without confirming {c.response} (no ResponseStatusChanged of it); "
            "nothing was paid for this response by it"))  # fmt: skip
    if sender == to_address(c.signer):
        return WalletVerdict(True, sender)
    who = _authorized(c, sender, block)
    if who is not None:
        return WalletVerdict(True, sender, who)
    return WalletVerdict(False, sender, (
        f"the wallet reported transaction {c.tx_hash}, sent by {sender}, which is neither the "
        f"wallet account {c.signer} the kernel checked nor the task's client or an agent of "
        "it" + (", so the Controller refused it" if status != 1 else "")
        + "; nothing was paid for this response by it"))  # fmt: skip


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
