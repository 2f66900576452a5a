"""results.cid: CID parsing and printing, locating the CID in a response's data, block checks."""

from __future__ import annotations

import hashlib

import pytest

from ogpu_widgets.results.cid import (
    Cid,
    Located,
    block_matches,
    cid_from_bytes,
    cid_of,
    locate,
    parse_cid,
)

HELLO = b"hello world\n"
HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
HELLO_RAW = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
# the same dag-pb block as HELLO_V0, named by a CIDv1
HELLO_V1_DAGPB = "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby"
EMPTY_DIR = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"


def test_v0_parses_and_prints_back():
    cid = parse_cid(HELLO_V0)
    assert (cid.version, cid.codec) == (0, "dag-pb")
    assert str(cid) == HELLO_V0 and repr(cid) == f"Cid({HELLO_V0!r})"
    assert cid.bytes == b"\x12\x20" + cid.digest and len(cid.digest) == 32
    assert cid_from_bytes(cid.bytes) == cid


def test_v1_raw_and_dag_pb():
    raw = parse_cid(HELLO_RAW)
    assert (raw.version, raw.codec) == (1, "raw")
    assert raw.digest == hashlib.sha256(HELLO).digest()
    assert raw.bytes == b"\x01\x55\x12\x20" + raw.digest
    assert str(raw) == HELLO_RAW and cid_from_bytes(raw.bytes) == raw
    v1 = parse_cid(HELLO_V0).to_v1()
    assert str(v1) == HELLO_V1_DAGPB and v1.codec == "dag-pb" and v1.bytes[:2] == b"\x01\x70"
    assert parse_cid(HELLO_V1_DAGPB) == v1 and v1.to_v1() is v1


def test_v1_in_other_multibases_is_the_same_cid():
    cid = parse_cid(HELLO_RAW)
    assert parse_cid(HELLO_RAW.upper()) == cid  # base32upper "B…"
    assert parse_cid("f" + cid.bytes.hex()) == cid  # base16


def test_cids_are_hashable_values():
    a, b = parse_cid(HELLO_V0), parse_cid(HELLO_V0)
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert a != a.to_v1()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" " + HELLO_V0, "spaces"),
        (HELLO_V0 + "\n", "spaces"),
        ("hello", "not a CID"),
        ("Qm", "not a CID"),
        (HELLO_V0[:-1], "not a CID"),
        (HELLO_V0 + "ab", "not a CID"),
        ("bafy" + "a" * 10, "identity"),
        (f"/ipfs/{HELLO_V0}", "not a CID"),
        (f"x/ipfs/{HELLO_V0}", "not a CID"),
        ("Qm" + "l" * 44, "not a CID"),  # "l" is not base58
        ("x" * 300, "not a CID"),
        ("Qmé", "not a CID"),
        # dag-cbor (bafyrei…): not a file's codec
        ("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua", "codec dag-cbor"),
        # identity multihash (bafkqaaa: the empty raw block inlined)
        ("bafkqaaa", "identity"),
        # blake2b-256
        ("bafk2bzacea73ycjnxe2qov7cvnhx52lzfp6nf5jcblnfus6gqreh6ygganbws", "blake2b-256"),
        # an IPNS key (libp2p-key)
        ("k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8", "libp2p-key"),
    ],
)
def test_bad_cids_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_cid(text)


def test_non_strings_and_bad_binary_cids():
    with pytest.raises(ValueError, match="string"):
        parse_cid(b"Qm")  # type: ignore[arg-type]
    cid = parse_cid(HELLO_V0)
    with pytest.raises(ValueError, match="followed by"):
        cid_from_bytes(cid.bytes + b"\x00")
    with pytest.raises(ValueError):
        cid_from_bytes(cid.bytes[:-1])
    with pytest.raises(ValueError):
        cid_from_bytes(b"")


