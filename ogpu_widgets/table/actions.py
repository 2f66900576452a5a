"""What a ``ResponseTable`` does when a row is confirmed: reserve the task, run
``confirm_response`` (or, when the page's wallet signs, :mod:`.wallet`'s steps) on a worker
thread, and patch the row at each step (mixed into the widget; it uses the widget's lock, rows
and patches)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..confirm import BrowserWallet, confirm_response
from ..errors import (
    ConfirmationError,
    ConfirmationTimeoutError,
    OgpuWidgetsError,
    ResponseTableError,
    WalletRejectedError,
)
from ..read import read_responses
from ..records import ConfirmationState
from . import eligibility
from .live import forward_changes
from .wallet import WalletActions

log = logging.getLogger("ogpu_widgets.table")


class _Job:
    """One confirmation started by the table: its worker's results and two events."""

    def __init__(self, address: str, task: str) -> None:
        self.address = address
        self.task = task
        self.request_id: str | None = None  # the front-end's request, when it asked
        self.confirmation: Any = None
        self.error: BaseException | None = None
        self.ready = threading.Event()  # signed (has a hash), or failed
        self.done = threading.Event()  # mined, reverted, or failed


class ConfirmActions(WalletActions):
    """The confirmation side of :class:`~ogpu_widgets.table.ResponseTable`."""

    _lock: Any
    _df: Any
    _confirmations: dict[str, Any]
    _callbacks: list
    _threads: list
    _signer: Any
    _network: Any
    _confirm_timeout: float

    def _pending_tasks(self) -> set[str]:
        """Tasks with a confirmation from this table in flight (reserved, signing, pending)."""
        out = set()
        for resp, conf in self._confirmations.items():
            if conf is None:  # reserved; the worker has not signed yet
                out.add(self._df.at[resp, "task"])
            elif conf.state in (ConfirmationState.SIGNING, ConfirmationState.PENDING):
                out.add(conf.task)
        return out

    # ---- confirmations -----------------------------------------------------------------------

    def _start_confirmation(self, address: str) -> _Job:
        with self._lock:
            if address not in self._df.index:
                raise ResponseTableError(
                    f"{address} is not a row of this table; confirm an address from table.df.index"
                )
            can_confirm, reasons = self._controls(self._df.loc[[address]])
            task = self._df.at[address, "task"]
            if not can_confirm[0]:
                raise eligibility.refusal(str(reasons[0]), address, task=task)
            self._confirmations[address] = None  # reserved: the task is now pending
            self._recompute_task(
                task, {address: {"action": ConfirmationState.SIGNING, "action_error": ""}}
            )
        job = _Job(address, task)
        asked = getattr(self, "_confirm_request", None)  # set while its request is handled
        if isinstance(asked, dict) and isinstance(asked.get("id"), str):
            job.request_id = asked["id"]
        thread = threading.Thread(
            target=self._run_confirmation, args=(job,), name="ogpu-confirm", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def _run_confirmation(self, job: _Job) -> None:
        address, task = job.address, job.task

        def on_update(conf: Any) -> None:
            with self._lock:
                self._confirmations[address] = conf
                job.confirmation = conf
                if conf.state in (ConfirmationState.SIGNING, ConfirmationState.PENDING):
                    self._patch_rows(
                        {address: {"action": ConfirmationState(conf.state),
                                   "tx_hash": conf.tx_hash or ""}}
                    )  # fmt: skip
            if conf.tx_hash:
                job.ready.set()

        try:
            if isinstance(self._signer, BrowserWallet):
                conf = self._wallet_confirm(address, on_update)
            else:
                conf = confirm_response(
                    address,
                    account=self._signer,
                    network=self._network,
                    wait=False,
                    on_update=on_update,
                )
            with self._lock:
                self._confirmations[address] = conf
                job.confirmation = conf
            job.ready.set()
            while True:
                try:
                    conf.wait(self._confirm_timeout)
                    break
                except ConfirmationTimeoutError:
                    continue  # still in flight: the row keeps showing "pending"
            self._finish(address, task, conf)
        except WalletRejectedError as exc:  # the user said no: idle again, a retry is possible
            job.error = exc
            self._wallet_rejected(address, task, job.request_id)
        except ConfirmationError as exc:
            job.error = exc
            self._refused(address, task, str(exc))
        except OgpuWidgetsError as exc:  # the node is down and the like: row and banner say so
            log.warning("confirmation of %s failed: %s", address, type(exc).__name__)
            job.error = exc
            self._refused(address, task, str(exc))
            self._set_banner(f"Confirming {address} failed: {exc}")
        except Exception as exc:  # a bug: still typed for the caller, never a silent row
            log.exception("confirmation of %s failed unexpectedly", address)
            job.error = ResponseTableError(
                f"confirming {address} failed unexpectedly ({type(exc).__name__}); see the log"
            )
            self._refused(address, task, str(job.error))
            self._set_banner(str(job.error))
        finally:
            job.ready.set()
            job.done.set()

    def _refused(self, address: str, task: str, reason: str) -> None:
        with self._lock:
            conf = self._confirmations.get(address)
            if conf is None or conf.tx_hash is None:  # never sent: the task is free again
                self._confirmations.pop(address, None)
            self._recompute_task(
                task, {address: {"action": ConfirmationState.REFUSED, "action_error": reason}}
            )
        self._reread_task(task)

    def _finish(self, address: str, task: str, conf: Any) -> None:
        if conf.state == ConfirmationState.MINED:
            finalized = {"task_status": "finalized"}
            extra = {a: dict(finalized) for a in self._df.index[self._df["task"] == task]}
            extra[address] = {
                **finalized,
                "status": "confirmed",
                "confirmed": True,
                "action": ConfirmationState.MINED,
                "tx_hash": conf.tx_hash or "",
                "action_error": "",
            }
            self._recompute_task(task, extra)
            for cb in list(self._callbacks):
                try:
                    cb(conf)
                except Exception:  # a user's callback must not break the table
                    log.exception("on_confirmed callback failed")
        else:
            self._recompute_task(
                task,
                {
                    address: {
                        "action": ConfirmationState.REVERTED,
                        "tx_hash": conf.tx_hash or "",
                        "action_error": conf.error or "reverted",
                    }
                },
            )
        self._reread_task(task)

    def _reread_task(self, task: str) -> None:
        """The chain has the last word: re-read the rows of ``task`` and patch what changed."""
        with self._lock:
            addresses = list(self._df.index[self._df["task"] == task])
        try:
            fresh = read_responses(addresses, network=self._network)
        except OgpuWidgetsError as exc:
            log.debug("re-reading task %s failed: %s", task, type(exc).__name__)
            return
        cols = ["status", "confirmed", "task_status"]
        with self._lock:
            # states only move forward: a lagging replica never moves a row back
            changes = {
                a: forward_changes(
                    {c: self._df.at[a, c] for c in cols}, {c: fresh.at[a, c] for c in cols}
                )
                for a in fresh.index
                if a in self._df.index
            }
            changes = {a: f for a, f in changes.items() if f}
            if changes:
                self._recompute_task(task, changes)
