"""The read lens: ``contracts/ResponseLens.sol``'s creation code run as a deployless
``eth_call`` (no ``to``), whose constructor reads many items and returns them ABI-encoded.

This module holds everything about it that needs no node: the tunables and the gas/output model,
the input encoding (:func:`lens_data`), the output decoding (:func:`lens_output`, a
:class:`Cursor` and the per-kind parsers), the kinds of items (:class:`Op` and its instances)
and the chunk planner (:func:`plan`) that sizes calls under the node's gas cap and the output
and initcode limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..chain.abi import bytecode
from ..chain.codec import address_of_word, text
from ..chain.rpc import RpcError
from ..errors import ReadError
from ..records import ZERO_ADDRESS
from .rows import OK, Range, Resp, SourceRow, TaskRow, response_record

# ---- tunables ----------------------------------------------------------------------------------

#: Most bytes a constructor may return (EIP-170's code size limit), hence one lens call's output.
LENS_MAX_OUTPUT = 24_576
#: Most bytes of creation code plus arguments (EIP-3860's initcode limit).
MAX_INITCODE = 49_152
#: Lens calls per JSON-RPC batch request (each carries the ~5 kB creation code).
LENS_CALLS_PER_REQUEST = 32
#: Nexus source slots scanned per lens call for the ``client`` selector (and per plain page).
NEXUS_PAGE = 2_000

# ---- gas and output model ----------------------------------------------------------------------
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

LENS_CODE = bytes.fromhex(bytecode("ResponseLens")[2:])
_LENS_CODE_HEX = LENS_CODE.hex()
# lens modes (contracts/ResponseLens.sol)
TASKS, SLOTS, SLOTS_DETAILED, RESPONSES, SOURCES, SOURCE_TASKS, CLIENT_SOURCES = range(1, 8)
_U64 = (1 << 64) - 1
MAX_INDEX = (1 << 48) - 1

# ---- input -------------------------------------------------------------------------------------


def lens_data(mode: int, words: Sequence[int]) -> str:
    """The 0x data of a lens call: creation code, then (mode, max output, words)."""
    head = f"{mode:064x}{LENS_MAX_OUTPUT:064x}{0x60:064x}{len(words):064x}"
    return "0x" + _LENS_CODE_HEX + head + "".join(f"{w:064x}" for w in words)


def lens_intrinsic_gas(n_words: int) -> int:
    """The intrinsic gas of a lens call with ``n_words`` input words."""
    size = len(LENS_CODE) + 128 + 32 * n_words
    return GAS_CREATE + 16 * size + 2 * ((size + 31) // 32)


_TOO_MUCH = re.compile(
    r"out ?of ?gas|gas required exceeds|gas limit|gas cap|exceeds block gas|"
    r"contract ?size|code ?size|max ?code|initcode|timeout|timed out|execution aborted|"
    r"too large|response size|memory limit|limit exceeded",
    re.I,
)


def too_much(err: RpcError) -> bool:
    """Whether a lens call's error says the call was too big for the node (split it), as
    opposed to a refusal of deployless calls."""
    return bool(_TOO_MUCH.search(err.message))


# ---- output ------------------------------------------------------------------------------------


class Cursor:
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

    def raw(self, length: int) -> bytes:
        t = self.texts[self.tpos : self.tpos + length]
        if len(t) != length:
            raise ReadError("the lens returned fewer text bytes than its items need")
        self.tpos += length
        return t

    def text(self, length: int) -> str:
        return text(self.raw(length))


def _u(word: bytes) -> int:
    return int.from_bytes(word, "big")


def lens_output(raw: bytes) -> tuple[int, int, Cursor]:
    """(gas used, items done, a cursor over the items) of a lens call's return data; raises
    :class:`ReadError` when the data does not decode as the lens's output."""
    try:
        if len(raw) < 192:
            raise ValueError("shorter than the frame")
        gas, done = _u(raw[0:32]), _u(raw[32:64])
        wo, to = _u(raw[64:96]), _u(raw[96:128])
        if wo + 32 > len(raw) or to + 32 > len(raw):
            raise ValueError("an offset past the end")
        n, tn = _u(raw[wo : wo + 32]), _u(raw[to : to + 32])
        words = raw[wo + 32 : wo + 32 + 32 * n]
        texts = raw[to + 32 : to + 32 + tn]
        if len(words) != 32 * n or len(texts) != tn:
            raise ValueError("fewer words or text bytes than promised")
    except ValueError:
        raise ReadError(
            f"the lens returned {len(raw)} bytes that do not decode; the node may not run "
            "deployless calls faithfully: read with read_path='batch'"
        ) from None
    return gas, done, Cursor(words, texts)


