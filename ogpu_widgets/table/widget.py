"""``ResponseTable``: the interactive table of responses whose Confirm buttons send the transaction.

The front-end (``js/``) only renders and asks; this class decides and signs. The protocol between
the two is described in ``docs/widget-protocol.md``. The signing key never enters a trait, the
widget state or the saved notebook: only the signer's address does."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import anywidget
import pandas as pd
import traitlets

from .._strict import reject_unknown
from ..chain.codec import to_address
from ..chain.network import Network, NetworkLike, resolve_network
from ..confirm import AccountLike
from ..errors import ResponseTableError
from ..read import load_responses
from ..records import TaskResponse
from . import arguments, bundle, layout, serialize
from .actions import signer_of
from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

#: Keyword arguments passed on to ``anywidget.AnyWidget`` (layout and the like).
_WIDGET_KWARGS = frozenset({"layout", "tabbable", "tooltip"})
_PARAMS = frozenset(
    {"data", "tasks", "source", "client", "network", "account", "columns", "confirm_timeout",
     "progress", "results", "gateway", "live", "poll_interval"}
)  # fmt: skip


class ResponseTable(anywidget.AnyWidget):
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

    _esm = bundle.esm()
    _css = bundle.css()

    _core: TableCore

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
    """``{"state": "live"|"connecting"|"reconnecting"|"paused"|"off"|"error", "updated": unix s,
    "error": str, "block": int|None, "refreshing": bool, "interval": s}``."""

    column_layout = traitlets.Dict().tag(sync=True)
    """The user's column layout, synced both ways and saved with the widget state:
    ``{"order": [names], "hidden": [names], "widths": {name: px}}`` (``{}``: the default).
    A value of the wrong shape raises ``InvalidArgumentError`` (see ``table/layout.py``)."""

    @traitlets.validate("column_layout")
    def _valid_layout(self, proposal: dict[str, Any]) -> dict[str, Any]:
        return layout.normalize_layout(proposal["value"])

    @traitlets.validate("selected_keys", "_view")
    def _valid_value(self, proposal: Any) -> Any:  # the router's one check of each trait
        core = self.__dict__.get("_core")
        value = proposal["value"]
        return value if core is None else core.router.checked(proposal["trait"].name, value)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Trait values from the front-end, checked as from Python (``Router.on_state``): a
        bad one is not stored (the last good value stays) and the front-end is told."""
        core = self.__dict__.get("_core")
        store = super().set_state
        store(sync_data) if core is None else core.router.on_state(sync_data, store)

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
            signer, note = signer_of(account)
        finally:
            del account  # the key (if one was passed) leaves this frame before anything raises
        unknown = [k for k in kwargs if k not in _WIDGET_KWARGS]
        if unknown:
            kwargs.clear()  # a misspelt ``account=`` holds a key: keep it out of the traceback
            reject_unknown("ResponseTable()", unknown, _PARAMS | _WIDGET_KWARGS)
        super().__init__(**kwargs)
        confirm_timeout, gateway = arguments.options(confirm_timeout, results, gateway, live,
                                                     progress)  # fmt: skip
        net: Network = resolve_network(network)
        selectors = {"tasks": tasks, "source": source, "client": client}
        given = {k: v for k, v in selectors.items() if v is not None}
        self._core = core = TableCore(
            self, network=net, signer=signer, confirm_timeout=float(confirm_timeout),
            results=results, gateway=gateway, poll_interval=poll_interval, selectors=given,
        )  # fmt: skip
        self.columns = serialize.visible_columns(columns, results=results)
        if data is not None and given:
            raise ResponseTableError(
                f"give either a DataFrame or a selector ({', '.join(given)}), not both"
            )
        if data is None and not given:
            raise ResponseTableError(
                "ResponseTable needs rows: pass a DataFrame from load_responses(), or one of "
                "tasks=, source=, client="
            )
        self.live = live
        if live:  # before the read: what happens while it runs is delivered, not lost
            core.live.subscribe()
        try:
            if data is not None:
                df = serialize.checked_frame(data)
            else:
                df = load_responses(**given, network=net, progress=progress)
        except BaseException:
            core.live.unsubscribe()
            raise
        self.account = core.confirmer.strategy.address
        self.read_only = signer is None
        self.explorer_url = net.explorer_url
        core.set_snapshot(df)
        if note:
            core.set_banner(note, "info")
        core.live.start(df)
        router = core.router
        self.observe(lambda c: core.live.set_live(bool(c["new"])), names="live")
        self.observe(self._on_confirm_request, names="_confirm_request")
        self.observe(lambda c: router.on_view(c["new"]), names="_view")
        self.on_msg(lambda _w, content, _b: router.on_custom(content))

    def _on_confirm_request(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return  # our own clearing
        try:
            self._core.router.on_confirm_request(change["new"])
        finally:
            # consumed: clearing it lets a replayed request reach us (and be refused)
            self._confirm_request = {}

    # ---- public API --------------------------------------------------------------------------

    @property
    def df(self) -> pd.DataFrame:
        """The current rows as a DataFrame (kept in sync with confirmations and refreshes)."""
        with self._core.lock:
            return self._core.df.copy()

    @property
    def selected(self) -> pd.DataFrame:
        """The selected rows, in table order."""
        core = self._core
        with core.lock:
            keys = set(self.selected_keys)
            return core.df[core.df.index.isin(keys)].copy()

    @property
    def view(self) -> pd.DataFrame:
        """The rows as currently filtered, searched and sorted in the table."""
        core = self._core
        with core.lock:
            if core.positions is None:
                return core.df.copy()
            keys = core.snapshot_keys
            addresses = [keys[p] for p in core.positions if p < len(keys)]
            return core.df.loc[[a for a in addresses if a in core.df.index]].copy()

    @property
    def network(self) -> Network:
        """The network this table reads from and confirms on."""
        return self._core.network

    @property
    def confirmations(self) -> dict[str, Any]:
        """Every confirmation this table started: response address → ``Confirmation``."""
        with self._core.lock:
            return {a: c for a, c in self._core.confirmer.confirmations.items() if c is not None}

    def on_confirmed(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """Call ``callback(confirmation)`` when a confirmation from this table is mined.
        Usable as a decorator; returns ``callback``."""
        if not callable(callback):
            raise ResponseTableError(
                f"on_confirmed needs a callable, not {type(callback).__name__}"
            )
        self._core.confirmer.callbacks.append(callback)
        return callback

    def on_response(self, callback: Callable[[TaskResponse], None]) -> Callable[[Any], None]:
        """Call ``callback(response)`` (a :class:`~ogpu_widgets.records.TaskResponse`) once for
        each new response that appears in the table (live, or found by :meth:`refresh`). It
        runs on a worker thread. Usable as a decorator; returns ``callback``."""
        if not callable(callback):
            raise ResponseTableError(f"on_response needs a callable, not {type(callback).__name__}")
        self._core.live.callbacks.append(callback)
        return callback

    def select(self, addresses: Iterable[str] | str) -> None:
        """Select these responses (replacing the selection)."""
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, Iterable) or isinstance(addresses, bytes | dict):
            raise ResponseTableError(
                f"select() takes response addresses (a list, or one string), not "
                f"{type(addresses).__name__}",
                argument="addresses",
            )
        keys = list(dict.fromkeys(to_address(a, "response address") for a in addresses))
        unknown = [k for k in keys if k not in self._core.df.index]
        if unknown:
            raise ResponseTableError(
                f"{unknown[0]} is not a row of this table; select addresses from table.df.index"
            )
        self.selected_keys = keys

    def refresh(self) -> None:
        """Read the table's scope again from chain (new responses included: for a table built
        from a DataFrame, every response of the tasks in it) and re-send the table. Statuses
        only move forward: a lagging node cannot turn a confirmed row back."""
        self._core.live.refresh()

    def confirm(self, address: str, *, wait: bool = False) -> Any:
        """Confirm the response ``address`` exactly as its Confirm button does.

        Refusals (not confirmable, already pending, not the client, ...) raise typed errors;
        the transaction is sent on a worker thread and its progress shows in the row. Returns
        the ``Confirmation`` once it is signed; with ``wait=True``, once it is mined or reverted.
        """
        if not isinstance(wait, bool):
            raise ResponseTableError(f"wait={wait!r} is not True or False", argument="wait")
        address = to_address(address, "response address")
        job = self._core.confirmer.start(address)
        job.ready.wait()
        if wait:
            job.done.wait()
        if job.error is not None:
            raise job.error
        return job.confirmation

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for every confirmation worker of this table to finish; True if all did."""
        return self._core.confirmer.wait_idle(arguments.wait_timeout(timeout))

    @property
    def subscription(self) -> Any:
        """The poller subscription while the table is live (None when paused or closed)."""
        return self._core.live.sub

    def wait_live(self, timeout: float | None = None) -> bool:
        """Wait until the table has caught up with the chain as it is now: its poller has read
        the node's current block and the events so far are applied. True if it has (False on
        time-out, or when the table is not live)."""
        return self._core.live.wait_live(arguments.wait_timeout(timeout))

    @property
    def results(self) -> pd.DataFrame:
        """The results fetched so far, indexed by response address: ``result`` (while kept in
        memory), ``result_kind``, ``result_cid``, ``result_verified``, ``result_error``,
        ``result_size``, and the row's ``result_state`` and ``result_preview``."""
        return self._core.results.frame()

    def wait_results(self, timeout: float | None = None) -> bool:
        """Wait until no result is queued or being fetched; True if none is."""
        return self._core.results.wait(arguments.wait_timeout(timeout))

    @property
    def confirm_txs(self) -> dict[str, str]:
        """Confirmed rows whose confirming transaction is known: response address → hash
        (found in Nexus's log after the table was built, or seen live)."""
        return self._core.history.confirm_txs()

    def wait_history(self, timeout: float | None = None) -> bool:
        """Wait until the confirming transactions of the confirmed rows have been looked up;
        True when no lookup is running."""
        return self._core.history.wait(arguments.wait_timeout(timeout))

    def close(self) -> None:
        """Stop following the chain, join the table's threads (a few seconds at most) and close
        the widget (its views go away)."""
        core = self.__dict__.get("_core")
        if core is not None:  # a table whose construction failed has no parts
            core.close()
        super().close()

    # ---- for the front-end's tests and the wallet's -----------------------------------------

    @property
    def _signer(self) -> Any:
        """The signer (a kernel account, a :class:`~ogpu_widgets.BrowserWallet`, or None)."""
        return self._core.confirmer.strategy.signer

    @_signer.setter
    def _signer(self, signer: Any) -> None:
        confirmer = self._core.confirmer
        confirmer.strategy = confirmer.strategy_for(signer)

    @property
    def _overrides(self) -> dict[str, dict[str, Any]]:
        """Every row field patched since the snapshot."""
        return self._core.overrides

    def _start_confirmation(self, address: str) -> Any:
        """Start confirming ``address`` without waiting (the confirmer's job)."""
        return self._core.confirmer.start(address)

    def _estimate(self, content: dict[str, Any]) -> None:
        """Answer one estimate request now (the router queues them on the pool)."""
        self._core.send(self._core.confirmer.estimate_reply(content))

    def __repr__(self) -> str:
        core = self.__dict__.get("_core")
        return "ResponseTable(not built)" if core is None else core.describe()
