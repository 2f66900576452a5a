"""How a ``ResponseTable`` answers what its front-end sends: ONE router, from each message type
(and each trait the front-end writes) to its handler, every message checked by
:mod:`ogpu_widgets.table.protocol` first. Handlers on the comm thread only answer from memory or
queue work: estimates go to the table's small pool (coalesced by row), refreshes to its serial
refresher, results to the results loader's workers. Every handler is linear in what it is
given and capped; a trait value the front-end writes is checked by the same function as a value
set from Python (:meth:`Router.on_state`), and a bad one is refused: the last good value stays,
the front-end gets its value back and an error in ``_reply`` (id ``""``), shown as a notice."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..chain.codec import to_address
from ..errors import BadRequest, ConfirmationError, OgpuWidgetsError
from ..records import ConfirmationState
from . import layout, protocol, serialize
from .protocol import shown
from .refusal import SUMMARIES, predicted_refusal
from .threads import Pool

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["ESTIMATE_QUEUE", "ESTIMATE_WORKERS", "MAX_SEEN", "SELECTION_SLACK", "SUMMARIES",
           "WRITABLE", "Router", "predicted_refusal"]  # fmt: skip

#: Threads that estimate fees for one table's review panel.
ESTIMATE_WORKERS = 2
#: Most distinct rows whose estimate may wait (a request beyond is answered "busy" at once).
ESTIMATE_QUEUE = 1_000
#: Most requests that may wait for one row's estimate (beyond, answered "busy" at once).
ESTIMATE_WAITERS = 100
#: Confirm request ids remembered with their first outcome (a repeated id is answered from
#: here, never run again); the oldest are forgotten first.
MAX_SEEN = 10_000
#: ``selected_keys`` from the front-end may name at most this many entries more than the table
#: has rows (a longer list is refused before it is read).
SELECTION_SLACK = 1_000
#: Longest string looked at as a selected address (an address has 42 characters).
MAX_KEY = 100
#: The traits the front-end may write; every other synced trait is Python's alone.
WRITABLE = ("selected_keys", "_view", "_confirm_request", "live", "column_layout")


class Router:
    """The front-end's messages to one table, each type to its one handler."""

    def __init__(self, core: TableCore) -> None:
        self.core = core
        #: Recent confirm request ids → their first outcome: "" accepted, the error's text, or
        #: None while still being handled (at most :data:`MAX_SEEN`, oldest out first).
        self.seen_requests: OrderedDict[str, str | None] = OrderedDict()
        self._seen_lock = threading.Lock()
        self.estimates = Pool(core.threads, "ogpu-table-estimate", ESTIMATE_WORKERS,
                              ESTIMATE_QUEUE, ESTIMATE_WAITERS)  # fmt: skip
        live, results, history = core.live, core.results, core.history
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "painted": lambda _c: history.kick(start=True),  # background lookups may start
            "resync": lambda _c: core.resync(),
            "refresh": lambda _c: live.refresher.kick(),
            "estimate": self.estimate,
            "results": results.on_results,
            "result": results.on_result,
            "wallet": lambda c: core.confirmer.strategy.on_message(c),
            "wei": self.wei,
        }

    def on_custom(self, content: Any) -> None:
        """A custom message (``{"type": ...}``); unknown types are ignored."""
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            log.debug("ignored a front-end message of type %s", shown(kind))
            return
        handler(content)

    # ---- traits the front-end writes ---------------------------------------------------------

    def on_state(self, state: dict[str, Any], store: Callable[[dict[str, Any]], None]) -> None:
        """A front-end update: each trait value checked (and normalized) by the one check of
        its trait, then the good ones given to ``store`` (the widget's own ``set_state``); a
        refused one is answered (:meth:`refuse`) and left out, so the last good value stays,
        and a normalized one is sent back. Traits the front-end does not write are refused
        alike; names that are no trait pass on (the widget ignores them)."""
        out = self._accepted(state)
        store(out)
        view = self.core.view
        changed = [name for name, value in out.items() if value is not state[name]]
        changed = [name for name in changed if out[name] != state[name]]
        if changed and view.comm is not None:
            view.send_state(changed)

    def _accepted(self, state: dict[str, Any]) -> dict[str, Any]:
        view = self.core.view
        out: dict[str, Any] = {}
        for name, value in state.items():
            try:
                out[name] = self.checked(name, value)
            except OgpuWidgetsError as exc:  # BadRequest, InvalidArgumentError
                self.refuse(name, str(exc))
            except KeyError:  # not a trait of the widget
                if not view.has_trait(name):
                    out[name] = value
                else:
                    self.refuse(name, f"{name} is set by Python only; the change was undone")
        return out

    def checked(self, name: str, value: Any) -> Any:
        """``value`` of the trait ``name`` as it may be stored (set from Python or from the
        front-end alike): typed error for a bad one, ``KeyError`` for a trait the front-end
        does not write."""
        if name == "column_layout":
            return layout.normalize_layout(value)
        if name == "selected_keys":
            return self.selection(value)
        if name == "_view":
            with self.core.lock:
                protocol.parse_view(value, len(self.core.snapshot_keys))
            return value
        if name == "live":
            if not isinstance(value, bool):
                raise BadRequest(f"live: {shown(value)} is not true or false", rid="")
            return value
        if name == "_confirm_request":
            if not isinstance(value, dict):
                raise BadRequest(f"_confirm_request: {shown(value)} is not a dict", rid="")
            return value
        raise KeyError(name)

    def refuse(self, name: str, error: str) -> None:
        """A front-end value of ``name`` was refused: the front-end gets Python's value back and
        the error in ``_reply`` (id "", shown as a notice)."""
        view = self.core.view
        log.debug("refused the front-end's %s: %s", name, error)
        self.tell(error)
        if view.has_trait(name) and view.comm is not None:
            view.send_state(name)

    def tell(self, error: str) -> None:
        """Show ``error`` in the front-end (a ``_reply`` that answers no request)."""
        view = self.core.view
        answer = protocol.reply("", error)
        if view._reply == answer:  # the same again: cleared first, so that it is sent
            view._reply = {}
        view._reply = answer

    def selection(self, value: Any) -> list[str]:
        """``selected_keys`` as stored: the rows named, checksummed, in order, each once;
        entries that name no row are dropped. Linear: exact keys are found in one vectorized
        look-up, only the others are checksummed. :class:`BadRequest` for a value that is not
        a list, or longer than the table's rows plus :data:`SELECTION_SLACK`."""
        if not isinstance(value, list | tuple):
            raise BadRequest(f"selected_keys: {shown(value)} is not a list of response "
                             "addresses; the selection stays as it was", rid="")  # fmt: skip
        core = self.core
        with core.lock:
            index = core.df.index
            cap = len(index) + SELECTION_SLACK
            if len(value) > cap:
                raise BadRequest(
                    f"selected_keys: {len(value)} entries for a table of {len(index)} rows (at "
                    f"most {cap}); the selection stays as it was",
                    rid="",
                )
            keys = [k if isinstance(k, str) and len(k) <= MAX_KEY else "" for k in value]
            found = index.get_indexer(keys).tolist() if keys else []
            seen: dict[str, None] = {}  # in order, each once (a set test, not a list scan)
            for k, at in zip(keys, found, strict=True):
                if at < 0:
                    if not k:
                        continue
                    try:
                        k = to_address(k, "selected address")
                    except OgpuWidgetsError:
                        continue
                    if k not in index:
                        continue
                seen[k] = None
            return list(seen)

    def _first(self, rid: str, outcome: str | None) -> None:
        """Remember ``rid``'s outcome (only its first one once known)."""
        with self._seen_lock:
            seen = self.seen_requests
            if seen.get(rid) is None:
                seen[rid] = outcome
            seen.move_to_end(rid)
            while len(seen) > MAX_SEEN:
                seen.popitem(last=False)

    def _answer(self, rid: str, error: str = "") -> None:
        self._first(rid, error)
        self.core.view._reply = protocol.reply(rid, error)

    def on_confirm_request(self, message: Any) -> None:
        """``_confirm_request``: ``{"id", "response"}``; answered in ``_reply``. A recent id
        seen before is answered with its first outcome and never run again."""
        view = self.core.view
        try:
            request = protocol.parse_confirm_request(message)
        except protocol.BadRequest as exc:
            view._reply = protocol.reply(exc.rid, str(exc))
            return
        rid = request.rid
        with self._seen_lock:
            seen = rid in self.seen_requests
            first = self.seen_requests.get(rid)
        if seen:
            if first is None:
                said = f"request {rid} is already being handled"
            elif first == "":
                said = f"request {rid} was already handled: it was accepted"
            else:
                said = f"request {rid} was already handled: {first}"
            view._reply = protocol.reply(rid, said)
            self._first(rid, first)  # recently used: kept longer
            return
        self._first(rid, None)
        address = request.response
        if request.error is not None or address is None:
            self._answer(rid, str(request.error))
            return

        def accepted() -> None:  # said before the worker can answer (a rejection in the wallet)
            self._answer(rid)

        try:
            self.core.confirmer.start(address, request_id=rid, accepted=accepted)
        except OgpuWidgetsError as exc:
            self._answer(rid, str(exc))
            if isinstance(exc, ConfirmationError):
                with self.core.lock:
                    known = address in self.core.df.index
                if known:
                    self.core.patch_rows({address: {"action": ConfirmationState.REFUSED,
                                                    "action_error": str(exc)}})  # fmt: skip
            return

    def on_view(self, value: Any) -> None:
        """``_view``: the rows as filtered, searched and sorted in the front-end."""
        core = self.core
        with core.lock:
            try:
                core.positions = protocol.parse_view(value, len(core.snapshot_keys))
            except BadRequest as exc:  # checked when stored; a new snapshot came in between
                log.debug("ignored a view of another snapshot: %s", exc)

    # ---- requests with an answer ---------------------------------------------------------------

    def estimate(self, content: dict[str, Any]) -> None:
        """``{"type": "estimate", "id", "response"}``: the fee, on the estimate pool; requests
        for a row whose estimate still waits are answered by the same run."""
        core = self.core
        rid = content.get("id")
        if not isinstance(rid, str) or not rid or len(rid) > protocol.MAX_ID:
            core.send(core.confirmer.estimate_reply({}))  # answered at once: no usable id
            return
        response = content.get("response")
        if not isinstance(response, str) or len(response) > MAX_KEY:  # never a row: at once
            core.send(core.confirmer.estimate_reply(content))
            return
        key = response.lower()

        def done(reply: dict[str, Any]) -> None:
            core.send({**reply, "id": rid})

        queued = self.estimates.submit(key, lambda: core.confirmer.estimate_reply(content), done)
        if not queued and not core.threads.closed.is_set():  # a closed table answers nobody
            core.send({"type": "estimate", "id": rid, "fee_ogpu": None,
                       "error": "too many fee estimates are waiting; ask again"})  # fmt: skip

    def wei(self, content: dict[str, Any]) -> None:
        """Exact payments (wei as decimal strings) for the export, the detail view and tooltips:
        ``addresses`` (at most 500; unknown ones answered with null) or, without them, every
        row in row-index order (``_rows`` then the appended rows)."""
        core = self.core
        rid = content.get("id")
        if not isinstance(rid, str) or not rid or len(rid) > protocol.MAX_ID:
            self.core.send({"type": "wei", "id": "", "error": "a wei request needs a string id"})
            return
        asked = content.get("addresses")
        with core.lock:
            if asked is None:
                keys = list(core.snapshot_keys)
                values = serialize.wei_strings(core.df["payment"].reindex(keys))
                self.core.send({"type": "wei", "id": rid, "version": core.view._rows_version,
                           "addresses": None, "values": values, "error": ""})  # fmt: skip
                return
            if not isinstance(asked, list):
                self.core.send({"type": "wei", "id": rid, "error": "addresses must be a list"})
                return
            keys = []
            for a in asked[:500]:
                try:
                    keys.append(to_address(a, "response address"))
                except OgpuWidgetsError:
                    keys.append(None)
            known = [k if k in core.df.index else None for k in keys]
            payments = core.df["payment"].reindex([k for k in known if k is not None])
            by_key = dict(zip(payments.index, serialize.wei_strings(payments), strict=True))
            values = [by_key.get(k) if k is not None else None for k in known]
            self.core.send({"type": "wei", "id": rid, "version": core.view._rows_version,
                       "addresses": [k or "" for k in keys], "values": values,
                       "error": ""})  # fmt: skip
