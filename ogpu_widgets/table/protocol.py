"""The messages the front-end sends a ``ResponseTable``, checked as strictly as Python calls.

Requests carry an ``id`` that must be a non-empty string, compared exactly (``7`` is not
``"7"``; ``None`` is not ``"None"``); addresses are normalized before lookup. A malformed view
message is ignored (the last good view stays). See ``docs/widget-protocol.md``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..chain.codec import to_address
from ..errors import BadRequest, InvalidAddressError, OgpuWidgetsError

__all__ = [
    "BadRequest",
    "ConfirmRequest",
    "parse_confirm_request",
    "parse_result_addresses",
    "parse_result_request",
    "parse_view",
    "reply",
]

#: Longest request id accepted (ids are UUIDs in practice).
MAX_ID = 200


@dataclass(frozen=True)
class ConfirmRequest:
    rid: str
    #: The checksummed response address; ``raw`` is what the front-end sent.
    response: str | None
    raw: Any
    error: OgpuWidgetsError | None = None


def _rid(message: Any) -> str:
    rid = message.get("id") if isinstance(message, dict) else None
    if not isinstance(rid, str) or not rid.strip() or len(rid) > MAX_ID:
        shown = rid if isinstance(rid, str | int | float | bool | None) else type(rid).__name__
        raise BadRequest(
            f"request id {shown!r} is not a non-empty string of at most {MAX_ID} characters; "
            "nothing was done",
            rid=rid if isinstance(rid, str) else "",
        )
    return rid


def parse_confirm_request(message: Any) -> ConfirmRequest:
    """The id and normalized address of a ``_confirm_request``. Raises :class:`BadRequest`
    when the id is missing or not a string; a bad address is returned as ``error`` (the
    request still gets an answer with its id)."""
    rid = _rid(message)
    raw = message.get("response")
    try:
        return ConfirmRequest(rid, to_address(raw, "response address"), raw)
    except InvalidAddressError as exc:
        return ConfirmRequest(rid, None, raw, exc)


def parse_result_request(message: Any) -> ConfirmRequest:
    """The id and normalized address of a ``{"type": "result"}`` request (the detail view
    asking for a row's whole result), checked like a confirm request: :class:`BadRequest` when
    the id is unusable, an invalid address returned as ``error``."""
    return parse_confirm_request(message)


def parse_result_addresses(message: Any, limit: int) -> list[str]:
    """The normalized, distinct addresses of a ``{"type": "results"}`` message (rows the
    front-end shows), in order, at most ``limit``; anything that is not an address is
    skipped, and a message without a list gives none."""
    raw = message.get("addresses") if isinstance(message, dict) else None
    if not isinstance(raw, list):
        return []
    out: list[str] = []
    seen: set[str] = set()
    for item in raw[:limit]:
        if not isinstance(item, str):
            continue
        try:
            address = to_address(item, "response address")
        except InvalidAddressError:
            continue
        if address not in seen:
            seen.add(address)
            out.append(address)
    return out


def reply(rid: Any, error: str = "") -> dict[str, Any]:
    """The ``_reply`` trait value answering request ``rid``."""
    return {"id": rid if isinstance(rid, str) else "", "ok": not error, "error": error}


def parse_view(view: Any, n_rows: int) -> list[int] | None:
    """The snapshot positions of a ``_view`` message in display order, ``None`` for "every row
    in snapshot order". Raises ``ValueError`` for a malformed message."""
    if not isinstance(view, dict) or not view:
        return None
    show_all = view.get("all", True)
    if not isinstance(show_all, bool):
        raise ValueError("view.all is not a bool")
    if show_all:
        return None
    raw = view.get("positions")
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    if raw is None:
        raw = b""
    if not isinstance(raw, bytes | bytearray) or len(raw) % 4:
        raise ValueError("view.positions is not little-endian uint32 bytes")
    positions = memoryview(bytes(raw)).cast("I").tolist()
    if any(p >= n_rows for p in positions):
        raise ValueError("view.positions points past the snapshot")
    return positions
