"""Reading OpenGPU tasks and responses fast, into records and pandas DataFrames.

Three read paths give the same results:

``lens``
    The creation code of ``contracts/ResponseLens.sol`` runs as a deployless ``eth_call`` (no
    ``to``): its constructor reads up to ~100 responses (or ~85 tasks) and returns them
    ABI-encoded. The output of a constructor is contract code to the node, so one call returns
    at most :data:`LENS_MAX_OUTPUT` bytes (EIP-170); chunks are sized by estimated output and by
    estimated gas to stay under ``network.call_gas_cap``, and many lens calls travel in one
    JSON-RPC batch request when the node accepts batches.
``batch``
    Plain ``eth_call`` of each view function, :data:`BATCH_CALLS_PER_REQUEST` per JSON-RPC batch.
``call``
    The same calls one HTTP request each, one after another (the official SDK's way).

``read_path="auto"`` (the default) tries the lens, falls back to plain batches when the node
refuses the deployless call, and to single calls when it refuses batches; the choice is logged
at debug level on ``logging.getLogger("ogpu_widgets.reader")`` and remembered per RPC URL.
Every read of one public call is pinned to one block, so a frame is a consistent snapshot.
Transient failures (connection errors, timeouts, HTTP 429/5xx, rate limits) are retried with
exponential backoff; when a read still fails, :class:`~ogpu_widgets.errors.ReadError` is raised
and nothing partial is returned.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import pandas as pd
from eth_hash.auto import keccak

from . import frame as _frame
from .chain.abi import bytecode
from .chain.codec import to_address
from .chain.network import Network, resolve_network
from .chain.revert import revert_reason
from .chain.rpc import (
    CAPABILITIES,
    BatchRefused,
    RpcClient,
    RpcError,
    Unreachable,
    is_transient,
)
from .errors import (
    InvalidArgumentError,
    InvalidRangeError,
    NotAContractError,
    NotAResponseError,
    NotASourceError,
    NotATaskError,
    ReadError,
    SelectorError,
)
from .records import (
    ZERO_ADDRESS,
    DeliveryMethod,
    ResponseStatus,
    TaskInfo,
    TaskResponse,
    TaskStatus,
)

__all__ = [
    "ReadPath",
    "task_publications",
    "get_confirmed_response",
    "get_task_responses",
    "load_responses",
    "load_tasks",
    "read_responses",
]

log = logging.getLogger("ogpu_widgets.reader")

ReadPath = Literal["auto", "lens", "batch", "call"]
_PATHS = ("auto", "lens", "batch", "call")

# ---- tunables ----------------------------------------------------------------------------------

#: Most bytes a constructor may return (EIP-170's code size limit), hence one lens call's output.
LENS_MAX_OUTPUT = 24_576
#: Most bytes of creation code plus arguments (EIP-3860's initcode limit).
MAX_INITCODE = 49_152
#: Lens calls per JSON-RPC batch request (each carries the ~5 kB creation code).
LENS_CALLS_PER_REQUEST = 32
#: Plain eth_calls per JSON-RPC batch request.
BATCH_CALLS_PER_REQUEST = 500
#: Attempts of one request before :class:`ReadError`; the backoff doubles from BACKOFF seconds.
ATTEMPTS = 4
BACKOFF = 0.25
#: A progress bar appears from this many tasks on (``progress=True``).
PROGRESS_MIN_TASKS = 100
#: Slots per range of a source's task list read in one lens call.
SOURCE_PAGE = 640
#: Nexus source slots scanned per lens call for the ``client`` selector.
NEXUS_PAGE = 2_000

# ---- gas and output model of the lens ----------------------------------------------------------
# Per item, measured on the devnet from the gasUsed the lens reports plus the code deposit of its
# output, with a margin of 25-35 % (tests/test_reader.py::test_planned_chunks_fit_under_the_gas_cap
# checks on a real node that every planned chunk is read whole under the cap). The constructor
# stops before an item when the gas left is below twice the dearest item so far, the deposit of
# the output so far and LENS_RESERVE, so a chunk's budget keeps that much aside. The deposit (200
# gas per returned byte, up to 4.9M gas for a full 24 kB output) usually dominates: with the
# default 50M cap the output limit, not gas, decides a chunk's size.
GAS_CREATE = 53_000  # intrinsic gas of a contract creation
GAS_DEPOSIT_BYTE = 200  # the code deposit the node charges per byte the constructor returns
GAS_LENS_BASE = 60_000  # constructor set-up: output buffers, final encoding
LENS_RESERVE = 120_000
GAS_TASK = 45_000
GAS_RANGE = 15_000
GAS_SLOT = 8_000  # reading one attempter slot's response address
GAS_RESPONSE = 40_000  # reading one response (params, status, confirmation, time)
GAS_TEXT_BYTE = 70  # storage reads of a string, per byte
GAS_SOURCE = 20_000
GAS_SOURCE_TASK = 6_000
GAS_CLIENT_SOURCE = 10_000
EXPECTED_TEXT = 96  # bytes of a typical data/config string (an ipfs:// URL)
OUT_FRAME = 192
OUT_TASK = 8 * 32
OUT_RESPONSE = 4 * 32
OUT_WORD = 32

_LENS_CODE = bytes.fromhex(bytecode("ResponseLens")[2:])
_LENS_CODE_HEX = _LENS_CODE.hex()
# lens modes (contracts/ResponseLens.sol)
_TASKS, _SLOTS, _SLOTS_DETAILED, _RESPONSES, _SOURCES, _SOURCE_TASKS, _CLIENT_SOURCES = range(1, 8)
_HAS_CODE, _LOOKS_RIGHT = 1, 2
_OK = _HAS_CODE | _LOOKS_RIGHT
_U64 = (1 << 64) - 1
_ADDRESS_MASK = (1 << 160) - 1
_MAX_INDEX = (1 << 48) - 1

# ---- small helpers -----------------------------------------------------------------------------


# EIP-55 without a Python loop per character: a letter of the address is upper case where the
# matching nibble of keccak(lowercase hex) is >= 8, i.e. its ASCII code loses 0x20.
_HIGH_NIBBLE = bytes(0x20 if b & 0x80 else 0 for b in range(256))
_LOW_NIBBLE = bytes(0x20 if b & 0x08 else 0 for b in range(256))
_LETTER = bytes(0x20 if chr(b) in "abcdef" else 0 for b in range(256))


@lru_cache(maxsize=1 << 16)
def _checksum(raw: bytes) -> str:
    """EIP-55 checksummed address of 20 raw bytes (cached: tasks and providers repeat)."""
    h = raw.hex().encode()
    digest = keccak(h)[:20]
    mask = bytearray(40)
    mask[0::2] = digest.translate(_HIGH_NIBBLE)
    mask[1::2] = digest.translate(_LOW_NIBBLE)
    flip = int.from_bytes(mask, "big") & int.from_bytes(h.translate(_LETTER), "big")
    return "0x" + (int.from_bytes(h, "big") - flip).to_bytes(40, "big").decode()


def _addr(word: bytes) -> str:
    """The checksummed address in the low 20 bytes of a 32-byte word."""
    return _checksum(bytes(word[12:32]))


def _addr_or_none(word: bytes) -> str | None:
    a = _addr(word)
    return None if a == ZERO_ADDRESS else a


def _selector(signature: str) -> str:
    return keccak(signature.encode())[:4].hex()


_SEL = {
    name: _selector(name)
    for name in (
        "taskParams()",
        "getStatus()",
        "getDeliveryMethod()",
        "getAttemptCount()",
        "winningProvider()",
        "getAttemptTimestamps(uint256,uint256)",
        "getResponsesOf(uint256,uint256)",
        "getResponseParams()",
        "confirmedFinal()",
        "responseTimestamp()",
        "getClient()",
        "getTaskCount()",
        "getTasks(uint256,uint256)",
        "tasks(uint256)",
        "getSourceCount()",
        "getSources(uint256,uint256)",
    )
}


def _calldata(signature: str, *args: int) -> str:
    return "0x" + _SEL[signature] + "".join(f"{a:064x}" for a in args)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _u(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# ---- errors of the node ------------------------------------------------------------------------


class _LensRefused(Exception):
    """The node does not run the lens (deployless call refused, or too little gas for an item)."""


_SPLIT_TEXT = re.compile(
    r"out ?of ?gas|gas required exceeds|gas limit|gas cap|exceeds block gas|"
    r"contract ?size|code ?size|max ?code|initcode|timeout|timed out|execution aborted|"
    r"too large|response size|memory limit|limit exceeded",
    re.I,
)


def _is_revert(err: RpcError) -> bool:
    return revert_reason(err) is not None


# ---- the reader's policy over the JSON-RPC client ----------------------------------------------

_state_lock = threading.Lock()
#: Nodes that refused the lens ((RPC URL, gas cap): a refusal may come from a small cap) in this
#: process; "auto" does not ask them again. (Nodes refusing batches are remembered by rpc.)
_lens_refused: set[tuple[str, int]] = set()


class _Rpc:
    """The reader's policy over :class:`~ogpu_widgets.rpc.RpcClient`: replies that say "try again
    later" (rate limits and the like) are retried with backoff too, and a node that cannot be
    read raises :class:`ReadError`."""

    def __init__(self, network: Network, *, batching: bool) -> None:
        network.verify()
        self.network = network
        self.url = network.rpc_url
        self.client = RpcClient(
            self.url,
            timeout=network.request_timeout,
            name=network.name,
            attempts=ATTEMPTS,
            backoff=BACKOFF,
            batching=batching,
        )

    @property
    def batching(self) -> bool:
        return self.client.batching

    @property
    def requests(self) -> int:
        """HTTP requests made (for logs and tests)."""
        return self.client.requests

    def _read_error(self, exc: Unreachable) -> ReadError:
        if exc.exhausted:
            return ReadError(
                f"{exc.what} still failed after {exc.attempts} attempts at {self.url} "
                f"({exc.detail}); nothing was returned. Try again later or use another RPC "
                "URL (Network.with_settings(rpc_url=...))"
            )
        return ReadError(
            f"{exc.what} failed at the node {self.url}: {exc.detail}; check the RPC URL, or try "
            "another node"
        )

    def request(self, method: str, params: list[Any]) -> Any:
        """One request's result; a JSON-RPC error reply raises :class:`RpcError`."""
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            try:
                result = self.client.single(method, params)
            except Unreachable as exc:
                raise self._read_error(exc) from exc
            if not isinstance(result, RpcError):
                return result
            if not is_transient(result):
                raise result
            if attempt == ATTEMPTS:
                raise ReadError(
                    f"{method} still failed after {ATTEMPTS} attempts at {self.url} "
                    f"({result}); nothing was returned. Try again later or use another RPC "
                    "URL (Network.with_settings(rpc_url=...))"
                )
            log.debug("transient error on %s (attempt %d): %s; retrying", method, attempt, result)
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def many(
        self, calls: Sequence[tuple[str, list[Any]]], per_request: int, *, fallback: bool = True
    ) -> list[Any]:
        """Each call's result, or an :class:`RpcError` instance in its place (not raised).

        Calls go ``per_request`` to a batch request when batching is on, else one by one; a
        node refusing batches raises :class:`BatchRefused` unless ``fallback``. Calls whose
        reply is transient are asked again with backoff."""
        out: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            try:
                replies = self.client.batch(
                    [calls[i] for i in todo], per_request=per_request, fallback=fallback
                )
            except Unreachable as exc:
                raise self._read_error(exc) from exc
            for i, reply in zip(todo, replies, strict=True):
                out[i] = reply
            retry = [i for i in todo if isinstance(out[i], RpcError) and is_transient(out[i])]
            if not retry:
                return out
            if attempt == ATTEMPTS:
                err = out[retry[0]]
                raise ReadError(
                    f"{len(retry)} calls still failed after {ATTEMPTS} attempts at {self.url} "
                    f"({err}); nothing was returned. Try again later or use another RPC URL"
                )
            log.debug("%d transient errors in replies, retrying", len(retry))
            time.sleep(delay)
            delay *= 2
            todo = retry
        raise AssertionError("unreachable")


