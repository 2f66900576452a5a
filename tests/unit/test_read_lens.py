"""The read room's pure logic, without a node: the lens chunk planner, the lens output decoder
(on hand-built output, malformed output included), range splitting and selector validation."""

from __future__ import annotations

import pytest

from ogpu_widgets.chain.codec import checksum
from ogpu_widgets.errors import (
    InvalidAddressError,
    InvalidArgumentError,
    InvalidRangeError,
    ReadError,
    SelectorError,
)
from ogpu_widgets.read import lens
from ogpu_widgets.read.rows import HAS_CODE, OK, Range, split_range
from ogpu_widgets.read.validate import address_list, block_number, selector_value, slot_bounds

A = [checksum((k + 1).to_bytes(20, "big")) for k in range(300)]


def estimated_gas(op, chunk) -> int:
    """What the planner's model says a chunk costs, as :func:`lens.plan` computes it."""
    fixed = lens.GAS_LENS_BASE + lens.LENS_RESERVE + lens.GAS_DEPOSIT_BYTE * lens.OUT_FRAME
    per = [op.gas(item) + lens.GAS_DEPOSIT_BYTE * op.out(item) for _, item in chunk]
    return sum(per) + fixed + 2 * max(per) + lens.lens_intrinsic_gas(len(chunk))


def check_chunks(op, chunks, cap, limit):
    max_items = (lens.MAX_INITCODE - len(lens.LENS_CODE) - 128) // 32
    for chunk in chunks:
        size = len(lens.LENS_CODE) + 128 + 32 * len(chunk)
        assert size <= lens.MAX_INITCODE and len(chunk) <= min(limit, max_items)
        if len(chunk) > 1:  # one item alone always gets its chunk: the node decides
            assert estimated_gas(op, chunk) <= cap
            out = sum(op.out(item) for _, item in chunk)
            assert out <= lens.LENS_MAX_OUTPUT - lens.OUT_FRAME


# ---- the planner ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [900_000, 3_000_000, 50_000_000, 10**9])
@pytest.mark.parametrize(
    "op", [lens.TASKS_OP, lens.RESPONSES_OP, lens.SOURCES_OP], ids=["tasks", "responses", "src"]
)
def test_plan_keeps_every_chunk_under_the_limits(op, cap):
    work = list(enumerate(A))
    chunks = lens.plan(op, list(work), len(work), cap)
    check_chunks(op, chunks, cap, len(work))
    assert [e for chunk in chunks for e in chunk] == work  # every item once, in order


def test_plan_at_the_default_cap_is_bound_by_output_and_at_a_huge_cap_by_initcode():
    chunks = lens.plan(lens.RESPONSES_OP, list(enumerate(A)), len(A), 50_000_000)
    per = lens.OUT_RESPONSE + lens.EXPECTED_TEXT
    assert len(chunks[0]) == (lens.LENS_MAX_OUTPUT - lens.OUT_FRAME) // per
    words = [(k, Range(k, A[k % len(A)], 0, 0)) for k in range(2_000)]
    tiny = lens.Op(99, gas=lambda r: 1, out=lambda r: 1, word=Range.word, parse=None)
    chunks = lens.plan(tiny, words, len(words), 10**12)
    max_items = (lens.MAX_INITCODE - len(lens.LENS_CODE) - 128) // 32
    assert max(len(c) for c in chunks) == max_items


def test_plan_respects_the_item_limit_and_sorts_split_ranges():
    work = [(1, Range(1, A[1], 10, 19)), (0, Range(0, A[0], 0, 4)), (1, Range(1, A[1], 0, 9))]
    chunks = lens.plan(lens.SLOTS_OP, work, 1, 50_000_000)
    assert [[(k, r.lower) for k, r in c] for c in chunks] == [[(0, 0)], [(1, 0)], [(1, 10)]]


def test_a_range_too_big_for_one_call_is_split_into_parts_that_fit():
    cap = 3_000_000
    big = Range(7, A[0], 0, 9_999)
    for detailed in (False, True):
        limit = lens.slot_limit(cap, detailed)
        assert 1 <= limit < big.size
        parts = split_range(big, limit)
        assert all(p.key == 7 and p.target == A[0] and p.size <= limit for p in parts)
        assert [p.lower for p in parts] == list(range(0, 10_000, limit))
        assert sum(p.size for p in parts) == big.size and parts[-1].upper == 9_999
        op = lens.slots_op(detailed)
        for part in parts:  # each part alone fits well in one call: a third of the spare gas
            per_slot = op.gas(part) + lens.GAS_DEPOSIT_BYTE * op.out(part)
            assert 3 * per_slot <= cap - lens.lens_intrinsic_gas(1) + 3 * lens.GAS_RANGE
            assert op.out(part) <= (lens.LENS_MAX_OUTPUT - lens.OUT_FRAME) // 2 + lens.OUT_WORD
        # and the planner gives them calls under the cap, several parts per call where they fit
        chunks = lens.plan(op, [(0, p) for p in parts], len(parts), cap)
        check_chunks(op, chunks, cap, len(parts))
    assert lens.slot_limit(100_000, True) == 1  # never below one slot


