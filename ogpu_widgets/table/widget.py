"""``ResponseTable``: the interactive table of responses whose Confirm buttons send the transaction.

The front-end (``js/``) only renders and asks; this class decides and signs. The protocol between
the two is described in ``docs/widget-protocol.md``. The signing key never enters a trait, the
widget state or the saved notebook: only the signer's address does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import traitlets

from .._strict import reject_unknown
from ..chain.codec import to_address
from ..chain.network import Network, NetworkLike, resolve_network
from ..confirm import SIGNER_ENV, AccountLike, BrowserWallet, resolve_signer
from ..errors import (
    ResponseTableError,
)
from ..read import load_responses
from ..records import ConfirmationState
from . import eligibility, layout, serialize
from . import signer as signer_view
from .actions import ConfirmActions
from .history import TableHistory
from .live import LiveTable
from .messages import FrontEndMessages
from .results import TableResults

log = logging.getLogger("ogpu_widgets.table")

_STATIC = Path(__file__).resolve().parent.parent / "static"
#: Keyword arguments passed on to ``anywidget.AnyWidget`` (layout and the like).
_WIDGET_KWARGS = frozenset({"layout", "tabbable", "tooltip"})
_PARAMS = frozenset(
    {"data", "tasks", "source", "client", "network", "account", "columns", "confirm_timeout",
     "progress", "results", "gateway", "live", "poll_interval"}
)  # fmt: skip


_EMPTY = pd.DataFrame(columns=serialize.REQUIRED, index=pd.Index([], dtype=str))


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


def _signer_of(account: Any) -> tuple[Any, str]:
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


class ResponseTable(
    LiveTable, ConfirmActions, FrontEndMessages, TableResults, TableHistory, anywidget.AnyWidget
):
    """An interactive table of OpenGPU responses with Confirm buttons.

    Build it from the same selectors as :func:`~ogpu_widgets.load_responses` (``tasks=``,
    ``source=``, ``client=``) or from a DataFrame that ``load_responses`` returned. ``account``
    is a private key, an ``eth_account`` account, or ``None`` for ``$CLIENT_PRIVATE_KEY``;
    without any, the table is read-only. ``account="browser"`` (or a
    :class:`~ogpu_widgets.BrowserWallet`) signs in the page's wallet (EIP-1193): no key in the
    kernel, which still checks the wallet's account and registers each confirmation first. ``columns`` names the columns to show, in order
    (default :data:`~ogpu_widgets.table.DEFAULT_COLUMNS`).

    The Result column previews the result behind each response's ``data``: fetched in the
    kernel after the table has painted, for the rows on screen (every row of a small table),
    through :func:`ogpu_widgets.results.fetch_results` with ``gateway`` (default: the network's).
    ``results=False`` fetches nothing and hides the column.

    The table is live by default: it follows its network's events (one shared poller, every
    ``poll_interval`` seconds) and shows new responses of its scope as new rows (the tasks it
    was built for; a source's or client's tasks, also those published later; for a DataFrame,
    the tasks in it) and status changes as they happen, wherever they were made. ``live=False``
    (or the pause button, or ``table.live = False``) stops following; :meth:`close` too.

    Confirmed rows show the transaction that confirmed them, wherever and whenever it was
    made: after the first paint, one scan of Nexus's log finds them all
    (:attr:`confirm_txs`, :meth:`wait_history`). The toolbar copies the view or the selection
    as TSV and downloads CSV (visible columns, exact wei); ``table.view`` and
    ``table.selected`` are the same rows in Python.
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
    """The answer to a request: ``{"id": str, "ok": bool, "error": str}``."""

    live = traitlets.Bool(True).tag(sync=True)
    """Whether the table follows the chain (new rows, status changes); synced both ways."""

    _live_status = traitlets.Dict().tag(sync=True)
    """``{"state": "live"|"connecting"|"reconnecting"|"paused"|"off", "updated": unix s,
    "error": str, "block": int|None, "refreshing": bool, "interval": s}``."""

    column_layout = traitlets.Dict().tag(sync=True)
    """The user's column layout, synced both ways and saved with the widget state:
    ``{"order": [names], "hidden": [names], "widths": {name: px}}`` (``{}``: the default).
    A value of the wrong shape raises ``InvalidArgumentError`` (see ``table/layout.py``)."""

    @traitlets.validate("column_layout")
    def _valid_layout(self, proposal: dict[str, Any]) -> dict[str, Any]:
        return layout.normalize_layout(proposal["value"])

    def __init__(
        self,
        data: pd.DataFrame | None = None,
        *,
        tasks: Iterable[str] | str | None = None,
        source: str | None = None,
        client: str | None = None,
        network: NetworkLike = None,
        account: AccountLike = None,
        columns: Iterable[str] | None = None,
        confirm_timeout: float = 120.0,
        progress: bool = False,
        results: bool = True,
        gateway: str | None = None,
        live: bool = True,
        poll_interval: float = 2.0,
        **kwargs: Any,
    ) -> None:
        try:
            signer, note = _signer_of(account)
        finally:
            del account  # the key (if one was passed) leaves this frame before anything raises
        unknown = [k for k in kwargs if k not in _WIDGET_KWARGS]
        if unknown:
            kwargs.clear()  # a misspelt ``account=`` holds a key: keep it out of the traceback
            reject_unknown("ResponseTable()", unknown, _PARAMS | _WIDGET_KWARGS)
        super().__init__(**kwargs)
        self._signer = signer
        self._df: pd.DataFrame = serialize.checked_frame(_EMPTY)
        self._lock = threading.RLock()
        self._seq = 0
        self._banner_seq = 0
        self._overrides: dict[str, dict[str, Any]] = {}
        self._seen_requests: set[str] = set()
        self._confirmations: dict[str, Any] = {}
        self._callbacks: list[Callable[[Any], None]] = []
        self._threads: list[threading.Thread] = []
        self._positions: list[int] | None = None
        self._snapshot_keys: list[str] = []
        self._appended: list[str] = []
        if not isinstance(confirm_timeout, int | float) or confirm_timeout <= 0:
            raise ResponseTableError(f"confirm_timeout={confirm_timeout!r} is not seconds > 0")
        self._confirm_timeout = float(confirm_timeout)
        self._network: Network = resolve_network(network)
        if not isinstance(results, bool):
            raise ResponseTableError(f"results={results!r} is not True or False")
        if gateway is not None and not isinstance(gateway, str):
            raise ResponseTableError(f"gateway={gateway!r} is not a URL string")
        self._init_results(results, gateway)
        self._init_history()
        if not isinstance(live, bool):
            raise ResponseTableError(f"live={live!r} is not True or False")
        self._init_live(poll_interval)
        self.columns = serialize.visible_columns(columns, results=results)
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
        self._selectors = given
        self.live = live
        if live:  # before the read: what happens while it runs is delivered, not lost
            self._subscribe()
        try:
            if data is not None:
                df = serialize.checked_frame(data)
            else:
                df = load_responses(**given, network=self._network, progress=progress)
        except BaseException:
            self._unsubscribe()
            raise
        self.account = signer.address if signer is not None else ""
        self.read_only = signer is None
        self.explorer_url = self._network.explorer_url
        self._set_snapshot(df)
        if note:
            self._set_banner(note, "info")
        self._live_start(df)
        self.observe(self._on_live, names="live")
        self.observe(self._on_confirm_request, names="_confirm_request")
        self.observe(self._on_selected_keys, names="selected_keys")
        self.observe(self._on_view, names="_view")
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
            if self._positions is None:
                return self._df.copy()
            keys = self._snapshot_keys
            addresses = [keys[p] for p in self._positions if p < len(keys)]
            return self._df.loc[[a for a in addresses if a in self._df.index]].copy()

    @property
    def network(self) -> Network:
        """The network this table reads from and confirms on."""
        return self._network

    @property
    def confirmations(self) -> dict[str, Any]:
        """Every confirmation this table started: response address → ``Confirmation``."""
        with self._lock:
            return {a: c for a, c in self._confirmations.items() if c is not None}

    def on_confirmed(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """Call ``callback(confirmation)`` when a confirmation from this table is mined.
        Usable as a decorator; returns ``callback``."""
        if not callable(callback):
            raise ResponseTableError(
                f"on_confirmed needs a callable, not {type(callback).__name__}"
            )
        self._callbacks.append(callback)
        return callback

    def select(self, addresses: Iterable[str] | str) -> None:
        """Select these responses (replacing the selection)."""
        if isinstance(addresses, str):
            addresses = [addresses]
        keys = [to_address(a, "response address") for a in addresses]
        unknown = [k for k in keys if k not in self._df.index]
        if unknown:
            raise ResponseTableError(
                f"{unknown[0]} is not a row of this table; select addresses from table.df.index"
            )
        self.selected_keys = keys

    def refresh(self) -> None:
        """Read the table's scope again from chain (new responses included: for a table built
        from a DataFrame, every response of the tasks in it) and re-send the table. Statuses
        only move forward: a lagging node cannot turn a confirmed row back."""
        self._refresh()

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

    def _controls(self, df: pd.DataFrame) -> tuple[Any, Any]:
        """Python's verdict on each row of ``df``: can it be confirmed now, and if not, why."""
        if isinstance(self._signer, BrowserWallet):
            return self._wallet_controls(df)
        signer = self._signer.address if self._signer is not None else None
        agents = signer_view.agent_of(self, df)  # clients that authorized the signer
        return eligibility.verdicts(df, signer, self._pending_tasks(), agent_of=agents)

    def _set_snapshot(self, df: pd.DataFrame) -> None:
        with self._lock:
            self._df = df
            self._overrides = {}
            self._appended = []
            self._snapshot_keys = df.index.to_numpy(dtype=object).tolist()
            self._positions = None
            signer_view.observe(self, df)  # the signer's agent relations, and its banner
            can_confirm, reasons = self._controls(df)
            self._rows = serialize.snapshot(df, can_confirm, reasons)
            self._rows_version += 1
            # progress of confirmations and known results travel as patches, not in the snapshot
            self._results_from_frame(df)
            progress = self._result_patch_for(df.index)
            self._history_retry()
            self._history_patch_for(df.index, progress)
            for a in self._confirmations:
                if a in df.index:
                    progress.setdefault(a, {}).update(self._action_fields(a))
            if progress:
                self._patch_rows(progress)
            self.selected_keys = [k for k in self.selected_keys if k in df.index]
        self._history_kick()  # the confirming transactions, on a background thread

    def _action_fields(self, address: str) -> dict[str, Any]:
        conf = self._confirmations.get(address)
        if conf is None:
            return {"action": ConfirmationState.NONE, "tx_hash": "", "action_error": ""}
        return {
            "action": ConfirmationState(conf.state),
            "tx_hash": conf.tx_hash or "",
            "action_error": conf.error or "",
        }

    def _patch_rows(
        self, rows: dict[str, dict[str, Any]], append: dict[str, Any] | None = None
    ) -> None:
        """Apply ``rows`` to the DataFrame and send them to the front-end as one patch (with
        ``append``, the rows just added to the DataFrame, applied before ``rows``)."""
        with self._lock:
            for addr, fields in rows.items():
                for col, value in fields.items():
                    if col in self._df.columns:
                        if col in ("status", "task_status"):
                            self._df.loc[addr, col] = value
                        else:
                            self._df.at[addr, col] = value
                self._overrides.setdefault(addr, {}).update(fields)
            self._seq += 1
            patch: dict[str, Any] = {"seq": self._seq, "rows": serialize.jsonable(rows)}
            if append is not None:
                patch["append"] = append
            self._patch = patch

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

    def __repr__(self) -> str:
        try:
            signer = self.__dict__.get("_signer")
            df = self.__dict__.get("_df")
            net = self.__dict__.get("_network")
            rows = f"{len(df)} rows" if df is not None else "not built"
            where = net.name if net is not None else "no network"
            mode = "read-only" if signer is None else f"signer {signer.address}"
            if isinstance(signer, BrowserWallet):
                mode = f"signer browser wallet {signer.address or '(not connected)'}".rstrip()
            live = self.__dict__.get("_sub") is not None
            return f"ResponseTable({rows}, {where}, {mode}{', live' if live else ''})"
        except Exception:
            return "ResponseTable(<unavailable>)"
