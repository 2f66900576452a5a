"""The dag-pb codec (the protobuf wire format, ``PBNode``/``PBLink``), decoded as strictly as the
DAG-PB spec asks, in one linear pass per block (no recursion: a dag-pb block holds no nested
nodes, only links, which :mod:`.unixfs` walks with its own bounds)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .cid import Cid, cid_from_bytes, put_uvarint, read_uvarint

__all__ = ["Link", "decode_dag_pb", "encode_dag_pb", "fields", "links_of", "read_varint"]


# ---- protobuf wire format --------------------------------------------------------------------


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    return read_uvarint(buf, pos, "protobuf", 10)  # 64 bits


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field; length-delimited values as bytes."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("protobuf: field number 0")
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            size, pos = read_varint(buf, pos)
            if pos + size > end:
                raise ValueError("protobuf: length-delimited field runs past the end")
            value, pos = bytes(buf[pos : pos + size]), pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise ValueError("protobuf: fixed-size field runs past the end")
            value, pos = int.from_bytes(buf[pos : pos + size], "little"), pos + size
        else:
            raise ValueError(f"protobuf: wire type {wire} is not supported")
        yield number, wire, value


# ---- dag-pb ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A dag-pb link: the child's CID, its name (``""`` in files' links) and its ``Tsize``
    (the bytes of the child's whole DAG)."""

    cid: Cid
    name: str | None = ""
    tsize: int | None = None


def encode_dag_pb(links: Sequence[Link], data: bytes | None) -> bytes:
    """A dag-pb block: links first, then data (the canonical order of the DAG-PB spec)."""
    out = bytearray()
    for link in links:
        h = link.cid.bytes
        body = b"\x0a" + put_uvarint(len(h)) + h
        if link.name is not None:
            name = link.name.encode("utf-8")
            body += b"\x12" + put_uvarint(len(name)) + name
        if link.tsize is not None:
            body += b"\x18" + put_uvarint(link.tsize)
        out += b"\x12" + put_uvarint(len(body)) + body
    if data is not None:
        out += b"\x0a" + put_uvarint(len(data)) + data
    return bytes(out)


def decode_dag_pb(block: bytes) -> tuple[list[Link], bytes | None]:
    """The links and data of a dag-pb block, decoded as strictly as the DAG-PB spec asks;
    :class:`ValueError` for anything else."""
    links: list[Link] = []
    data: bytes | None = None
    for number, wire, value in fields(block):
        if wire != 2 or number not in (1, 2):
            raise ValueError(f"dag-pb: unexpected field {number} (wire type {wire}) in PBNode")
        assert isinstance(value, bytes)
        if number == 1:
            if data is not None:
                raise ValueError("dag-pb: duplicate Data")
            data = value
        else:
            if data is not None:
                raise ValueError("dag-pb: Links after Data")
            links.append(_decode_link(value))
    return links, data


def _decode_link(buf: bytes) -> Link:
    got: dict[int, int | bytes] = {}
    for number, wire, value in fields(buf):
        if number not in (1, 2, 3) or wire != (0 if number == 3 else 2):
            raise ValueError(f"dag-pb: unexpected field {number} (wire type {wire}) in PBLink")
        if number in got:
            raise ValueError("dag-pb: duplicate field in PBLink")
        if any(n > number for n in got):
            raise ValueError("dag-pb: PBLink fields out of order")
        got[number] = value
    if 1 not in got:
        raise ValueError("dag-pb: a link without Hash")
    name = got.get(2)
    try:
        text = name.decode("utf-8") if isinstance(name, bytes) else None
    except UnicodeDecodeError:
        raise ValueError("dag-pb: a link Name that is not UTF-8") from None
    tsize = got.get(3)
    assert isinstance(got[1], bytes) and (tsize is None or isinstance(tsize, int))
    return Link(cid_from_bytes(got[1]), text, tsize)


def links_of(cid: Cid, block: bytes) -> list[Cid]:
    """The CIDs a block links to (none for a raw block)."""
    if cid.codec == "raw":
        return []
    return [link.cid for link in decode_dag_pb(block)[0]]
