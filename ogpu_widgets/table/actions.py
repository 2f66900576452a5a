"""The confirmer of a ``ResponseTable``: reserve the task, confirm on a worker thread of the
table, patch the row at each step, and answer the review panel's fee estimate, through one
strategy: :class:`KeySigning` (a kernel key, or none: read-only) or
:class:`~ogpu_widgets.table.wallet.WalletSigning` (the page's wallet signs)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from ..chain.codec import to_address
from ..confirm import SIGNER_ENV, BrowserWallet, confirm_response, estimate_fee, resolve_signer
from ..errors import (
    ConfirmationError,
    ConfirmationTimeoutError,
    MissingSignerError,
    OgpuWidgetsError,
    ResponseTableError,
    WalletRejectedError,
)
from ..live.state import forward_changes
from ..read import read_responses
from ..records import ConfirmationState
from . import eligibility
from .refusal import predicted_refusal
from .signer import SignerRelations
from .threads import join
from .wallet import REJECTED, WalletSigning

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["Confirmer", "KeySigning", "Strategy", "signer_of"]

#: Seconds between two looks at the table's closing while a confirmation is being mined.
_FOLLOW = 0.5


def signer_of(account: Any) -> tuple[Any, str]:
    """(signer or None, a note for the banner). Never lets the key into an error or a frame
    that raises: ``account`` is deleted before anything propagates."""
    try:
        wallet = BrowserWallet.of(account)
        if wallet is not None:  # no key in the kernel: the page's wallet signs
            return wallet, "signer: browser wallet (not connected)"
        if account is None:
            if SIGNER_ENV not in os.environ:
                return None, ""
            if not os.environ[SIGNER_ENV].strip():
                return None, f"{SIGNER_ENV} is set but empty: the table is read-only"
        return resolve_signer(account), ""
    finally:
        del account


class Strategy(Protocol):
    """How the table signs: the verdicts, the confirmation, the fee estimate."""

    @property
    def signer(self) -> Any: ...
    @property
    def address(self) -> str: ...
    def controls(self, df: pd.DataFrame, pending: set[str]) -> tuple[Any, Any]: ...
    def observe(self, df: pd.DataFrame) -> None: ...
    def confirm(self, address: str, on_update: Callable[[Any], None]) -> Any: ...
    def estimate(self, address: str) -> int: ...
    def on_message(self, content: dict[str, Any]) -> None: ...
    def note(self, conf: Any) -> str: ...


class KeySigning:
    """A kernel key signs (``signer`` None: read-only, every row refused)."""

    def __init__(self, core: TableCore, signer: Any) -> None:
        self.core = core
        self.signer = signer
        self.relations = SignerRelations(core.network, signer.address) if signer else None

    @property
    def address(self) -> str:
        return self.signer.address if self.signer is not None else ""

    def controls(self, df: pd.DataFrame, pending: set[str]) -> tuple[Any, Any]:
        agents = self.relations.agents(df) if self.relations is not None else set()
        return eligibility.verdicts(df, self.address or None, pending, agent_of=agents)

    def observe(self, df: pd.DataFrame) -> None:
        message = self.relations.observe(df) if self.relations is not None else None
        if message is not None:
            self.core.set_banner(*message)

    def confirm(self, address: str, on_update: Callable[[Any], None]) -> Any:
        return confirm_response(
            address, account=self.signer, network=self.core.network, wait=False,
            on_update=on_update,
        )  # fmt: skip

    def estimate(self, address: str) -> int:
        if self.signer is None:
            raise MissingSignerError("read-only: no signer configured")
        return estimate_fee(address, account=self.signer, network=self.core.network)

    def on_message(self, content: dict[str, Any]) -> None:
        log.debug("ignored a wallet message: the table signs with a kernel key")

    def note(self, conf: Any) -> str:
        return ""  # the kernel's key signed it


class _Job:
    """One confirmation started by the table: its worker's results and two events."""

    def __init__(self, address: str, task: str, request_id: str | None) -> None:
        self.address = address
        self.task = task
        self.request_id = request_id  # the front-end's request, when it asked
        self.confirmation: Any = None
        self.error: BaseException | None = None
        self.ready = threading.Event()  # signed (has a hash), or failed
        self.done = threading.Event()  # mined, reverted, or failed


def action_fields(conf: Any) -> dict[str, Any]:
    """A row's confirmation fields for ``conf`` (None: none yet)."""
    if conf is None:
        return {"action": ConfirmationState.NONE, "tx_hash": "", "action_error": ""}
    return {"action": ConfirmationState(conf.state), "tx_hash": conf.tx_hash or "",
            "action_error": conf.error or ""}  # fmt: skip


