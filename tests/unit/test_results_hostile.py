"""Hostile result bytes: every check and decoder of a provider's or a gateway's bytes runs in
linear time with an explicit depth bound that does not depend on ``sys.getrecursionlimit()``
(web3 raises it to 100,000), and the limits of the trustless gateway spec apply."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import time

import pytest

from ogpu_widgets.errors import ResultError, ResultNotFetchedError
from ogpu_widgets.results import car, outcome
from ogpu_widgets.results.car import read_car, write_car
from ogpu_widgets.results.cid import cid_of, put_uvarint
from ogpu_widgets.results.fetch import Fetcher, assemble
from ogpu_widgets.results.policy import UrlPolicy
from ogpu_widgets.results.unixfs import (
    FILE,
    Link,
    UnixFs,
    add_file,
    encode_dag_pb,
    encode_unixfs,
    file_from_blocks,
)

# ---- the deep-JSON check -----------------------------------------------------------------------


def _reference_too_deep(content: bytes) -> bool | None:
    """Whether ``content`` read as JSON nests too deep, one byte at a time (the slow, obvious
    way); None when it reaches a backslash outside a string (JSON never has one: ``json.loads``
    stops there, and what follows is never parsed)."""
    depth = deepest = 0
    inside = escaped = False
    for c in content:
        if not inside and c == 0x5C:
            return True if deepest > outcome.MAX_JSON_DEPTH else None
        if inside:
            if escaped:
                escaped = False
            elif c == 0x5C:
                escaped = True
            elif c == 0x22:
                inside = False
        elif c == 0x22:
            inside = True
        elif c in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif c in (0x5D, 0x7D):
            depth -= 1
    return deepest > outcome.MAX_JSON_DEPTH


def _shapes(size: int) -> dict[str, bytes]:
    """Adversarial inputs of about ``size`` bytes, each with more than MAX_JSON_DEPTH ``[``."""
    return {
        "unterminated escaped quotes": b"[" * 300 + b'"' + b'\\"' * (size // 2),
        "many short strings": b"[" * 300 + b'"\\\\",' * (size // 5),
        "only brackets": b"[" * size,
        "quote bracket pairs": b'"[' * (size // 2),
        "a long backslash run": b"[" * 300 + b'"' + b"\\" * size,
        "unterminated strings": b"[" * 300 + b'"[' * (size // 2),
        "object keys": b"{" * 300 + b'"k\\"":' * (size // 6),
    }


def _plain(size: int) -> float:
    """Seconds ``json.loads`` takes over ``size`` bytes of a flat array: the work that follows
    the check anyway, as the yardstick of a linear pass on this machine."""
    text = "[" + "0," * (size // 2) + "0]"
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        json.loads(text)
        best = min(best, time.perf_counter() - start)
    return best


def _timed(content: bytes) -> float:
    start = time.perf_counter()
    outcome._too_deep(content)
    return time.perf_counter() - start


def test_the_depth_check_is_exact():
    rng = random.Random(18)
    alphabet = b'[]{}"\\a,:' + b"[" * 6
    for _ in range(3000):
        content = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 900)))
        expected = _reference_too_deep(content)
        if expected is None:  # after the point json.loads stops: no claim either way
            continue
        assert outcome._too_deep(content) == expected, content
    deep = outcome.MAX_JSON_DEPTH
    assert not outcome._too_deep(b"[" * deep + b"]" * deep)
    assert outcome._too_deep(b"[" * (deep + 1))
    assert not outcome._too_deep(b'"' + b"[" * (deep + 1) + b'"')  # inside a string
    assert outcome._too_deep(b'"\\\\"' + b"[" * (deep + 1))  # the string ended
    assert not outcome._too_deep(b'"\\"' + b"[" * (deep + 1))  # still inside it
    for size in (1 << 12, 1 << 16):
        for content in _shapes(size).values():
            assert outcome._too_deep(content) is _reference_too_deep(content) is True


def test_the_depth_check_is_linear_for_every_shape():
    # the small size first: a quadratic check fails here in seconds, not hours
    for size in (64 << 10, 1 << 20, 4 << 20):
        plain = _plain(size)
        for name, content in _shapes(size).items():
            took = min(_timed(content) for _ in range(2))
            assert took < 20 * plain + 0.05, (name, size, took, plain)
    for name in _shapes(1 << 10):
        small = min(_timed(_shapes(1 << 20)[name]) for _ in range(3))
        large = min(_timed(_shapes(4 << 20)[name]) for _ in range(3))
        assert large < 10 * small + 0.02, (name, small, large)  # x4 the bytes, ~x4 the time


def test_deep_json_is_text_and_shallow_json_is_parsed():
    deep = outcome.MAX_JSON_DEPTH
    assert outcome.classify(b"[" * 100_000 + b"]" * 100_000)[0] == "text"
    assert outcome.classify(b"[" * deep + b"]" * deep)[0] == "json"
    hostile = b"[" * 300 + b'"' + b'\\"' * 24_000  # the 48 KB result of the report
    start = time.perf_counter()
    assert outcome.classify(hostile) == ("text", hostile.decode())
    assert time.perf_counter() - start < 2.0


# ---- CAR headers -------------------------------------------------------------------------------


def _car_with_header(header: bytes) -> bytes:
    return put_uvarint(len(header)) + header


@pytest.mark.parametrize(
    "header",
    [
        b"\x81" * 20_000 + b"\x01",  # arrays 20,000 deep
        b"\xa1\x61a" * 5_000 + b"\x01",  # maps
        b"\xd8\x2a" * 20_000 + b"\x41\x00",  # tags 42 in tags 42
        b"\x9f\x01\xff",  # an indefinite-length array (not DAG-CBOR)
        b"\xc1\x01",  # tag 1
        b"\x9b" + b"\xff" * 8 + b"\x01",  # an array claiming 2^64 - 1 items
        b"\x5a\xff\xff\xff\xff\x00",  # a byte string running past the end
        b"\xa1\x01",  # a map without its value
        b"\x01\x01",  # bytes after the item
        b"\xf0",  # a simple value
        b"\x1c",  # additional information 28
    ],
)
def test_a_malformed_or_deep_header_is_a_value_error(header):
    with pytest.raises(ValueError, match="CBOR|CAR"):
        car.check_cbor(header)
    with pytest.raises(ValueError, match="header is not DAG-CBOR"):
        read_car(_car_with_header(header))


def test_the_header_check_takes_any_header_we_write_and_is_linear():
    root, blocks = add_file(b"hello")
    written = write_car([root, root], blocks.items())
    car.check_cbor(written[1 : 1 + written[0]])
    assert read_car(written)[0] == [root, root]
    car.check_cbor(b"\x81" * (car.MAX_HEADER_DEPTH - 1) + b"\x01")
    with pytest.raises(ValueError, match="deeper"):
        car.check_cbor(b"\x81" * car.MAX_HEADER_DEPTH + b"\x01")
    n = (1 << 20) - 16  # a header of a million one-byte items
    start = time.perf_counter()
    car.check_cbor(b"\x9a" + n.to_bytes(4, "big") + b"\x00" * n)
    assert time.perf_counter() - start < 5.0


_WEB3_CASES = r"""
    import sys, tempfile
    import web3  # raises the recursion limit to 100,000
    assert sys.getrecursionlimit() >= 100_000
    from ogpu_widgets.results.cache import ResultCache
    from ogpu_widgets.results.car import read_car
    from ogpu_widgets.results.cid import put_uvarint
    from ogpu_widgets.results.fetch import assemble
    from ogpu_widgets.results.unixfs import add_file

    for header in (b"\x81" * 20_000 + b"\x01", b"\xa1\x61a" * 20_000 + b"\x01",
                   b"\xd8\x2a" * 20_000 + b"\x41\x00"):
        car = put_uvarint(len(header)) + header
        try:
            read_car(car)
        except ValueError:
            pass
        else:
            raise SystemExit("a deep header was accepted")
    # saved in the cache, such a file is a bad entry: removed, and later reads are misses
    root, _ = add_file(b"x")
    with tempfile.TemporaryDirectory() as d:
        cache = ResultCache(d)
        file = cache.path_of(root)
        file.write_bytes(car)
        check = lambda c, p, g: assemble(c, p, g, 1000)
        for _ in range(2):
            assert cache.get(root, "", check, 1000) is None
        assert not file.exists()
    print("ok")
"""


def test_a_deep_header_with_web3_imported_is_refused_not_a_crash():
    # in a child: a crash of the decoder (SIGSEGV) shows as this test failing
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_WEB3_CASES)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "ok", (done.returncode, done.stderr)


# ---- the trustless gateway spec's limits --------------------------------------------------------


def _section(cid_bytes: bytes, block: bytes) -> bytes:
    return put_uvarint(len(cid_bytes) + len(block)) + cid_bytes + block


def test_blocks_over_2_mib_and_sections_over_8_mib_are_refused():
    root, blocks = add_file(b"hello", cid_version=1)
    head = write_car([root], [])
    exact = b"\x00" * car.MAX_BLOCK
    cid = cid_of(exact)
    _, got = read_car(head + _section(cid.bytes, exact))
    assert got == {cid: exact}
    big = exact + b"\x00"
    with pytest.raises(ValueError, match="block of"):
        read_car(head + _section(cid_of(big).bytes, big))
    # a section longer than 8 MiB is refused from its length, before anything is read
    with pytest.raises(ValueError, match="section of"):
        read_car(head + put_uvarint(car.MAX_SECTION + 1) + b"\x00" * (car.MAX_SECTION + 1))


def test_the_roots_are_ignored_and_completeness_is_checked():
    data = bytes(range(256)) * 2_000  # two chunks
    root, blocks = add_file(data, cid_version=1)
    other, _ = add_file(b"other")
    roots, got = read_car(write_car([other], blocks.items()))
    assert roots == [other]
    assert assemble(root, "", got.__getitem__, 10**7) == data  # the CID asked for is used
    leaf = next(c for c in blocks if c != root)
    partial = {c: b for c, b in blocks.items() if c != leaf}

    def get_block(c):
        if c not in partial:
            raise ResultError(f"the CAR lacks block {c}")
        return partial[c]

    with pytest.raises(ResultError, match="lacks block"):
        assemble(root, "", get_block, 10**7)


# ---- dag-pb / UnixFS ---------------------------------------------------------------------------


def _padded_node(pad: int) -> tuple[object, bytes]:
    """A dag-pb UnixFS file node holding no data but ``pad`` bytes of an unknown field."""
    unixfs = encode_unixfs(UnixFs(FILE)) + b"\x7a" + put_uvarint(pad) + b"\x00" * pad
    block = encode_dag_pb([], unixfs)
    return cid_of(block, codec="dag-pb", version=0), block


def test_a_block_linked_many_times_is_decoded_once():
    x, x_block = _padded_node(1 << 20)
    links = [Link(x, "", len(x_block))] * 3_000
    root_block = encode_dag_pb(links, encode_unixfs(UnixFs(FILE)))
    root = cid_of(root_block, codec="dag-pb", version=0)
    blocks = {x: x_block, root: root_block}
    start = time.perf_counter()
    from ogpu_widgets.results.unixfs import decode_dag_pb, decode_unixfs

    decode_unixfs(decode_dag_pb(x_block)[1])
    once = time.perf_counter() - start
    start = time.perf_counter()
    assert file_from_blocks(root, blocks.__getitem__, max_bytes=10**7) == b""
    assert time.perf_counter() - start < 100 * once + 0.5  # not 3,000 decodes of 1 MiB


def _chain(depth: int) -> tuple[object, dict]:
    leaf = b"deep"
    cid = cid_of(leaf)
    blocks = {cid: leaf}
    for _ in range(depth):
        block = encode_dag_pb([Link(cid, "", len(leaf))], encode_unixfs(UnixFs(FILE, None, 4)))
        cid = cid_of(block, codec="dag-pb", version=1)
        blocks[cid] = block
    return cid, blocks


def test_the_walk_has_its_own_depth_bound_not_the_recursion_limit():
    root, blocks = _chain(40)
    with pytest.raises(ResultError, match="deeper than"):
        file_from_blocks(root, blocks.__getitem__, max_bytes=1000)
    root, blocks = _chain(30)
    frames = 0
    f = sys._getframe()
    while f is not None:
        frames, f = frames + 1, f.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(frames + 25)  # less than one frame per level of the DAG
    try:
        got = file_from_blocks(root, blocks.__getitem__, max_bytes=1000)
    finally:
        sys.setrecursionlimit(old)
    assert got == b"deep"


# ---- messages that name the true cause ---------------------------------------------------------


def _cid_text(prefix: bytes) -> str:
    import libipld

    return libipld.encode_cid(prefix)


SHA1_RAW = _cid_text(bytes([1, 0x55, 0x11, 20]) + bytes(20))
DAG_CBOR = _cid_text(bytes([1, 0x71, 0x12, 32]) + bytes(32))


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (f"ipfs://{SHA1_RAW}", "hash function sha1"),
        (f"/ipfs/{SHA1_RAW}/a.json", "hash function sha1"),
        (f"https://gw.example/ipfs/{SHA1_RAW}", "hash function sha1"),
        (SHA1_RAW, "hash function sha1"),
        (f"ipfs://{DAG_CBOR}", "codec dag-cbor"),
        (f"https://{DAG_CBOR}.ipfs.dweb.link/", "codec dag-cbor"),
        (DAG_CBOR, "codec dag-cbor"),
        ("ipfs://notacid", "is not a CID"),
        ("ipns://k51qzi5uqu5dlvj2", "IPNS"),
        ("/ipns/example.com", "IPNS"),
        ("https://gw.example/ipns/example.com", "IPNS"),
    ],
)
def test_unsupported_ipfs_data_names_its_true_cause(data, cause):
    for allow_urls in (False, True):  # never fetched from the host named in data either
        fetcher = Fetcher(
            policy=UrlPolicy("http://127.0.0.1:9", allow_urls, False),
            timeout=1.0, max_bytes=1000, cache=None,
        )  # fmt: skip
        got = fetcher.fetch(data)
        assert isinstance(got.error, ResultNotFetchedError), got.error
        text = str(got.error)
        assert text.startswith("not fetched: ") and cause in text, text
        assert "only http(s)" not in text


def test_other_urls_keep_the_policy_reasons():
    fetcher = Fetcher(policy=UrlPolicy("http://127.0.0.1:9"), timeout=1.0, max_bytes=1000,
                      cache=None)  # fmt: skip
    assert "only http(s)" in str(fetcher.fetch("ftp://example.com/x").error)
    assert "allow_urls" in str(fetcher.fetch("https://example.com/x.json").error)
