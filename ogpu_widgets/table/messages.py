"""How a ``ResponseTable`` answers what its front-end sends: ONE router, from each message type
(and each trait the front-end writes) to its handler, every message checked by
:mod:`ogpu_widgets.table.protocol` first. Handlers on the comm thread only answer from memory or
queue work: estimates go to the table's small pool (coalesced by row), refreshes to its serial
refresher, results to the results loader's workers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..chain.codec import to_address
from ..errors import ConfirmationError, OgpuWidgetsError
from ..records import ConfirmationState
from . import protocol, serialize
from .refusal import SUMMARIES, predicted_refusal
from .threads import Pool

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

__all__ = ["ESTIMATE_QUEUE", "ESTIMATE_WORKERS", "SUMMARIES", "Router", "predicted_refusal"]

#: Threads that estimate fees for one table's review panel.
ESTIMATE_WORKERS = 2
#: Most distinct rows whose estimate may wait (a request beyond is answered "busy" at once).
ESTIMATE_QUEUE = 1_000


class Router:
    """The front-end's messages to one table, each type to its one handler."""

    def __init__(self, core: TableCore) -> None:
        self.core = core
        self.seen_requests: set[str] = set()
        self.estimates = Pool(core.threads, "ogpu-table-estimate", ESTIMATE_WORKERS,
                              ESTIMATE_QUEUE)  # fmt: skip
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
            log.debug("ignored a front-end message of type %r", str(kind)[:40])
            return
        handler(content)

    # ---- traits the front-end writes ---------------------------------------------------------

    def on_confirm_request(self, message: Any) -> None:
        """``_confirm_request``: ``{"id", "response"}``; answered in ``_reply``."""
        view = self.core.view
        try:
            request = protocol.parse_confirm_request(message)
        except protocol.BadRequest as exc:
            view._reply = protocol.reply(exc.rid, str(exc))
            return
        rid = request.rid
        if rid in self.seen_requests:
            view._reply = protocol.reply(rid, f"request {rid} was already handled")
            return
        self.seen_requests.add(rid)
        address = request.response
        if request.error is not None or address is None:
            view._reply = protocol.reply(rid, str(request.error))
            return

        def accepted() -> None:  # said before the worker can answer (a rejection in the wallet)
            view._reply = protocol.reply(rid)

        try:
            self.core.confirmer.start(address, request_id=rid, accepted=accepted)
        except OgpuWidgetsError as exc:
            view._reply = protocol.reply(rid, str(exc))
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
            except ValueError as exc:
                log.debug("ignored a malformed view message: %s", exc)

    def on_selected_keys(self, value: list[Any]) -> None:
        seen: dict[str, None] = {}  # in order, each once (a set test, not a list scan)
        for k in value:
            try:
                k = to_address(k, "selected address")
            except OgpuWidgetsError:
                continue
            if k not in seen and k in self.core.df.index:
                seen[k] = None
        keys = list(seen)
        if keys != list(value):
            self.core.view.selected_keys = keys

    # ---- requests with an answer ---------------------------------------------------------------

    def estimate(self, content: dict[str, Any]) -> None:
        """``{"type": "estimate", "id", "response"}``: the fee, on the estimate pool; requests
        for a row whose estimate still waits are answered by the same run."""
        core = self.core
        rid = content.get("id")
        if not isinstance(rid, str) or not rid:
            core.send(core.confirmer.estimate_reply(content))  # answered at once: no id
            return
        response = content.get("response")
        key = response.lower() if isinstance(response, str) else repr(response)[:100]

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
        if not isinstance(rid, str) or not rid or len(rid) > 200:
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