def test_cid_checks_its_fields():
    digest = bytes(32)
    with pytest.raises(ValueError, match="version"):
        Cid(2, "raw", digest)
    with pytest.raises(ValueError, match="codec"):
        Cid(1, "dag-cbor", digest)
    with pytest.raises(ValueError, match="v0 is always dag-pb|CIDv0"):
        Cid(0, "raw", digest)
    with pytest.raises(ValueError, match="32 bytes"):
        Cid(1, "raw", digest[:20])


def test_block_matches():
    raw = parse_cid(HELLO_RAW)
    assert block_matches(raw, HELLO)
    assert not block_matches(raw, HELLO + b" ")
    assert not block_matches(raw, b"")
    assert cid_of(HELLO) == raw
    assert cid_of(HELLO, codec="dag-pb", version=0).version == 0


# ---- locate ----------------------------------------------------------------------------------

V0 = parse_cid(HELLO_V0)
RAW = parse_cid(HELLO_RAW)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (f"ipfs://{HELLO_V0}", Located(V0, "", "ipfs-scheme", None)),
        (f"ipfs://{HELLO_V0}/", Located(V0, "", "ipfs-scheme", None)),
        (f"IPFS://{HELLO_RAW}/a/b.json", Located(RAW, "/a/b.json", "ipfs-scheme", None)),
        (f"ipfs://{HELLO_RAW}?filename=x.json#top", Located(RAW, "", "ipfs-scheme", None)),
        (f"https://cipfs.ogpuscan.io/ipfs/{HELLO_V0}",
         Located(V0, "", "gateway-path", "cipfs.ogpuscan.io")),
        (f"http://127.0.0.1:8080/ipfs/{HELLO_RAW}/dir/r%20esult.json?download=true",
         Located(RAW, "/dir/r esult.json", "gateway-path", "127.0.0.1")),
        (f"HTTPS://Gateway.Example.ORG/ipfs/{HELLO_V0}",
         Located(V0, "", "gateway-path", "gateway.example.org")),
        (f"http://[::1]:5001/ipfs/{HELLO_V0}", Located(V0, "", "gateway-path", "::1")),
        (f"/ipfs/{HELLO_V0}/x", Located(V0, "/x", "gateway-path", None)),
        (f"https://{HELLO_RAW}.ipfs.dweb.link/",
         Located(RAW, "", "subdomain", f"{HELLO_RAW}.ipfs.dweb.link")),
        (f"https://{HELLO_V1_DAGPB}.ipfs.w3s.link/img/a.png",
         Located(V0.to_v1(), "/img/a.png", "subdomain", f"{HELLO_V1_DAGPB}.ipfs.w3s.link")),
        (HELLO_V0, Located(V0, "", "bare", None)),
        (f"  {HELLO_RAW}\n", Located(RAW, "", "bare", None)),
    ],
)  # fmt: skip
def test_locate_every_form(data, expected):
    assert locate(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        "",
        "   ",
        "hello world",
        '{"result": "positive"}',
        "ipfs://",
        "ipfs://not-a-cid/x",
        f"ipfs://{HELLO_V0}/../etc/passwd",
        f"ipns://{HELLO_V0}",
        f"https://gw.example/ipns/{HELLO_V0}",
        "https://gw.example/ipfs/",
        "https://gw.example/ipfs/QmNotACid",
        f"https://gw.example/files/{HELLO_V0}",  # a CID not in a gateway path
        f"https://gw.example/x/ipfs/{HELLO_V0}",
        "https://example.org/result.json",
        "https://notacid.ipfs.dweb.link/",
        "ftp://gw.example/ipfs/" + HELLO_V0,
        "http://[::1/ipfs/" + HELLO_V0,  # not a URL
        "data:application/json,{}",
        "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua",  # dag-cbor
        "x" * 10_000,
    ],
)
def test_locate_gives_none_when_data_names_no_cid(data):
    assert locate(data) is None


def test_locate_takes_only_strings():
    assert locate(None) is None  # type: ignore[arg-type]
    assert locate(HELLO_V0.encode()) is None  # type: ignore[arg-type]


def test_empty_directory_cid_is_a_cid():
    assert parse_cid(EMPTY_DIR).codec == "dag-pb"
