"""The checks of what the front-end sends a ResponseTable (no kernel, no chain)."""

from __future__ import annotations

import struct

import pytest

from ogpu_widgets.errors import InvalidAddressError
from ogpu_widgets.table.protocol import BadRequest, parse_confirm_request, parse_view, reply

ADDR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_a_good_request_is_normalized():
    req = parse_confirm_request({"id": "r1", "response": ADDR.lower()})
    assert (req.rid, req.response, req.error) == ("r1", ADDR, None)


@pytest.mark.parametrize("rid", [None, "", " ", 7, 0, False, 1.5, [], {}, "x" * 201])
def test_ids_must_be_non_empty_strings(rid):
    with pytest.raises(BadRequest) as info:
        parse_confirm_request({"id": rid, "response": ADDR})
    assert info.value.rid == (rid if isinstance(rid, str) and len(rid) <= 200 else "")


@pytest.mark.parametrize("message", [None, [], "x", 5])
def test_a_request_that_is_not_an_object(message):
    with pytest.raises(BadRequest):
        parse_confirm_request(message)


@pytest.mark.parametrize("bad", [None, "", "0x12", 12, ADDR[:-1] + "A", ["x"]])
def test_a_bad_address_is_an_answer_not_a_crash(bad):
    req = parse_confirm_request({"id": "r", "response": bad})
    assert req.response is None and isinstance(req.error, InvalidAddressError)


def test_replies():
    assert reply("a") == {"id": "a", "ok": True, "error": ""}
    assert reply(7, "no") == {"id": "", "ok": False, "error": "no"}


def test_views():
    assert parse_view({}, 3) is None
    assert parse_view({"all": True, "positions": b"junk"}, 3) is None
    assert parse_view({"all": False, "positions": struct.pack("<2I", 2, 0)}, 3) == [2, 0]
    assert parse_view({"all": False, "positions": memoryview(struct.pack("<I", 1))}, 3) == [1]
    assert parse_view({"all": False, "positions": None}, 3) == []
    for bad in (
        {"all": "yes"},
        {"all": False, "positions": b"\x00"},
        {"all": False, "positions": struct.pack("<I", 3)},
        {"all": False, "positions": [0, 1]},
    ):
        with pytest.raises(ValueError):
            parse_view(bad, 3)