def _addr_or_none(word: bytes) -> str | None:
    a = address_of_word(word)
    return None if a == ZERO_ADDRESS else a


def parse_task(c: Cursor, address: str) -> TaskRow:
    w0 = _u(c.word())
    source, client = c.word(), c.word()
    payment, expiry, attempts = _u(c.word()), _u(c.word()), _u(c.word())
    winner, first = c.word(), _u(c.word())
    config = c.text((w0 >> 32) & 0xFFFFFFFF)
    row = TaskRow(
        address=address,
        flags=w0 & 0xFF,
        status=(w0 >> 8) & 0xFF,
        delivery=(w0 >> 16) & 0xFF,
        source=address_of_word(source),
        client=address_of_word(client),
        payment=payment,
        expiry=expiry,
        attempts=attempts,
        winner=_addr_or_none(winner),
        first_attempt=first,
        config=config,
    )
    if row.flags == OK and (row.status > 5 or row.delivery > 1):
        raise ValueError(f"the lens says task {address} reads right, with status {row.status}")
    return row


def parse_response(c: Cursor) -> Resp:
    b0 = c.word()
    w0 = _u(b0)
    b1 = c.word()
    provider = c.word()
    payment = _u(c.word())
    data = c.raw(_u(b1[:12]))
    return response_record(
        address_of_word(b0),
        (w0 >> 160) & 0xFF,
        (w0 >> 168) & 0xFF,
        (w0 >> 176) & 0xFF,
        (w0 >> 192) & _U64,
        address_of_word(b1),
        address_of_word(provider),
        payment,
        data,
    )


def parse_header(c: Cursor) -> tuple[int, int]:
    """(items that follow, flags) of a range's header word."""
    h = _u(c.word())
    return h & 0xFFFFFFFF, (h >> 160) & 0xFF


def parse_source(c: Cursor, address: str) -> SourceRow:
    w0 = _u(c.word())
    client, count = c.word(), _u(c.word())
    return SourceRow(address, w0 & 0xFF, (w0 >> 8) & 0xFF, address_of_word(client), count)


def parse_address_range(c: Cursor, r: Range) -> tuple[int, list[str]]:
    k, flags = parse_header(c)
    return flags, [address_of_word(c.word()) for _ in range(k)]


def parse_response_range(c: Cursor, r: Range) -> tuple[int, list[Resp]]:
    k, flags = parse_header(c)
    return flags, [parse_response(c) for _ in range(k)]


# ---- kinds of items ----------------------------------------------------------------------------


@dataclass
class Op:
    """How one kind of item is read through the lens."""

    mode: int
    gas: Callable[[Any], int]  # estimated gas of an item
    out: Callable[[Any], int]  # estimated output bytes of an item
    word: Callable[[Any], int]  # the item as a lens input word
    parse: Callable[[Cursor, Any], Any]  # an item's result from the output
    weight: Callable[[Any], int] = lambda item: 1  # progress units of an item


def _address_word(address: str) -> int:
    return int(address, 16)


_TEXT_GAS = GAS_TEXT_BYTE * EXPECTED_TEXT
TASKS_OP = Op(
    TASKS,
    gas=lambda a: GAS_TASK + _TEXT_GAS,
    out=lambda a: OUT_TASK + EXPECTED_TEXT,
    word=_address_word,
    parse=parse_task,
)
RESPONSES_OP = Op(
    RESPONSES,
    gas=lambda a: GAS_RESPONSE + _TEXT_GAS,
    out=lambda a: OUT_RESPONSE + EXPECTED_TEXT,
    word=_address_word,
    parse=lambda c, a: parse_response(c),
)
SOURCES_OP = Op(
    SOURCES,
    gas=lambda a: GAS_SOURCE,
    out=lambda a: 3 * OUT_WORD,
    word=_address_word,
    parse=parse_source,
)
SOURCE_TASKS_OP = Op(
    SOURCE_TASKS,
    gas=lambda r: GAS_RANGE + GAS_SOURCE_TASK * r.size,
    out=lambda r: OUT_WORD * (r.size + 1),
    word=Range.word,
    parse=parse_address_range,
)
SLOTS_OP = Op(
    SLOTS,
    gas=lambda r: GAS_RANGE + GAS_SLOT * r.size,
    out=lambda r: OUT_WORD * (r.size + 1),
    word=Range.word,
    parse=parse_address_range,
    weight=lambda r: r.size,
)
SLOTS_DETAILED_OP = Op(
    SLOTS_DETAILED,
    gas=lambda r: GAS_RANGE + (GAS_SLOT + GAS_RESPONSE + _TEXT_GAS) * r.size,
    out=lambda r: OUT_WORD + (OUT_RESPONSE + EXPECTED_TEXT) * r.size,
    word=Range.word,
    parse=parse_response_range,
    weight=lambda r: r.size,
)