# ---- what one read item yields -----------------------------------------------------------------


@dataclass(slots=True)
class _TaskRow:
    address: str
    flags: int
    status: int
    delivery: int
    source: str
    client: str
    payment: int
    expiry: int
    attempts: int
    winner: str | None
    first_attempt: int
    config: str


@dataclass(slots=True)
class _SourceRow:
    address: str
    flags: int
    status: int
    client: str
    task_count: int


@dataclass(slots=True)
class _Range:
    """Attempter slots (or a source's task slots) ``lower..upper`` of ``target``, inclusive."""

    key: int  # which requested range this is (a part of, after splitting)
    target: str
    lower: int
    upper: int

    @property
    def size(self) -> int:
        return self.upper - self.lower + 1

    def word(self) -> int:
        return int(self.target, 16) | (self.lower << 160) | (self.upper << 208)

    def halves(self) -> list[_Range]:
        mid = (self.lower + self.upper) // 2
        return [
            _Range(self.key, self.target, self.lower, mid),
            _Range(self.key, self.target, mid + 1, self.upper),
        ]


# A response as read: (flags, record or None when it does not read as a response).
_Resp = tuple[int, TaskResponse | None]


def _response_record(
    address: str,
    flags: int,
    status: int,
    confirmed: int,
    timestamp: int,
    task: str,
    provider: str,
    payment: int,
    data: str,
) -> _Resp:
    if flags != _OK:
        return flags, None
    return flags, TaskResponse(
        address=address,
        task=task,
        provider=provider,
        data=data,
        payment=payment,
        status=ResponseStatus(status).label,
        confirmed=bool(confirmed),
        timestamp=timestamp,
    )


# ---- the lens: encoding and decoding -----------------------------------------------------------


def _lens_data(mode: int, words: Sequence[int]) -> str:
    head = f"{mode:064x}{LENS_MAX_OUTPUT:064x}{0x60:064x}{len(words):064x}"
    return "0x" + _LENS_CODE_HEX + head + "".join(f"{w:064x}" for w in words)


