"""``ResponseTable``: the interactive table of responses whose Confirm buttons send the transaction.

The front-end (``js/``) only renders and asks; this class decides and signs. The protocol between
the two is described in ``docs/widget-protocol.md``. The signing key never enters a trait, the
widget state or the saved notebook: only the signer's address does.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import pyarrow as pa
import traitlets
from eth_hash.auto import keccak

from . import confirm as _confirm
from . import reader as _reader
from .chain.codec import to_address
from .chain.network import Network, resolve_network
from .errors import ConfirmationError, ConfirmationTimeoutError, OgpuWidgetsError

log = logging.getLogger("ogpu_widgets.table")

_STATIC = Path(__file__).parent / "static"

#: The data columns shown, in order: (name, label, kind). ``kind`` tells the front-end how to
#: format a value (see docs/widget-protocol.md).
COLUMNS: list[tuple[str, str, str]] = [
    ("address", "Response", "address"),
    ("task", "Task", "address"),
    ("provider", "Provider", "address"),
    ("data", "Data", "text"),
    ("payment_ogpu", "Payment", "ogpu"),
    ("status", "Status", "category"),
    ("task_status", "Task status", "category"),
    ("delivery_method", "Delivery", "category"),
    ("timestamp", "Submitted", "datetime"),
    ("task_expiry", "Expires", "datetime"),
    ("source", "Source", "address"),
]

#: The columns shown unless ``columns=`` says otherwise (``task_expiry`` and ``source`` are
#: available too).
DEFAULT_COLUMNS = [
    "address", "task", "provider", "data", "payment_ogpu", "status", "task_status",
    "delivery_method", "timestamp",
]  # fmt: skip

#: Columns of the front-end's row store that only Python sets.
CONTROL_COLUMNS = ("can_confirm", "reason", "action", "tx_hash", "action_error")

#: Front-end progress of a confirmation, from the :class:`Confirmation` states.
_ACTION_OF_STATE = {
    "signing": "signing",
    "pending": "pending",
    "mined": "confirmed",
    "reverted": "reverted",
}


class ResponseTableError(OgpuWidgetsError, ValueError):
    """A ``ResponseTable`` was asked for something it cannot do (unknown row, bad data)."""


class _Job:
    """One confirmation started by the table: its worker's results and two events."""

    def __init__(self, address: str, task: str) -> None:
        self.address = address
        self.task = task
        self.confirmation: Any = None
        self.error: BaseException | None = None
        self.ready = threading.Event()  # signed (has a hash), or failed
        self.done = threading.Event()  # mined, reverted, or failed


def _esm() -> str | Path:
    path = _STATIC / "widget.js"
    if path.exists():
        return path
    return (
        "export default { render({ el }) { el.textContent = 'ogpu-widgets: the front-end "
        "bundle is missing; run `make install` (or `cd js && npm ci && npm run build`).'; } };"
    )


def _css() -> str | Path:
    path = _STATIC / "widget.css"
    return path if path.exists() else ""