def slots_op(detailed: bool) -> Op:
    return SLOTS_DETAILED_OP if detailed else SLOTS_OP


# ---- planning ----------------------------------------------------------------------------------


def plan(op: Op, work: list[tuple[int, Any]], limit: int, cap: int) -> list[list[Any]]:
    """Chunks of work items ``(key, item)``, each within the gas ``cap``, the output and
    initcode limits and at most ``limit`` items; ``work`` is sorted in place (by key, then
    range start: the parts of a split range come back in any order).

    A chunk's gas is the creation's intrinsic gas, the constructor's base, each item's reads
    and the code deposit of its output, plus the headroom the lens keeps before each item
    (twice the dearest item and LENS_RESERVE), so that it rarely has to stop early. An item
    that alone exceeds a limit still gets a chunk of its own (the node will say)."""
    work.sort(key=lambda w: (w[0], w[1].lower if isinstance(w[1], Range) else 0))
    max_items = min(limit, (MAX_INITCODE - len(LENS_CODE) - 128) // 32)
    fixed = GAS_LENS_BASE + LENS_RESERVE + GAS_DEPOSIT_BYTE * OUT_FRAME
    chunks: list[list[Any]] = []
    chunk: list[Any] = []
    gas = out = top = 0
    for entry in work:
        o = op.out(entry[1])
        g = op.gas(entry[1]) + GAS_DEPOSIT_BYTE * o
        need = gas + g + fixed + 2 * max(top, g) + lens_intrinsic_gas(len(chunk) + 1)
        if chunk and (
            len(chunk) >= max_items or need > cap or out + o > LENS_MAX_OUTPUT - OUT_FRAME
        ):
            chunks.append(chunk)
            chunk, gas, out, top = [], 0, 0, 0
        chunk.append(entry)
        gas, out, top = gas + g, out + o, max(top, g)
    if chunk:
        chunks.append(chunk)
    return chunks


def range_limit(cap: int, per_slot_gas: int, per_slot_out: int) -> int:
    """Most slots in one range so that a range fits well in one call (output and gas)."""
    by_out = (LENS_MAX_OUTPUT - OUT_FRAME) // 2 // per_slot_out
    fixed = GAS_LENS_BASE + LENS_RESERVE + GAS_DEPOSIT_BYTE * OUT_FRAME + GAS_RANGE
    spare = cap - lens_intrinsic_gas(1) - fixed
    by_gas = spare // (3 * (per_slot_gas + GAS_DEPOSIT_BYTE * per_slot_out))
    return max(1, min(by_out, by_gas))


def slot_limit(cap: int, detailed: bool) -> int:
    """Most attempter slots per range part under ``cap`` (with or without the responses)."""
    if detailed:
        return range_limit(cap, GAS_SLOT + GAS_RESPONSE + _TEXT_GAS, OUT_RESPONSE + EXPECTED_TEXT)
    return range_limit(cap, GAS_SLOT, OUT_WORD)


def client_source_page(cap: int) -> int:
    """Nexus source slots per CLIENT_SOURCES lens call under ``cap``."""
    by_out = (LENS_MAX_OUTPUT - OUT_FRAME) // OUT_WORD - 2  # if every source matched
    fixed = lens_intrinsic_gas(4) + GAS_LENS_BASE + LENS_RESERVE + GAS_DEPOSIT_BYTE * OUT_FRAME
    by_gas = (cap - fixed) // (GAS_CLIENT_SOURCE + GAS_DEPOSIT_BYTE * OUT_WORD)
    return max(1, min(NEXUS_PAGE, by_out, by_gas))


def combine(parts: list[tuple[int, Any]]) -> Any:
    """One item's result from the results ``(lower, (flags, found))`` of its parts (a range
    read in pieces), in slot order; the flags of all parts and-ed."""
    if len(parts) == 1:
        return parts[0][1]
    parts.sort(key=lambda p: p[0])
    flags = OK
    found: list[Any] = []
    for _, (f, items) in parts:
        flags &= f
        found += items
    return flags, found
