"""The one result type: :class:`Outcome`, what fetching one response's ``data`` gave, with its
kind (``classify``) and its state (:class:`~ogpu_widgets.records.ResultState`).

It travels end to end: the fetcher makes it, :func:`~ogpu_widgets.results.fetch_results` turns a
list of them into its DataFrame (:func:`frame`; :func:`from_row` reads one row back), and the
table keeps it per row, previews it and answers the detail view with it. Whether a result was
"not fetched" on purpose is its error's type (:class:`~ogpu_widgets.errors.ResultNotFetchedError`),
never its message."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import (
    ResultError,
    ResultNotFetchedError,
    ResultTimeoutError,
    ResultTooLargeError,
    ResultVerificationError,
)
from ..records import ResultState

__all__ = ["KINDS", "MAX_JSON_DEPTH", "RESULT_COLUMNS", "Outcome", "classify", "frame", "from_row"]

#: The values of ``result_kind``.
KINDS = ("json", "text", "image", "binary", "error")
#: The columns :func:`~ogpu_widgets.results.fetch_results` returns, in order.
RESULT_COLUMNS = ("result", "result_kind", "result_cid", "result_verified", "result_error",
                  "result_size")  # fmt: skip

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
#: JSON nested deeper than this is shown as text. ``json.loads`` recurses in C and the
#: recursion limit is no guard here (web3's ``py_ecc`` raises it to 100,000 on import), so a
#: payload of 100,000 ``[`` would crash the kernel.
MAX_JSON_DEPTH = 256

#: The words a result error's message starts with, by its class (the DataFrame's
#: ``result_error`` column carries the message; :func:`from_row` reads the class back from it).
PREFIXES = (
    (ResultVerificationError, "verification failed"),
    (ResultTooLargeError, "too large"),
    (ResultTimeoutError, "timed out"),
    (ResultNotFetchedError, "not fetched"),
)


def classify(content: bytes) -> tuple[str, Any]:
    """``(kind, value)`` of fetched bytes: ``image`` (PNG, JPEG, GIF, WebP magic; never SVG,
    which is text) with the bytes, ``json`` with the parsed value, ``text`` with the string
    (UTF-8, also malformed JSON), else ``binary`` with the bytes."""
    if content.startswith(_IMAGE_MAGIC) or (content[:4] == b"RIFF" and content[8:12] == b"WEBP"):
        return "image", content
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", content
    if _too_deep(content):  # as text: parsing it could overflow the C stack
        return "text", text
    try:
        return "json", json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):  # also ints past Python's digit limit
        return "text", text


def _too_deep(content: bytes) -> bool:
    """Whether ``content``, read as JSON, nests arrays and objects deeper than
    :data:`MAX_JSON_DEPTH`. One linear pass whatever the bytes (no backtracking regex): the
    quotes that open or close strings are those not escaped by an odd run of backslashes,
    and only brackets outside strings count. Exact for every prefix of valid JSON, which is
    all ``json.loads`` reads before it stops."""
    if content.count(b"[") + content.count(b"{") <= MAX_JSON_DEPTH:
        return False
    chars = np.frombuffer(content, dtype=np.uint8)
    quotes = chars == 0x22
    slashes = np.flatnonzero(chars == 0x5C).astype(np.int32, copy=False)
    if slashes.size:  # the byte after a run of an odd number of backslashes is escaped
        n = np.arange(slashes.size, dtype=np.int32)
        joined = slashes[1:] == slashes[:-1] + 1
        starts = np.concatenate(([True], ~joined))
        ends = np.concatenate((~joined, [True]))
        first = np.maximum.accumulate(np.where(starts, n, 0))
        escaped = slashes[ends & (((n ^ first) & 1) == 0)] + 1
        quotes[escaped[escaped < chars.size]] = False
    outside = (np.cumsum(quotes, dtype=np.uint8) & 1) == 0  # parity survives the wrap
    signs = (chars == 0x5B).view(np.int8) + (chars == 0x7B).view(np.int8)
    signs -= (chars == 0x5D).view(np.int8) + (chars == 0x7D).view(np.int8)
    steps = signs[(signs != 0) & outside]
    return bool(steps.size) and int(np.cumsum(steps, dtype=np.int32).max()) > MAX_JSON_DEPTH


def normalized(exc: ResultError) -> ResultError:
    """``exc`` with a message that starts with what happened ("too large: …")."""
    for klass, prefix in PREFIXES:
        if isinstance(exc, klass) and not str(exc).startswith(prefix):
            return type(exc)(f"{prefix}: {exc}", **exc.data)
    return exc


@dataclass
class Outcome:
    """What fetching one ``data`` value gave: the content (None on failure or once dropped),
    whether it was verified against its CID (True/False/None: could not be checked), the CID's
    text, the typed error, whether the cache answered; and, read from the content once, its
    ``kind`` (:data:`KINDS`), parsed ``value`` and ``size`` in bytes."""

    content: bytes | None = None
    verified: bool | None = None
    cid: str | None = None
    error: ResultError | None = None
    cached: bool = False
    kind: str = ""
    value: Any = None
    size: int = 0

    def __post_init__(self) -> None:
        if self.kind:
            return
        if self.content is None:
            self.kind = "error"
        else:
            self.kind, self.value = classify(self.content)
            self.size = len(self.content)

    @classmethod
    def nothing(cls, reason: str) -> Outcome:
        """No result on purpose (no data, results turned off): state ``none``."""
        return cls(error=ResultNotFetchedError(reason))

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        """A failure outside the fetcher (the node, a bug): state ``error``."""
        return cls(error=ResultError(reason))

    @property
    def state(self) -> ResultState:
        if self.kind == "error":
            if isinstance(self.error, ResultNotFetchedError):
                return ResultState.NONE
            return ResultState.ERROR
        if self.verified is True:
            return ResultState.OK
        if self.verified is False:
            return ResultState.ERROR
        return ResultState.UNVERIFIED

    @property
    def error_text(self) -> str:
        if self.error is not None:
            return str(self.error)
        return "the result could not be fetched" if self.kind == "error" else ""

    def light(self) -> Outcome:
        """This outcome without its content and value (kind, state and size kept)."""
        return replace(self, content=None, value=None)


def frame(addresses: list[str], rows: list[Outcome]) -> pd.DataFrame:
    """The DataFrame of :func:`~ogpu_widgets.results.fetch_results` (:data:`RESULT_COLUMNS`)."""
    index = pd.Index(addresses, name="address", dtype=object)
    failed = [o.kind == "error" for o in rows]
    return pd.DataFrame(
        {
            "result": pd.Series([o.value for o in rows], index=index, dtype=object),
            "result_kind": pd.Categorical([o.kind for o in rows], categories=KINDS),
            "result_cid": pd.array([o.cid for o in rows], dtype="string"),
            "result_verified": pd.array([o.verified for o in rows], dtype="boolean"),
            "result_error": pd.array([str(o.error or "") for o in rows], dtype=str),
            "result_size": pd.array(
                [pd.NA if bad else o.size for o, bad in zip(rows, failed, strict=True)],
                dtype="Int64",
            ),
        },
        index=index,
    )


def _text(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)


def _verified(v: Any) -> bool | None:
    try:
        return None if v is None or v is pd.NA or pd.isna(v) else bool(v)
    except (TypeError, ValueError):
        return None


def from_row(row: Any) -> Outcome:
    """The :class:`Outcome` of one row of :func:`frame` (or of a ``load_responses`` frame with
    ``results=True``): its error's class read back from the message's first words."""

    def get(name: str) -> Any:
        try:
            v = row[name]
        except (KeyError, IndexError):
            return None
        return None if v is pd.NA else v

    kind = _text(get("result_kind")) or "error"
    kind = kind if kind in KINDS else "binary"
    value = get("result")
    if isinstance(value, float) and math.isnan(value) and kind != "json":
        value = None
    if isinstance(value, bytearray | memoryview):
        value = bytes(value)
    try:
        size = int(get("result_size") or 0)
    except (TypeError, ValueError):
        size = 0
    if not size and isinstance(value, bytes):
        size = len(value)
    text = _text(get("result_error"))
    error = None
    if text or kind == "error":
        klass = next((k for k, p in PREFIXES if text.lower().startswith(p)), ResultError)
        error = klass(text or "the result could not be fetched")
    cid = _text(get("result_cid")) or None
    verified = _verified(get("result_verified"))
    return Outcome(None, verified, cid, error, kind=kind, value=value, size=size)