class ResponseTable(anywidget.AnyWidget):
    """An interactive table of OpenGPU responses with Confirm buttons.

    Build it from the same selectors as :func:`~ogpu_widgets.load_responses` (``tasks=``,
    ``source=``, ``client=``) or from a DataFrame that ``load_responses`` returned. ``account``
    is a private key, an ``eth_account`` account, or ``None`` for ``$CLIENT_PRIVATE_KEY``;
    without any, the table is read-only. ``columns`` names the columns to show, in order
    (default :data:`DEFAULT_COLUMNS`); the Confirm column is always last.
    """

    _esm = _esm()
    _css = _css()

    _rows = traitlets.Bytes(b"").tag(sync=True)
    """Arrow IPC stream of the row snapshot (data and control columns)."""

    _rows_version = traitlets.Int(0).tag(sync=True)
    """Bumped with every new ``_rows``; the front-end then drops its applied patches."""

    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Visible columns in order: ``{"name", "label", "kind"}``."""

    _patch = traitlets.Dict().tag(sync=True)
    """The latest row changes: ``{"seq": n, "rows": {address: {column: value}}}``."""

    read_only = traitlets.Bool(True).tag(sync=True)
    """True when no signer is configured: every Confirm is disabled."""

    account = traitlets.Unicode("").tag(sync=True)
    """The signer's checksummed address ("" when read-only); never a key."""

    explorer_url = traitlets.Unicode("").tag(sync=True)
    """Block explorer base URL for address and transaction links ("" for none)."""

    banner = traitlets.Dict().tag(sync=True)
    """A message above the table: ``{"level": "info"|"error", "message": str, "seq": n}``."""

    selected_keys = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Addresses of the selected responses; synced both ways."""

    _view = traitlets.Dict().tag(sync=True)
    """The front-end's current view: ``{"all": bool, "positions": uint32 LE bytes}``."""

    _confirm_request = traitlets.Dict().tag(sync=True)
    """A confirmation request from the front-end: ``{"id": str, "response": address}``."""

    _reply = traitlets.Dict().tag(sync=True)
    """The answer to a rejected request: ``{"id": str, "ok": bool, "error": str}``."""

    def __init__(
        self,
        data: pd.DataFrame | None = None,
        *,
        tasks: Iterable[str] | None = None,
        source: str | None = None,
        client: str | None = None,
        network: Any = None,
        account: Any = None,
        columns: Iterable[str] | None = None,
        confirm_timeout: float = 120.0,
        progress: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        known = {name: (label, kind) for name, label, kind in COLUMNS}
        shown = list(DEFAULT_COLUMNS if columns is None else columns)
        unknown = [c for c in shown if c not in known]
        if unknown or not shown:
            raise ResponseTableError(
                f"cannot show column(s) {unknown or '(none)'}; choose from {', '.join(known)}"
            )
        self._network: Network = resolve_network(network)
        self._signer = self._resolve_account(account)
        self._confirm_timeout = confirm_timeout
        self._lock = threading.RLock()
        self._seq = 0
        self._banner_seq = 0
        self._overrides: dict[str, dict[str, Any]] = {}
        self._seen_requests: set[str] = set()
        self._confirmations: dict[str, Any] = {}
        self._callbacks: list[Callable[[Any], None]] = []
        self._threads: list[threading.Thread] = []
        selectors = {"tasks": tasks, "source": source, "client": client}
        given = {k: v for k, v in selectors.items() if v is not None}
        if data is not None and given:
            raise ResponseTableError(
                f"give either a DataFrame or a selector ({', '.join(given)}), not both"
            )
        if data is None and not given:
            raise ResponseTableError(
                "ResponseTable needs rows: pass a DataFrame from load_responses(), or one of "
                "tasks=, source=, client="
            )
        if isinstance(data, pd.DataFrame):
            df = self._validated(data)
        elif data is not None:
            raise ResponseTableError(
                f"data must be a pandas DataFrame from load_responses(), not {type(data).__name__}"
            )
        else:
            df = _reader.load_responses(**given, network=self._network, progress=progress)
        self._selectors = given
        self.account = self._signer.address if self._signer is not None else ""
        self.read_only = self._signer is None
        self.explorer_url = self._network.explorer_url
        self.columns = [{"name": n, "label": known[n][0], "kind": known[n][1]} for n in shown]
        self._set_snapshot(df)
        self.observe(self._on_confirm_request, names="_confirm_request")
        self.observe(self._on_selected_keys, names="selected_keys")
        self.on_msg(self._on_custom_msg)

    # ---- public API --------------------------------------------------------------------------

    @property
    def df(self) -> pd.DataFrame:
        """The current rows as a DataFrame (kept in sync with confirmations and refreshes)."""
        with self._lock:
            return self._df.copy()

    @property
    def selected(self) -> pd.DataFrame:
        """The selected rows, in table order."""
        with self._lock:
            keys = set(self.selected_keys)
            return self._df[self._df.index.isin(keys)].copy()

    @property
    def view(self) -> pd.DataFrame:
        """The rows as currently filtered, searched and sorted in the table."""
        with self._lock:
            view = self._view or {}
            if not view or view.get("all", True):
                return self._df.copy()
            raw = view.get("positions") or b""
            positions = memoryview(bytes(raw)).cast("I") if len(raw) % 4 == 0 else []
            keys = self._snapshot_keys
            addresses = [keys[p] for p in positions if p < len(keys)]
            addresses = [a for a in addresses if a in self._df.index]
            return self._df.loc[addresses].copy()

    @property
    def network(self) -> Network:
        """The network this table reads from and confirms on."""
        return self._network

    @property
    def confirmations(self) -> dict[str, Any]:
        """Every confirmation this table started: response address → ``Confirmation``."""
        with self._lock:
            return dict(self._confirmations)

    def on_confirmed(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """Call ``callback(confirmation)`` when a confirmation from this table is mined.
        Usable as a decorator; returns ``callback``."""
        self._callbacks.append(callback)
        return callback

    def select(self, addresses: Iterable[str]) -> None:
        """Select these responses (replacing the selection)."""
        keys = [to_address(a, "response address") for a in addresses]
        unknown = [k for k in keys if k not in self._df.index]
        if unknown:
            raise ResponseTableError(
                f"{unknown[0]} is not a row of this table; select addresses from table.df.index"
            )
        self.selected_keys = keys

    def refresh(self) -> None:
        """Read every row again from chain and re-send the table."""
        with self._lock:
            if self._selectors:
                df = _reader.load_responses(
                    **self._selectors, network=self._network, progress=False
                )
            else:
                df = _reader.read_responses(list(self._df.index), network=self._network)
            self._set_snapshot(df)

    def confirm(self, address: str, *, wait: bool = False) -> Any:
        """Confirm the response ``address`` exactly as its Confirm button does.

        Refusals (not confirmable, already pending, not the client, ...) raise typed errors;
        the transaction is sent on a worker thread and its progress shows in the row. Returns
        the ``Confirmation`` once it is signed; with ``wait=True``, once it is mined or reverted.
        """
        address = to_address(address, "response address")
        job = self._start_confirmation(address)
        job.ready.wait()
        if wait:
            job.done.wait()
        if job.error is not None:
            raise job.error
        return job.confirmation

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for every confirmation worker of this table to finish; True if all did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in list(self._threads):
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    # ---- snapshot and patches ----------------------------------------------------------------

    def _validated(self, df: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c, _, _ in COLUMNS if c != "address" and c not in df.columns]
        for c in ("client", "payment", "confirmed"):
            if c not in df.columns:
                missing.append(c)
        if missing:
            raise ResponseTableError(
                f"the DataFrame lacks column(s) {', '.join(missing)}; build it with "
                "load_responses() (or keep its columns when filtering)"
            )
        if df.index.has_duplicates:
            dup = df.index[df.index.duplicated()][0]
            raise ResponseTableError(
                f"response {dup} appears twice in the DataFrame; rows are keyed by response "
                "address, drop the duplicates first"
            )
        df = df.copy()
        df.index = _checksummed_index(df.index)
        return df

    def _controls(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Python's verdict on each row of ``df``: can it be confirmed now, and if not, why.

        Vectorized: one pass of numpy masks, first reason wins."""
        reason = np.full(len(df), "", dtype=object)

        def mark(mask: Any, text: str) -> None:
            reason[np.asarray(mask, dtype=bool) & (reason == "")] = text

        if self._signer is None:
            reason[:] = "read-only"
            return reason == "", reason
        status = df["task_status"].astype(str).to_numpy()
        expiry = pd.to_datetime(df["task_expiry"], utc=True)
        mark(df["confirmed"].to_numpy(dtype=bool), "confirmed")
        mark(status == "finalized", "task finalized")
        mark(status == "canceled", "task canceled")
        past = (expiry < pd.Timestamp.now(tz="UTC")).fillna(False).to_numpy(dtype=bool)
        mark((status == "expired") | past, "task expired")
        mark(
            df["delivery_method"].astype(str).to_numpy() == "first_response",
            "first-response source",
        )
        mark(df["client"].to_numpy() != self._signer.address, "not the task's client")
        pending = self._pending_tasks()
        if pending:
            mark(df["task"].isin(pending).to_numpy(), "confirmation pending")
        return reason == "", reason

    def _pending_tasks(self) -> set[str]:
        """Tasks with a confirmation from this table in flight (reserved, signing, pending)."""
        out = set()
        for resp, conf in self._confirmations.items():
            if conf is None:  # reserved; the worker has not signed yet
                out.add(self._df.at[resp, "task"])
            elif conf.state in ("signing", "pending"):
                out.add(conf.task)
        return out

    def _set_snapshot(self, df: pd.DataFrame) -> None:
        with self._lock:
            self._df = df
            self._overrides = {}
            self._snapshot_keys = list(df.index)
            table = self._arrow(df)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            self._rows = sink.getvalue().to_pybytes()
            self._rows_version += 1
            # progress of confirmations travels as patches, not in the snapshot
            progress = {a: self._action_fields(a) for a in self._confirmations if a in df.index}
            if progress:
                self._patch_rows(progress)
            self.selected_keys = [k for k in self.selected_keys if k in df.index]

    def _arrow(self, df: pd.DataFrame) -> pa.Table:
        """The snapshot as a compact Arrow table (see docs/widget-protocol.md)."""
        can_confirm, reasons = self._controls(df)

        def seconds(col: str) -> pa.Array:
            values = df[col]
            secs = values.astype("int64").to_numpy() / 1e9 if len(values) else []
            mask = values.isna().to_numpy() if len(values) else None
            return pa.array(secs, pa.float64(), mask=mask)

        return pa.table(
            {
                "address": _packed_addresses(list(df.index)),
                "task": _dict_str(df["task"]),
                "provider": _dict_str(df["provider"]),
                "data": _strings(df["data"]),
                "payment_ogpu": pa.array(df["payment_ogpu"].astype(float), pa.float64()),
                "status": _dict_str(df["status"]),
                "confirmed": pa.array(df["confirmed"].astype(bool), pa.bool_()),
                "timestamp": seconds("timestamp"),
                "task_status": _dict_str(df["task_status"]),
                "delivery_method": _dict_str(df["delivery_method"]),
                "task_expiry": seconds("task_expiry"),
                "source": _dict_str(df["source"]),
                "client": _dict_str(df["client"]),
                "can_confirm": pa.array(can_confirm, pa.bool_()),
                "reason": _dict_str(reasons),
            }
        )

    def _action_fields(self, address: str) -> dict[str, Any]:
        conf = self._confirmations.get(address)
        if conf is None:
            return {"action": "", "tx_hash": "", "action_error": ""}
        return {
            "action": _ACTION_OF_STATE.get(conf.state, conf.state),
            "tx_hash": conf.tx_hash or "",
            "action_error": conf.error or "",
        }

    def _patch_rows(self, rows: dict[str, dict[str, Any]]) -> None:
        """Apply ``rows`` to the DataFrame and send them to the front-end as one patch."""
        with self._lock:
            for addr, fields in rows.items():
                for col, value in fields.items():
                    if col in self._df.columns:
                        if col == "status" or col == "task_status":
                            self._df.loc[addr, col] = value
                        else:
                            self._df.at[addr, col] = value
                self._overrides.setdefault(addr, {}).update(fields)
            self._seq += 1
            self._patch = {"seq": self._seq, "rows": _jsonable(rows)}

    def _recompute_task(self, task: str, extra: dict[str, dict[str, Any]] | None = None) -> None:
        """Re-send the control columns of every row of ``task`` (plus ``extra`` fields)."""
        with self._lock:
            addresses = list(self._df.index[self._df["task"] == task])
            if not addresses:
                return
            extra = extra or {}
            merged = self._df.loc[addresses].copy()
            for addr, fields in extra.items():
                for k, v in fields.items():
                    if k in merged.columns and addr in merged.index:
                        merged.loc[addr, k] = v
            can_confirm, reasons = self._controls(merged)
            rows = {
                addr: {**extra.get(addr, {}), "can_confirm": bool(ok), "reason": why}
                for addr, ok, why in zip(addresses, can_confirm, reasons, strict=True)
            }
            self._patch_rows(rows)

    def _set_banner(self, message: str, level: str = "error") -> None:
        self._banner_seq += 1
        self.banner = {"level": level, "message": message, "seq": self._banner_seq}

    # ---- confirmations -----------------------------------------------------------------------

    def _start_confirmation(self, address: str) -> _Job:
        with self._lock:
            if address not in self._df.index:
                raise ResponseTableError(
                    f"{address} is not a row of this table; confirm an address from table.df.index"
                )
            can_confirm, reasons = self._controls(self._df.loc[[address]])
            if not can_confirm[0]:
                raise _refusal(reasons[0], address)
            task = self._df.at[address, "task"]
            self._confirmations[address] = None  # reserved: the task is now pending
            self._recompute_task(task, {address: {"action": "signing", "action_error": ""}})
        job = _Job(address, task)
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
                if conf.state in ("signing", "pending"):
                    action = _ACTION_OF_STATE[conf.state]
                    self._patch_rows({address: {"action": action, "tx_hash": conf.tx_hash or ""}})
            if conf.tx_hash:
                job.ready.set()

        try:
            conf = _confirm.confirm_response(
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
        except ConfirmationError as exc:
            job.error = exc
            self._refused(address, task, str(exc))
        except Exception as exc:  # RPC down and the like: say so in the row and the banner
            log.warning("confirmation of %s failed: %s", address, type(exc).__name__)
            job.error = exc
            self._refused(address, task, f"{type(exc).__name__}: {exc}")
            self._set_banner(f"Confirming {address} failed: {exc}")
        finally:
            job.ready.set()
            job.done.set()

    def _refused(self, address: str, task: str, reason: str) -> None:
        with self._lock:
            if self._confirmations.get(address) is None:
                self._confirmations.pop(address, None)
            self._recompute_task(task, {address: {"action": "refused", "action_error": reason}})
        self._reread_task(task)

    def _finish(self, address: str, task: str, conf: Any) -> None:
        if conf.state == "mined":
            finalized = {"task_status": "finalized"}
            extra = {a: dict(finalized) for a in self._df.index[self._df["task"] == task]}
            extra[address] = {
                **finalized,
                "status": "confirmed",
                "confirmed": True,
                "action": "confirmed",
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
                        "action": "reverted",
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
            fresh = _reader.read_responses(addresses, network=self._network)
        except Exception as exc:
            log.debug("re-reading task %s failed: %s", task, type(exc).__name__)
            return
        cols = ["status", "confirmed", "task_status"]
        with self._lock:
            changes = {
                a: {c: fresh.at[a, c] for c in cols if fresh.at[a, c] != self._df.at[a, c]}
                for a in fresh.index
                if a in self._df.index
            }
            changes = {a: f for a, f in changes.items() if f}
            if changes:
                self._recompute_task(task, changes)

    # ---- messages from the front-end ---------------------------------------------------------

    def _on_confirm_request(self, change: dict[str, Any]) -> None:
        request = change["new"] or {}
        rid = str(request.get("id", ""))
        response = request.get("response")
        if not rid:
            return
        try:
            self._handle_confirm_request(rid, response)
        finally:
            # consumed: clearing it lets a replayed request reach us (and be refused)
            self._confirm_request = {}

    def _handle_confirm_request(self, rid: str, response: Any) -> None:
        if rid in self._seen_requests:
            self._reply = {"id": rid, "ok": False, "error": f"request {rid} was already handled"}
            return
        self._seen_requests.add(rid)
        try:
            address = to_address(response, "response address")
            self._start_confirmation(address)
        except OgpuWidgetsError as exc:
            self._reply = {"id": rid, "ok": False, "error": str(exc)}
            if isinstance(exc, ConfirmationError) and isinstance(response, str):
                with self._lock:
                    known = response in self._df.index
                if known:
                    self._patch_rows({response: {"action": "refused", "action_error": str(exc)}})
            return
        self._reply = {"id": rid, "ok": True, "error": ""}

    def _on_selected_keys(self, change: dict[str, Any]) -> None:
        keys = [k for k in change["new"] if k in self._df.index]
        if keys != list(change["new"]):
            self.selected_keys = keys

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "resync":
            with self._lock:
                if self._overrides:
                    self._seq += 1
                    self._patch = {"seq": self._seq, "rows": _jsonable(self._overrides)}
        elif kind == "estimate":
            threading.Thread(target=self._estimate, args=(content,), daemon=True).start()

    def _estimate(self, content: dict[str, Any]) -> None:
        rid = content.get("id")
        try:
            if self._signer is None:
                raise ResponseTableError("read-only: no signer configured")
            address = to_address(content.get("response"), "response address")
            fee = _confirm.estimate_fee(address, account=self._signer, network=self._network)
            self.send({"type": "estimate", "id": rid, "fee_ogpu": fee / 10**18, "error": ""})
        except Exception as exc:
            self.send({"type": "estimate", "id": rid, "fee_ogpu": None, "error": str(exc)})

    # ---- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _resolve_account(account: Any) -> Any:
        import os

        if account is None and not os.environ.get("CLIENT_PRIVATE_KEY"):
            return None
        return _confirm.resolve_signer(account)

    def __repr__(self) -> str:
        mode = "read-only" if self._signer is None else f"signer {self.account}"
        return f"ResponseTable({len(self._df)} rows, {self._network.name}, {mode})"


def _refusal(reason: str, address: str) -> ConfirmationError:
    from . import errors as e

    kinds = {
        "read-only": e.MissingSignerError,
        "confirmed": e.AlreadyConfirmedError,
        "task finalized": e.TaskFinalizedError,
        "task canceled": e.TaskCanceledError,
        "task expired": e.TaskExpiredError,
        "first-response source": e.FirstResponseSourceError,
        "not the task's client": e.NotTaskClientError,
        "confirmation pending": e.ConfirmationInFlightError,
    }
    cls = kinds.get(reason, ConfirmationError)
    return cls(f"response {address} cannot be confirmed: {reason}")


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _checksummed_index(index: pd.Index) -> pd.Index:
    """The index as EIP-55 addresses. Mixed-case entries are taken as already checksummed
    (``load_responses`` writes them so; hashing 100,000 of them again costs seconds): only
    the format is checked. Single-case entries are checksummed here."""
    values = [str(a) for a in index]
    out = []
    for a in values:
        if not _ADDRESS.fullmatch(a):
            to_address(a, "response address")  # raises, naming the value
        digits = a[2:]
        lower, upper = digits.lower(), digits.upper()
        # mixed case: checksummed already; no letters at all: its own checksum
        out.append(a if (lower != digits and upper != digits) or lower == upper else _eip55(lower))
    return pd.Index(out, name="address")


def _eip55(lower: str) -> str:
    """EIP-55 checksum of 40 lower-case hex digits (one keccak, no re-validation)."""
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(
        c.upper() if c > "9" and digest[i] >= "8" else c for i, c in enumerate(lower)
    )


def _strings(values: Any) -> pa.Array:
    """``values`` (a Series or array) as an Arrow string array, without a Python loop where
    pandas already holds them in Arrow or NumPy."""
    series = pd.Series(values)
    if not isinstance(series.dtype, pd.CategoricalDtype) and series.dtype != object:
        series = series.astype("string[pyarrow]")
    else:
        series = series.astype(str)
    return pa.array(
        series.array if hasattr(series.array, "__arrow_array__") else series, pa.string()
    )


def _dict_str(values: Any) -> pa.Array:
    """Dictionary-encoded strings with the narrowest index type that fits."""
    arr = _strings(values).dictionary_encode()
    n = len(arr.dictionary)
    index = pa.int8() if n < 2**7 else pa.int16() if n < 2**15 else pa.int32()
    return arr.cast(pa.dictionary(index, pa.string()))


def _packed_addresses(addresses: Iterable[str]) -> pa.Array:
    """Checksummed addresses as 25 bytes each: the 20 address bytes, then a 40-bit mask whose
    bit i (LSB first, from byte 20) says hex digit i is upper case. The front-end rebuilds the
    exact EIP-55 string without hashing; this halves the cost of the key column."""
    digits = "".join(a[2:] for a in addresses)
    n = len(digits) // 40
    if n == 0:
        return pa.array([], pa.binary(25))
    ascii_ = np.frombuffer(digits.encode("ascii"), dtype=np.uint8).reshape(n, 40)
    upper = (ascii_ >= ord("A")) & (ascii_ <= ord("F"))
    masks = np.packbits(upper, axis=1, bitorder="little")  # 5 bytes a row
    raw = np.frombuffer(bytes.fromhex(digits), dtype=np.uint8).reshape(n, 20)
    packed = np.ascontiguousarray(np.concatenate([raw, masks], axis=1)).tobytes()
    return pa.Array.from_buffers(pa.binary(25), n, [None, pa.py_buffer(packed)])


def _jsonable(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for addr, fields in rows.items():
        clean: dict[str, Any] = {}
        for k, v in fields.items():
            if isinstance(v, pd.Timestamp):
                v = v.timestamp()
            elif hasattr(v, "item"):
                v = v.item()
            if k == "payment":
                v = str(int(v))
            clean[k] = v
        out[addr] = clean
    return out