def test_split_range():
    r = Range(3, A[0], 5, 14)
    assert [(p.lower, p.upper) for p in split_range(r, 4)] == [(5, 8), (9, 12), (13, 14)]
    assert split_range(r, 100) == [r]
    assert [(p.lower, p.upper) for p in split_range(Range(0, A[0], 2, 2), 1)] == [(2, 2)]
    assert [(h.lower, h.upper) for h in r.halves()] == [(5, 9), (10, 14)]
    with pytest.raises(ValueError):
        split_range(r, 0)


def test_combine_joins_parts_in_slot_order():
    parts = [(10, (OK, ["c"])), (0, (OK, ["a", "b"])), (20, (HAS_CODE, []))]
    assert lens.combine(parts) == (OK & HAS_CODE, ["a", "b", "c"])
    assert lens.combine([(0, (OK, ["x"]))]) == (OK, ["x"])


# ---- lens output ---------------------------------------------------------------------------------


def w(value: int) -> bytes:
    return value.to_bytes(32, "big")


def output(words: list[bytes], texts: bytes, done: int, gas: int = 12345) -> bytes:
    """A lens output: (gas, done, words offset, texts offset, frame) then words and texts."""
    body_words = w(len(words)) + b"".join(words)
    padded = texts + b"\0" * (-len(texts) % 32)
    wo, to = 0xC0, 0xC0 + len(body_words)
    head = w(gas) + w(done) + w(wo) + w(to) + w(0) + w(0)
    return head + body_words + w(len(texts)) + padded


def response_words(address, task, provider, data: bytes, status=0, confirmed=0, ts=1_700_000_000):
    a, t, p = (int(x, 16) for x in (address, task, provider))
    b0 = a | OK << 160 | status << 168 | confirmed << 176 | ts << 192
    b1 = t | len(data) << 160
    return [w(b0), w(b1), w(p), w(10**19)]


def test_lens_output_decodes_hand_built_responses():
    raw0, raw1 = b"ipfs://x", b"\xff\xfebin"
    words = [w(2 | OK << 160)]  # a range header: 2 responses, flags OK
    words += response_words(A[0], A[9], A[8], raw0, status=1, confirmed=1)
    words += response_words(A[1], A[9], A[7], raw1)
    gas, done, cursor = lens.lens_output(output(words, raw0 + raw1, done=1))
    assert (gas, done) == (12345, 1)
    flags, found = lens.parse_response_range(cursor, Range(0, A[9], 0, 1))
    assert flags == OK and len(found) == 2
    (f0, r0), (f1, r1) = found
    assert f0 == f1 == OK
    assert (r0.address, r0.task, r0.provider, r0.data, r0.status, r0.confirmed) == (
        A[0], A[9], A[8], "ipfs://x", "confirmed", True,
    )  # fmt: skip
    assert r0.payment == 10**19 and r0.timestamp == 1_700_000_000
    assert r1.data == "\ufffd\ufffdbin" and r1.data_bytes == raw1 and r1.status == "submitted"


def test_lens_output_decodes_a_hand_built_task_and_a_not_a_task():
    config = b"ipfs://config"
    w0 = OK | 2 << 8 | 1 << 16 | len(config) << 32
    words = [w(w0), w(int(A[1], 16)), w(int(A[2], 16)), w(5), w(6), w(7), w(0), w(8)]
    words += [w(HAS_CODE)] + [w(0)] * 7  # a contract that is not a task
    _, _, cursor = lens.lens_output(output(words, config, done=2))
    row = lens.parse_task(cursor, A[0])
    assert (row.flags, row.status, row.delivery, row.source, row.client) == (OK, 2, 1, A[1], A[2])
    assert (row.payment, row.expiry, row.attempts, row.winner, row.first_attempt) == (
        5, 6, 7, None, 8,
    )  # fmt: skip
    assert row.config == "ipfs://config"
    other = lens.parse_task(cursor, A[3])
    assert other.flags == HAS_CODE


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x01" * 100,  # shorter than the frame
        w(0) + w(1) + w(2**200) + w(0xA0) + w(0) + w(0),  # an offset far past the end
        w(0) + w(1) + w(0xC0) + w(0xE0) + w(0) + w(0) + w(5) + w(0),  # 5 words promised, 1 given
        w(0) + w(1) + w(0xC0) + w(0xE0) + w(0) + w(0) + w(0) + w(2**255),  # huge text length
    ],
    ids=["empty", "short", "offset", "words", "texts"],
)
def test_malformed_lens_output_is_a_read_error(raw):
    with pytest.raises(ReadError, match="do not decode"):
        lens.lens_output(raw)


