"""results.unixfs and results.car: making files as `ipfs add` does, reading them back with
every block checked, CAR files. (The reference cross-check is tests/unit/test_results_ipfs_reference.py.)"""

from __future__ import annotations

import hashlib

import pytest

from ogpu_widgets.errors import ResultError, ResultTooLargeError, ResultVerificationError
from ogpu_widgets.results.car import read_car, write_car
from ogpu_widgets.results.cid import block_matches, cid_of, parse_cid
from ogpu_widgets.results.unixfs import (
    DIRECTORY,
    FILE,
    HAMT_SHARD,
    SYMLINK,
    Link,
    UnixFs,
    add_file,
    decode_dag_pb,
    decode_unixfs,
    encode_dag_pb,
    encode_unixfs,
    file_from_blocks,
    links_of,
)

HELLO = b"hello world\n"


def data_of(n: int, seed: bytes = b"") -> bytes:
    """``n`` deterministic, incompressible-looking bytes."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(seed + i.to_bytes(8, "big")).digest()
        i += 1
    return bytes(out[:n])


def read(root, blocks, max_bytes=1 << 30, **kw):
    return file_from_blocks(root, blocks.__getitem__, max_bytes=max_bytes, **kw)


# ---- known CIDs ------------------------------------------------------------------------------


def test_known_cids_of_ipfs_add():
    assert str(add_file(HELLO)[0]) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert str(add_file(HELLO, cid_version=1)[0]) == (
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    )
    assert str(add_file(b"")[0]) == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
    assert str(add_file(b"", cid_version=1)[0]) == (
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    )


def test_single_chunk_v1_is_the_raw_leaf_itself():
    root, blocks = add_file(HELLO, cid_version=1)
    assert root.codec == "raw" and blocks == {root: HELLO} and root == cid_of(HELLO)
    assert str(root).startswith("bafkrei")


def test_v0_leaf_is_a_unixfs_file_node():
    root, blocks = add_file(HELLO)
    links, data = decode_dag_pb(blocks[root])
    assert links == [] and decode_unixfs(data) == UnixFs(FILE, HELLO, len(HELLO))
    assert blocks[root] == b"\x0a\x12\x08\x02\x12\x0c" + HELLO + b"\x18\x0c"


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("size", [0, 1, 262_143, 262_144, 262_145, 3 * 262_144 + 7])
def test_round_trip(version, size):
    data = data_of(size)
    root, blocks = add_file(data, cid_version=version)
    assert root.version == version
    assert all(block_matches(c, b) for c, b in blocks.items())
    assert read(root, blocks) == data
    expected_leaves = max(1, -(-size // 262_144))
    assert len(blocks) == expected_leaves + (expected_leaves > 1)


@pytest.mark.parametrize("version", [0, 1])
def test_deep_balanced_trees(version):
    # small chunks and fan-out: 3 levels of inner nodes over 20 leaves
    data = data_of(20 * 16 - 5)
    root, blocks = add_file(data, cid_version=version, chunk_size=16, max_links=3)
    assert read(root, blocks) == data
    links, raw = decode_dag_pb(blocks[root])
    assert len(links) == 3 and decode_unixfs(raw).filesize == len(data)
    assert decode_unixfs(raw).blocksizes == (16 * 9, 16 * 9, 16 * 2 - 5)
    depth, cid = 0, root
    while cid.codec == "dag-pb" and links_of(cid, blocks[cid]):
        cid, depth = links_of(cid, blocks[cid])[0], depth + 1
    assert depth == 3


def test_add_file_arguments():
    with pytest.raises(ValueError, match="cid_version"):
        add_file(b"x", cid_version=2)
    with pytest.raises(ValueError, match="chunk_size"):
        add_file(b"x", chunk_size=0)


# ---- verification and limits -----------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1])
def test_a_tampered_block_fails_verification(version):
    data = data_of(3 * 262_144)
    root, blocks = add_file(data, cid_version=version)
    leaf = next(c for c in blocks if c != root)
    for bad in (blocks[leaf][:-1] + bytes([blocks[leaf][-1] ^ 1]), blocks[leaf] + b"\n", b""):
        tampered = dict(blocks)
        tampered[leaf] = bad
        with pytest.raises(ResultVerificationError, match=str(leaf)) as info:
            read(root, tampered)
        assert info.value.cid == str(leaf)
    tampered = dict(blocks)
    tampered[root] = tampered[root] + b"\x00"
    with pytest.raises(ResultVerificationError):
        read(root, tampered)


def test_a_single_block_file_is_checked_too():
    root, blocks = add_file(HELLO, cid_version=1)
    with pytest.raises(ResultVerificationError):
        file_from_blocks(root, lambda c: b"hello world?", max_bytes=100)


def test_max_bytes():
    data = data_of(3 * 262_144)
    root, blocks = add_file(data)
    fetched = []

    def get(cid):
        fetched.append(cid)
        return blocks[cid]

    with pytest.raises(ResultTooLargeError) as info:
        file_from_blocks(root, get, max_bytes=len(data) - 1)
    assert fetched == [root]  # the declared size refuses before any leaf is fetched
    assert info.value.size == len(data) and info.value.max_bytes == len(data) - 1
    assert file_from_blocks(root, get, max_bytes=len(data)) == data
    small, sblocks = add_file(HELLO, cid_version=1)
    with pytest.raises(ResultTooLargeError):
        read(small, sblocks, max_bytes=5)


def test_a_lying_filesize_is_caught_while_reading():
    """A root that under-declares its size still cannot make the reader exceed max_bytes."""
    leaves, blocks = [], {}
    for i in range(3):
        leaf, leaf_blocks = add_file(data_of(100, bytes([i])))
        leaves.append(leaf)
        blocks.update(leaf_blocks)
    node = encode_dag_pb([Link(c, "", 0) for c in leaves], encode_unixfs(UnixFs(FILE, None, 10)))
    root = cid_of(node, codec="dag-pb", version=0)
    blocks[root] = node
    with pytest.raises(ResultTooLargeError):
        read(root, blocks, max_bytes=150)
    with pytest.raises(ResultError, match="malformed"):
        read(root, blocks)


def test_get_block_errors_go_through():
    root, _ = add_file(HELLO)

    def missing(cid):
        raise KeyError(str(cid))

    with pytest.raises(KeyError):
        file_from_blocks(root, missing, max_bytes=100)


def test_a_repeated_link_bomb_is_bounded():
    empty, blocks = add_file(b"")
    node = empty
    for _ in range(8):  # each level links its child 174 times: 174**8 visits if unbounded
        block = encode_dag_pb([Link(node, "", 6)] * 174, encode_unixfs(UnixFs(FILE, None, 0,
                              (0,) * 174)))  # fmt: skip
        node = cid_of(block, codec="dag-pb", version=0)
        blocks[node] = block
    with pytest.raises(ResultError, match="more than"):
        read(node, blocks, max_bytes=1000)


# ---- directories, other node types, malformed nodes -----------------------------------------


def directory(entries: dict[str, tuple]) -> tuple:
    links = [Link(cid, name, len(blocks[cid])) for name, (cid, blocks) in sorted(entries.items())]
    block = encode_dag_pb(links, encode_unixfs(UnixFs(DIRECTORY)))
    cid = cid_of(block, codec="dag-pb", version=0)
    all_blocks = {cid: block}
    for _, b in entries.values():
        all_blocks.update(b)
    return cid, all_blocks


def test_paths_through_directories():
    a = add_file(b'{"result": "positive"}', cid_version=1)
    b = add_file(HELLO)
    inner = directory({"b.txt": b})
    root, blocks = directory({"a.json": a, "sub dir": inner})
    assert str(root).startswith("Qm")
    assert read(root, blocks, path="/a.json") == b'{"result": "positive"}'
    assert read(root, blocks, path="sub dir/b.txt/") == HELLO
    with pytest.raises(ResultError, match="directory, not a file|not a file"):
        read(root, blocks)
    with pytest.raises(ResultError, match="no 'c.json'"):
        read(root, blocks, path="/c.json")
    with pytest.raises(ResultError, match="not a directory"):
        read(root, blocks, path="/a.json/x")


@pytest.mark.parametrize(("kind", "message"), [(SYMLINK, "symlink"), (HAMT_SHARD, "sharded")])
def test_other_node_types_are_not_files(kind, message):
    block = encode_dag_pb([], encode_unixfs(UnixFs(kind, b"target")))
    cid = cid_of(block, codec="dag-pb", version=0)
    with pytest.raises(ResultError, match=message):
        read(cid, {cid: block})
    if kind == HAMT_SHARD:
        with pytest.raises(ResultError, match="sharded directory"):
            read(cid, {cid: block}, path="/x")


@pytest.mark.parametrize(
    "block",
    [
        b"\x0a\x05abc",  # truncated Data
        b"\x08\x01",  # a varint field in a PBNode
        b"\x0a\x02\x08\x02\x12\x00",  # Links after Data
        b"\x12\x03\x12\x01x",  # a link without Hash
        b"\x0a\x02\x08\x02\x0a\x02\x08\x02",  # Data twice
        b"\x1a\x00",  # unknown field 3
        b"",  # no UnixFS Type
        b"\x0a\x02\x10\x02",  # UnixFS without Type
        b"\x0a\x01\xff",  # truncated varint
    ],
)
def test_malformed_nodes_are_result_errors(block):
    cid = cid_of(block, codec="dag-pb", version=0)
    with pytest.raises(ResultError) as info:
        read(cid, {cid: block})
    assert not isinstance(info.value, ResultVerificationError)


def test_dag_pb_round_trip_and_link_fields():
    child = parse_cid("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
    links = [Link(child, "ü.json", 20), Link(child.to_v1(), None, None), Link(child, "", 0)]
    block = encode_dag_pb(links, b"\x08\x01")
    assert decode_dag_pb(block) == (links, b"\x08\x01")
    assert decode_dag_pb(encode_dag_pb([], None)) == ([], None)
    assert links_of(cid_of(block, codec="dag-pb"), block) == [child, child.to_v1(), child]
    assert links_of(cid_of(b"x"), b"\x12\x00") == []  # a raw block links to nothing
    # packed blocksizes are read too
    packed = b"\x08\x02\x18\x05\x22\x02\x02\x03"
    assert decode_unixfs(packed).blocksizes == (2, 3)


# ---- CAR -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1])
def test_car_round_trip(version):
    data = data_of(2 * 262_144 + 3)
    root, blocks = add_file(data, cid_version=version)
    car = write_car([root], blocks.items())
    roots, got = read_car(car)
    assert roots == [root] and got == blocks
    assert read(root, got) == data
    assert read_car(write_car([], [])) == ([], {})
    two = write_car([root, root.to_v1()], [])
    assert read_car(two)[0] == [root, root.to_v1()]


def test_car_header_is_dag_cbor_with_cid_links():
    import libipld

    root, _ = add_file(HELLO)
    car = write_car([root], [])
    header = libipld.decode_dag_cbor(car[1:])
    assert header == {"roots": [root.bytes], "version": 1}
    assert car[0] == len(car) - 1


def _good_car():
    root, blocks = add_file(HELLO, cid_version=1)
    return root, write_car([root], blocks.items())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda car: b"",
        lambda car: car[:-1],  # a section cut short
        lambda car: car[:5],  # a header cut short
        lambda car: b"\x00" + car[1:],  # header length 0
        lambda car: b"\xff" * 10,  # an endless varint
        lambda car: car + b"\x05",  # a section that does not fit
        lambda car: car.replace(b"gversion\x01", b"gversion\x02"),  # version 2
        lambda car: car.replace(b"eroots", b"erooty"),  # no roots
        lambda car: bytes([car[0]]) + b"\xa1" + car[2:],  # not DAG-CBOR (map size lies)
        # a section's CID that is not a file's (dag-cbor)
        lambda car: car[: car.rindex(b"\x01\x55")] + b"\x01\x71" + car[car.rindex(b"\x01\x55") + 2:],
    ],
)  # fmt: skip
def test_malformed_car_raises_value_error(mutate):
    _, car = _good_car()
    with pytest.raises(ValueError):
        read_car(mutate(car))


def test_a_carv2_is_read_through_its_carv1():
    root, car = _good_car()
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    offset = len(pragma) + 40
    header = bytes(16) + offset.to_bytes(8, "little") + len(car).to_bytes(8, "little") + bytes(8)
    assert read_car(pragma + header + car)[0] == [root]
