"""How a ``ResponseTable`` answers what its front-end sends: confirm requests, selections,
views and custom messages, each checked by :mod:`ogpu_widgets.table.protocol` first (mixed
into the widget)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..chain.codec import to_address
from ..confirm import estimate_fee
from ..confirm.rules import LABELS
from ..errors import (
    ConfirmationError,
    InsufficientFundsError,
    InvalidResponseError,
    MissingSignerError,
    OgpuWidgetsError,
    ResponseNotFoundError,
    TransactionRevertedError,
)
from ..records import ConfirmationState
from . import protocol, serialize

log = logging.getLogger("ogpu_widgets.table")

#: One line a person can act on, per refusal rule label (``confirm.rules.LABELS``) and for the
#: refusals no rule predicts (keyed by error class name). The front-end shows the same lines
#: (``js/src/messages.ts``); the full message goes behind a disclosure.
SUMMARIES: dict[str, str] = {
    "read-only": "Refused: no signer is configured — pass account=... to sign",
    "first-response source": "Refused: this task's source confirms the first response by itself",
    "confirmed": "Refused: the response is already confirmed — nothing to pay",
    "task finalized": "Refused: the task is already finalized — nothing to pay",
    "task canceled": "Refused: the task was canceled — nothing to pay",
    "task expired": "Refused: the task has expired — it can no longer be confirmed",
    "not the client": "Refused: the signer is not the task's client — use the client's key",
    "not the task's client": "Refused: the signer is not the task's client — use the client's key",
    "confirmation pending": "Refused: a confirmation of this task is already pending — wait for it",
    "InsufficientFundsError": "Refused: the signer cannot pay the gas — send it some OGPU first",
    "InvalidResponseError": "Refused: not a response the protocol knows on this network",
    "ResponseNotFoundError": "Refused: no contract at this address on this network",
    "TransactionRevertedError": "Refused: the simulation reverted — nothing was sent",
}
_UNLABELLED = (InsufficientFundsError, ResponseNotFoundError, InvalidResponseError,
               TransactionRevertedError)  # fmt: skip


def predicted_refusal(exc: BaseException) -> dict[str, str] | None:
    """What the estimate reply says when preflight refuses: ``{"label", "kind", "summary"}``,
    ``label`` being the rule's label in ``confirm.rules.LABELS`` ("" for a refusal no rule
    names: funds, an unknown response, a revert), ``kind`` the error class. ``None`` for a
    failure that predicts nothing (the node unavailable, a bad request)."""
    if not isinstance(exc, ConfirmationError):
        return None
    for label, cls in LABELS.items():
        if isinstance(exc, cls):
            summary = SUMMARIES.get(label, f"Refused: {label}")
            return {"label": label, "kind": type(exc).__name__, "summary": summary}
    for cls in _UNLABELLED:
        if isinstance(exc, cls):
            name = cls.__name__
            return {"label": "", "kind": type(exc).__name__, "summary": SUMMARIES[name]}
    return {"label": "", "kind": type(exc).__name__,
            "summary": "Refused: the confirmation would fail — see the details"}  # fmt: skip


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
        if kind == "painted":  # a view painted its first rows: background lookups may start
            self._history_kick(start=True)  # type: ignore[attr-defined]
        elif kind == "resync":
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
        elif kind == "wallet":
            self._on_wallet_message(content)  # type: ignore[attr-defined]
        elif kind == "wei":
            self._on_wei(content)

    def _on_wei(self, content: dict[str, Any]) -> None:
        """Exact payments (wei as decimal strings) for the export, the detail view and tooltips:
        ``addresses`` (at most 500; unknown ones answered with null) or, without them, every
        row in row-index order (``_rows`` then the appended rows)."""
        rid = content.get("id")
        if not isinstance(rid, str) or not rid or len(rid) > 200:
            self.send({"type": "wei", "id": "", "error": "a wei request needs a string id"})
            return
        asked = content.get("addresses")
        with self._lock:
            if asked is None:
                keys = list(self._snapshot_keys)
                values = serialize.wei_strings(self._df["payment"].reindex(keys))
                self.send({"type": "wei", "id": rid, "version": self._rows_version,
                           "addresses": None, "values": values, "error": ""})  # fmt: skip
                return
            if not isinstance(asked, list):
                self.send({"type": "wei", "id": rid, "error": "addresses must be a list"})
                return
            keys = []
            for a in asked[:500]:
                try:
                    keys.append(to_address(a, "response address"))
                except OgpuWidgetsError:
                    keys.append(None)
            known = [k if k in self._df.index else None for k in keys]
            payments = self._df["payment"].reindex([k for k in known if k is not None])
            by_key = dict(zip(payments.index, serialize.wei_strings(payments), strict=True))
            values = [by_key.get(k) if k is not None else None for k in known]
            self.send({"type": "wei", "id": rid, "version": self._rows_version,
                       "addresses": [k or "" for k in keys], "values": values,
                       "error": ""})  # fmt: skip

    def _estimate(self, content: dict[str, Any]) -> None:
        rid = content.get("id")
        if not isinstance(rid, str) or not rid:
            self.send({"type": "estimate", "id": "", "fee_ogpu": None,
                       "error": "an estimate request needs a non-empty string id"})  # fmt: skip
            return
        try:
            if self._signer is None:
                raise MissingSignerError("read-only: no signer configured")
            address = to_address(content.get("response"), "response address")
            fee = estimate_fee(address, account=self._signer, network=self._network)
            self.send({"type": "estimate", "id": rid, "fee_ogpu": fee / 10**18, "error": "",
                       "fee_wei": str(fee), "refusal": None})  # fmt: skip
        except OgpuWidgetsError as exc:
            self.send({"type": "estimate", "id": rid, "fee_ogpu": None, "error": str(exc),
                       "refusal": predicted_refusal(exc)})  # fmt: skip
        except Exception as exc:
            log.exception("estimating the fee failed unexpectedly")
            self.send({"type": "estimate", "id": rid, "fee_ogpu": None,
                       "error": f"estimating the fee failed ({type(exc).__name__})"})  # fmt: skip