def test_output_with_fewer_words_or_text_than_its_items_is_a_read_error():
    _, _, cursor = lens.lens_output(output([w(2 | OK << 160), w(1)], b"", done=1))
    with pytest.raises(ReadError, match="fewer words"):
        lens.parse_address_range(cursor, Range(0, A[0], 0, 1))
    words = response_words(A[0], A[1], A[2], b"12345")
    _, _, cursor = lens.lens_output(output(words, b"12", done=1))
    with pytest.raises(ReadError, match="fewer text bytes"):
        lens.parse_response(cursor)


def test_output_that_cannot_be_true_raises_value_error():
    words = [w(OK | 9 << 8)] + [w(0)] * 7  # status 9 is no task status
    _, _, cursor = lens.lens_output(output(words, b"", done=1))
    with pytest.raises(ValueError, match="status 9"):
        lens.parse_task(cursor, A[0])


def test_lens_input_encoding():
    data = lens.lens_data(lens.TASKS, [1, 2])
    tail = bytes.fromhex(data[2 + 2 * len(lens.LENS_CODE) :])
    assert tail == w(lens.TASKS) + w(lens.LENS_MAX_OUTPUT) + w(0x60) + w(2) + w(1) + w(2)
    r = Range(0, A[0], 3, 9)
    assert r.word() == int(A[0], 16) | 3 << 160 | 9 << 208


# ---- selector and argument validation --------------------------------------------------------


def test_selector_value():
    assert selector_value([A[0], A[0].lower(), A[1]], None, None) == ("tasks", [A[0], A[1]])
    assert selector_value(A[0].lower(), None, None) == ("tasks", [A[0]])  # one string: one task
    assert selector_value(None, A[2].lower(), None) == ("source", A[2])
    assert selector_value(None, None, A[3]) == ("client", A[3])
    assert selector_value(iter([A[4]]), None, None) == ("tasks", [A[4]])
    for args, named in [
        ((None, None, None), "no selector"),
        (([A[0]], A[1], None), "more than one selector"),
        (([], None, None), "tasks is empty"),
        ((123, None, None), "tasks=123"),
        ((None, "  ", None), "source is empty"),
        ((None, None, ""), "client is empty"),
    ]:
        with pytest.raises(SelectorError, match=named):
            selector_value(*args)
    with pytest.raises(InvalidAddressError, match=r"tasks\[1\]: .*'0x12'"):
        selector_value([A[0], "0x12"], None, None)
    with pytest.raises(InvalidAddressError, match="source address 'x'"):
        selector_value(None, "x", None)


def test_address_list():
    assert address_list(bytes.fromhex(A[0][2:]), "response address", "addresses") == [A[0]]
    assert address_list((a for a in [A[1], A[0], A[1]]), "x", "y") == [A[1], A[0]]
    for bad, named in [(None, "addresses=None"), (3, "addresses=3"), (object(), "<object>")]:
        with pytest.raises(InvalidArgumentError, match=named) as info:
            address_list(bad, "response address", "addresses")
        assert info.value.argument == "addresses"
    with pytest.raises(InvalidAddressError, match=r"addresses\[0\]") as info:
        address_list([[A[0]]], "response address", "addresses")
    assert info.value.value == [A[0]]


def test_slot_bounds_and_block_numbers():
    assert slot_bounds(0, None) == (0, None) and slot_bounds(2, 5) == (2, 5)
    for lower, upper in [(-1, None), (True, None), (0, "3"), (1.0, None), (0, -2)]:
        with pytest.raises(InvalidRangeError):
            slot_bounds(lower, upper)
    assert block_number(None, "from_block") is None and block_number(12, "to_block") == 12
    for bad in ["abc", "12", -1, 1.5, True]:
        with pytest.raises(InvalidArgumentError, match="is not a block number") as info:
            block_number(bad, "from_block")
        assert info.value.argument == "from_block"
