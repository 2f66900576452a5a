"""What a result looks like in a ``ResponseTable``: the one-line preview of an
:class:`~ogpu_widgets.results.outcome.Outcome` (the ``result_preview`` patch; its state is the
outcome's own), image sizes read from header bytes, and the capped ``{"type": "result"}``
answer of the detail view. Pure functions; the fetching is in :mod:`ogpu_widgets.table.results`."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from typing import Any

from ..results.outcome import Outcome

__all__ = [
    "MAX_IMAGE",
    "MAX_PREVIEW",
    "MAX_TEXT",
    "detail_message",
    "error_answer",
    "image_info",
    "preview",
]

#: Longest one-line preview sent in a patch (characters).
MAX_PREVIEW = 160
#: Largest JSON text or text sent to the detail view (characters); longer ones are cut.
MAX_TEXT = 1_000_000
#: Largest image sent to the detail view (bytes); larger ones are not sent.
MAX_IMAGE = 2_000_000


# ---- what a result looks like in a row ---------------------------------------------------------

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(s: str) -> str:
    """Control, bidi-override and C1 characters as visible, inert symbols (one line)."""

    def sub(m: re.Match[str]) -> str:
        c = ord(m.group())
        if c in (0x09, 0x0A, 0x0D):
            return " "
        if c < 0x20:
            return chr(0x2400 + c)  # ␀ … ␟ (ESC → ␛)
        if c == 0x7F:
            return "\u2421"
        return "\ufffd"

    return _CONTROL.sub(sub, s)


def _cut(s: str, limit: int = MAX_PREVIEW) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _compact(value: Any, budget: int, depth: int = 0) -> str:
    """Compact JSON of ``value``, stopping soon after ``budget`` characters (huge values are
    never serialized whole for a preview)."""
    out: list[str] = []
    used = 0

    def emit(s: str) -> bool:
        nonlocal used
        out.append(s)
        used += len(s)
        return used < budget

    def walk(v: Any, d: int) -> bool:
        if d > 40:
            return emit("…")
        if isinstance(v, dict):
            if not emit("{"):
                return False
            for i, (k, x) in enumerate(v.items()):
                if i and not emit(","):
                    return False
                if not emit(json.dumps(str(k), ensure_ascii=False)[: budget + 2] + ":"):
                    return False
                if not walk(x, d + 1):
                    return False
            return emit("}")
        if isinstance(v, list | tuple):
            if not emit("["):
                return False
            for i, x in enumerate(v):
                if i and not emit(","):
                    return False
                if not walk(x, d + 1):
                    return False
            return emit("]")
        if isinstance(v, str):
            return emit(json.dumps(v[: budget + 2], ensure_ascii=False))
        if isinstance(v, float) and not math.isfinite(v):
            return emit(str(v))
        try:
            return emit(json.dumps(v, ensure_ascii=False))
        except (TypeError, ValueError):
            return emit(json.dumps(str(v), ensure_ascii=False))

    walk(value, depth)
    return "".join(out)


def _bytes_text(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def image_info(data: bytes) -> tuple[str, int | None, int | None] | None:
    """(MIME type, width, height) of a PNG, JPEG, GIF or WebP from its header bytes; ``None``
    for anything else (SVG and HTML included: they are never drawn). A size that cannot be read
    from a recognised header is ``None``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        return None
    b = bytes(data[:65536]) if not isinstance(data, bytes) else data
    if b.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(b) >= 24 and b[12:16] == b"IHDR":
            w, h = struct.unpack(">II", b[16:24])
            return "image/png", w, h
        return "image/png", None, None
    if b[:6] in (b"GIF87a", b"GIF89a"):
        if len(b) >= 10:
            w, h = struct.unpack("<HH", b[6:10])
            return "image/gif", w, h
        return "image/gif", None, None
    if b.startswith(b"\xff\xd8\xff"):
        return ("image/jpeg", *_jpeg_size(b))
    if len(b) >= 12 and b[:4] == b"RIFF" and b[8:12] == b"WEBP":
        return ("image/webp", *_webp_size(b))
    return None


