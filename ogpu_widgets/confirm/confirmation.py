"""The :class:`Confirmation` object: one transaction of the confirm path and what became of it
(a ``Controller.confirmResponse``; an agent change's ``Terminal.setAgent``, as its ``call`` says).
It owns its transitions, as methods; nothing else writes its fields: ``signed`` -> ``sent``
(pending) -> ``apply_receipt`` (mined or reverted), ``rebroadcast`` (nonce refusals: ``drop``),
``unmined`` (a reorg took its block back) and ``abandon`` (never sent)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..chain.codec import calldata
from ..chain.network import Network
from ..errors import (
    ConfirmationError,
    ConfirmationTimeoutError,
    ConnectionError_,
    OgpuWidgetsError,
    TransactionRevertedError,
)
from ..records import ConfirmationState
from . import outcome, tracker
from .broadcast import Call, broadcast
from .outcome import copy_error
from .process import PROCESS

if TYPE_CHECKING:
    from .engine import Engine, Identity
    from .preflight import State

__all__ = ["Confirmation"]

logger = logging.getLogger("ogpu_widgets.confirm")
_DONE = (ConfirmationState.MINED, ConfirmationState.REVERTED)
T = TypeVar("T")
_PUBLIC = ("response", "task", "provider", "payment", "signer", "state", "tx_hash", "nonce",
           "block_number", "gas_used", "fee_paid", "error")  # fmt: skip


class _Locked(Generic[T]):
    """A read-only attribute of a :class:`Confirmation`, read under its lock from ``_<name>``."""

    def __init__(self, doc: str = "") -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]  # the class attribute: the descriptor
        with obj._cond:
            return getattr(obj, self.field)


class Confirmation:
    """One ``Controller.confirmResponse`` transaction and what became of it. Thread-safe.

    ``state`` (a :class:`~ogpu_widgets.records.ConfirmationState`) is ``"signing"`` (before
    the transaction hash exists), ``"pending"`` (sent, not mined), ``"mined"`` or
    ``"reverted"`` (``error`` holds the contract's reason). ``str()`` of it is the transaction
    hash, as the SDK's ``confirm_response`` returns.
    """

    def __init__(self, engine: Engine, identity: Identity, s: State | None, signer: str, *,
                 call: Call | None = None) -> None:  # fmt: skip
        self.engine = engine
        self.identity = identity
        self.response: str = s.response if s else ""
        self.task: str = s.task if s else ""
        self.provider: str = s.provider if s else ""
        self.payment: int = s.payment if s else 0
        self.signer: str = signer
        #: The public record a caller built on this transaction (an agent change's
        #: :class:`~.agents.AgentChange`), handed to whoever joins it.
        self.view: Any = None
        self.call = call or Call(
            engine.controller, calldata("Controller", "confirmResponse", self.response),
            self.task, f"the confirmation of {self.response}",
        )  # fmt: skip
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
        self._error: str | None = None  # the revert reason
        self._reorged = False
        self._failure: BaseException | None = None
        # recorded before broadcast; public (a signed transaction reveals no key)
        self._raw: str | None = None
        self._signed_hash: str | None = None
        self._nonce: int | None = None
        self._gas_limit: int | None = None
        self._broadcast_at, self._broadcasts, self._nonce_refusals = 0.0, 0, 0
        self.unseen_clock: Any = None  # a wallet's hash: its .wallet.Unseen (set before sent)

    # ---- public view -------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return self.engine.network

    state = _Locked[ConfirmationState]()
    tx_hash = _Locked[str | None]()
    block_number = _Locked[int | None]()
    gas_used = _Locked[int | None]()
    fee_paid = _Locked[int | None]("Wei paid for gas, once mined or reverted.")
    error = _Locked[str | None]("The revert reason (or why it was dropped); else ``None``.")
    reorged = _Locked[bool]("Whether a reorg undid it once (mined, then the block replaced).")

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
        with self._cond:  # re-entrant: the properties take it again
            return {k: getattr(self, k) for k in _PUBLIC}

    def __str__(self) -> str:
        return getattr(self, "_tx_hash", None) or ""

    def __repr__(self) -> str:  # never raises, even on a half-built object
        get = self.__dict__.get
        parts = [str(get("_state", "?")), f"response={get('response', '?')}",
                 f"task={get('task', '?')}"]  # fmt: skip
        kv = (("tx", get("_tx_hash")), ("block", get("_block_number")), ("error", get("_error")))
        parts += [f"{k}={v!r}" if k == "error" else f"{k}={v}" for k, v in kv if v or v == 0]
        return f"<Confirmation {' '.join(parts)}>"

    def error_data(self) -> dict[str, Any]:
        """What the typed errors about this transaction carry."""
        return {"response": self.response or None, "task": self.task or None,
                "signer": self.signer, "tx_hash": self.tx_hash, "confirmation": self}  # fmt: skip

    # ---- waiting and refreshing --------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Confirmation:
        """Block until mined or reverted (``timeout`` seconds at most, ``None``: no limit);
        returns ``self``. Raises :class:`ConfirmationTimeoutError` (with ``.confirmation``) if
        the transaction is still in flight: pending, not failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.state == ConfirmationState.PENDING and not self.failed:  # released: not watched
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
            f"{self.call.what} is still {state} after {timeout} s: "
            + (
                f"transaction {tx_hash} (nonce {nonce}) is in flight, not failed; call "
                ".wait() again later or .refresh()"
                if tx_hash
                else "it has not been sent yet"
            ),
            **self.error_data(),
        )

    def refresh(self) -> Confirmation:
        """Re-read the receipt now (:func:`.tracker.recheck`: one a reorg took back puts it in
        flight again, or drops it), a pending one watched again (a released one only while the
        node knows its transaction); returns ``self``. A failed read raises a typed error (the
        node's reply, or :class:`~ogpu_widgets.errors.NodeUnavailableError`)."""
        known = tracker.recheck(self)
        if self.state == ConfirmationState.PENDING and (known or not self.failed):
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
                f"{self.call.what} (tx {self.tx_hash}) reverted: {self.error}",
                reason=self.error,
                **self.error_data(),
            )
        raise ConfirmationTimeoutError(
            f"{self.call.what} is still {state} (tx {self.tx_hash})",
            **self.error_data(),
        )

    # ---- transitions (the confirm path calls these; nothing else writes the fields) -------------

    def add_callback(self, callback: Callable[[Confirmation], Any] | None, now: bool) -> None:
        """Call ``callback(self)`` at each state change (and at once when ``now``)."""
        if callback is None:
            return
        with self._cond:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        if now:
            self.announce(only=callback)

    def announce(self, only: Callable[[Confirmation], Any] | None = None) -> None:
        """Give the callbacks (or ``only``) the current state, one delivery at a time."""
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

    @property
    def failed(self) -> bool:
        """Abandoned before it was sent (:meth:`abandon`)."""
        with self._cond:
            return self._failure is not None

    signed_hash = _Locked[str | None]("The signed transaction's hash, known before broadcast.")

    def signed(self, raw: str | None, tx_hash: str, nonce: int | None, gas_limit: int) -> None:
        """Signing: the raw transaction (``None``: only a wallet holds it) and its hash are
        recorded before the broadcast."""
        with self._cond:
            self._raw, self._signed_hash, self._nonce = raw, tx_hash, nonce
            self._gas_limit = gas_limit

    def sent(self) -> None:
        """Signing -> pending: the transaction may have reached the node."""
        with self._cond:
            self._tx_hash = self._signed_hash
            self._state = ConfirmationState.PENDING
            self._broadcast_at = time.monotonic()
            self._broadcasts += 1
            self._cond.notify_all()

    broadcasts = _Locked[int]("How many times the transaction was broadcast.")

    def abandon(self, exc: BaseException) -> None:
        """Never sent: its waiters get a copy of ``exc``."""
        with self._cond:
            self._failure = exc
            self._cond.notify_all()

    def wait_sent(self, timeout: float) -> None:
        """Wait until the owner has sent (or given up); re-raise its error if it gave up."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._state == ConfirmationState.SIGNING and self._failure is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConfirmationTimeoutError(
                        f"another thread is still preparing {self.call.what}",
                        **self.error_data(),
                    )
                self._cond.wait(remaining)
            failure = self._failure
        if failure is not None and self.state == ConfirmationState.SIGNING:
            raise copy_error(failure)

    def unseen(self, now: float, interval: float) -> bool:
        """Whether the node has not shown (or been sent) the transaction for ``interval`` s;
        if so, the clock restarts as the node is asked about it."""
        with self._cond:
            due = now - self._broadcast_at >= interval
            if due:
                self._broadcast_at = now
            return due

    def rebroadcast(self) -> None:
        """The node forgot the transaction: send the same raw transaction again. Refused for
        its nonce :data:`~.tracker.DROPPED_AFTER` times in a row with no receipt, it was
        replaced by another transaction of that nonce: dropped."""
        with self._cond:
            raw, tx_hash = self._raw, self._tx_hash
        if raw is None or tx_hash is None:  # sent by a wallet: only the wallet holds it
            return
        try:
            result = broadcast(self.engine, self, raw, tx_hash)
        except ConfirmationError as err:
            logger.warning("rebroadcasting %s was refused: %s", tx_hash, err)
            return
        except ConnectionError_:
            logger.debug("rebroadcasting %s: node unreachable; will retry", tx_hash)
            return
        with self._cond:
            self._broadcasts += 1
            self._nonce_refusals = self._nonce_refusals + 1 if result == "nonce" else 0
            replaced = self._nonce_refusals >= tracker.DROPPED_AFTER
        logger.info("rebroadcast %s (tx %s): %s", self.call.what, tx_hash, result)
        if not replaced:
            return
        try:
            receipt = self.engine.rpc.call("eth_getTransactionReceipt", [tx_hash])
        except OgpuWidgetsError:
            return
        if receipt:
            self.apply_receipt(receipt)
            return
        self.drop(
            f"dropped: nonce {self._nonce} of {self.signer} was used by another transaction, so "
            "this transaction can never be mined (nothing was paid)"
        )

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
                logger.info("%s mined in block %d (tx %s)", self.call.what, block, self.tx_hash)
            else:
                logger.warning("%s %s (tx %s): %s", self.call.what, state, self.tx_hash, error)
            self.announce()
        return not same

    def unmined(self, known: bool) -> None:
        """A reorg took back the block that held it (``reorged``): in flight again when the node
        still has it (``known``), else dropped (on no chain now: nothing was paid)."""
        with self._cond:
            if not (self._state.done and self._block_number is not None):
                return
            self._reorged = True
            if known:  # in flight again
                self._state, self._block_number = ConfirmationState.PENDING, None
                self._gas_used = self._fee_paid = self._error = None
        if known:
            return self.announce()
        PROCESS.nonces.resync((self.identity, self.signer))  # its nonce is free again
        self.drop("undone by a reorg: the block that mined it was replaced and the node no "
                  "longer has the transaction, so nothing was paid; confirm again if wanted")  # fmt: skip

    def drop(self, why: str) -> None:
        """The transaction can never be mined: reverted without a block, nothing paid."""
        self._finish(ConfirmationState.REVERTED, None, 0, 0, why)

    def apply_receipt(self, receipt: Any) -> None:
        """Pending -> mined or reverted (with the reason replayed from the chain)."""
        status, block, gas_used, fee = outcome.numbers(receipt, self.tx_hash)
        if self._raw is None:  # a wallet's hash: the kernel did not sign it, so it checks it
            verdict = outcome.wallet_verdict(self, receipt, status, block)
            if not verdict.ok:
                self.drop(verdict.why)
                return
            with self._cond:  # who really signed it (an agent of the client, say)
                self.signer = verdict.sender
        if status == 1:
            self._finish(ConfirmationState.MINED, block, gas_used, fee, None)
            return
        with self._cond:
            known = self._state == ConfirmationState.REVERTED and self._block_number == block
            reason = self._error if known and self._error else None
        if reason is None:
            reason = outcome.replay_reason(self, block, gas_used, self._gas_limit)
        self._finish(ConfirmationState.REVERTED, block, gas_used, fee, reason)
