"""The messages the front-end sends a ``ResponseTable``, checked as strictly as Python calls.

Requests carry an ``id`` that must be a non-empty string, compared exactly (``7`` is not
``"7"``; ``None`` is not ``"None"``); addresses are normalized before lookup. Every check is
linear in what it is given and bounded before it reads (ids, lists, bytes), and names a bad
value by its type and size rather than echoing it. A malformed view is refused with
:class:`BadRequest` (the last good view stays; the front-end is told). See
``docs/widget-protocol.md``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

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
    "shown",
]

#: Longest request id accepted (ids are UUIDs in practice).
MAX_ID = 200
#: Keys a ``_view`` value may have.
VIEW_KEYS = frozenset({"all", "positions"})


def shown(value: Any) -> str:
    """``value`` for a message: short scalars as written, the rest by type (and size), so that
    no message echoes a huge or deep value back."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"{value[:40]!r}… ({len(value)} characters)"
    if isinstance(value, bool | float | None) or (isinstance(value, int) and abs(value) < 10**20):
        return repr(value)
    if isinstance(value, int):
        return "a very large int"
    try:
        size = f" of {len(value)}"
    except Exception:
        size = ""
    return f"a {type(value).__name__}{size}"


@dataclass(frozen=True)
class ConfirmRequest:
    rid: str
    #: The checksummed response address; ``raw`` is what the front-end sent.
    response: str | None
    raw: Any
    error: OgpuWidgetsError | None = None


def _rid(message: Any) -> str:
    rid = message.get("id") if isinstance(message, dict) else None
    if not isinstance(rid, str) or len(rid) > MAX_ID or not rid.strip():
        raise BadRequest(
            f"request id {shown(rid)} is not a non-empty string of at most {MAX_ID} characters; "
            "nothing was done",
            rid=rid if isinstance(rid, str) and len(rid) <= MAX_ID else "",
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
    """The snapshot positions of a ``_view`` value in display order, ``None`` for "every row
    in snapshot order". Raises :class:`BadRequest` for a malformed one: not a dict, unknown
    keys, ``all`` not a bool, ``positions`` not little-endian uint32 bytes, more positions than
    rows, one past the snapshot or one twice. Linear, and the bytes' length is checked first."""
    if not isinstance(view, dict):
        raise _bad_view(f"it is {shown(view)}, not a dict")
    if not view:
        return None
    unknown = [k for k in view if k not in VIEW_KEYS]
    if unknown:
        raise _bad_view(f"unknown key(s) {', '.join(shown(k) for k in unknown[:3])}")
    show_all = view.get("all", True)
    if not isinstance(show_all, bool):
        raise _bad_view(f"'all' is {shown(show_all)}, not a bool")
    raw = view.get("positions")
    if show_all:
        return None
    if raw is None:
        raw = b""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise _bad_view(f"'positions' is {shown(raw)}, not little-endian uint32 bytes")
    size = raw.nbytes if isinstance(raw, memoryview) else len(raw)
    if size % 4:
        raise _bad_view(f"'positions' has {size} bytes, not a whole number of uint32")
    if size // 4 > n_rows:
        raise _bad_view(f"it has {size // 4} positions for {n_rows} rows")
    positions = np.frombuffer(bytes(raw), dtype="<u4")
    if len(positions):
        if int(positions.max()) >= n_rows:
            raise _bad_view(f"a position points past the snapshot of {n_rows} rows")
        if int(np.bincount(positions, minlength=0).max()) > 1:
            raise _bad_view("a row appears twice in it")
    return positions.tolist()


def _bad_view(why: str) -> BadRequest:
    return BadRequest(f"_view: {why}; the last good view stays", rid="")