class Confirmer:
    """The confirmations of one table. Its worker threads (one per confirmation; at most one
    per task, which the reservation holds) belong to the table's :class:`.threads.Threads`."""

    def __init__(self, core: TableCore, signer: Any, timeout: float) -> None:
        self.core = core
        self.timeout = timeout
        self.strategy: Strategy = self.strategy_for(signer)
        self.confirmations: dict[str, Any] = {}  # response → Confirmation (None: reserved)
        self.callbacks: list[Callable[[Any], None]] = []
        self.workers: list[threading.Thread] = []

    def strategy_for(self, signer: Any) -> Strategy:
        if isinstance(signer, BrowserWallet):
            return WalletSigning(self.core, signer)
        return KeySigning(self.core, signer)

    # ---- verdicts ------------------------------------------------------------------------------

    def pending_tasks(self) -> set[str]:
        """Tasks with a confirmation from this table in flight (reserved, signing, pending)."""
        out = set()
        for resp, conf in self.confirmations.items():
            if conf is None:  # reserved; the worker has not signed yet
                out.add(self.core.df.at[resp, "task"])
            elif conf.state in (ConfirmationState.SIGNING, ConfirmationState.PENDING):
                out.add(conf.task)
        return out

    def controls(self, df: pd.DataFrame) -> tuple[Any, Any]:
        return self.strategy.controls(df, self.pending_tasks())

    def observe(self, df: pd.DataFrame) -> None:
        self.strategy.observe(df)

    def progress(self, index: pd.Index) -> dict[str, dict[str, Any]]:
        """The confirmation fields of the rows of ``index`` this table confirmed."""
        out = {a: action_fields(c) for a, c in self.confirmations.items() if a in index}
        for a, fields in out.items():
            if fields["action"] == ConfirmationState.MINED:
                fields["action_error"] = self.strategy.note(self.confirmations[a])
        return out

    # ---- the review panel's estimate -----------------------------------------------------------

    def estimate_reply(self, content: dict[str, Any]) -> dict[str, Any]:
        """The ``{"type": "estimate"}`` answer: ``fee_ogpu``, ``fee_wei`` (decimal string),
        ``error`` and the predicted ``refusal``, whoever signs."""
        rid = content.get("id")
        if not isinstance(rid, str) or not rid:
            return {"type": "estimate", "id": "", "fee_ogpu": None,
                    "error": "an estimate request needs a non-empty string id"}  # fmt: skip
        try:
            address = to_address(content.get("response"), "response address")
            fee = int(self.strategy.estimate(address))
            return {"type": "estimate", "id": rid, "fee_ogpu": fee / 10**18, "error": "",
                    "fee_wei": str(fee), "refusal": None}  # fmt: skip
        except OgpuWidgetsError as exc:
            return {"type": "estimate", "id": rid, "fee_ogpu": None, "error": str(exc),
                    "refusal": predicted_refusal(exc)}  # fmt: skip
        except Exception as exc:
            log.exception("estimating the fee failed unexpectedly")
            return {"type": "estimate", "id": rid, "fee_ogpu": None,
                    "error": f"estimating the fee failed ({type(exc).__name__})"}  # fmt: skip

    # ---- confirmations -------------------------------------------------------------------------

    def start(
        self,
        address: str,
        request_id: str | None = None,
        accepted: Callable[[], None] | None = None,
    ) -> _Job:
        """Reserve the row's task and confirm ``address`` on a worker thread. ``accepted`` runs
        once the reservation holds and before the worker starts, so that the request's "ok"
        is said before anything the worker may answer (a rejection in the wallet)."""
        core = self.core
        with core.lock:
            if address not in core.df.index:
                raise ResponseTableError(
                    f"{address} is not a row of this table; confirm an address from table.df.index"
                )
            can_confirm, reasons = self.controls(core.df.loc[[address]])
            task = core.df.at[address, "task"]
            if not can_confirm[0]:
                raise eligibility.refusal(str(reasons[0]), address, task=task)
            self.confirmations[address] = None  # reserved: the task is now pending
            core.recompute_task(
                task, {address: {"action": ConfirmationState.SIGNING, "action_error": ""}}
            )
        job = _Job(address, task, request_id)
        if accepted is not None:
            accepted()
        thread = core.threads.start("ogpu-confirm", self._run, job)
        if thread is None:
            self.confirmations.pop(address, None)
            raise ResponseTableError("the table is closed: nothing is confirmed any more")
        self.workers = [t for t in self.workers if t.is_alive()] + [thread]
        return job

    def wait_idle(self, timeout: float | None = None) -> bool:
        return join(list(self.workers), timeout)

    def _run(self, job: _Job) -> None:
        address, task, core = job.address, job.task, self.core

        def on_update(conf: Any) -> None:
            with core.lock:
                self.confirmations[address] = conf
                job.confirmation = conf
                if conf.state in (ConfirmationState.SIGNING, ConfirmationState.PENDING):
                    core.patch_rows({address: {"action": ConfirmationState(conf.state),
                                               "tx_hash": conf.tx_hash or ""}})  # fmt: skip
            if conf.tx_hash:
                job.ready.set()

        try:
            conf = self.strategy.confirm(address, on_update)
            with core.lock:
                self.confirmations[address] = conf
                job.confirmation = conf
            job.ready.set()
            while not core.threads.closed.is_set():
                try:
                    conf.wait(min(self.timeout, _FOLLOW))
                    break
                except ConfirmationTimeoutError:
                    continue  # still in flight: the row keeps showing "pending"
            else:
                return  # the table closed: nobody follows the row any more
            self._finish(address, task, conf)
        except WalletRejectedError as exc:  # the user said no: idle again, a retry is possible
            job.error = exc
            self._rejected(address, task, job.request_id)
        except ConfirmationError as exc:
            job.error = exc
            self._refused(address, task, str(exc))
        except OgpuWidgetsError as exc:  # the node is down and the like: row and banner say so
            log.warning("confirmation of %s failed: %s", address, type(exc).__name__)
            job.error = exc
            self._refused(address, task, str(exc))
            core.set_banner(f"Confirming {address} failed: {exc}")
        except Exception as exc:  # a bug: still typed for the caller, never a silent row
            log.exception("confirmation of %s failed unexpectedly", address)
            job.error = ResponseTableError(
                f"confirming {address} failed unexpectedly ({type(exc).__name__}); see the log"
            )
            self._refused(address, task, str(job.error))
            core.set_banner(str(job.error))
        finally:
            job.ready.set()
            job.done.set()

    def _release(self, address: str) -> None:
        conf = self.confirmations.get(address)
        # never sent, or released (a wallet's hash the node never knew): the task is free again
        if conf is None or conf.tx_hash is None or conf.failed:
            self.confirmations.pop(address, None)

    def _refused(self, address: str, task: str, reason: str) -> None:
        with self.core.lock:
            self._release(address)
            self.core.recompute_task(
                task, {address: {"action": ConfirmationState.REFUSED, "action_error": reason}}
            )
        self._reread_task(task)

    def _rejected(self, address: str, task: str, request_id: str | None) -> None:
        """The user said no in the wallet: the row is idle again (and confirmable); the
        front-end's request, if it asked, is answered as rejected."""
        if request_id:
            self.core.view._reply = {"id": request_id, "ok": False, "error": REJECTED}
        with self.core.lock:
            self._release(address)
            self.core.recompute_task(
                task,
                {
                    address: {
                        "action": ConfirmationState.NONE,
                        "tx_hash": "",
                        "action_error": REJECTED,
                    }
                },
            )
        self.core.set_banner(f"The confirmation of {address} was {REJECTED}: nothing was sent",
                             "info")  # fmt: skip

    def _finish(self, address: str, task: str, conf: Any) -> None:
        core = self.core
        if conf.state == ConfirmationState.MINED:
            finalized = {"task_status": "finalized"}
            extra = {a: dict(finalized) for a in core.rows_of_task(task)}
            extra[address] = {**finalized, "status": "confirmed", "confirmed": True,
                              "action": ConfirmationState.MINED, "tx_hash": conf.tx_hash or "",
                              "action_error": self.strategy.note(conf)}  # fmt: skip
            core.recompute_task(task, extra)
            for cb in list(self.callbacks):
                try:
                    cb(conf)
                except Exception:  # a user's callback must not break the table
                    log.exception("on_confirmed callback failed")
        else:
            core.recompute_task(task, {address: {
                "action": ConfirmationState.REVERTED, "tx_hash": conf.tx_hash or "",
                "action_error": conf.error or "reverted"}})  # fmt: skip
        self._reread_task(task)

    def _reread_task(self, task: str) -> None:
        """The chain has the last word: re-read the rows of ``task`` and patch what changed."""
        core = self.core
        addresses = core.rows_of_task(task)
        try:
            fresh = read_responses(addresses, network=core.network)
        except OgpuWidgetsError as exc:
            log.debug("re-reading task %s failed: %s", task, type(exc).__name__)
            return
        cols = ["status", "confirmed", "task_status"]
        with core.lock:
            # states only move forward: a lagging replica never moves a row back
            changes = {
                a: forward_changes(
                    {c: core.df.at[a, c] for c in cols}, {c: fresh.at[a, c] for c in cols}
                )
                for a in fresh.index
                if a in core.df.index
            }
            changes = {a: f for a, f in changes.items() if f}
            if changes:
                core.recompute_task(task, changes)