def _lens_intrinsic_gas(n_words: int) -> int:
    size = len(_LENS_CODE) + 128 + 32 * n_words
    return GAS_CREATE + 16 * size + 2 * ((size + 31) // 32)


class _Cursor:
    """Walks the ``words`` and ``texts`` of one lens output."""

    __slots__ = ("texts", "tpos", "words", "wpos")

    def __init__(self, words: bytes, texts: bytes) -> None:
        self.words, self.texts, self.wpos, self.tpos = words, texts, 0, 0

    def word(self) -> bytes:
        w = self.words[self.wpos : self.wpos + 32]
        if len(w) != 32:
            raise ReadError("the lens returned fewer words than its items need (malformed output)")
        self.wpos += 32
        return w

    def text(self, length: int) -> str:
        t = self.texts[self.tpos : self.tpos + length]
        if len(t) != length:
            raise ReadError("the lens returned fewer text bytes than its items need")
        self.tpos += length
        return _text(t)


def _lens_output(result: str) -> tuple[int, int, _Cursor]:
    raw = bytes.fromhex(result[2:] if result.startswith("0x") else result)
    try:
        gas, done = _u(raw[0:32]), _u(raw[32:64])
        wo, to = _u(raw[64:96]), _u(raw[96:128])
        n = _u(raw[wo : wo + 32])
        words = raw[wo + 32 : wo + 32 + 32 * n]
        tn = _u(raw[to : to + 32])
        texts = raw[to + 32 : to + 32 + tn]
        if len(words) != 32 * n or len(texts) != tn or len(raw) < 192:
            raise ValueError
    except ValueError:
        raise ReadError(
            f"the lens returned {len(raw)} bytes that do not decode; the node may not run "
            "deployless calls faithfully: read with read_path='batch'"
        ) from None
    return gas, done, _Cursor(words, texts)


def _parse_task(c: _Cursor, address: str) -> _TaskRow:
    w0 = _u(c.word())
    source, client = c.word(), c.word()
    payment, expiry, attempts = _u(c.word()), _u(c.word()), _u(c.word())
    winner, first = c.word(), _u(c.word())
    config = c.text((w0 >> 32) & 0xFFFFFFFF)
    return _TaskRow(
        address=address,
        flags=w0 & 0xFF,
        status=(w0 >> 8) & 0xFF,
        delivery=(w0 >> 16) & 0xFF,
        source=_addr(source),
        client=_addr(client),
        payment=payment,
        expiry=expiry,
        attempts=attempts,
        winner=_addr_or_none(winner),
        first_attempt=first,
        config=config,
    )


def _parse_response(c: _Cursor) -> _Resp:
    b0 = c.word()
    w0 = _u(b0)
    b1 = c.word()
    provider = c.word()
    payment = _u(c.word())
    data = c.text(_u(b1[:12]))
    return _response_record(
        _addr(b0),
        (w0 >> 160) & 0xFF,
        (w0 >> 168) & 0xFF,
        (w0 >> 176) & 0xFF,
        (w0 >> 192) & _U64,
        _addr(b1),
        _addr(provider),
        payment,
        data,
    )


def _parse_header(c: _Cursor) -> tuple[int, int]:
    h = _u(c.word())
    return h & 0xFFFFFFFF, (h >> 160) & 0xFF


# ---- one read session: a network, a pinned block, a path --------------------------------------


@dataclass
class _Op:
    """How one kind of item is read through the lens."""

    mode: int
    gas: Callable[[Any], int]  # estimated gas of an item
    out: Callable[[Any], int]  # estimated output bytes of an item
    word: Callable[[Any], int]  # the item as a lens input word
    parse: Callable[[_Cursor, Any], Any]  # an item's result from the output
    weight: Callable[[Any], int] = lambda item: 1  # progress units of an item


def _combine(parts: list[tuple[int, Any]]) -> Any:
    """One item's result from the results of its parts (a range read in pieces), in order."""
    if len(parts) == 1:
        return parts[0][1]
    parts.sort(key=lambda p: p[0])
    flags = _OK
    found: list[Any] = []
    for _, (f, items) in parts:
        flags &= f
        found += items
    return flags, found


class _Session:
    def __init__(self, network: Any, read_path: str, progress: Callable[[int], None] | None = None):
        if read_path not in _PATHS:
            raise InvalidArgumentError(
                f"read_path={read_path!r} is not a read path: use one of {', '.join(_PATHS)}"
            )
        self.network = resolve_network(network)
        self.path = read_path
        url = self.network.rpc_url
        self.cap = int(self.network.call_gas_cap)
        self.lens_key = (url, self.cap)
        self.use_lens = read_path == "lens" or (
            read_path == "auto" and self.lens_key not in _lens_refused
        )
        self.rpc = _Rpc(self.network, batching=read_path != "call")
        if read_path == "batch" and not self.rpc.batching:
            raise ReadError(f"the node at {url} refuses JSON-RPC batches; use read_path='call'")
        try:
            self.block = self.rpc.request("eth_blockNumber", [])
        except RpcError as exc:
            raise ReadError(f"eth_blockNumber failed at {url}: {exc}") from None
        self.progress = progress
        self._reported = 0  # progress units reported by the current lens read
        log.debug(
            "reading at block %d of %s through %s",
            int(self.block, 16),
            self.network.name,
            self._path_name(),
        )

    def _path_name(self) -> str:
        if self.use_lens:
            how = "JSON-RPC batches" if self.rpc.batching else "one request each"
            return f"the lens (deployless eth_call, {how})"
        return "plain eth_call batches" if self.rpc.batching else "plain eth_calls one by one"

    # -- running calls ---------------------------------------------------------------------------

    def _many(self, calls: list[tuple[str, list[Any]]], per_request: int) -> list[Any]:
        batching = self.rpc.batching
        try:
            replies = self.rpc.many(calls, per_request, fallback=self.path != "batch")
        except BatchRefused:
            raise ReadError(
                f"the node at {self.rpc.url} refuses JSON-RPC batch requests; "
                "read with read_path='call' (or 'auto')"
            ) from None
        if batching and not self.rpc.batching:
            log.debug("batches refused; fell back to %s", self._path_name())
        return replies

    def _eth_calls(self, calls: Sequence[tuple[str, str]]) -> list[bytes | None]:
        """Plain eth_calls (to, data) at the pinned block: the returned bytes, or None where
        the call reverted. Any other error raises :class:`ReadError`."""
        replies = self._many(
            [("eth_call", [{"to": to, "data": data}, self.block]) for to, data in calls],
            BATCH_CALLS_PER_REQUEST,
        )
        out: list[bytes | None] = []
        for (to, _), reply in zip(calls, replies, strict=True):
            if isinstance(reply, RpcError):
                if _is_revert(reply):
                    out.append(None)
                    continue
                raise ReadError(f"eth_call to {to} failed at {self.rpc.url}: {reply}")
            out.append(bytes.fromhex(reply[2:]) if reply and reply != "0x" else b"")
        return out

    def _has_code(self, addresses: Sequence[str]) -> dict[str, bool]:
        replies = self._many(
            [("eth_getCode", [a, self.block]) for a in addresses], BATCH_CALLS_PER_REQUEST
        )
        out = {}
        for a, r in zip(addresses, replies, strict=True):
            if isinstance(r, RpcError):
                raise ReadError(f"eth_getCode of {a} failed at {self.rpc.url}: {r}")
            out[a] = bool(r) and r not in ("0x", "0x0")
        return out

    def _run(self, op: _Op, items: list[Any], plain: Callable[[list[Any]], list[Any]]) -> list[Any]:
        """Each item's result, through the lens when it is on, else through ``plain``."""
        if not items:
            return []
        if self.use_lens:
            self._reported = 0
            try:
                return self._lens(op, items, plain)
            except _LensRefused as exc:
                if self.progress and self._reported:
                    self.progress(-self._reported)  # the plain read starts over
                self._refuse_lens(exc)
        results = plain(items)
        if self.progress:
            self.progress(sum(op.weight(item) for item in items))
        return results

    def _refuse_lens(self, exc: _LensRefused) -> None:
        """The node refused the lens: raise for a forced lens, else fall back for good."""
        if self.path == "lens":
            raise ReadError(
                f"the node at {self.rpc.url} does not run the read lens ({exc}); read with "
                "read_path='batch' or 'auto'"
            ) from None
        with _state_lock:
            _lens_refused.add(self.lens_key)
        self.use_lens = False
        log.debug("lens refused (%s); falling back to %s", exc, self._path_name())

    def _lens(
        self, op: _Op, items: list[Any], plain: Callable[[list[Any]], list[Any]]
    ) -> list[Any]:
        # A range that does not fit one call is read in parts: results are kept per item as
        # (lower, part result) and combined in slot order at the end.
        parts: list[list[tuple[int, Any]]] = [[] for _ in items]
        work = list(enumerate(items))
        limit = len(items)  # most items per call; halves when the node reports a call too big

        def keep(i: int, item: Any, result: Any) -> None:
            parts[i].append((item.lower if isinstance(item, _Range) else 0, result))
            if self.progress:
                self.progress(op.weight(item))
                self._reported += op.weight(item)

        while work:
            chunks = self._plan(op, work, limit)
            log.debug("lens mode %d: %d items in %d calls", op.mode, len(work), len(chunks))
            calls = [
                ("eth_call", [{"data": _lens_data(op.mode, [op.word(it) for _, it in chunk]),
                               "gas": hex(self.cap)}, self.block])
                for chunk in chunks
            ]  # fmt: skip
            replies = self._many(calls, LENS_CALLS_PER_REQUEST)
            work = []
            oversized: list[tuple[int, Any]] = []
            for chunk, reply in zip(chunks, replies, strict=True):
                if isinstance(reply, RpcError):
                    if _is_revert(reply) or not _SPLIT_TEXT.search(reply.message):
                        raise _LensRefused(str(reply))
                    log.debug(
                        "a lens call of %d items was too much (%s); splitting", len(chunk), reply
                    )
                    if len(chunk) > 1:
                        limit = max(1, min(limit, len(chunk) // 2))
                        work += chunk
                    elif isinstance(chunk[0][1], _Range) and chunk[0][1].size > 1:
                        work += [(chunk[0][0], half) for half in chunk[0][1].halves()]
                    else:
                        raise _LensRefused(f"one item alone is too much for the node: {reply}")
                    continue
                _, done, cursor = _lens_output(reply)
                if done > len(chunk):
                    raise ReadError("the lens reported more items than it was given")
                for i, item in chunk[:done]:
                    keep(i, item, op.parse(cursor, item))
                rest = chunk[done:]
                if done == 0:  # the first item alone does not fit in one call's output
                    i, item = rest.pop(0)
                    if isinstance(item, _Range) and item.size > 1:
                        work += [(i, half) for half in item.halves()]
                    else:
                        oversized.append((i, item))
                work += rest
            if oversized:
                log.debug("%d items exceed one lens output; reading them plainly", len(oversized))
                for (i, item), res in zip(
                    oversized, plain([it for _, it in oversized]), strict=True
                ):
                    keep(i, item, res)
        return [_combine(p) for p in parts]

    def _plan(self, op: _Op, work: list[tuple[int, Any]], limit: int) -> list[list[Any]]:
        """Chunks of work items, each within the gas cap, the output and initcode limits.

        A chunk's gas is the creation's intrinsic gas, the constructor's base, each item's reads
        and the code deposit of its output, plus the headroom the lens keeps before each item
        (twice the dearest item and LENS_RESERVE), so that it rarely has to stop early."""
        # ranges split into parts come back in any order: keep each key's parts in order
        work.sort(key=lambda w: (w[0], w[1].lower if isinstance(w[1], _Range) else 0))
        max_items = min(limit, (MAX_INITCODE - len(_LENS_CODE) - 128) // 32)
        fixed = GAS_LENS_BASE + LENS_RESERVE + GAS_DEPOSIT_BYTE * OUT_FRAME
        chunks: list[list[Any]] = []
        chunk: list[Any] = []
        gas = out = top = 0
        for entry in work:
            o = op.out(entry[1])
            g = op.gas(entry[1]) + GAS_DEPOSIT_BYTE * o
            need = gas + g + fixed + 2 * max(top, g) + _lens_intrinsic_gas(len(chunk) + 1)
            if chunk and (
                len(chunk) >= max_items or need > self.cap or out + o > LENS_MAX_OUTPUT - OUT_FRAME
            ):
                chunks.append(chunk)
                chunk, gas, out, top = [], 0, 0, 0
            chunk.append(entry)
            gas, out, top = gas + g, out + o, max(top, g)
        if chunk:
            chunks.append(chunk)
        return chunks

    def _range_limit(self, per_slot_gas: int, per_slot_out: int) -> int:
        """Most slots in one range so that a range fits well in one call (output and gas)."""
        by_out = (LENS_MAX_OUTPUT - OUT_FRAME) // 2 // per_slot_out
        fixed = GAS_LENS_BASE + LENS_RESERVE + GAS_DEPOSIT_BYTE * OUT_FRAME + GAS_RANGE
        spare = self.cap - _lens_intrinsic_gas(1) - fixed
        by_gas = spare // (3 * (per_slot_gas + GAS_DEPOSIT_BYTE * per_slot_out))
        return max(1, min(by_out, by_gas))

    # -- tasks -------------------------------------------------------------------------------------

    def tasks(self, addresses: list[str]) -> list[_TaskRow]:
        return self._run(_TASKS_OP, addresses, self._plain_tasks)

    def _plain_tasks(self, addresses: list[str]) -> list[_TaskRow]:
        sigs = ("taskParams()", "getStatus()", "getDeliveryMethod()", "getAttemptCount()",
                "winningProvider()")  # fmt: skip
        got = self._eth_calls([(a, _calldata(s)) for a in addresses for s in sigs])
        rows: list[_TaskRow] = []
        for k, a in enumerate(addresses):
            params, status, delivery, count, winner = got[5 * k : 5 * k + 5]
            row = _TaskRow(a, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, None, 0, "")
            try:
                if None in (params, status, delivery, count, winner):
                    raise ValueError
                source, config, expiry, payment = _decode_task_params(params)
                st, dm, n, win = _word(status), _word(delivery), _word(count), _word(winner)
                if st > 5 or dm > 1:
                    raise ValueError
                winner_ = _addr_or_none((win & _ADDRESS_MASK).to_bytes(32, "big"))
                row = _TaskRow(a, _OK, st, dm, source, ZERO_ADDRESS, payment, expiry, n,
                               winner_, 0, config)  # fmt: skip
            except (ValueError, IndexError):
                pass
            rows.append(row)
        ok = [r for r in rows if r.flags == _OK]
        sources = _unique(r.source for r in ok)
        with_attempts = [r for r in ok if r.attempts > 0]
        more = self._eth_calls(
            [(s, _calldata("getClient()")) for s in sources]
            + [(r.address, _calldata("getAttemptTimestamps(uint256,uint256)", 0, 0))
               for r in with_attempts]
        )  # fmt: skip
        clients = {}
        for s, raw in zip(sources, more[: len(sources)], strict=True):
            try:
                clients[s] = _addr(raw[:32]) if raw is not None and len(raw) >= 32 else ZERO_ADDRESS
            except ValueError:
                clients[s] = ZERO_ADDRESS
        for r, raw in zip(with_attempts, more[len(sources) :], strict=True):
            try:
                values = _decode_uint_array(raw)
                if len(values) != 1:
                    raise ValueError
                r.first_attempt = values[0]
            except (ValueError, TypeError):
                r.flags = _HAS_CODE
        for r in ok:
            r.client = clients[r.source]
        self._mark_code([r for r in rows if r.flags != _OK])
        return rows

    def _mark_code(self, rows: list[Any]) -> None:
        """Set ``flags`` of rows that did not read right to HAS_CODE or 0, from eth_getCode."""
        if not rows:
            return
        code = self._has_code([r.address for r in rows])
        for r in rows:
            r.flags = _HAS_CODE if code[r.address] else 0
            if isinstance(r, _TaskRow):
                r.status = r.delivery = r.attempts = 0

    # -- responses ---------------------------------------------------------------------------------

    def responses(self, addresses: list[str]) -> list[_Resp]:
        return self._run(_RESPONSES_OP, addresses, self._plain_responses)

    def _plain_responses(self, addresses: list[str]) -> list[_Resp]:
        sigs = ("getResponseParams()", "getStatus()", "confirmedFinal()", "responseTimestamp()")
        got = self._eth_calls([(a, _calldata(s)) for a in addresses for s in sigs])
        out: list[_Resp] = []
        bad: list[int] = []
        for k, a in enumerate(addresses):
            params, status, confirmed, ts = got[4 * k : 4 * k + 4]
            try:
                if None in (params, status, confirmed, ts):
                    raise ValueError
                task, provider, data, payment = _decode_response_params(params)
                st, cf, t = _word(status), _word(confirmed), _word(ts)
                if st > 1 or cf > 1:
                    raise ValueError
                out.append(
                    _response_record(a, _OK, st, cf, t & _U64, task, provider, payment, data)
                )
            except (ValueError, IndexError):
                out.append((0, None))
                bad.append(k)
        if bad:
            code = self._has_code([addresses[k] for k in bad])
            for k in bad:
                out[k] = (_HAS_CODE if code[addresses[k]] else 0, None)
        return out

    # -- attempter slots -----------------------------------------------------------------------

    def slots(self, ranges: list[_Range], detailed: bool) -> list[tuple[int, list[Any]]]:
        """Per range: (flags, non-zero response addresses) or, ``detailed``, (flags, [_Resp])."""
        op = _slots_op(detailed)
        parts = self.slot_parts(ranges, detailed)
        results = self._run(op, parts, lambda rs: self._plain_slots(rs, detailed))
        merged: dict[int, tuple[int, list[Any]]] = {}
        for part, (flags, found) in zip(parts, results, strict=True):
            old = merged.get(part.key)
            merged[part.key] = (flags, found) if old is None else (old[0] & flags, old[1] + found)
        return [merged[r.key] for r in ranges]

    def slot_parts(self, ranges: list[_Range], detailed: bool) -> list[_Range]:
        """``ranges`` cut into parts that each fit well in one lens call."""
        if detailed:
            per_slot, out_slot = (
                GAS_SLOT + GAS_RESPONSE + GAS_TEXT_BYTE * EXPECTED_TEXT,
                (OUT_RESPONSE + EXPECTED_TEXT),
            )
        else:
            per_slot, out_slot = GAS_SLOT, OUT_WORD
        limit = self._range_limit(per_slot, out_slot)
        return [p for r in ranges for p in _split_range(r, limit)]

    def _plain_slots(self, ranges: list[_Range], detailed: bool) -> list[tuple[int, list[Any]]]:
        got = self._eth_calls(
            [(r.target, _calldata("getResponsesOf(uint256,uint256)", r.lower, r.upper))
             for r in ranges]
        )  # fmt: skip
        found: list[tuple[int, list[str]]] = []
        for raw in got:
            try:
                words = _decode_uint_array(raw)
                addresses = [_addr(w.to_bytes(32, "big")) for w in words if w & _ADDRESS_MASK]
                found.append((_OK, addresses))
            except (ValueError, TypeError):
                found.append((0, []))
        if not detailed:
            return found
        details = iter(self._plain_responses([a for _, addrs in found for a in addrs]))
        return [(flags, [next(details) for _ in addrs]) for flags, addrs in found]

    # -- sources -------------------------------------------------------------------------------

    def sources(self, addresses: list[str]) -> list[_SourceRow]:
        return self._run(_SOURCES_OP, addresses, self._plain_sources)

    def _plain_sources(self, addresses: list[str]) -> list[_SourceRow]:
        sigs = ("getClient()", "getTaskCount()", "getStatus()")
        got = self._eth_calls([(a, _calldata(s)) for a in addresses for s in sigs])
        rows = []
        for k, a in enumerate(addresses):
            client, count, status = got[3 * k : 3 * k + 3]
            try:
                if None in (client, count, status):
                    raise ValueError
                c, n, st = _word(client), _word(count), _word(status)
                if st > 1 or c >> 160:
                    raise ValueError
                rows.append(_SourceRow(a, _OK, st, _addr(c.to_bytes(32, "big")), n))
            except ValueError:
                rows.append(_SourceRow(a, 0, 0, ZERO_ADDRESS, 0))
        self._mark_code([r for r in rows if r.flags != _OK])
        return rows

    def source_tasks(self, ranges: list[_Range]) -> list[tuple[int, list[str]]]:
        """Per range of a source's task slots: (flags, task addresses)."""
        results = self._run(_SOURCE_TASKS_OP, ranges, self._plain_source_tasks)
        merged: dict[int, tuple[int, list[str]]] = {}
        for part, (flags, found) in zip(ranges, results, strict=True):
            old = merged.get(part.key)
            merged[part.key] = (flags, found) if old is None else (old[0] & flags, old[1] + found)
        return [merged[k] for k in dict.fromkeys(r.key for r in ranges)]

    def _plain_source_tasks(self, ranges: list[_Range]) -> list[tuple[int, list[str]]]:
        calls: list[tuple[str, str]] = []
        for r in ranges:
            if r.lower == 0:
                calls.append((r.target, _calldata("getTasks(uint256,uint256)", 0, r.upper)))
            else:
                calls += [(r.target, _calldata("tasks(uint256)", i))
                          for i in range(r.lower, r.upper + 1)]  # fmt: skip
        got = iter(self._eth_calls(calls))
        out: list[tuple[int, list[str]]] = []
        for r in ranges:
            try:
                if r.lower == 0:
                    values = _decode_uint_array(next(got))
                else:
                    values = [_word(next(got)) for _ in range(r.size)]
                out.append((_OK, [_addr(v.to_bytes(32, "big")) for v in values]))
            except (ValueError, TypeError):
                out.append((0, []))
        return out

    def client_sources(self, client: str) -> list[str]:
        """Every source whose getClient() is ``client`` (in Nexus order)."""
        nexus = self.network.nexus
        if self.use_lens:
            try:
                return self._lens_client_sources(nexus, client)
            except _LensRefused as exc:
                self._refuse_lens(exc)
        (raw,) = self._eth_calls([(nexus, _calldata("getSourceCount()"))])
        if raw is None:
            raise ReadError(f"Nexus {nexus} did not answer getSourceCount() at {self.rpc.url}")
        count = _word(raw)
        pages = [(lo, min(count, lo + NEXUS_PAGE) - 1) for lo in range(0, count, NEXUS_PAGE)]
        got = self._eth_calls(
            [(nexus, _calldata("getSources(uint256,uint256)", lo, hi)) for lo, hi in pages]
        )
        sources: list[str] = []
        for raw in got:
            try:
                sources += [_addr(v.to_bytes(32, "big")) for v in _decode_uint_array(raw)]
            except (ValueError, TypeError):
                raise ReadError(
                    f"Nexus {nexus} did not answer getSources() at {self.rpc.url}"
                ) from None
        clients = self._eth_calls([(s, _calldata("getClient()")) for s in sources])
        return [
            s
            for s, raw in zip(sources, clients, strict=True)
            if raw is not None and len(raw) >= 32 and _addr(raw[:32]) == client
        ]

    def _lens_client_sources(self, nexus: str, client: str) -> list[str]:
        lower, count, found = 0, None, []
        by_out = (LENS_MAX_OUTPUT - OUT_FRAME) // OUT_WORD - 2  # if every source matched
        fixed = _lens_intrinsic_gas(4) + GAS_LENS_BASE + LENS_RESERVE + GAS_DEPOSIT_BYTE * OUT_FRAME
        by_gas = (self.cap - fixed) // (GAS_CLIENT_SOURCE + GAS_DEPOSIT_BYTE * OUT_WORD)
        page = max(1, min(NEXUS_PAGE, by_out, by_gas))
        while count is None or lower < count:
            words = [int(nexus, 16), int(client, 16), lower, min(lower + page - 1, _MAX_INDEX)]
            data = _lens_data(_CLIENT_SOURCES, words)
            try:
                result = self.rpc.request("eth_call", [{"data": data, "gas": hex(self.cap)},
                                                       self.block])  # fmt: skip
            except RpcError as exc:
                if _is_revert(exc) or not _SPLIT_TEXT.search(exc.message) or page == 1:
                    raise _LensRefused(str(exc)) from None
                page //= 2
                continue
            _, done, cursor = _lens_output(result)
            count = _u(cursor.word())
            while cursor.wpos < len(cursor.words):
                found.append(_addr(cursor.word()))
            if done == 0 and lower < count:
                raise _LensRefused("the lens made no progress over the Nexus sources")
            lower += done
        return found


# ---- the lens operations ---------------------------------------------------------------------


def _parse_source(c: _Cursor, address: str) -> _SourceRow:
    w0 = _u(c.word())
    client, count = c.word(), _u(c.word())
    return _SourceRow(address, w0 & 0xFF, (w0 >> 8) & 0xFF, _addr(client), count)


def _parse_address_range(c: _Cursor, r: _Range) -> tuple[int, list[str]]:
    k, flags = _parse_header(c)
    return flags, [_addr(c.word()) for _ in range(k)]


def _parse_response_range(c: _Cursor, r: _Range) -> tuple[int, list[_Resp]]:
    k, flags = _parse_header(c)
    return flags, [_parse_response(c) for _ in range(k)]


def _address_word(address: str) -> int:
    return int(address, 16)


_TEXT_GAS = GAS_TEXT_BYTE * EXPECTED_TEXT
_TASKS_OP = _Op(
    _TASKS,
    gas=lambda a: GAS_TASK + _TEXT_GAS,
    out=lambda a: OUT_TASK + EXPECTED_TEXT,
    word=_address_word,
    parse=_parse_task,
)
_RESPONSES_OP = _Op(
    _RESPONSES,
    gas=lambda a: GAS_RESPONSE + _TEXT_GAS,
    out=lambda a: OUT_RESPONSE + EXPECTED_TEXT,
    word=_address_word,
    parse=lambda c, a: _parse_response(c),
)
_SOURCES_OP = _Op(
    _SOURCES,
    gas=lambda a: GAS_SOURCE,
    out=lambda a: 3 * OUT_WORD,
    word=_address_word,
    parse=_parse_source,
)
_SOURCE_TASKS_OP = _Op(
    _SOURCE_TASKS,
    gas=lambda r: GAS_RANGE + GAS_SOURCE_TASK * r.size,
    out=lambda r: OUT_WORD * (r.size + 1),
    word=_Range.word,
    parse=_parse_address_range,
)
_SLOTS_OP = _Op(
    _SLOTS,
    gas=lambda r: GAS_RANGE + GAS_SLOT * r.size,
    out=lambda r: OUT_WORD * (r.size + 1),
    word=_Range.word,
    parse=_parse_address_range,
    weight=lambda r: r.size,
)
_SLOTS_DETAILED_OP = _Op(
    _SLOTS_DETAILED,
    gas=lambda r: GAS_RANGE + (GAS_SLOT + GAS_RESPONSE + _TEXT_GAS) * r.size,
    out=lambda r: OUT_WORD + (OUT_RESPONSE + EXPECTED_TEXT) * r.size,
    word=_Range.word,
    parse=_parse_response_range,
    weight=lambda r: r.size,
)


def _slots_op(detailed: bool) -> _Op:
    return _SLOTS_DETAILED_OP if detailed else _SLOTS_OP


# ---- ABI decoding of plain call results ----------------------------------------------------------


def _word(raw: bytes | None, at: int = 0) -> int:
    if raw is None or len(raw) < at + 32:
        raise ValueError("short return data")
    return int.from_bytes(raw[at : at + 32], "big")


def _decode_string(raw: bytes, base: int, head: int) -> str:
    off = base + _word(raw, base + head)
    n = _word(raw, off)
    if off + 32 + n > len(raw):
        raise ValueError("string past the end of return data")
    return _text(raw[off + 32 : off + 32 + n])


def _decode_task_params(raw: bytes) -> tuple[str, str, int, int]:
    """taskParams() -> (address source, string config, uint256 expiry, uint256 payment)."""
    source = _word(raw, 0)
    if source >> 160:
        raise ValueError("not an address")
    return (
        _addr(raw[0:32]),
        _decode_string(raw, 0, 0x20),
        _word(raw, 0x40),
        _word(raw, 0x60),
    )


def _decode_response_params(raw: bytes) -> tuple[str, str, str, int]:
    """getResponseParams() -> the tuple (address task, address provider, string data, payment)."""
    base = _word(raw, 0)
    task, provider = _word(raw, base), _word(raw, base + 0x20)
    if task >> 160 or provider >> 160:
        raise ValueError("not an address")
    return (
        _addr(raw[base : base + 32]),
        _addr(raw[base + 0x20 : base + 0x40]),
        _decode_string(raw, base, 0x40),
        _word(raw, base + 0x60),
    )


def _decode_uint_array(raw: bytes | None) -> list[int]:
    if raw is None:
        raise ValueError("reverted")
    off = _word(raw, 0)
    n = _word(raw, off)
    if off + 32 + 32 * n > len(raw):
        raise ValueError("array past the end of return data")
    return [int.from_bytes(raw[p : p + 32], "big") for p in range(off + 32, off + 32 + 32 * n, 32)]


def _split_range(r: _Range, limit: int) -> list[_Range]:
    return [
        _Range(r.key, r.target, lo, min(r.upper, lo + limit - 1))
        for lo in range(r.lower, r.upper + 1, limit)
    ]


# ---- validation ----------------------------------------------------------------------------------


def _check_tasks(rows: Sequence[_TaskRow], network: Network) -> None:
    for row in rows:
        if row.flags == _OK:
            continue
        if not row.flags & _HAS_CODE:
            raise NotAContractError(
                f"task address {row.address} has no contract code on {network.name} (chain "
                f"{network.chain_id}); check the address and that you are on the right network"
            )
        raise NotATaskError(
            f"{row.address} is a contract but not an OpenGPU task (its task getters do not "
            "answer); pass task addresses (a source? use source=...)"
        )


def _check_source(row: _SourceRow, network: Network) -> None:
    if row.flags == _OK:
        return
    if not row.flags & _HAS_CODE:
        raise NotAContractError(
            f"source address {row.address} has no contract code on {network.name} (chain "
            f"{network.chain_id}); check the address and the network"
        )
    raise NotASourceError(
        f"{row.address} is a contract but not an OpenGPU source (getClient/getTaskCount do not "
        "answer); pass a source address (a task? use tasks=[...])"
    )


def _check_responses(rows: Sequence[_Resp], addresses: Sequence[str], network: Network) -> None:
    for (flags, record), address in zip(rows, addresses, strict=True):
        if record is not None:
            continue
        if not flags & _HAS_CODE:
            raise NotAContractError(
                f"response address {address} has no contract code on {network.name} (chain "
                f"{network.chain_id}); check the address and the network"
            )
        raise NotAResponseError(
            f"{address} is a contract but not an OpenGPU response (its response getters do not "
            "answer); pass response addresses"
        )


def _selector_value(
    tasks: Any, source: Any, client: Any
) -> tuple[Literal["tasks", "source", "client"], Any]:
    given = {
        name: value
        for name, value in (("tasks", tasks), ("source", source), ("client", client))
        if value is not None
    }
    if not given:
        raise SelectorError(
            "no selector: pass exactly one of tasks=[task addresses], source=<source address> "
            "or client=<client address>"
        )
    if len(given) > 1:
        raise SelectorError(
            f"more than one selector ({', '.join(given)}): pass exactly one of tasks=, source= "
            "or client="
        )
    (name, value), = given.items()  # fmt: skip
    if name == "tasks":
        if isinstance(value, str | bytes):
            value = [value]
        try:
            values = list(value)
        except TypeError:
            raise SelectorError(
                f"tasks={value!r} is not an iterable of task addresses; pass a list of them"
            ) from None
        if not values:
            raise SelectorError("tasks is empty: pass at least one task address")
        return "tasks", _unique(to_address(v, "task address") for v in values)
    if isinstance(value, str) and not value.strip():
        raise SelectorError(
            f"{name} is empty: pass a {name} address (0x followed by 40 hex digits)"
        )
    return name, to_address(value, f"{name} address")  # type: ignore[return-value]


# ---- the public calls ----------------------------------------------------------------------------


def _task_info(row: _TaskRow, response_count: int) -> TaskInfo:
    return TaskInfo(
        address=row.address,
        source=row.source,
        client=row.client,
        config=row.config,
        payment=row.payment,
        expiry=row.expiry,
        status=TaskStatus(row.status),
        delivery_method=DeliveryMethod(row.delivery),
        attempt_count=row.attempts,
        winning_provider=row.winner,
        response_count=response_count,
        first_attempt=row.first_attempt,
    )


def _discover(session: _Session, kind: str, value: Any) -> list[str]:
    """The task addresses a selector names, in chain order."""
    if kind == "tasks":
        return value
    if kind == "source":
        sources = [value]
    else:
        sources = session.client_sources(value)
        if not sources:
            return []
    rows = session.sources(sources)
    for row in rows:
        _check_source(row, session.network)
    ranges = [
        _Range(k, row.address, lo, min(row.task_count, lo + SOURCE_PAGE) - 1)
        for k, row in enumerate(rows)
        for lo in range(0, row.task_count, SOURCE_PAGE)
    ]
    found = session.source_tasks(ranges)
    listed = [rows[k] for k in dict.fromkeys(r.key for r in ranges)]
    tasks: list[str] = []
    for row, (flags, addresses) in zip(listed, found, strict=True):
        if flags != _OK:
            raise ReadError(
                f"the task list of source {row.address} ({row.task_count} tasks) did not read "
                "back; try again, or read with read_path='batch'"
            )
        tasks += addresses
    return _unique(a for a in tasks if a != ZERO_ADDRESS)


def _progress_bar(n_tasks: int, total: int, progress: bool, desc: str):
    if not progress or n_tasks < PROGRESS_MIN_TASKS:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="attempt", leave=False)


def _read_tasks_and_slots(
    kind: str,
    value: Any,
    network: Any,
    progress: bool,
    read_path: str,
    detailed: bool,
) -> tuple[list[_TaskRow], list[tuple[int, list[Any]]]]:
    session = _Session(network, read_path)
    tasks = _discover(session, kind, value)
    if not tasks:
        return [], []
    rows = session.tasks(tasks)
    if kind == "tasks":
        _check_tasks(rows, session.network)
    elif any(r.flags != _OK for r in rows):
        bad = next(r for r in rows if r.flags != _OK)
        raise ReadError(f"task {bad.address} listed by its source does not read as a task")
    ranges = [_Range(k, r.address, 0, r.attempts - 1) for k, r in enumerate(rows) if r.attempts]
    desc = f"{'responses' if detailed else 'tasks'} of {len(rows)} tasks"
    bar = _progress_bar(len(rows), sum(r.size for r in ranges), progress, desc)
    try:
        session.progress = bar.update if bar is not None else None
        found = session.slots(ranges, detailed) if ranges else []
    finally:
        if bar is not None:
            bar.close()
    slots: list[tuple[int, list[Any]]] = [(_OK, [])] * len(rows)
    for r, result in zip(ranges, found, strict=True):
        if result[0] != _OK:
            raise ReadError(f"the responses of task {rows[r.key].address} did not read back")
        slots[r.key] = result
    log.debug("read %d tasks in %d HTTP requests", len(rows), session.rpc.requests)
    return rows, slots


def load_responses(
    *,
    tasks: Iterable[str] | str | None = None,
    source: str | None = None,
    client: str | None = None,
    network: Any = None,
    progress: bool = True,
    read_path: ReadPath = "auto",
) -> pd.DataFrame:
    """Every submitted response of the selected tasks, one row each, as a DataFrame.

    Pass exactly one selector: ``tasks`` (task addresses), ``source`` (every task of that
    source) or ``client`` (every task of every source whose client is that address, found
    through Nexus's source list). ``network`` is a :class:`~ogpu_widgets.network.Network`,
    ``"mainnet"``/``"testnet"``, a devnet state file or ``Devnet``, or None for the default.

    The index, ``address``, holds the response addresses. The columns, in this order, are
    ``task, provider, data, payment, payment_ogpu, status, confirmed, timestamp, task_status,
    delivery_method, task_expiry, source, client, task_first_attempt``. ``payment`` is exact
    wei as Python ``int`` in an ``object`` column (wei can exceed 2**64); ``payment_ogpu`` is a
    float. ``status``, ``task_status`` and ``delivery_method`` are categoricals listing every
    protocol value. Times are ``datetime64[ns, UTC]``; ``task_first_attempt`` is when a provider
    first attempted the task (the chain stores no publication time in the task). Addresses are
    checksummed. Attempters that did not respond contribute no row; ``load_tasks`` gives one
    row per task. Rows follow the task order, then the attempt order within a task.

    ``read_path`` forces a path (``"lens"``, ``"batch"``, ``"call"``); ``"auto"`` picks the
    fastest the node allows. A progress bar appears for many tasks unless ``progress=False``.
    Raises :class:`~ogpu_widgets.errors.SelectorError`, ``InvalidAddressError``,
    ``NotAContractError``, ``NotATaskError``/``NotASourceError`` on bad input,
    ``WrongChainError``/``ConnectionError_`` for the node, ``ReadError`` when a read fails
    after retries (no partial frame is ever returned).
    """
    kind, value = _selector_value(tasks, source, client)
    rows, slots = _read_tasks_and_slots(kind, value, network, progress, read_path, True)
    infos: dict[str, TaskInfo] = {}
    responses: list[TaskResponse] = []
    for row, (_, found) in zip(rows, slots, strict=True):
        records = [rec for _, rec in found]
        if any(rec is None for rec in records):
            raise ReadError(f"a response of task {row.address} does not read as a response")
        infos[row.address] = _task_info(row, len(records))
        responses += records  # type: ignore[arg-type]
    return _frame.responses_frame(responses, infos)


def load_tasks(
    *,
    tasks: Iterable[str] | str | None = None,
    source: str | None = None,
    client: str | None = None,
    network: Any = None,
    progress: bool = True,
    read_path: ReadPath = "auto",
) -> pd.DataFrame:
    """One row per selected task (also those without responses), as a DataFrame.

    Selectors, ``network``, ``progress`` and ``read_path`` as in :func:`load_responses`. The
    index, ``address``, holds the task addresses; the columns are ``source, client, status,
    delivery_method, payment, payment_ogpu, expiry, attempt_count, response_count,
    winning_provider, config, first_attempt`` (see :mod:`ogpu_widgets.frame`).
    """
    kind, value = _selector_value(tasks, source, client)
    rows, slots = _read_tasks_and_slots(kind, value, network, progress, read_path, False)
    return _frame.tasks_frame(
        [_task_info(row, len(found)) for row, (_, found) in zip(rows, slots, strict=True)]
    )


def read_responses(
    addresses: Iterable[str], *, network: Any = None, read_path: ReadPath = "auto"
) -> pd.DataFrame:
    """The given responses, one row each in the given order (duplicates once), with the
    columns and dtypes of :func:`load_responses`: the widget refreshes rows with it."""
    if isinstance(addresses, str):
        addresses = [addresses]
    wanted = _unique(to_address(a, "response address") for a in addresses)
    if not wanted:
        return _frame.empty_responses_frame()
    session = _Session(network, read_path)
    got = session.responses(wanted)
    _check_responses(got, wanted, session.network)
    records: list[TaskResponse] = [rec for _, rec in got]  # type: ignore[misc]
    task_addresses = _unique(r.task for r in records)
    rows = session.tasks(task_addresses)
    _check_tasks(rows, session.network)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.task] = counts.get(r.task, 0) + 1
    infos = {row.address: _task_info(row, counts[row.address]) for row in rows}
    return _frame.responses_frame(records, infos)


def _slot_bounds(lower: Any, upper: Any) -> tuple[int, int | None]:
    for name, v in (("lower", lower), ("upper", upper)):
        if v is None and name == "upper":
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InvalidRangeError(
                f"{name}={v!r} is not a slot index: pass a non-negative int (lower inclusive, "
                "upper exclusive, as the official SDK)"
            )
    return lower, upper


def get_task_responses(
    task_address: str,
    lower: int = 0,
    upper: int | None = None,
    *,
    network: Any = None,
    read_path: ReadPath = "auto",
) -> list[TaskResponse]:
    """The responses submitted to a task, as :class:`~ogpu_widgets.records.TaskResponse`.

    Like the official SDK's call: ``lower``/``upper`` select attempter slots, ``lower``
    inclusive and ``upper`` exclusive (None: all), and attempters without a response are left
    out, so the list may be shorter than ``upper - lower``.
    """
    task = to_address(task_address, "task address")
    lower, upper = _slot_bounds(lower, upper)
    session = _Session(network, read_path)
    (row,) = session.tasks([task])
    _check_tasks([row], session.network)
    end = row.attempts if upper is None else min(upper, row.attempts)
    if end <= lower:
        return []
    ((flags, found),) = session.slots([_Range(0, task, lower, end - 1)], detailed=True)
    if flags != _OK or any(rec is None for _, rec in found):
        raise ReadError(f"the responses of task {task} did not read back")
    return [rec for _, rec in found]  # type: ignore[misc]


def get_confirmed_response(
    task_address: str, *, network: Any = None, read_path: ReadPath = "auto"
) -> TaskResponse | None:
    """The task's confirmed response, or None while no response is confirmed."""
    for response in get_task_responses(task_address, network=network, read_path=read_path):
        if response.confirmed:
            return response
    return None


def _reset_path_memory() -> None:
    """Forget which nodes refused the lens or batches (for tests)."""
    with _state_lock:
        _lens_refused.clear()
    CAPABILITIES.forget()


# ---- publication times from Nexus's TaskPublished log ------------------------------------------

_TASK_PUBLISHED_TOPIC = "0x" + keccak(b"TaskPublished(address,address)").hex()


def task_publications(
    tasks: Iterable[str] | None = None,
    *,
    network: Any = None,
    from_block: int | None = None,
    to_block: int | None = None,
) -> pd.DataFrame:
    """When tasks were published: Nexus's ``TaskPublished`` events and their blocks' times.

    The chain stores no publication time in a task; this scans Nexus's event log (no event
    parameter is indexed, so the scan reads every TaskPublished event and filters here) from
    ``from_block`` (default ``network.start_block``) to ``to_block`` (default: the latest
    block), ``network.log_window`` blocks per ``eth_getLogs``, halving the window whenever the
    node refuses a range. With ``tasks`` it stops as soon as all of them are found. On a public
    node with a long history this takes many requests: use it on purpose, e.g.
    ``df["task"].map(task_publications(df["task"].unique())["published"])``.

    Returns a frame indexed by task address (``address``) with ``source`` (str), ``block``
    (int64) and ``published`` (``datetime64[ns, UTC]``), in log order; requested tasks without
    an event in the range are left out.
    """
    session = _Session(network, "auto")
    net = session.network
    wanted = None
    if tasks is not None:
        wanted = set(_unique(to_address(t, "task address") for t in _as_list(tasks)))
    lower = net.start_block if from_block is None else int(from_block)
    upper = int(session.block, 16) if to_block is None else int(to_block)
    window = max(1, int(net.log_window))
    found: dict[str, tuple[str, int]] = {}
    while lower <= upper and (wanted is None or len(found) < len(wanted)):
        hi = min(upper, lower + window - 1)
        query = {
            "address": net.nexus,
            "topics": [_TASK_PUBLISHED_TOPIC],
            "fromBlock": hex(lower),
            "toBlock": hex(hi),
        }
        try:
            logs = session.rpc.request("eth_getLogs", [query])
        except RpcError as exc:
            if window == 1:
                raise ReadError(
                    f"eth_getLogs of block {lower} failed at {net.rpc_url}: {exc}"
                ) from None
            window = max(1, window // 2)
            log.debug(
                "eth_getLogs refused %d blocks (%s); window now %d", hi - lower + 1, exc, window
            )
            continue
        for entry in logs or []:
            data = bytes.fromhex(entry["data"][2:])
            if len(data) < 64:
                continue
            task, source = _addr(data[0:32]), _addr(data[32:64])
            if wanted is None or task in wanted:
                found.setdefault(task, (source, int(entry["blockNumber"], 16)))
        lower = hi + 1
    blocks = sorted({b for _, b in found.values()})
    replies = session._many(
        [("eth_getBlockByNumber", [hex(b), False]) for b in blocks], BATCH_CALLS_PER_REQUEST
    )
    times = {}
    for b, reply in zip(blocks, replies, strict=True):
        if isinstance(reply, RpcError) or not reply:
            raise ReadError(f"block {b} did not read at {net.rpc_url}: {reply}")
        times[b] = int(reply["timestamp"], 16)
    frame = pd.DataFrame(
        {
            "source": pd.array([v[0] for v in found.values()], dtype="str"),
            "block": pd.array([v[1] for v in found.values()], dtype="int64"),
            "published": _frame._times(times[v[1]] for v in found.values()).array,
        },
        index=pd.Index(list(found), dtype="str", name="address"),
    )
    return frame


def _as_list(values: Iterable[str] | str) -> list[str]:
    return [values] if isinstance(values, str) else list(values)