def _jpeg_size(b: bytes) -> tuple[int | None, int | None]:
    i = 2
    n = len(b)
    while i + 4 <= n:
        if b[i] != 0xFF:
            i += 1
            continue
        marker = b[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", b[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 <= n:
                h, w = struct.unpack(">HH", b[i + 5 : i + 9])
                return w, h
            return None, None
        if length < 2:
            return None, None
        i += 2 + length
    return None, None


def _webp_size(b: bytes) -> tuple[int | None, int | None]:
    chunk = b[12:16]
    try:
        if chunk == b"VP8X" and len(b) >= 30:
            w = int.from_bytes(b[24:27], "little") + 1
            h = int.from_bytes(b[27:30], "little") + 1
            return w, h
        if chunk == b"VP8L" and len(b) >= 25 and b[20] == 0x2F:
            bits = int.from_bytes(b[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8 " and len(b) >= 30 and b[23:26] == b"\x9d\x01\x2a":
            w, h = struct.unpack("<HH", b[26:30])
            return w & 0x3FFF, h & 0x3FFF
    except (struct.error, IndexError):
        pass
    return None, None


def _body_preview(r: Outcome) -> str:
    if r.kind == "json":
        return _compact(r.value, MAX_PREVIEW)
    if r.kind == "text":
        text = r.value if isinstance(r.value, str) else str(r.value)
        return " ".join(text[: MAX_PREVIEW * 4].split())
    if r.kind == "image":
        info = image_info(r.value) if isinstance(r.value, bytes | bytearray) else None
        if info is None:
            return f"image, {_bytes_text(r.size)} (not shown: not PNG, JPEG, GIF or WebP)"
        mime, w, h = info
        name = mime.split("/")[1].upper()
        return f"image {w}×{h} {name}" if w and h else f"image {name}, {_bytes_text(r.size)}"
    if r.kind == "binary":
        return f"binary, {_bytes_text(r.size)}"
    return r.error_text or "no result"


def preview(r: Outcome) -> str:
    """The one-line preview of a result shown in its row (at most ``MAX_PREVIEW`` characters,
    control and bidi-override characters made visible)."""
    if r.kind == "error":
        text = r.error_text or "no result"
    elif r.verified is False:
        text = f"does not match its CID: {_body_preview(r)}"
    else:
        text = _body_preview(r)
    return _cut(_visible(text))


def detail_message(rid: str, r: Outcome) -> dict[str, Any]:
    """The ``{"type": "result"}`` answer for the detail view: the whole result, capped
    (``MAX_TEXT`` characters of JSON or text, ``MAX_IMAGE`` bytes of image; ``truncated`` says
    so). JSON goes as ``value``, or as its text in ``text`` when it is too large or holds
    numbers JSON cannot carry (NaN, Infinity). Images only as PNG/JPEG/GIF/WebP bytes (base64)
    with the MIME type read from the bytes, never the gateway's."""
    msg: dict[str, Any] = {
        "type": "result", "id": rid, "kind": r.kind, "state": r.state.value, "value": None,
        "text": "", "image": "", "mime": "", "width": None, "height": None,
        "verified": r.verified, "error": r.error_text, "cid": r.cid or "", "size": r.size,
        "truncated": False,
    }  # fmt: skip
    if r.kind == "json":
        try:
            text = json.dumps(r.value, ensure_ascii=False, allow_nan=False)
            exact = True
        except ValueError:  # NaN / Infinity: send the text, which says them
            text, exact = _json_text(r.value)
        except (TypeError, RecursionError):
            text, exact = _json_text(r.value)
        if exact and len(text) <= MAX_TEXT:
            msg["value"] = r.value
        else:
            msg["text"] = text[:MAX_TEXT]
            msg["truncated"] = len(text) > MAX_TEXT
    elif r.kind == "text":
        text = r.value if isinstance(r.value, str) else ""
        msg["value"] = text[:MAX_TEXT]
        msg["truncated"] = len(text) > MAX_TEXT
    elif r.kind == "image":
        data = r.value if isinstance(r.value, bytes) else b""
        info = image_info(data)
        if info is None:
            msg["error"] = (
                r.error_text or "not shown: only PNG, JPEG, GIF and WebP images are drawn"
            )
        else:
            msg["mime"], msg["width"], msg["height"] = info
            if len(data) > MAX_IMAGE:
                msg["truncated"] = True
                msg["error"] = (
                    f"not shown: the image is {_bytes_text(len(data))}, more than the "
                    f"{_bytes_text(MAX_IMAGE)} the table sends"
                )
            else:
                msg["image"] = base64.b64encode(data).decode("ascii")
    elif r.kind == "binary":
        data = r.value if isinstance(r.value, bytes) else b""
        msg["value"] = data[:256].hex(" ")
        msg["truncated"] = len(data) > 256
    return msg


def _json_text(value: Any) -> tuple[str, bool]:
    try:
        return json.dumps(value, ensure_ascii=False, default=str), False
    except (TypeError, ValueError, RecursionError):
        return _compact(value, MAX_TEXT + 1), False


def error_answer(rid: str, error: str) -> dict[str, Any]:
    return detail_message(rid, Outcome.failed(error))
