"""How a ``ResponseTable`` answers what its front-end sends: confirm requests, selections,
views and custom messages, each checked by :mod:`ogpu_widgets.table.protocol` first (mixed
into the widget)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..chain.codec import to_address
from ..confirm import estimate_fee
from ..errors import ConfirmationError, OgpuWidgetsError, ResponseTableError
from ..records import ConfirmationState
from . import protocol, serialize

log = logging.getLogger("ogpu_widgets.table")


class FrontEndMessages:
    """The front-end side of :class:`~ogpu_widgets.table.ResponseTable`."""

    _lock: Any
    _df: Any
    _seen_requests: set[str]
    _snapshot_keys: list[str]
    _positions: list[int] | None
    _overrides: dict
    _seq: int
    _signer: Any
    _network: Any

    def _on_confirm_request(self, change: dict[str, Any]) -> None:
        message = change["new"]
        if not message:
            return  # our own clearing
        try:
            self._handle_confirm_request(message)
        finally:
            # consumed: clearing it lets a replayed request reach us (and be refused)
            self._confirm_request = {}

    def _handle_confirm_request(self, message: Any) -> None:
        try:
            request = protocol.parse_confirm_request(message)
        except protocol.BadRequest as exc:
            self._reply = protocol.reply(exc.rid, str(exc))
            return
        rid = request.rid
        if rid in self._seen_requests:
            self._reply = protocol.reply(rid, f"request {rid} was already handled")
            return
        self._seen_requests.add(rid)
        if request.error is not None:
            self._reply = protocol.reply(rid, str(request.error))
            return
        address = request.response
        try:
            self._start_confirmation(address)  # type: ignore[arg-type]
        except OgpuWidgetsError as exc:
            self._reply = protocol.reply(rid, str(exc))
            if isinstance(exc, ConfirmationError):
                with self._lock:
                    known = address in self._df.index
                if known:
                    self._patch_rows(
                        {address: {"action": ConfirmationState.REFUSED,
                                   "action_error": str(exc)}}  # type: ignore[dict-item]
                    )  # fmt: skip
            return
        self._reply = protocol.reply(rid)

    def _on_view(self, change: dict[str, Any]) -> None:
        with self._lock:
            try:
                self._positions = protocol.parse_view(change["new"], len(self._snapshot_keys))
            except ValueError as exc:
                log.debug("ignored a malformed view message: %s", exc)

    def _on_selected_keys(self, change: dict[str, Any]) -> None:
        keys = []
        for k in change["new"]:
            try:
                k = to_address(k, "selected address")
            except OgpuWidgetsError:
                continue
            if k in self._df.index and k not in keys:
                keys.append(k)
        if keys != list(change["new"]):
            self.selected_keys = keys

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "resync":
            with self._lock:
                append = self._appended_payload()  # type: ignore[attr-defined]
                if self._overrides or append is not None:
                    self._seq += 1
                    patch = {"seq": self._seq, "rows": serialize.jsonable(self._overrides)}
                    if append is not None:
                        patch["append"] = append
                    self._patch = patch
        elif kind == "refresh":
            threading.Thread(
                target=self._refresh_from_front_end,  # type: ignore[attr-defined]
                name="ogpu-table-refresh",
                daemon=True,
            ).start()
        elif kind == "estimate":
            threading.Thread(target=self._estimate, args=(content,), daemon=True).start()
        elif kind == "results":
            self._on_results_message(content)  # type: ignore[attr-defined]
        elif kind == "result":
            self._on_result_message(content)  # type: ignore[attr-defined]

    def _estimate(self, content: dict[str, Any]) -> None:
        rid = content.get("id")
        if not isinstance(rid, str) or not rid:
            self.send({"type": "estimate", "id": "", "fee_ogpu": None,
                       "error": "an estimate request needs a non-empty string id"})  # fmt: skip
            return
        try:
            if self._signer is None:
                raise ResponseTableError("read-only: no signer configured")
            address = to_address(content.get("response"), "response address")
            fee = estimate_fee(address, account=self._signer, network=self._network)
            self.send({"type": "estimate", "id": rid, "fee_ogpu": fee / 10**18, "error": ""})
        except OgpuWidgetsError as exc:
            self.send({"type": "estimate", "id": rid, "fee_ogpu": None, "error": str(exc)})
        except Exception as exc:
            log.exception("estimating the fee failed unexpectedly")
            self.send({"type": "estimate", "id": rid, "fee_ogpu": None,
                       "error": f"estimating the fee failed ({type(exc).__name__})"})  # fmt: skip
