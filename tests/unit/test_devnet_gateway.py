"""The devnet's IPFS store and gateway: file content, trustless raw blocks and CARs that verify
with ogpu_widgets.results, the test modes (tamper, plain gateway, latency, slow, hits), the
life cycle. No chain: the gateway with the chain is in test_devnet.py."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
from support import http_get, port_open, until

from ogpu_widgets.devnet.ipfs import (
    BAD_KINDS,
    KINDS,
    Gateway,
    IpfsStore,
    png,
    sample_result,
    tamper_block,
    tamper_bytes,
)
from ogpu_widgets.errors import ResultVerificationError
from ogpu_widgets.results.car import read_car
from ogpu_widgets.results.cid import Cid, block_matches
from ogpu_widgets.results.unixfs import add_file, file_from_blocks

RAW = "application/vnd.ipld.raw"
CAR = "application/vnd.ipld.car"
BIG = random.Random(1).randbytes(4 * 262_144 + 4)  # five distinct chunks


def raw_getter(gw: Gateway, by: str = "format"):
    def get_block(cid: Cid) -> bytes:
        if by == "format":
            status, headers, body = http_get(f"{gw.url}/ipfs/{cid}?format=raw")
        else:
            status, headers, body = http_get(f"{gw.url}/ipfs/{cid}", accept=RAW)
        assert status == 200 and headers["Content-Type"] == RAW
        return body

    return get_block


@pytest.fixture(scope="module")
def gateway():
    gw = Gateway(IpfsStore()).start()
    yield gw
    gw.stop()


@pytest.fixture
def gw(gateway):
    gateway.reset()
    yield gateway
    gateway.reset()


# ---- content ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "ctype"),
    [
        (b'{"result":"positive","confidence":0.97}', "application/json"),
        (b"[1, 2, 3]\n", "application/json"),
        (b"just text\n", "text/plain; charset=utf-8"),
        (b'{"result": positive}', "text/plain; charset=utf-8"),  # malformed JSON
        (png(16), "image/png"),
        (bytes(range(256)), "application/octet-stream"),
        (b"", "text/plain; charset=utf-8"),
    ],
)
def test_file_content_and_its_type(gw, data, ctype):
    for version in (0, 1):
        cid = gw.store.add(data, cid_version=version)
        assert cid == add_file(data, cid_version=version)[0]
        status, headers, body = http_get(gw.url_of(cid))
        assert (status, headers["Content-Type"], body) == (200, ctype, data)
        assert headers["Content-Length"] == str(len(data))
        assert headers["X-Ipfs-Path"] == f"/ipfs/{cid}"
        status, headers, body = http_get(gw.url_of(cid), method="HEAD")
        assert (status, headers["Content-Length"], body) == (200, str(len(data)), b"")


def test_add_json_and_hello_world(gw):
    cid = gw.store.add(b"hello world\n")
    assert str(cid) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    cid = gw.store.add_json({"result": "neutral", "confidence": 0.5}, cid_version=1)
    assert str(cid).startswith("bafkrei")
    assert json.loads(http_get(gw.url_of(cid))[2]) == {"result": "neutral", "confidence": 0.5}


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("data", [b"small", BIG], ids=["single-block", "multi-block"])
def test_raw_blocks_verify(gw, version, data):
    cid = gw.store.add(data, cid_version=version)
    for by in ("format", "accept"):
        assert file_from_blocks(cid, raw_getter(gw, by), max_bytes=len(data)) == data
    status, headers, block = http_get(f"{gw.url_of(cid)}?format=raw", method="HEAD")
    assert status == 200 and headers["Content-Type"] == RAW and block == b""


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("data", [b"small", BIG], ids=["single-block", "multi-block"])
def test_car_verifies(gw, version, data):
    cid = gw.store.add(data, cid_version=version)
    for url, accept in ((f"{gw.url_of(cid)}?format=car", None), (gw.url_of(cid), CAR)):
        status, headers, body = http_get(url, accept=accept)
        assert status == 200 and headers["Content-Type"].startswith(CAR)
        roots, blocks = read_car(body)
        assert roots == [cid] and len(blocks) == (1 if data == b"small" else 6)
        assert file_from_blocks(cid, blocks.__getitem__, max_bytes=len(data)) == data


def test_unknown_and_invalid(gw):
    missing = add_file(b"never stored")[0]
    for suffix in ("", "?format=raw", "?format=car"):
        assert http_get(gw.url_of(missing) + suffix)[0] == 404
    assert http_get(f"{gw.url}/ipfs/QmNotACid")[0] == 400
    assert http_get(f"{gw.url}/ipns/example.org")[0] == 404
    assert http_get(f"{gw.url}/")[0] == 404
    cid = gw.store.add(b"x")
    assert http_get(f"{gw.url_of(cid)}?format=dag-json")[0] == 400


def test_paths_under_a_directory(gw):
    a = gw.store.add_json({"result": "positive"})
    b = gw.store.add(b"text", cid_version=1)
    d = gw.store.add_directory({"a.json": a, "b.txt": b})
    status, headers, body = http_get(gw.url_of(d, "/a.json"))
    assert (status, body) == (200, b'{"result":"positive"}')
    assert headers["Content-Type"] == "application/json"
    assert file_from_blocks(d, raw_getter(gw), max_bytes=100, path="/b.txt") == b"text"
    assert http_get(f"{gw.url_of(d, '/b.txt')}?format=raw")[2] == b"text"  # the block path names
    roots, blocks = read_car(http_get(f"{gw.url_of(d, '/a.json')}?format=car")[2])
    assert roots == [d] and set(blocks) == {d, a}
    assert file_from_blocks(d, blocks.__getitem__, max_bytes=100, path="a.json") == (
        b'{"result":"positive"}'
    )
    assert http_get(gw.url_of(d, "/c.json"))[0] == 404
    assert http_get(gw.url_of(d))[0] == 501  # no directory listings


# ---- test modes ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("data", [b'{"result":"positive","confidence":0.9}', BIG])
def test_tamper_mode_fails_verification(gw, version, data):
    cid = gw.store.add(data, cid_version=version)
    gw.tamper = True
    status, _, body = http_get(gw.url_of(cid))
    assert status == 200 and body != data and len(body) == len(data)
    status, _, block = http_get(f"{gw.url_of(cid)}?format=raw")
    assert status == 200 and not block_matches(cid, block)
    with pytest.raises(ResultVerificationError):
        file_from_blocks(cid, raw_getter(gw), max_bytes=len(data))
    roots, blocks = read_car(http_get(f"{gw.url_of(cid)}?format=car")[2])  # still a good CAR
    assert roots == [cid]
    with pytest.raises(ResultVerificationError):
        file_from_blocks(cid, blocks.__getitem__, max_bytes=len(data))
    gw.tamper = False
    assert http_get(gw.url_of(cid))[2] == data


def test_tampering_keeps_shapes():
    assert tamper_bytes(b'{"result":"positive"}') == b'{"result":"negative"}'
    assert tamper_bytes(b'{"confidence":0.97}') == b'{"confidence":1.97}'
    assert tamper_bytes(b"abc") == b"Abc" and tamper_bytes(b"") == b"\n"
    root, blocks = add_file(BIG)
    for cid, block in blocks.items():
        changed = tamper_block(cid, block)
        assert changed != block and not block_matches(cid, changed)


def test_plain_gateway_ignores_the_trustless_forms(gw):
    data = b'{"result":"negative"}'
    cid = gw.store.add(data)
    gw.trustless = False
    for url, accept in ((f"{gw.url_of(cid)}?format=raw", None), (f"{gw.url_of(cid)}?format=car",
                        None), (gw.url_of(cid), RAW), (gw.url_of(cid), CAR)):  # fmt: skip
        status, headers, body = http_get(url, accept=accept)
        assert (status, headers["Content-Type"], body) == (200, "application/json", data)


def test_latency_slow_and_hits(gw):
    fast = gw.store.add(b"fast")
    slow = gw.store.add(b"slow", cid_version=1)
    gw.latency = 0.15
    began = time.monotonic()
    assert http_get(gw.url_of(fast))[0] == 200
    assert time.monotonic() - began >= 0.15
    gw.latency = 0.0
    gw.slow.add(slow)
    gw.slow_delay = 0.6
    began = time.monotonic()
    assert http_get(gw.url_of(fast))[2] == b"fast"
    assert time.monotonic() - began < 0.5
    began = time.monotonic()
    assert http_get(f"{gw.url_of(slow)}?format=raw")[2] == b"slow"
    assert time.monotonic() - began >= 0.6
    gw.slow = {str(fast)}  # strings name CIDs too
    with pytest.raises(TimeoutError):
        http_get(gw.url_of(fast), timeout=0.2)
    assert gw.hits == 4 and gw.log[-1] == ("GET", f"/ipfs/{fast}")
    gw.reset()
    assert gw.hits == 0 and not gw.slow and gw.slow_delay == 0.6


def test_stop_closes_the_port_and_ends_slow_answers():
    gw = Gateway(IpfsStore()).start()
    cid = gw.store.add(b"x")
    gw.slow.add(cid)
    gw.slow_delay = 60
    port = gw.port
    got = []
    t = threading.Thread(target=lambda: got.append(_try(gw.url_of(cid))), daemon=True)
    t.start()
    until(lambda: gw.hits >= 1, 10, "the request to reach the gateway")  # now in its slow answer
    began = time.monotonic()
    gw.stop()
    t.join(10)
    assert not t.is_alive() and time.monotonic() - began < 5
    assert not port_open(f"http://127.0.0.1:{port}") and not gw.running
    gw.stop()  # twice is fine


def _try(url):
    try:
        return http_get(url, timeout=30)
    except OSError as exc:
        return exc


# ---- sample results --------------------------------------------------------------------------


def test_sample_results_are_varied_deterministic_and_both_versions():
    samples = [sample_result(t, p) for t in range(40) for p in range(10)]
    assert {s.kind for s in samples} == set(KINDS)
    assert {s.cid_version for s in samples} == {0, 1}
    assert sample_result(3, 2, 7) == sample_result(3, 2, 7)
    assert sample_result(3, 2, 7) != sample_result(3, 2, 8)
    labels = {json.loads(sample_result(0, p).data)["result"] for p in range(10)}
    assert len(labels) > 1  # the providers of a classification task disagree
    for kind in KINDS:
        s = sample_result(5, 1, kind=kind)
        assert s.kind == kind and s.bad == (kind in BAD_KINDS)
        if kind in ("classification", "text", "embedding", "metadata", "missing", "slow"):
            assert isinstance(json.loads(s.data), dict)
        if kind == "malformed":
            with pytest.raises(ValueError):
                json.loads(s.data)
    assert len(sample_result(0, 0, kind="large").data) > 2_000_000
    image = sample_result(0, 3, kind="image").data
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and image[16:24] == (64).to_bytes(4, "big") * 2
    hostile = b"".join(sample_result(0, p, kind="hostile").data for p in range(40))
    for needle in (b"<script>", b"<svg onload", b"\x1b[31m", "\u202e".encode(), b"A" * 100_000):
        assert needle in hostile
    with pytest.raises(ValueError, match="unknown result kind"):
        sample_result(0, 0, kind="nope")
