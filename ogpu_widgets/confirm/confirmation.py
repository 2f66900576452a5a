"""The :class:`Confirmation` object: one ``Controller.confirmResponse`` transaction and what
became of it, and how a receipt is applied to it."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..chain.codec import calldata
from ..chain.network import Network
from ..chain.revert import revert_reason
from ..chain.rpc import RpcError
from ..errors import (
    ConfirmationError,
    ConfirmationTimeoutError,
    OgpuWidgetsError,
    ReadError,
    TransactionRevertedError,
)
from ..records import ConfirmationState
from .process import PROCESS

if TYPE_CHECKING:
    from .engine import Engine, Identity
    from .preflight import State

__all__ = ["Confirmation", "copy_error"]

logger = logging.getLogger("ogpu_widgets.confirm")
_DONE = (ConfirmationState.MINED, ConfirmationState.REVERTED)


def copy_error(exc: BaseException) -> BaseException:
    """A fresh copy of ``exc`` with its data (re-raised to each waiter); anything that is not
    an :class:`OgpuWidgetsError` becomes a :class:`ConfirmationError` saying what it was."""
    if isinstance(exc, OgpuWidgetsError):
        try:
            return copy.copy(exc)
        except Exception:  # a subclass that cannot be rebuilt: keep its class's message
            pass
    return ConfirmationError(f"the confirmation failed: {type(exc).__name__}: {exc}")


class Confirmation:
    """One ``Controller.confirmResponse`` transaction and what became of it. Thread-safe.

    ``state`` (a :class:`~ogpu_widgets.records.ConfirmationState`) is ``"signing"`` (before
    the transaction hash exists), ``"pending"`` (sent, not mined), ``"mined"`` or
    ``"reverted"`` (``error`` holds the contract's reason). ``str()`` of it is the transaction
    hash, as the SDK's ``confirm_response`` returns.
    """

    def __init__(self, engine: Engine, identity: Identity, s: State, signer: str) -> None:
        self._engine = engine
        self._identity = identity
        self.response: str = s.response
        self.task: str = s.task
        self.provider: str = s.provider
        self.payment: int = s.payment
        self.signer: str = signer
        self._cond = threading.Condition(threading.RLock())
        self._notify_lock = threading.Lock()
        self._callbacks: list[Callable[[Confirmation], Any]] = []
        self._state = ConfirmationState.SIGNING
        self._announced = ConfirmationState.SIGNING  # the last state every callback was given
        self._notifying: int | None = None  # the thread running on_update callbacks
        self._tx_hash: str | None = None
        self._block_number: int | None = None
        self._gas_used: int | None = None
        self._fee_paid: int | None = None
        self._error: str | None = None
        self._failure: BaseException | None = None
        # recorded before broadcast; public (a signed transaction reveals no key)
        self._raw: str | None = None
        self._signed_hash: str | None = None
        self._nonce: int | None = None
        self._gas_limit: int | None = None
        self._broadcast_at = 0.0
        self._broadcasts = 0
        self._nonce_refusals = 0

    # ---- public view -------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return self._engine.network

    @property
    def state(self) -> ConfirmationState:
        with self._cond:
            return self._state

    @property
    def tx_hash(self) -> str | None:
        with self._cond:
            return self._tx_hash

    @property
    def block_number(self) -> int | None:
        with self._cond:
            return self._block_number

    @property
    def gas_used(self) -> int | None:
        with self._cond:
            return self._gas_used

    @property
    def fee_paid(self) -> int | None:
        """Wei paid for gas, once mined or reverted."""
        with self._cond:
            return self._fee_paid

    @property
    def error(self) -> str | None:
        """The revert reason (or why the transaction was dropped); ``None`` otherwise."""
        with self._cond:
            return self._error

    @property
    def nonce(self) -> int | None:
        with self._cond:
            return self._nonce if self._tx_hash else None

    @property
    def raw_transaction(self) -> str | None:
        """The signed transaction (hex), for rebroadcasting by hand; it reveals no key."""
        with self._cond:
            return self._raw if self._tx_hash else None

    @property
    def done(self) -> bool:
        with self._cond:
            return self._state.done

    @property
    def explorer_url(self) -> str:
        h = self.tx_hash
        return self.network.explorer_link("tx", h) if h else ""

    def to_dict(self) -> dict[str, Any]:
        """A consistent snapshot of the public fields."""
        with self._cond:
            return {
                "response": self.response,
                "task": self.task,
                "provider": self.provider,
                "payment": self.payment,
                "signer": self.signer,
                "state": self._state,
                "tx_hash": self._tx_hash,
                "nonce": self._nonce if self._tx_hash else None,
                "block_number": self._block_number,
                "gas_used": self._gas_used,
                "fee_paid": self._fee_paid,
                "error": self._error,
            }

    def __str__(self) -> str:
        return getattr(self, "_tx_hash", None) or ""

    def __repr__(self) -> str:  # never raises, even on a half-built object
        get = self.__dict__.get
        parts = [str(get("_state", "?")), f"response={get('response', '?')}",
                 f"task={get('task', '?')}"]  # fmt: skip
        if get("_tx_hash"):
            parts.append(f"tx={get('_tx_hash')}")
        if get("_block_number") is not None:
            parts.append(f"block={get('_block_number')}")
        if get("_error"):
            parts.append(f"error={get('_error')!r}")
        return f"<Confirmation {' '.join(parts)}>"

    def _data(self) -> dict[str, Any]:
        return {"response": self.response, "task": self.task, "signer": self.signer,
                "tx_hash": self.tx_hash, "confirmation": self}  # fmt: skip

    # ---- waiting and refreshing --------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Confirmation:
        """Block until mined or reverted (``timeout`` seconds at most, ``None``: no limit);
        returns ``self``. Raises :class:`ConfirmationTimeoutError` (with ``.confirmation``) if
        the transaction is still in flight: pending, not failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.state == ConfirmationState.PENDING:
            PROCESS.tracker.add(self)
        PROCESS.tracker.poke()
        with self._cond:
            # inside a callback the announcement is what is being made: wait on the state itself
            field = "_state" if self._notifying == threading.get_ident() else "_announced"
            while getattr(self, field) not in _DONE:
                if self._failure is not None:
                    raise copy_error(self._failure)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            state, tx_hash, nonce = getattr(self, field), self._tx_hash, self._nonce
        if state in _DONE:
            return self
        raise ConfirmationTimeoutError(
            f"the confirmation of {self.response} is still {state} after {timeout} s: "
            + (
                f"transaction {tx_hash} (nonce {nonce}) is in flight, not failed; call "
                ".wait() again later or .refresh()"
                if tx_hash
                else "it has not been sent yet"
            ),
            **self._data(),
        )

    def refresh(self) -> Confirmation:
        """Re-read the receipt from chain now (and put a pending transaction back under
        watch); returns ``self``. A failed read raises a typed error (the node's error reply,
        or :class:`~ogpu_widgets.errors.NodeUnavailableError`)."""
        tx_hash = self.tx_hash
        if tx_hash is None:
            return self
        receipt = self._engine.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt:
            self._apply_receipt(receipt)
        else:
            with self._cond:
                changed = self._state.done and self._error is None
                if changed:  # the block was reorganized away: in flight again
                    self._state, self._block_number, self._gas_used = (
                        ConfirmationState.PENDING, None, None)  # fmt: skip
                    self._fee_paid = None
            if changed:
                logger.info("confirmation %s lost its receipt (reorg); watching again", tx_hash)
                self._notify()
            if self.state == ConfirmationState.PENDING:
                PROCESS.tracker.add(self)
        return self

    def raise_for_state(self) -> Confirmation:
        """Raise unless mined: :class:`TransactionRevertedError` when reverted,
        :class:`ConfirmationTimeoutError` while in flight. Returns ``self``."""
        state = self.state
        if state == ConfirmationState.MINED:
            return self
        if state == ConfirmationState.REVERTED:
            raise TransactionRevertedError(
                f"the confirmation of {self.response} (tx {self.tx_hash}) reverted: {self.error}",
                reason=self.error,
                **self._data(),
            )
        raise ConfirmationTimeoutError(
            f"the confirmation of {self.response} is still {state} (tx {self.tx_hash})",
            **self._data(),
        )

    # ---- internal ----------------------------------------------------------------------------

    def _add_callback(self, callback: Callable[[Confirmation], Any] | None, now: bool) -> None:
        if callback is None:
            return
        with self._cond:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        if now:
            self._notify(only=callback)

    def _notify(self, only: Callable[[Confirmation], Any] | None = None) -> None:
        with self._notify_lock:  # one delivery at a time, in order of state changes
            with self._cond:
                callbacks = [only] if only else list(self._callbacks)
                state = self._state
                self._notifying = threading.get_ident()
            try:
                for cb in callbacks:
                    try:
                        cb(self)
                    except Exception:
                        logger.warning("an on_update callback raised; ignored", exc_info=True)
            finally:
                with self._cond:
                    self._notifying = None
                    if only is None:  # wait() returns once the final state is announced
                        self._announced = state
                    self._cond.notify_all()

    def _record(self, raw: str, tx_hash: str, nonce: int, gas_limit: int) -> None:
        with self._cond:
            self._raw, self._signed_hash, self._nonce = raw, tx_hash, nonce
            self._gas_limit = gas_limit

    def _set_pending(self) -> None:
        with self._cond:
            self._tx_hash = self._signed_hash
            self._state = ConfirmationState.PENDING
            self._broadcast_at = time.monotonic()
            self._broadcasts += 1
            self._cond.notify_all()

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            self._failure = exc
            self._cond.notify_all()

    def _wait_sent(self, timeout: float) -> None:
        """Wait until the owner has sent (or given up); re-raise its error if it gave up."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._state == ConfirmationState.SIGNING and self._failure is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConfirmationTimeoutError(
                        f"another thread is still preparing the confirmation of {self.response}",
                        **self._data(),
                    )
                self._cond.wait(remaining)
            if self._state == ConfirmationState.SIGNING:
                raise copy_error(self._failure)  # type: ignore[arg-type]

    def _finish(self, state: ConfirmationState, block: int | None, gas_used: int, fee: int,
                error: str | None) -> bool:  # fmt: skip
        with self._cond:
            same = (self._state, self._block_number, self._error) == (state, block, error)
            self._state, self._block_number, self._gas_used = state, block, gas_used
            self._fee_paid, self._error = fee, error
            self._cond.notify_all()
        if not same:
            PROCESS.tracker.discard(self)
            if state == ConfirmationState.MINED:
                logger.info("confirmation of %s mined in block %d (tx %s)", self.response, block,
                            self.tx_hash)  # fmt: skip
            else:
                logger.warning("confirmation of %s %s (tx %s): %s", self.response, state,
                               self.tx_hash, error)  # fmt: skip
            self._notify()
        return not same

    def _drop(self, why: str) -> None:
        """The transaction can never be mined: reverted without a block, nothing paid."""
        self._finish(ConfirmationState.REVERTED, None, 0, 0, why)

    def _apply_receipt(self, receipt: Any) -> None:
        try:
            status = int(receipt.get("status") or "0x0", 16)
            block = int(receipt["blockNumber"], 16)
            gas_used = int(receipt.get("gasUsed") or "0x0", 16)
            fee = gas_used * int(receipt.get("effectiveGasPrice") or "0x0", 16)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ReadError(
                f"the node returned a malformed receipt for {self.tx_hash}; try .refresh() again"
            ) from None
        if self._raw is None and not self._is_ours(receipt, status):
            self._drop(  # a wallet's hash: the kernel did not sign it, so it checks what it is
                f"the wallet reported transaction {self.tx_hash}, which is not this "
                f"confirmation (not confirmResponse({self.response}) from {self.signer} to "
                "the Controller); nothing was paid for this response by it"
            )
            return
        if status == 1:
            self._finish(ConfirmationState.MINED, block, gas_used, fee, None)
            return
        with self._cond:
            known = self._state == ConfirmationState.REVERTED and self._block_number == block
            reason = self._error if known and self._error else None
        if reason is None:
            reason = self._mined_revert_reason(block, gas_used)
        self._finish(ConfirmationState.REVERTED, block, gas_used, fee, reason)

    def _is_ours(self, receipt: Any, status: int) -> bool:
        """Whether a receipt is this confirmation's: from the signer to the Controller and,
        when it succeeded, with a log naming the response (its ``ResponseStatusChanged``)."""
        sender, to = str(receipt.get("from") or "").lower(), str(receipt.get("to") or "").lower()
        if sender != self.signer.lower() or to != self._engine.controller.lower():
            return False
        if status != 1:
            return True
        word = self.response[2:].lower().rjust(64, "0")
        logs = receipt.get("logs") or []
        return any(
            word in str(log.get("data", "")).lower() for log in logs if isinstance(log, dict)
        )

    def _mined_revert_reason(self, block: int, gas_used: int) -> str:
        """Why a mined transaction reverted: replay it before and at its block."""
        tx = {
            "from": self.signer,
            "to": self._engine.controller,
            "data": calldata("Controller", "confirmResponse", self.response),
            "gas": hex(self._gas_limit or gas_used),
        }
        for at in (hex(max(block - 1, 0)), hex(block)):
            try:
                self._engine.rpc.call("eth_call", [tx, at])
            except RpcError as err:
                reason = revert_reason(err)
                if reason:
                    return reason
            except Exception:
                logger.debug("replaying %s at block %s failed", self.tx_hash, at, exc_info=True)
        if self._gas_limit and gas_used >= self._gas_limit:
            return f"out of gas (used all {gas_used})"
        return "reverted without a reason the node could reproduce"
